import { APP_METRICS_DIMENSION, APP_METRICS_NAMESPACE, APP_RELEASE_DIMENSION } from '@loadbearing/contract';
import type { DeliverySettings } from '../config/delivery-settings';

/**
 * The release alarms: what the instance refresh watches to decide whether a release hurts users.
 * One definition, read by the fleet construct (the CloudWatch alarms) and by the proving ground
 * (its local stand-in evaluates the same thresholds, periods and datapoints on its own fleet).
 *
 * Each alarm sees the app's metrics of one release only (`[Stack, Release]`): the rollback of a
 * bad release runs under the previous template's policy, which names the previous release's
 * alarms, and the bad release's instances cannot put those in ALARM
 * (docs/adr/0007-releases-roll-back-on-their-own-alarms.md). Missing data is not breaching (a
 * release with no traffic yet is not judged), and the alarms have no actions.
 */
export type ReleaseSignal = 'errors' | 'latency-p99';

export interface ReleaseAlarmDefinition {
  readonly signal: ReleaseSignal;
  readonly alarmName: string;
  readonly description: string;
  readonly namespace: string;
  readonly dimensions: Readonly<Record<string, string>>;
  /**
   * `ratio`: 100 x numerator (Sum) / denominator (Sum) per period, % of requests;
   * `percentile`: the p99 of `metric` per period.
   */
  readonly kind: 'ratio' | 'percentile';
  readonly metric: string;
  readonly numerator?: string;
  readonly denominator?: string;
  readonly statistic: 'Sum' | 'p99';
  readonly threshold: number;
  readonly unit: '%' | 'ms';
  readonly comparison: 'GreaterThanThreshold';
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly treatMissingData: 'notBreaching';
}

export interface ReleaseAlarmInput {
  /** The prefix of every alarm name of the stack (`<stack>-` by default). */
  readonly prefix: string;
  /** The `Stack` dimension the app publishes (`APP_STACK_NAME`). */
  readonly stackName: string;
  readonly releaseId: string;
  readonly settings: DeliverySettings['releaseAlarms'];
}

/** `<prefix>release-<id>-<signal>`. */
export function releaseAlarmName(prefix: string, releaseId: string, signal: ReleaseSignal): string {
  return `${prefix}release-${releaseId}-${signal}`;
}

export function releaseAlarmDefinitions(input: ReleaseAlarmInput): ReleaseAlarmDefinition[] {
  const { settings: s } = input;
  const common = {
    namespace: APP_METRICS_NAMESPACE,
    dimensions: { [APP_METRICS_DIMENSION]: input.stackName, [APP_RELEASE_DIMENSION]: input.releaseId },
    comparison: 'GreaterThanThreshold' as const,
    periodSeconds: s.periodSeconds,
    evaluationPeriods: s.evaluationPeriods,
    datapointsToAlarm: s.datapointsToAlarm,
    treatMissingData: 'notBreaching' as const,
  };
  const window = `${s.datapointsToAlarm} of ${s.evaluationPeriods} periods of ${s.periodSeconds} s`;
  return [
    {
      ...common,
      signal: 'errors',
      alarmName: releaseAlarmName(input.prefix, input.releaseId, 'errors'),
      description: `[release] Release ${input.releaseId}: 5xx answers of its own instances (not shed) above ${s.errorRatePercent}% of their requests (delivery.releaseAlarms.errorRatePercent), ${window}. Watched by the instance refresh only (no actions): in ALARM, the refresh fails and the stack rolls back (docs/delivering.md).`,
      kind: 'ratio',
      metric: 'ServerErrors',
      numerator: 'ServerErrors',
      denominator: 'Requests',
      statistic: 'Sum',
      threshold: s.errorRatePercent,
      unit: '%',
    },
    {
      ...common,
      signal: 'latency-p99',
      alarmName: releaseAlarmName(input.prefix, input.releaseId, 'latency-p99'),
      description: `[release] Release ${input.releaseId}: p99 latency of its own instances above ${s.latencyP99Ms} ms (delivery.releaseAlarms.latencyP99Ms), ${window}. Watched by the instance refresh only (no actions): in ALARM, the refresh fails and the stack rolls back (docs/delivering.md).`,
      kind: 'percentile',
      metric: 'RequestLatency',
      statistic: 'p99',
      threshold: s.latencyP99Ms,
      unit: 'ms',
    },
  ];
}

/** What one period of one release's instances produced: their requests, 5xx (not shed) and p99. */
export interface PeriodSample {
  readonly requests: number;
  readonly errors: number;
  /** Undefined when nothing was answered. */
  readonly p99Ms?: number;
}

/** The alarm's datapoint for a period, or undefined (missing data: no requests). */
export function datapoint(def: ReleaseAlarmDefinition, sample: PeriodSample): number | undefined {
  if (sample.requests <= 0) return undefined;
  return def.kind === 'ratio' ? (100 * sample.errors) / sample.requests : sample.p99Ms;
}

/** Whether a datapoint breaches; missing data does not (`notBreaching`). */
export function breaches(def: ReleaseAlarmDefinition, value: number | undefined): boolean {
  return value !== undefined && value > def.threshold;
}

/**
 * An alarm's state over the datapoints so far, as CloudWatch decides it: ALARM when
 * `datapointsToAlarm` of the last `evaluationPeriods` breach, OK otherwise (missing data counts
 * as not breaching; https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html).
 */
export function alarmState(def: ReleaseAlarmDefinition, values: readonly (number | undefined)[]): 'OK' | 'ALARM' {
  const recent = values.slice(-def.evaluationPeriods);
  return recent.filter((v) => breaches(def, v)).length >= def.datapointsToAlarm ? 'ALARM' : 'OK';
}

/**
 * The longest a release that breaches from its first request can go undetected: its first period
 * may be a partial one (the instance starts inside it), then `datapointsToAlarm` full breaching
 * periods: (datapointsToAlarm + 1) x period.
 */
export function detectionBoundSeconds(def: Pick<ReleaseAlarmDefinition, 'datapointsToAlarm' | 'periodSeconds'>): number {
  return (def.datapointsToAlarm + 1) * def.periodSeconds;
}

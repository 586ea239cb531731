import type { CompositeAlarm, Dimension, MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { componentOrder, parseAlarmName, parseSeverity, type Component, type Severity } from './alarm-naming.js';
import type { CloudWatchGateway } from './cloudwatch-gateway.js';
import { UnknownStackError } from './errors.js';

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

/** A metric an alarm watches: where the report finds the stack's resources. */
export interface MetricRef {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
}

/** One alarm of the stack, with the ADR's component and severity parsed out. */
export interface OpsAlarm {
  readonly name: string;
  readonly type: 'MetricAlarm' | 'CompositeAlarm';
  readonly component: Component;
  readonly signal: string;
  readonly severity: Severity;
  readonly state: AlarmState;
  readonly stateReason: string;
  readonly stateUpdatedAt?: Date;
  /** Metrics of a metric alarm: its single metric, or every MetricStat of a math alarm. */
  readonly metrics: readonly MetricRef[];
  /** Period x evaluation periods of a metric alarm: how long it looks back, so how long it may take to return to OK. */
  readonly windowSeconds?: number;
}

/** Page size of DescribeAlarms; the API maximum. */
export const DESCRIBE_ALARMS_PAGE_SIZE = 100;

/**
 * All metric and composite alarms whose name starts with `prefix`, sorted in request-path
 * order, then by name. Costs ceil(N / 100) DescribeAlarms calls for N alarms.
 * @throws UnknownStackError when no alarm matches.
 */
export async function discoverAlarms(cw: Pick<CloudWatchGateway, 'describeAlarms'>, prefix: string): Promise<OpsAlarm[]> {
  const alarms: OpsAlarm[] = [];
  let nextToken: string | undefined;
  do {
    const page = await cw.describeAlarms({
      AlarmNamePrefix: prefix,
      AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
      MaxRecords: DESCRIBE_ALARMS_PAGE_SIZE,
      NextToken: nextToken,
    });
    for (const alarm of page.MetricAlarms ?? []) alarms.push(toOpsAlarm(alarm, 'MetricAlarm', prefix));
    for (const alarm of page.CompositeAlarms ?? []) alarms.push(toOpsAlarm(alarm, 'CompositeAlarm', prefix));
    nextToken = page.NextToken;
  } while (nextToken);
  if (alarms.length === 0) throw new UnknownStackError(prefix);
  return alarms.sort((a, b) => componentOrder(a.component) - componentOrder(b.component) || a.name.localeCompare(b.name));
}

function toOpsAlarm(alarm: MetricAlarm | CompositeAlarm, type: OpsAlarm['type'], prefix: string): OpsAlarm {
  const name = alarm.AlarmName ?? '';
  return {
    name,
    type,
    ...parseAlarmName(name, prefix),
    severity: parseSeverity(alarm.AlarmDescription),
    state: (alarm.StateValue ?? 'INSUFFICIENT_DATA') as AlarmState,
    stateReason: alarm.StateReason ?? '',
    ...(alarm.StateUpdatedTimestamp ? { stateUpdatedAt: alarm.StateUpdatedTimestamp } : {}),
    metrics: type === 'MetricAlarm' ? metricRefs(alarm as MetricAlarm) : [],
    ...(type === 'MetricAlarm' ? window(alarm as MetricAlarm) : {}),
  };
}

function window(alarm: MetricAlarm): { windowSeconds?: number } {
  const period =
    alarm.Period ??
    alarm.Metrics?.find((m) => m.ReturnData !== false && m.Period)?.Period ??
    alarm.Metrics?.find((m) => m.MetricStat?.Period)?.MetricStat?.Period;
  return period && alarm.EvaluationPeriods ? { windowSeconds: period * alarm.EvaluationPeriods } : {};
}

function metricRefs(alarm: MetricAlarm): MetricRef[] {
  const refs: MetricRef[] = [];
  if (alarm.Namespace && alarm.MetricName) {
    refs.push({ namespace: alarm.Namespace, metricName: alarm.MetricName, dimensions: toRecord(alarm.Dimensions) });
  }
  for (const query of alarm.Metrics ?? []) {
    const metric = query.MetricStat?.Metric;
    if (metric?.Namespace && metric.MetricName) {
      refs.push({ namespace: metric.Namespace, metricName: metric.MetricName, dimensions: toRecord(metric.Dimensions) });
    }
  }
  return refs;
}

function toRecord(dimensions: Dimension[] | undefined): Record<string, string> {
  return Object.fromEntries((dimensions ?? []).map((d) => [d.Name ?? '', d.Value ?? '']));
}

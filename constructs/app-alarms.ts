import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { appMetricsSource, type AppMetricsSource, type AppSettings } from '../lib/model/config/app-settings';
import { APP_METRICS_DIMENSION, APP_METRICS_NAMESPACE, type AppMetricName } from '@loadbearing/contract';
import type { AlarmFactory } from './alarm-factory';

export interface AppAlarmsProps {
  readonly factory: AlarmFactory;
  /** The `Stack` dimension value the app publishes (`APP_STACK_NAME` in app.env). */
  readonly stackName: string;
  readonly app: AppSettings;
}

/**
 * The app's alarms. Where their data comes from depends on `app.metrics`:
 *
 * - `contract`: the app's own metrics (CloudWatch embedded metric format, written by the
 *   reference service or any app that meets the contract). Namespace, metric names and the one
 *   dimension set `[Stack]` come from the runtime contract, so the alarms match exactly what the
 *   app publishes: an alarm whose dimensions differ from the published ones never sees data.
 *   Missing data is not breaching for each signal (the app publishes every interval), and
 *   `app-metrics-missing` fires when the metrics stop arriving at all, so an app that does not
 *   publish them is not silently unwatched.
 * - `none`: no alarm of its own. The load balancer's target alarms watch the app, on metrics
 *   that exist for any app (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html):
 *   target 5xx rate, p99 latency, connections the ALB could not open, unhealthy hosts.
 */
export class AppAlarms extends Construct {
  public readonly alarms: cloudwatch.Alarm[];
  /** Where the alarms get their data. */
  public readonly source: AppMetricsSource;

  constructor(scope: Construct, id: string, props: AppAlarmsProps) {
    super(scope, id);
    this.source = appMetricsSource(props.app);
    // With `none`, the load balancer's target alarms (alb-target-5xx-rate, alb-latency-p99,
    // alb-target-connection-errors, alb-unhealthy-hosts) are the app's: they exist for any app.
    this.alarms = this.source === 'contract' ? this.contractAlarms(props) : [];
  }

  /** One line for synth: which metrics the app alarms watch. */
  public describe(stackName: string): string {
    return this.source === 'contract'
      ? `${stackName}: app alarms on the app's contract metrics (${APP_METRICS_NAMESPACE}, app.metrics = contract): ${this.alarms.length} alarms, app-metrics-missing fires if they stop arriving`
      : `${stackName}: app alarms on the load balancer's target metrics (app.metrics = none): alb-target-5xx-rate, alb-latency-p99, alb-target-connection-errors, alb-unhealthy-hosts; publish the contract's metrics and set app.metrics = contract for shed, fallback and pool alarms (docs/runtime-contract.md)`;
  }

  private contractAlarms(props: AppAlarmsProps): cloudwatch.Alarm[] {
    const { factory, app } = props;
    const s = factory.settings;
    const metric = (metricName: AppMetricName, statistic: string) =>
      new cloudwatch.Metric({
        namespace: APP_METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { [APP_METRICS_DIMENSION]: props.stackName },
        statistic,
      });
    const above = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD;
    const NOT_BREACHING = cloudwatch.TreatMissingData.NOT_BREACHING;
    const poolWaitMs = Math.round((app.shedPoolWaitMs * s.appPoolWaitPercent) / 100);
    return [
      factory.alarm(this, 'MetricsMissingAlarm', {
        component: 'app',
        signal: 'metrics-missing',
        severity: 'warning',
        // The app writes every counter each flush, idle or not (docs/runtime-contract.md): no
        // datapoint for ten minutes means no instance publishes, and every other app alarm is blind.
        metric: metric('Requests', 'SampleCount'),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        periodSeconds: 300,
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        description: `No app metrics (${APP_METRICS_NAMESPACE}, Stack=${props.stackName}) for 10 minutes: the app does not publish the contract's metrics, so the other app alarms see nothing. Publish them, or set app.metrics = none.`,
        recommendation: 'none (app metric, EMF); Requests SampleCount < 1, missing data breaching',
      }),
      factory.alarm(this, 'ShedAlarm', {
        component: 'app',
        signal: 'shed-requests',
        severity: 'critical',
        metric: metric('ShedRequests', 'Sum'),
        threshold: s.appShedRequestsPerMinute,
        comparisonOperator: above,
        treatMissingData: NOT_BREACHING,
        periodSeconds: 60,
        description: `The app shed more than ${s.appShedRequestsPerMinute} requests a minute (alarms.appShedRequestsPerMinute): demand is above what the DB pools and the event loop take; scale out or find the bottleneck.`,
        recommendation: 'none (app metric, EMF); ShedRequests Sum per minute',
      }),
      factory.alarm(this, 'CacheFallbacksAlarm', {
        component: 'app',
        signal: 'cache-fallbacks',
        severity: 'warning',
        metric: metric('CacheFallbacks', 'Sum'),
        threshold: s.appCacheFallbacksPerMinute,
        comparisonOperator: above,
        treatMissingData: NOT_BREACHING,
        periodSeconds: 60,
        description: `More than ${s.appCacheFallbacksPerMinute} cache calls a minute failed or timed out (alarms.appCacheFallbacksPerMinute): reads go to the database instead.`,
        recommendation: 'none (app metric, EMF); CacheFallbacks Sum per minute',
      }),
      factory.alarm(this, 'ReplicaFallbacksAlarm', {
        component: 'app',
        signal: 'replica-fallbacks',
        severity: 'warning',
        metric: metric('ReplicaFallbacks', 'Sum'),
        threshold: s.appReplicaFallbacksPerMinute,
        comparisonOperator: above,
        treatMissingData: NOT_BREACHING,
        periodSeconds: 60,
        description: `More than ${s.appReplicaFallbacksPerMinute} reads a minute went to the writer because no replica answered (alarms.appReplicaFallbacksPerMinute).`,
        recommendation: 'none (app metric, EMF); ReplicaFallbacks Sum per minute',
      }),
      factory.alarm(this, 'PoolWaitAlarm', {
        component: 'app',
        signal: 'pool-wait',
        severity: 'warning',
        metric: metric('PoolWait', 'p99'),
        threshold: poolWaitMs,
        comparisonOperator: above,
        treatMissingData: NOT_BREACHING,
        periodSeconds: 60,
        description: `p99 wait for a DB connection above ${poolWaitMs} ms, ${s.appPoolWaitPercent}% (alarms.appPoolWaitPercent) of app.shedPoolWaitMs: the pools are close to shedding load.`,
        recommendation: 'none (app metric, EMF); PoolWait p99 against app.shedPoolWaitMs',
      }),
    ];
  }
}

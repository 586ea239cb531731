import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import type { AppSettings } from '../lib/model/config/app-settings';
import { APP_METRICS_DIMENSION, APP_METRICS_NAMESPACE, type AppMetricName } from '@loadbearing/contract';
import type { AlarmFactory } from './alarm-factory';

export interface AppAlarmsProps {
  readonly factory: AlarmFactory;
  /** The `Stack` dimension value the app publishes (`APP_STACK_NAME` in app.env). */
  readonly stackName: string;
  readonly app: AppSettings;
}

/**
 * Alarms on the app's own metrics (CloudWatch embedded metric format, written by the reference
 * service or any app that meets the contract). Namespace, metric names and the one dimension
 * set `[Stack]` come from the runtime contract, so the alarms match exactly what the app
 * publishes: an alarm whose dimensions differ from the published ones never sees data.
 * Missing data is not breaching: the app publishes every interval, and no data means no app
 * (the fleet's and the ALB's alarms cover that).
 */
export class AppAlarms extends Construct {
  public readonly alarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: AppAlarmsProps) {
    super(scope, id);
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
    this.alarms = [
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

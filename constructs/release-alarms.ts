import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import type { ReleaseAlarmDefinition } from '../lib/model/deploy/release-alarms';
import { acknowledge } from './acknowledge';

export interface ReleaseAlarmsProps {
  /** From `releaseAlarmDefinitions` (lib/model/deploy/release-alarms.ts): the proving ground evaluates the same ones. */
  readonly definitions: readonly ReleaseAlarmDefinition[];
}

/**
 * The alarms an instance refresh watches for one release: metric alarms on the app's metrics of
 * that release only (`[Stack, Release]`), with no actions, missing data not breaching
 * (docs/adr/0007-releases-roll-back-on-their-own-alarms.md). They reference nothing of the Auto
 * Scaling group, so the group can wait for them.
 */
export class ReleaseAlarms extends Construct {
  public readonly alarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: ReleaseAlarmsProps) {
    super(scope, id);
    this.alarms = props.definitions.map((d) => {
      const period = Duration.seconds(d.periodSeconds);
      const metric = (metricName: string, statistic: string) =>
        new cloudwatch.Metric({ namespace: d.namespace, metricName, dimensionsMap: { ...d.dimensions }, statistic, period });
      const watched: cloudwatch.IMetric =
        d.kind === 'ratio'
          ? new cloudwatch.MathExpression({
              // No requests in a period: no datapoint (missing data, not breaching), never a division by zero.
              expression: '100 * FILL(errors, 0) / requests',
              usingMetrics: { errors: metric(d.numerator!, 'Sum'), requests: metric(d.denominator!, 'Sum') },
              period,
              label: `${d.numerator} % of ${d.denominator}`,
            })
          : metric(d.metric, d.statistic);
      const alarm = new cloudwatch.Alarm(this, d.signal === 'errors' ? 'Errors' : 'LatencyP99', {
        alarmName: d.alarmName,
        alarmDescription: d.description,
        metric: watched,
        threshold: d.threshold,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: d.evaluationPeriods,
        datapointsToAlarm: d.datapointsToAlarm,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        actionsEnabled: false,
      });
      acknowledge(
        alarm,
        'A release alarm is watched by the instance refresh (the update policy names it): in ALARM it fails the refresh and the stack rolls back. It notifies no one: the fleet-wide alarms page, once, for what users see (ADR 0007).',
        'NIST.800.53.R5::NIST.800.53.R5-CloudWatchAlarmAction',
        'cdk-validator-cfnguard::cloudwatch_alarm_action_check',
        'cdk-validator-cfnguard::cloudwatch_alarm_action_enabled_check',
      );
      return alarm;
    });
  }
}

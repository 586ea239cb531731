import type * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import type { FleetSettings } from '../lib/model/config/fleet-settings';
import type { AlarmFactory } from './alarm-factory';

/**
 * The fleet's alarms (the AppFleet's `createAlarms` hook): in-service capacity, capacity at the
 * maximum, status checks and CPU over the Auto Scaling group. Created in `scope`, the AppFleet, so
 * their construct IDs (and logical IDs) are the AppFleet's children as they always were.
 */
export function appFleetAlarms(
  scope: Construct,
  factory: AlarmFactory,
  asg: autoscaling.AutoScalingGroup,
  settings: FleetSettings,
): cloudwatch.Alarm[] {
  const dimensionsMap = { AutoScalingGroupName: asg.autoScalingGroupName };
  const inService = new cloudwatch.Metric({
    namespace: 'AWS/AutoScaling',
    metricName: 'GroupInServiceCapacity',
    dimensionsMap,
    statistic: 'Minimum',
  });
  return [
    factory.alarm(scope, 'InServiceAlarm', {
      component: 'fleet',
      signal: 'in-service-low',
      severity: 'critical',
      metric: inService,
      threshold: settings.minCapacity,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      evaluationPeriods: 10,
      datapointsToAlarm: 10,
      description: `In-service capacity below fleet.minCapacity (${settings.minCapacity}) for 10 minutes: launches are failing or instances are being replaced faster than they start.`,
      recommendation:
        'AutoScaling GroupInServiceCapacity < minimum, 10 of 10 minutes, missing data breaching (group metrics are enabled for it)',
    }),
    factory.alarm(scope, 'AtMaxAlarm', {
      component: 'fleet',
      signal: 'at-max-capacity',
      severity: 'warning',
      metric: inService.with({ statistic: 'Maximum' }),
      threshold: settings.maxCapacity,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.MISSING,
      evaluationPeriods: 15,
      datapointsToAlarm: 15,
      description: `The fleet has been at fleet.maxCapacity (${settings.maxCapacity}) for 15 minutes: scaling has nothing left; raise the maximum or shed load.`,
      recommendation: 'not in the AWS list; derived from fleet.maxCapacity',
    }),
    factory.alarm(scope, 'StatusCheckAlarm', {
      component: 'fleet',
      signal: 'status-check-failed',
      severity: 'warning',
      metric: new cloudwatch.Metric({ namespace: 'AWS/EC2', metricName: 'StatusCheckFailed', dimensionsMap, statistic: 'Maximum' }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.MISSING,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      periodSeconds: 300,
      description: 'An instance fails its EC2 system or instance status check; ELB health checks should replace it.',
      recommendation: 'EC2 StatusCheckFailed >= 1, 2 of 2 five-minute periods (aggregated over the Auto Scaling group)',
    }),
    factory.alarm(scope, 'CpuAlarm', {
      component: 'fleet',
      signal: 'cpu-high',
      severity: 'warning',
      metric: new cloudwatch.Metric({ namespace: 'AWS/EC2', metricName: 'CPUUtilization', dimensionsMap, statistic: 'Average' }),
      threshold: factory.settings.fleetCpuPercent,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.MISSING,
      description: `Fleet CPU above ${factory.settings.fleetCpuPercent}% (alarms.fleetCpuPercent) while scaling targets ${settings.cpuTargetPercent}% (fleet.cpuTargetPercent): scaling is not keeping up, or the fleet is at maxCapacity (${settings.maxCapacity}).`,
      recommendation: 'EC2 CPUUtilization > 80 (aggregated over the Auto Scaling group; the threshold sits above the scaling target)',
    }),
  ];
}

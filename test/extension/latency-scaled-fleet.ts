import { Duration } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { AppFleet } from '../../constructs/app-fleet';
import type { FleetSettings } from '../../lib/config/fleet-settings';

/**
 * Team example 1: a fleet that also scales in steps on p99 latency. CPU and request tracking
 * react to load; this reacts to the user-visible symptom when a slow dependency makes requests
 * pile up at moderate CPU.
 */
export class LatencyScaledFleet extends AppFleet {
  protected override createScalingPolicies(asg: autoscaling.AutoScalingGroup, settings: FleetSettings, targetGroup?: elbv2.ApplicationTargetGroup): void {
    super.createScalingPolicies(asg, settings, targetGroup);
    if (!targetGroup) return;
    asg.scaleOnMetric('P99LatencySteps', {
      metric: targetGroup.metrics.targetResponseTime({ statistic: 'p99', period: Duration.minutes(1) }),
      adjustmentType: autoscaling.AdjustmentType.CHANGE_IN_CAPACITY,
      scalingSteps: [
        { upper: 0.3, change: -1 },
        { lower: 1, change: +2 },
        { lower: 2, change: +4 },
      ],
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
    });
  }
}

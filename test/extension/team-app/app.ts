#!/usr/bin/env node
import { Duration } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { AppFleet, type FleetSettings } from 'loadbearing';
import { PlatformApp } from 'loadbearing/platform';

/**
 * Prod's fleet also scales in steps on p99 latency: CPU and request tracking react to load,
 * this reacts to the symptom users see when a slow dependency piles requests up at moderate CPU.
 */
class LatencyScaledFleet extends AppFleet {
  protected override createScalingPolicies(
    asg: autoscaling.AutoScalingGroup,
    settings: FleetSettings,
    targetGroup?: elbv2.ApplicationTargetGroup,
  ): void {
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

// One stack per environment of `-c configFile=<file>` (default: the built-in dev, staging and
// prod), with the platform's feature flags and policy gates. A config error prints its message
// and exits 1, without a stack trace.
PlatformApp.run((app) => {
  app.addEnvironments({
    stackProps: (config) => (config.stage === 'prod' ? { components: { fleet: LatencyScaledFleet } } : {}),
  });
});

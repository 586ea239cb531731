import { z } from 'zod';
import { ALWAYS, isNum, violation } from './schema-helpers';

/**
 * The limits of the CloudFormation `AutoScalingInstanceRefresh` update policy, each with the page
 * that states it (the CloudFormation policy passes them to Auto Scaling's RefreshPreferences).
 */
export const INSTANCE_REFRESH_LIMITS = {
  /** BakeTime and CheckpointDelay: "Minimum value of 0. Maximum value of 172800". */
  maxSeconds: 172_800,
  secondsSource: 'https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_RefreshPreferences.html',
  /** CheckpointPercentages: "in ascending order. Each number must be unique. To replace all instances ... the last number in the array must be 100". */
  checkpointsSource: 'https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_RefreshPreferences.html',
  /** Min 0-100, max 100-200, "the difference between them cannot be greater than 100". */
  healthySource: 'https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_InstanceMaintenancePolicy.html',
  /** AlarmSpecification: "You can specify up to 10 alarms". */
  maxAlarms: 10,
  alarmsSource: 'https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_AlarmSpecification.html',
} as const;

/** A whole number of seconds the policy allows (0 to 172,800), refused with the limit and its source. */
function policySeconds(what: string) {
  return z.number().superRefine((value, ctx) => {
    if (!Number.isInteger(value) || value < 0 || value > INSTANCE_REFRESH_LIMITS.maxSeconds)
      violation(
        ctx,
        [],
        value,
        `${what} must be a whole number of seconds from 0 to ${INSTANCE_REFRESH_LIMITS.maxSeconds} (48 hours): the limit of the instance refresh (${INSTANCE_REFRESH_LIMITS.secondsSource})`,
        `use a value from 0 to ${INSTANCE_REFRESH_LIMITS.maxSeconds}, e.g. 600.`,
      );
  });
}

function percentage(min: number, max: number) {
  return z.number().superRefine((value, ctx) => {
    if (!Number.isInteger(value) || value < min || value > max)
      violation(
        ctx,
        [],
        value,
        `must be a whole percentage from ${min} to ${max}: the limit of the instance refresh (${INSTANCE_REFRESH_LIMITS.healthySource})`,
        `use a value from ${min} to ${max}.`,
      );
  });
}

export const instanceRefreshSchema = z
  .strictObject({
    checkpointPercentages: z
      .array(z.number())
      .min(1)
      .optional()
      .describe(
        "Shares of the group (%) at which the refresh stops for checkpointDelaySeconds, ascending, unique, ending at 100. @default - one AZ's share at a time: floor(100 x k / AZs) for k = 1 .. AZs-1, then 100 (3 AZs: 33, 66, 100)",
      ),
    checkpointDelaySeconds: policySeconds('the checkpoint delay')
      .default(600)
      .describe(
        'The bake at each checkpoint: how long the refresh waits, watched by the release alarms, before it replaces the next share (0-172800 s). Stage presets: dev 180, staging 300, prod 600.',
      ),
    bakeSeconds: policySeconds('the bake')
      .default(900)
      .describe(
        'After the last instance: how long the release alarms keep watching before CloudFormation calls the update complete (0-172800 s). Stage presets: dev 0, staging 300, prod 900.',
      ),
    minHealthyPercentage: percentage(0, 100)
      .default(100)
      .describe(
        'Share of the desired capacity kept in service and healthy during a refresh (rounded up). 100: new instances launch before old ones stop. Invariant AZ-2 keeps the AZ-loss floor with it.',
      ),
    maxHealthyPercentage: percentage(100, 200)
      .optional()
      .describe(
        "Share of the desired capacity that may be in service or pending during a refresh: how many instances launch at once. @default - minHealthyPercentage + one AZ's share, at most 200",
      ),
  })
  .superRefine((r, ctx) => {
    const points = Array.isArray(r.checkpointPercentages) ? r.checkpointPercentages : undefined;
    if (points) {
      const bad = points.findIndex((p, i) => !Number.isInteger(p) || p < 1 || p > 100 || (i > 0 && p <= points[i - 1]!));
      if (bad >= 0 || points[points.length - 1] !== 100)
        violation(
          ctx,
          ['checkpointPercentages'],
          points,
          `must be whole percentages from 1 to 100, ascending and unique, the last one 100 (otherwise the refresh stops before it replaces every instance): the rule of the instance refresh's checkpoints (${INSTANCE_REFRESH_LIMITS.checkpointsSource})`,
          `e.g. [33, 66, 100]; or leave it out for one AZ's share at a time.`,
        );
    }
    if (isNum(r.minHealthyPercentage) && isNum(r.maxHealthyPercentage) && r.maxHealthyPercentage - r.minHealthyPercentage > 100)
      violation(
        ctx,
        ['maxHealthyPercentage'],
        r.maxHealthyPercentage,
        `must be at most 100 above minHealthyPercentage (${r.minHealthyPercentage}): "the difference between them cannot be greater than 100" (${INSTANCE_REFRESH_LIMITS.healthySource})`,
        `lower it to ${r.minHealthyPercentage + 100} or less, or raise fleet.instanceRefresh.minHealthyPercentage.`,
      );
  }, ALWAYS)
  .prefault({})
  .describe(
    'How a new launch template (a release, a boot script, an image) rolls out: an instance refresh with checkpoints, a delay at each, the release alarms (delivery.releaseAlarms) and a final bake; a release that trips an alarm fails the refresh and the stack rolls back (docs/delivering.md).',
  );

export type InstanceRefreshSettings = z.output<typeof instanceRefreshSchema>;

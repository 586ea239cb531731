import { z } from 'zod';
import { isTimeZone } from './aws-limits';
import type { BootTimingInput } from './boot-timing';
import { ALWAYS, int, isNum, logRetentionDays, violation } from './schema-helpers';
import { instanceRefreshSchema } from './instance-refresh-settings';
import { WORKLOAD_PROFILES, type WorkloadProfileName } from './workload-profiles';

const PROFILE_NAMES = Object.keys(WORKLOAD_PROFILES) as [WorkloadProfileName, ...WorkloadProfileName[]];

const CRON = /^(\S+\s+){4}\S+$/;

const scheduledActionSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9]{0,62}$/, { message: 'must be alphanumeric, starting with a letter' })
    .describe('Unique name, e.g. `DailyPeak`.'),
  schedule: z
    .string()
    .regex(CRON, { message: 'must be a 5-field cron expression, e.g. "0 8 * * 1-5"' })
    .describe('Cron expression (minute hour day month weekday), in timeZone.'),
  timeZone: z
    .string()
    .default('UTC')
    .superRefine((tz, ctx) => {
      // Auto Scaling takes "the canonical names of the IANA time zones"
      // (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-autoscaling-scheduledaction.html).
      if (!isTimeZone(tz))
        violation(
          ctx,
          [],
          tz,
          'must be an IANA time zone',
          'use a name from the IANA time zone database, e.g. "UTC", "Europe/Berlin" or "America/New_York".',
        );
    })
    .describe('IANA time zone of the schedule.'),
  minCapacity: int(0, 1000).optional().describe('New minimum from this time on.'),
  maxCapacity: int(1, 1000).optional().describe('New maximum from this time on.'),
});

export const fleetSettingsSchema = z
  .strictObject({
    workloadProfile: z
      .enum(PROFILE_NAMES)
      .default('general')
      .describe(`Instance families and boot-time OS/network tuning: ${PROFILE_NAMES.map((p) => `\`${p}\``).join(', ')}.`),
    architecture: z.enum(['arm64', 'x86_64']).default('arm64').describe('CPU architecture; arm64 runs on Graviton.'),
    instanceSize: z.string().default('large').describe('Instance size within the profile, e.g. `large`, `xlarge`.'),
    minCapacity: int(1, 500)
      .default(3)
      .describe('Minimum instances. Spread over all AZs, so losing one AZ still leaves (AZs-1)/AZs of it.'),
    maxCapacity: int(1, 1000).default(12).describe('Maximum instances; also sizes the DB connection budget.'),
    cpuTargetPercent: int(10, 90).default(50).describe('Target tracking: average CPU the fleet scales to hold.'),
    requestsPerTarget: int(10, 1_000_000).default(1000).describe('Target tracking: ALB requests per target per minute.'),
    healthCheckGracePeriodSeconds: int(0, 7200)
      .optional()
      .describe(
        'Time after launch before ELB health checks can replace an instance; must cover the slowest boot up to its verdict (docs/deploying.md, "How long a boot may take"). @default - derived from the boot timeline (fleet.boot), rounded up to a minute',
      ),
    instanceWarmupSeconds: int(0, 3600)
      .optional()
      .describe(
        "Time after an instance enters service before its metrics count towards scaling (the group's default instance warm-up). @default - derived from the boot timeline (fleet.boot): the grace period, because a new instance serves nothing until its boot's verdict; 60 s with fleet.warmPool.enabled, whose lifecycle hook keeps instances out of service until they are healthy",
      ),
    rootVolumeGiB: int(8, 1024).default(30).describe('Encrypted gp3 root volume size.'),
    imageId: z
      .string()
      .regex(/^ami-([0-9a-f]{8}|[0-9a-f]{17})$/, {
        message: 'must be an AMI ID: "ami-" and 8 or 17 hexadecimal digits, e.g. "ami-0abcdef1234567890"',
      })
      .optional()
      .describe(
        'Pins the AMI (an AL2023 image of fleet.architecture in this region). @default - the latest Amazon Linux 2023 AMI, resolved at every deploy from AWS\'s public SSM parameter: a new AL2023 release rolls the fleet with the next deploy (docs/deploying.md, "The AMI")',
      ),
    baselineInstances: int(1, 500)
      .default(2)
      .describe(
        'Instances the normal (non-peak) load needs. With one AZ lost, the remaining minimum must still cover it (invariant AZ-1).',
      ),
    onDemandBaseCapacity: int(0, 1000)
      .optional()
      .describe('Instances that are always On-Demand. @default - minCapacity: the floor never depends on Spot'),
    spotPercentAboveBase: int(0, 100)
      .default(0)
      .describe('Share of capacity above the On-Demand base that runs on Spot (price-capacity-optimized, with capacity rebalancing).'),
    warmPool: z
      .strictObject({
        enabled: z.boolean().default(false).describe('Keep pre-initialized instances for fast scale-out under spikes.'),
        minSize: int(0, 1000).default(0).describe('Instances kept in the warm pool.'),
        maxPreparedCapacity: int(0, 1000).optional().describe('Upper bound of running plus warm instances. @default - maxCapacity'),
        state: z
          .enum(['Stopped', 'Running', 'Hibernated'])
          .default('Stopped')
          .describe(
            'State of warm instances (Stopped costs only storage). `Hibernated` is refused: the launch template does not enable hibernation.',
          ),
      })
      .prefault({})
      .describe(
        'Warm pool. EC2 Auto Scaling allows one only on a group without Spot and without a mixed instances policy, so with it the group launches the primary instance type On-Demand only (no fallback to the other families of the profile). A launching lifecycle hook holds each launch until the boot (or, on a warm start, the lifecycle watcher) has seen the app healthy; an instance of an older launch template version is abandoned, never put in service (docs/deploying.md, "A warm pool").',
      ),
    rollingUpdate: z
      .strictObject({
        maxBatchSize: z
          .unknown()
          .optional()
          .describe(
            'No longer used: the fleet rolls out by instance refresh (docs/adr/0007-releases-roll-back-on-their-own-alarms.md); refused when set, with the replacement.',
          ),
        minInstancesInService: z
          .unknown()
          .optional()
          .describe('No longer used (see maxBatchSize); refused when set: fleet.instanceRefresh.minHealthyPercentage replaces it.'),
        signalTimeoutSeconds: int(60, 3600)
          .optional()
          .describe(
            'How long a new instance has to signal on the first create (the creation policy); also the launch lifecycle hook\'s heartbeat. Must exceed the slowest boot (docs/deploying.md, "How long a boot may take"). A boot that fails signals at once, so this is only reached by an instance that never reports. @default - derived from the boot timeline (fleet.boot) plus a minute, rounded up to a minute',
          ),
      })
      .prefault({})
      .describe('The first create: how long each instance has to signal that its boot succeeded.'),
    instanceRefresh: instanceRefreshSchema,
    logRetentionDays: logRetentionDays
      .default(365)
      .describe(
        "Retention of the app's log group (`/<stack>/app`: its stdout with the EMF metrics, and its stderr) and the boot log group (`/<stack>/boot`: cloud-init output).",
      ),
    boot: z
      .strictObject({
        healthWaitSeconds: int(10, 600)
          .default(90)
          .describe(
            'After the app starts: how long it may take to answer its health path before the boot fails (with the reason in the stack event). Migrations at start-up count here.',
          ),
        healthProbeTimeoutSeconds: int(1, 10).default(2).describe('Timeout of each health probe during the boot.'),
        healthProbeIntervalSeconds: int(1, 30).default(3).describe('Pause between health probes during the boot.'),
      })
      .prefault({})
      .describe(
        "The boot's health wait. With the fixed step budgets (lib/model/config/boot-timing.ts) it sets the signal timeout and the grace period.",
      ),
    scheduledActions: z
      .array(scheduledActionSchema)
      .max(50)
      .default([])
      .describe('Scheduled capacity changes for known peaks, e.g. raise minCapacity before a daily rush.'),
  })
  .superRefine((f, ctx) => {
    if (isNum(f.minCapacity) && isNum(f.maxCapacity) && f.minCapacity > f.maxCapacity) {
      violation(
        ctx,
        ['minCapacity'],
        f.minCapacity,
        `must be <= fleet.maxCapacity (${f.maxCapacity})`,
        'lower fleet.minCapacity or raise fleet.maxCapacity.',
      );
    }
    const names = new Set<string>();
    (Array.isArray(f.scheduledActions) ? f.scheduledActions : []).forEach((a, i) => {
      if (names.has(a.name))
        violation(
          ctx,
          ['scheduledActions', i, 'name'],
          a.name,
          'is used by another scheduled action',
          'give each scheduled action its own name.',
        );
      names.add(a.name);
      if (isNum(a.maxCapacity) && isNum(f.maxCapacity) && a.maxCapacity > f.maxCapacity) {
        violation(
          ctx,
          ['scheduledActions', i, 'maxCapacity'],
          a.maxCapacity,
          `must be <= fleet.maxCapacity (${f.maxCapacity})`,
          'lower it, or raise fleet.maxCapacity.',
        );
      }
      if (isNum(a.minCapacity) && isNum(a.maxCapacity) && a.minCapacity > a.maxCapacity) {
        violation(
          ctx,
          ['scheduledActions', i, 'minCapacity'],
          a.minCapacity,
          `must be <= its maxCapacity (${a.maxCapacity})`,
          'lower minCapacity or raise maxCapacity.',
        );
      }
      // A scheduled action that changes one bound leaves the other as the group has it; Auto
      // Scaling refuses a minimum above the maximum when the action runs, not at deploy time.
      if (a.minCapacity === undefined && a.maxCapacity === undefined) {
        violation(
          ctx,
          ['scheduledActions', i],
          a.name,
          'changes nothing: set minCapacity, maxCapacity or both',
          'add the new minCapacity and/or maxCapacity for this time.',
        );
      }
      if (isNum(a.minCapacity) && a.maxCapacity === undefined && isNum(f.maxCapacity) && a.minCapacity > f.maxCapacity) {
        violation(
          ctx,
          ['scheduledActions', i, 'minCapacity'],
          a.minCapacity,
          `must be <= fleet.maxCapacity (${f.maxCapacity}) when the action keeps the group's maximum`,
          "lower it, or also set this action's maxCapacity.",
        );
      }
      if (isNum(a.maxCapacity) && a.minCapacity === undefined && isNum(f.minCapacity) && a.maxCapacity < f.minCapacity) {
        violation(
          ctx,
          ['scheduledActions', i, 'maxCapacity'],
          a.maxCapacity,
          `must be >= fleet.minCapacity (${f.minCapacity}) when the action keeps the group's minimum`,
          "raise it, or also set this action's minCapacity.",
        );
      }
    });
    for (const key of ['maxBatchSize', 'minInstancesInService'] as const) {
      const value = f.rollingUpdate?.[key];
      if (value !== undefined)
        violation(
          ctx,
          ['rollingUpdate', key],
          value,
          'is no longer used: a new launch template rolls out by instance refresh (checkpoints, a delay at each, alarms and a bake), not by a rolling update (docs/adr/0007-releases-roll-back-on-their-own-alarms.md)',
          key === 'maxBatchSize'
            ? "remove it; fleet.instanceRefresh.maxHealthyPercentage sets how many instances launch at once (default: one AZ's share above 100%)."
            : 'remove it; fleet.instanceRefresh.minHealthyPercentage sets the share kept healthy (default 100: launch before terminate).',
        );
    }
    // PutWarmPool refuses groups with Spot or a mixed instances policy, so a warm-pool group is a
    // plain launch-template group (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_PutWarmPool.html).
    if (f.warmPool?.enabled === true) {
      if (isNum(f.spotPercentAboveBase) && f.spotPercentAboveBase > 0) {
        violation(
          ctx,
          ['spotPercentAboveBase'],
          f.spotPercentAboveBase,
          '[SA-4] must be 0 with fleet.warmPool.enabled: EC2 Auto Scaling cannot add a warm pool to a group that requests Spot',
          'set fleet.spotPercentAboveBase to 0, or disable fleet.warmPool.',
        );
      }
      // Hibernation must be enabled when an instance is launched ("you must first enable it for
      // hibernation while launching the instance",
      // https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/enabling-hibernation.html), with its
      // prerequisites (an encrypted root volume large enough for the RAM, a supported instance
      // family). The launch template does not enable it, so a Hibernated pool could not hibernate.
      if (f.warmPool.state === 'Hibernated') {
        violation(
          ctx,
          ['warmPool', 'state'],
          f.warmPool.state,
          'is not supported: the launch template does not enable hibernation, which EC2 requires at launch (with an encrypted root volume that holds the RAM and a supported instance family)',
          'use "Stopped" (costs only storage; a warm start boots the instance again, the app starts from disk) or "Running".',
        );
      }
      if (f.onDemandBaseCapacity !== undefined) {
        violation(
          ctx,
          ['onDemandBaseCapacity'],
          f.onDemandBaseCapacity,
          '[SA-4] has no effect with fleet.warmPool.enabled: a warm-pool group launches its launch template On-Demand only, without a mixed instances policy',
          'remove fleet.onDemandBaseCapacity, or disable fleet.warmPool.',
        );
      }
    }
    const profile = Object.hasOwn(WORKLOAD_PROFILES, String(f.workloadProfile)) ? WORKLOAD_PROFILES[f.workloadProfile] : undefined;
    if (profile && typeof f.instanceSize === 'string' && !profile.sizes.includes(f.instanceSize)) {
      violation(
        ctx,
        ['instanceSize'],
        f.instanceSize,
        `is not offered by every family of the "${f.workloadProfile}" profile`,
        `use one of ${profile.sizes.map((s) => `"${s}"`).join(', ')}.`,
      );
    }
  }, ALWAYS)
  .describe('The Auto Scaling group of app instances behind the ALB.');

export type FleetSettings = z.output<typeof fleetSettingsSchema>;
export type FleetSettingsInput = z.input<typeof fleetSettingsSchema>;

/**
 * The boot timeline's inputs from fleet settings, and the app's install hook budget (0: none).
 * Every group has a launching lifecycle hook that the boot completes (ADR 0007), unless
 * `launchHook` is false: a group migrated with `deliveryMigration=update-policy-only` keeps the
 * boot it was deployed with, where only a warm pool has the hook.
 */
export function fleetBootTimingInput(fleet: FleetSettings, installHookSeconds = 0, launchHook = true): BootTimingInput {
  return {
    healthWait: {
      waitSeconds: fleet.boot.healthWaitSeconds,
      probeTimeoutSeconds: fleet.boot.healthProbeTimeoutSeconds,
      probeIntervalSeconds: fleet.boot.healthProbeIntervalSeconds,
    },
    installHookSeconds,
    signalTimeoutSeconds: fleet.rollingUpdate.signalTimeoutSeconds,
    gracePeriodSeconds: fleet.healthCheckGracePeriodSeconds,
    lifecycleHook: launchHook || fleet.warmPool.enabled,
    instanceWarmupSeconds: fleet.instanceWarmupSeconds,
  };
}

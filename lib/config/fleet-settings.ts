import { z } from 'zod';
import { ALWAYS, int, isNum, violation } from './schema-helpers';
import { WORKLOAD_PROFILES, type WorkloadProfileName } from './workload-profiles';

const PROFILE_NAMES = Object.keys(WORKLOAD_PROFILES) as [WorkloadProfileName, ...WorkloadProfileName[]];

export const fleetSettingsSchema = z
  .strictObject({
    workloadProfile: z
      .enum(PROFILE_NAMES)
      .default('general')
      .describe(`Instance families and boot-time OS/network tuning: ${PROFILE_NAMES.map((p) => `\`${p}\``).join(', ')}.`),
    architecture: z.enum(['arm64', 'x86_64']).default('arm64').describe('CPU architecture; arm64 runs on Graviton.'),
    instanceSize: z.string().default('large').describe('Instance size within the profile, e.g. `large`, `xlarge`.'),
    minCapacity: int(1, 500).default(3).describe('Minimum instances. Spread over all AZs, so losing one AZ still leaves (AZs-1)/AZs of it.'),
    maxCapacity: int(1, 1000).default(12).describe('Maximum instances; also sizes the DB connection budget.'),
    cpuTargetPercent: int(10, 90).default(50).describe('Target tracking: average CPU the fleet scales to hold.'),
    requestsPerTarget: int(10, 1_000_000).default(1000).describe('Target tracking: ALB requests per target per minute.'),
    healthCheckGracePeriodSeconds: int(0, 7200).default(300).describe('Time after launch before ELB health checks can replace an instance.'),
    instanceWarmupSeconds: int(0, 3600).default(180).describe('Time before a new instance counts towards scaling metrics.'),
    rootVolumeGiB: int(8, 1024).default(30).describe('Encrypted gp3 root volume size.'),
  })
  .superRefine((f, ctx) => {
    if (isNum(f.minCapacity) && isNum(f.maxCapacity) && f.minCapacity > f.maxCapacity) {
      violation(ctx, ['minCapacity'], f.minCapacity, `must be <= fleet.maxCapacity (${f.maxCapacity})`, 'lower fleet.minCapacity or raise fleet.maxCapacity.');
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

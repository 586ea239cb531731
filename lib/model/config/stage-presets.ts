import type { EnvironmentInput, Stage } from './environment-schema';

type Preset = Omit<EnvironmentInput, 'stage' | 'account' | 'region' | 'availabilityZones'>;

/**
 * Stage presets sit between the schema defaults (production-safe) and an environment's own
 * values: schema defaults, then the stage preset, then the environment's fields.
 * Only sizes and protections differ by stage; the topology (Multi-AZ writer, replicas,
 * cache failover, alarms) is the same everywhere, so dev exercises what prod runs.
 */
export const STAGE_PRESETS: Readonly<Record<Stage, Preset>> = {
  dev: {
    fleet: {
      workloadProfile: 'burstable',
      instanceSize: 'medium',
      minCapacity: 2,
      maxCapacity: 4,
      baselineInstances: 1,
      spotPercentAboveBase: 100,
    },
    waf: { enabled: false },
    database: {
      instanceClass: 'db.t4g.medium',
      readReplicas: 1,
      allocatedStorageGiB: 20,
      maxAllocatedStorageGiB: 100,
    },
    cache: { nodeType: 'cache.t4g.small', replicasPerShard: 1, snapshotRetentionDays: 1 },
  },
  staging: {
    fleet: { minCapacity: 3, maxCapacity: 6, spotPercentAboveBase: 50 },
    database: { instanceClass: 'db.m7g.large', readReplicas: 1, backupRetentionDays: 7 },
    cache: { nodeType: 'cache.m7g.large', replicasPerShard: 1 },
    failureDrills: { enabled: true },
  },
  prod: {
    terminationProtection: true,
    fleet: { minCapacity: 6, maxCapacity: 24, baselineInstances: 4, rollingUpdate: { maxBatchSize: 2 } },
    database: { proxy: { enabled: true } },
    edge: { enabled: true },
  },
};

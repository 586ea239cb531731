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
      instanceRefresh: { checkpointDelaySeconds: 180, bakeSeconds: 0 },
    },
    waf: { enabled: false },
    database: {
      instanceClass: 'db.t4g.medium',
      readReplicas: 1,
      allocatedStorageGiB: 20,
      maxAllocatedStorageGiB: 100,
    },
    cache: { nodeType: 'cache.t4g.small', replicasPerShard: 1, snapshotRetentionDays: 1 },
    delivery: { monitoringMinutes: 0, bakeMinutes: 0 },
  },
  staging: {
    fleet: { minCapacity: 3, maxCapacity: 6, spotPercentAboveBase: 50, instanceRefresh: { checkpointDelaySeconds: 300, bakeSeconds: 300 } },
    database: { instanceClass: 'db.m7g.large', readReplicas: 1, backupRetentionDays: 7 },
    cache: { nodeType: 'cache.m7g.large', replicasPerShard: 1 },
    failureDrills: { enabled: true },
    delivery: { monitoringMinutes: 5, bakeMinutes: 5 },
  },
  prod: {
    terminationProtection: true,
    fleet: { minCapacity: 6, maxCapacity: 24, baselineInstances: 4, instanceRefresh: { checkpointDelaySeconds: 600, bakeSeconds: 900 } },
    database: { proxy: { enabled: true } },
    edge: { enabled: true },
    delivery: { monitoringMinutes: 10, bakeMinutes: 15 },
    // Practice runs shift real traffic weekly: safe because prod keeps the AZ-loss headroom (AZ-1).
    zonal: { autoshift: { enabled: true } },
  },
};

import { z } from 'zod';
import { evaluationWindowProblem } from './aws-limits';
import { ALWAYS, int, isNum, matching, violation } from './schema-helpers';

export const evaluationSchema = z
  .strictObject({
    periodSeconds: z
      .union([10, 30, 60, 300, 900, 3600].map((p) => z.literal(p)))
      .optional()
      .describe('Metric period.'),
    evaluationPeriods: int(1, 100).optional().describe('Periods the alarm looks back over.'),
    datapointsToAlarm: int(1, 100).optional().describe('Breaching periods (of evaluationPeriods) that trigger the alarm ("M of N").'),
  })
  .describe('How long a signal must breach before the alarm fires.');

export type AlarmEvaluation = z.output<typeof evaluationSchema>;

export const alarmSettingsSchema = z
  .strictObject({
    criticalEmails: z
      .array(z.email())
      .default([])
      .describe('Addresses subscribed to the critical (paging) topic. @default - none: subscribe your pager to the topic'),
    warningEmails: z.array(z.email()).default([]).describe('Addresses subscribed to the warning (notify) topic.'),
    periodSeconds: z
      .union([60, 300].map((p) => z.literal(p)))
      .default(60)
      .describe('Default metric period for every alarm.'),
    evaluationPeriods: int(1, 100).default(5).describe('Default periods each alarm evaluates.'),
    datapointsToAlarm: int(1, 100)
      .default(3)
      .describe('Default breaching datapoints (M of N) before an alarm fires; tolerates a single spike.'),
    disabled: z
      .array(z.string().regex(/^[a-z]+(-[a-z0-9]+)+$/, { message: 'must be an alarm key "<component>-<signal>"' }))
      .default([])
      .describe(
        'Alarm keys whose actions are turned off (the alarm still exists, on the dashboard and in composites, but notifies no one). Some are guarded by invariants (e.g. CP-2 keeps cache-evictions).',
      ),
    overrides: z
      .record(
        matching(
          /^[a-z]+(-[a-z0-9]+)+$/,
          'must be an alarm key "<component>-<signal>" in lower case, e.g. "db-writer-cpu"',
          'use the alarm name without the stack prefix (docs/operations.md, "Alarms and dashboards").',
        ),
        evaluationSchema,
      )
      .default({})
      .describe(
        'Per-alarm evaluation, keyed by "<component>-<signal>" (the alarm name without the stack prefix). Unknown keys fail synth.',
      ),
    http5xxRatePercent: z.number().gt(0).max(100).default(1).describe('ELB and target 5xx, as % of requests.'),
    latencyP99Seconds: z.number().gt(0).max(4000).default(2).describe('p99 target response time.'),
    fleetCpuPercent: int(1, 100)
      .default(80)
      .describe('Fleet average CPU. Above fleet.cpuTargetPercent: firing means scaling is not keeping up.'),
    anomalyStdDevs: z
      .number()
      .gt(0)
      .max(10)
      .default(3)
      .describe('Width of the anomaly-detection band (standard deviations) for request count and p99 latency.'),
    targetConnectionErrors: int(0, 1_000_000)
      .default(0)
      .describe('ALB-to-target connection errors per period above which the alarm fires.'),
    dbCpuPercent: int(1, 100).default(80).describe('DB instance CPU (AWS recommends 90; 80 leaves time to act before latency climbs).'),
    dbLatencyMs: int(1, 10_000).default(20).describe('p90 disk read/write latency (AWS: above about 20 ms is worth investigating).'),
    dbLoadPerVcpu: z
      .number()
      .gt(0)
      .max(10)
      .default(1)
      .describe('DB load (average active sessions, Performance Insights) per vCPU of the class.'),
    dbBurstBalancePercent: int(1, 99).default(10).describe('EBS I/O and byte credit balance below this % (burstable EBS throughput).'),
    dbFreeableMemoryPercent: int(1, 99).default(10).describe('Freeable memory below this % of the instance class memory.'),
    dbFreeStoragePercent: int(1, 99)
      .default(10)
      .describe(
        'Free storage below this % of database.allocatedStorageGiB (the initial size): with storage autoscaling it fires only when autoscaling is not keeping up or has reached maxAllocatedStorageGiB.',
      ),
    dbConnectionsPercent: int(1, 100).default(80).describe('DB connections above this % of the computed max_connections.'),
    replicaLagSeconds: int(1, 86_400)
      .optional()
      .describe(
        "Read replica lag above this fires the replica-lag alarm. @default - the tightest staleness of a content class that may read a replica (the smallest edge.freshness maxStalenessSeconds above 0): past it the app sends that class's reads to the writer.",
      ),
    cacheEngineCpuPercent: int(1, 100)
      .default(80)
      .describe(
        "Cache engine (main thread) CPU. The host-CPU alarm uses this divided by the node's vCPUs (AWS recommendation for nodes with 2 vCPUs or fewer).",
      ),
    cacheHitRatePercent: int(1, 100).default(80).describe('Cache hit rate below this %: the cache stops protecting the DB.'),
    proxyConnectionsPercent: int(1, 100).default(90).describe('RDS Proxy DB connections above this % of the connections it may open.'),
    proxyBorrowLatencyPercent: int(1, 100)
      .default(50)
      .describe('RDS Proxy borrow latency above this % of database.proxy.borrowTimeoutSeconds: clients are queueing for connections.'),
    cacheMemoryPercent: int(1, 100).default(80).describe('Cache memory use, % of maxmemory. Eviction starts at 100%.'),
    cacheEvictionsPerMinute: int(0, 10_000_000)
      .default(100)
      .describe(
        'Evictions per minute. Evictions under allkeys-lru are normal; a sustained rate means the cache is too small for its working set.',
      ),
    cacheReplicationLagSeconds: int(1, 3600).default(10).describe('Cache replica lag.'),
    appShedRequestsPerMinute: int(0, 10_000_000)
      .default(60)
      .describe(
        "Requests the fleet sheds (503 from the app's load shedding) per minute above which the alarm fires: demand is above what the pools and the event loop can take.",
      ),
    appCacheFallbacksPerMinute: int(0, 10_000_000)
      .default(60)
      .describe(
        'Cache calls per minute that failed or timed out and fell back to the database: the cache no longer protects the database.',
      ),
    appReplicaFallbacksPerMinute: int(0, 10_000_000)
      .default(0)
      .describe('Reads per minute served by the writer pool because every replica was down.'),
    appPoolWaitPercent: int(1, 100)
      .default(50)
      .describe('p99 wait for a DB connection above this % of app.shedPoolWaitMs: the pools are close to shedding load.'),
    cacheConnectionsPercent: int(1, 1000)
      .default(120)
      .describe(
        "Cache connections above this % of the fleet's expected maximum (fleet.maxCapacity x the connections an instance's workers open: app.cacheConnectionsPerInstance, at least two per worker): a connection leak.",
      ),
  })
  .superRefine((a, ctx) => {
    // PutMetricAlarm refuses DatapointsToAlarm above EvaluationPeriods and windows over a day
    // (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html).
    if (isNum(a.periodSeconds) && isNum(a.evaluationPeriods) && isNum(a.datapointsToAlarm)) {
      const problem = evaluationWindowProblem(a.periodSeconds, a.evaluationPeriods, a.datapointsToAlarm);
      if (problem)
        violation(
          ctx,
          [a.datapointsToAlarm > a.evaluationPeriods ? 'datapointsToAlarm' : 'evaluationPeriods'],
          Math.max(a.datapointsToAlarm, a.evaluationPeriods),
          problem,
          'lower alarms.datapointsToAlarm, or raise alarms.evaluationPeriods (within a day of periods).',
        );
    }
    for (const [key, o] of Object.entries(a.overrides && typeof a.overrides === 'object' ? a.overrides : {})) {
      if (o && isNum(o.datapointsToAlarm) && isNum(o.evaluationPeriods) && o.datapointsToAlarm > o.evaluationPeriods) {
        violation(
          ctx,
          ['overrides', key, 'datapointsToAlarm'],
          o.datapointsToAlarm,
          `must be <= evaluationPeriods (${o.evaluationPeriods})`,
          'lower datapointsToAlarm, or raise evaluationPeriods.',
        );
      }
    }
  }, ALWAYS)
  .describe('CloudWatch alarms: thresholds and evaluation. Thresholds marked "%" derive from the sizes they watch.');

export type AlarmSettings = z.output<typeof alarmSettingsSchema>;
export type AlarmSettingsInput = z.input<typeof alarmSettingsSchema>;

/** The replica-lag threshold when no content class reads replicas (every maxStalenessSeconds is 0). */
export const DEFAULT_REPLICA_LAG_ALARM_SECONDS = 30;

/**
 * The replica-lag alarm's threshold: `alarms.replicaLagSeconds` when set, else the tightest
 * staleness of a content class that may read a replica. Past it the app reads that class from
 * the writer (service/src/db.ts), so the alarm marks the moment the writer takes the replicas' load.
 */
export function replicaLagAlarmSeconds(config: {
  readonly alarms: { readonly replicaLagSeconds?: number };
  readonly edge: { readonly freshness: readonly { readonly maxStalenessSeconds: number }[] };
}): number {
  if (config.alarms.replicaLagSeconds !== undefined) return config.alarms.replicaLagSeconds;
  const bounds = config.edge.freshness.map((c) => c.maxStalenessSeconds).filter((s) => s > 0);
  return bounds.length > 0 ? Math.min(86_400, ...bounds) : DEFAULT_REPLICA_LAG_ALARM_SECONDS;
}

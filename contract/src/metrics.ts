/**
 * The app's metrics as the platform alarms on them: CloudWatch embedded metric format (EMF),
 * written by the service and read by the alarms in `constructs/app-alarms.ts`.
 *
 * An alarm sees data only when its namespace, metric name and dimensions match a published
 * metric exactly, so both sides take them from here. Every EMF line carries one dimension set,
 * `[Stack]`: an aggregate over the fleet (instances come and go; per-instance metrics would
 * need an alarm per instance). The instance ID travels as a plain property for Logs Insights.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */
export const APP_METRICS_NAMESPACE = 'Loadbearing/App';

/** The one dimension of every app metric; its value is `APP_STACK_NAME`. */
export const APP_METRICS_DIMENSION = 'Stack';

/**
 * The second dimension of the metrics a release is judged by; its value is `APP_RELEASE`. The
 * release alarms of the instance refresh (lib/model/deploy/release-alarms.ts) watch exactly
 * `[Stack, Release]`, so they see only the instances of one release.
 */
export const APP_RELEASE_DIMENSION = 'Release';

/** Metric name -> EMF unit. */
export const APP_METRICS = {
  /** Latency of every answered request (histogram: EMF Values/Counts). */
  RequestLatency: 'Milliseconds',
  Requests: 'Count',
  /** 5xx answers that were not shed (errors of the app or its dependencies). */
  ServerErrors: 'Count',
  /** Requests answered 503 by load shedding (pool queue, queue age, event-loop lag). */
  ShedRequests: 'Count',
  /** Requests the client gave up on before they were read (closed its connection, or too slow to send them within the request timeout): the client's doing, never a ServerError. */
  ClientAborts: 'Count',
  CacheHits: 'Count',
  CacheMisses: 'Count',
  /** Cache calls that failed or timed out; the read went to the database. */
  CacheFallbacks: 'Count',
  /** Reads that went to the writer pool because every replica was down. */
  ReplicaFallbacks: 'Count',
  /** Lag-tolerant reads that went to the writer pool because every replica that is up lags more than the class allows (its staleness, less the cache age the read may add). */
  ReplicaLagFallbacks: 'Count',
  /** Reads that went to the writer pool because a replica fresh enough for the class had not yet replayed a write fence (read-your-writes; docs/adr/0010-read-your-writes.md). */
  ReplicaFenceFallbacks: 'Count',
  /** Highest replica lag the app measured in the interval (its own samples: replay position and time against the writer's). */
  AppReplicaLag: 'Seconds',
  /** Not-found answers served from the negative cache. */
  NegativeCacheHits: 'Count',
  /** Time waited for a DB connection (histogram). */
  PoolWait: 'Milliseconds',
  /** Highest event-loop delay sampled in the interval. */
  EventLoopLag: 'Milliseconds',
} as const;

export type AppMetricName = keyof typeof APP_METRICS;

/** The metrics published again by `[Stack, Release]` when the app knows its release. */
export const RELEASE_METRICS = ['Requests', 'ServerErrors', 'RequestLatency'] as const satisfies readonly AppMetricName[];

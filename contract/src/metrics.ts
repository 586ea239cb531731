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

/**
 * The dimension that says which Availability Zone an instance runs in: the AZ **name** (e.g.
 * `eu-west-1a`), as the config and the load balancer's per-AZ metrics spell it. The per-AZ
 * alarms (docs/adr/0008-zonal-isolated-impact.md) watch `[Stack, AvailabilityZone]`.
 */
export const APP_AZ_DIMENSION = 'AvailabilityZone';

/** The metrics published a second time under `[Stack, AvailabilityZone]`: what the per-AZ alarms compare. */
export const AZ_METRICS = ['Requests', 'ServerErrors', 'RequestLatency'] as const satisfies readonly AppMetricName[];

/** The operations the per-AZ metrics are split by: a read does not change state, a write does. */
export const APP_OPERATIONS = ['read', 'write'] as const;
export type AppOperation = (typeof APP_OPERATIONS)[number];

/**
 * Per operation, per AZ (`[Stack, AvailabilityZone]` only): requests, 5xx that were not shed
 * (faults), and latency. Named per operation rather than by an `Operation` dimension, so one EMF
 * document per interval carries them all (a dimension's value is one per document).
 */
export const OPERATION_METRICS = {
  ReadRequests: 'Count',
  ReadServerErrors: 'Count',
  ReadLatency: 'Milliseconds',
  WriteRequests: 'Count',
  WriteServerErrors: 'Count',
  WriteLatency: 'Milliseconds',
} as const;
export type OperationMetricName = keyof typeof OPERATION_METRICS;

/** The operation of an HTTP method: GET, HEAD and OPTIONS read; everything else writes. */
export function operationOf(method: string): AppOperation {
  return ['GET', 'HEAD', 'OPTIONS'].includes(method.toUpperCase()) ? 'read' : 'write';
}

/** The three metric names of one operation. */
export function operationMetricNames(op: AppOperation): {
  readonly requests: OperationMetricName;
  readonly faults: OperationMetricName;
  readonly latency: OperationMetricName;
} {
  const p = op === 'read' ? 'Read' : 'Write';
  return { requests: `${p}Requests`, faults: `${p}ServerErrors`, latency: `${p}Latency` };
}

/**
 * The EMF directive of the per-AZ metrics, for an app that writes its own EMF documents: add it
 * to `_aws.CloudWatchMetrics` of the document that already carries `Requests`, `ServerErrors` and
 * `RequestLatency`, with the AZ at the document's root under {@link APP_AZ_DIMENSION}; the
 * per-operation members are included when the document has them (`present`). Returns undefined
 * without an AZ (nothing per AZ is published then).
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */
export function azMetricsDirective(
  availabilityZone: string,
  present: readonly string[],
): { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] } | undefined {
  if (availabilityZone === '') return undefined;
  const units: Record<string, string> = { ...APP_METRICS, ...OPERATION_METRICS };
  const names = [...AZ_METRICS, ...(Object.keys(OPERATION_METRICS) as OperationMetricName[])].filter((n) => present.includes(n));
  if (names.length === 0) return undefined;
  return {
    Namespace: APP_METRICS_NAMESPACE,
    Dimensions: [[APP_METRICS_DIMENSION, APP_AZ_DIMENSION]],
    Metrics: names.map((Name) => ({ Name, Unit: units[Name]! })),
  };
}

/** The IMDSv2 item of the instance's AZ name (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-data-categories.html). */
export const AZ_METADATA_PATH = 'placement/availability-zone';

/**
 * The AZ name of the EC2 instance this process runs on, from instance metadata (IMDSv2: a session
 * token, then the item; the fleet's launch template requires IMDSv2 with a hop limit of 1, which a
 * process on the instance itself reaches). Resolves '' when metadata does not answer within
 * `timeoutMs` (not on EC2): the app then publishes nothing per AZ.
 */
export async function fetchAvailabilityZone(
  timeoutMs = 1000,
  endpoint = 'http://169.254.169.254',
  fetchImpl: typeof fetch = fetch,
): Promise<string> {
  try {
    const signal = AbortSignal.timeout(timeoutMs);
    const token = await fetchImpl(`${endpoint}/latest/api/token`, {
      method: 'PUT',
      headers: { 'X-aws-ec2-metadata-token-ttl-seconds': '60' },
      signal,
    });
    if (!token.ok) return '';
    const az = await fetchImpl(`${endpoint}/latest/meta-data/${AZ_METADATA_PATH}`, {
      headers: { 'X-aws-ec2-metadata-token': await token.text() },
      signal,
    });
    const name = az.ok ? (await az.text()).trim() : '';
    return /^[a-z]{2}(-[a-z]+)+-\d[a-z]$/.test(name) ? name : '';
  } catch {
    return '';
  }
}

import type { MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import type { Resource, ResourceKind } from './report-resources.js';

export type MetricUnit = '%' | 'ms' | 's' | 'MiB' | 'count' | '/min';

/** How the datapoints of the window combine into one number (usually there is one). */
export type Combine = 'sum' | 'max' | 'min' | 'mean';

/** One key metric of a resource kind. */
export interface MetricSpec {
  /** Unique within the kind; part of the query Id and the JSON key. */
  readonly key: string;
  readonly label: string;
  readonly unit: MetricUnit;
  /** A metric in the resource's namespace, with the resource's dimensions... */
  readonly metric?: { readonly name: string; readonly stat: string };
  /** ...or metric math over other keys of the same resource, written `{key}`. */
  readonly expression?: string;
  readonly combine: Combine;
  /** Multiplies the combined value (unit conversion); `perMinute` divides by the window in minutes. */
  readonly scale?: number | 'perMinute';
}

const stat = (
  key: string,
  label: string,
  unit: MetricUnit,
  name: string,
  statistic: string,
  combine: Combine,
  scale?: MetricSpec['scale'],
): MetricSpec => ({
  key,
  label,
  unit,
  metric: { name, stat: statistic },
  combine,
  ...(scale === undefined ? {} : { scale }),
});
const math = (key: string, label: string, unit: MetricUnit, expression: string): MetricSpec => ({
  key,
  label,
  unit,
  expression,
  combine: 'mean',
});

const SECONDS_TO_MS = 1_000;
const BYTES_TO_MIB = 1 / 1_048_576;
const MICROSECONDS_TO_MS = 1 / 1_000;

const DB_INSTANCE: readonly MetricSpec[] = [
  stat('cpuP95', 'CPU p95', '%', 'CPUUtilization', 'p95', 'max'),
  stat('connectionsMax', 'connections max', 'count', 'DatabaseConnections', 'Maximum', 'max'),
  stat('freeableMemoryMin', 'freeable memory min', 'MiB', 'FreeableMemory', 'Minimum', 'min', BYTES_TO_MIB),
  stat('readLatency', 'read latency avg', 'ms', 'ReadLatency', 'Average', 'mean', SECONDS_TO_MS),
  stat('writeLatency', 'write latency avg', 'ms', 'WriteLatency', 'Average', 'mean', SECONDS_TO_MS),
];

/** The key metrics queried for each kind of resource. */
export const KEY_METRICS: Readonly<Record<ResourceKind, readonly MetricSpec[]>> = {
  cdn: [
    stat('requests', 'requests', 'count', 'Requests', 'Sum', 'sum'),
    stat('errorRate5xx', '5xx error rate', '%', '5xxErrorRate', 'Average', 'mean'),
    stat('originLatencyP99', 'origin latency p99', 'ms', 'OriginLatency', 'p99', 'max'),
  ],
  alb: [
    stat('requests', 'requests', 'count', 'RequestCount', 'Sum', 'sum'),
    stat('elb5xx', 'ELB 5xx', 'count', 'HTTPCode_ELB_5XX_Count', 'Sum', 'sum'),
    stat('target5xx', 'target 5xx', 'count', 'HTTPCode_Target_5XX_Count', 'Sum', 'sum'),
    math('elb5xxRate', 'ELB 5xx rate', '%', '100*FILL({elb5xx},0)/{requests}'),
    math('target5xxRate', 'target 5xx rate', '%', '100*FILL({target5xx},0)/{requests}'),
    stat('responseTimeP99', 'target response time p99', 'ms', 'TargetResponseTime', 'p99', 'max', SECONDS_TO_MS),
  ],
  fleet: [
    stat('cpuP95', 'CPU p95', '%', 'CPUUtilization', 'p95', 'max'),
    stat('cpuAvg', 'CPU avg', '%', 'CPUUtilization', 'Average', 'mean'),
  ],
  dbWriter: DB_INSTANCE,
  dbInstance: DB_INSTANCE,
  dbReplica: [
    stat('replicaLagMax', 'replica lag max', 's', 'ReplicaLag', 'Maximum', 'max'),
    stat('cpuP95', 'CPU p95', '%', 'CPUUtilization', 'p95', 'max'),
  ],
  dbProxy: [
    stat('clientConnectionsMax', 'client connections max', 'count', 'ClientConnections', 'Maximum', 'max'),
    stat('databaseConnectionsMax', 'DB connections max', 'count', 'DatabaseConnections', 'Maximum', 'max'),
    stat('borrowLatency', 'connection borrow latency avg', 'ms', 'DatabaseConnectionsBorrowLatency', 'Average', 'mean', MICROSECONDS_TO_MS),
  ],
  cache: [
    stat('engineCpuMax', 'engine CPU max', '%', 'EngineCPUUtilization', 'Maximum', 'max'),
    stat('memoryMax', 'memory used max', '%', 'DatabaseMemoryUsagePercentage', 'Maximum', 'max'),
    stat('evictionsPerMin', 'evictions', '/min', 'Evictions', 'Sum', 'sum', 'perMinute'),
    stat('hits', 'hits', 'count', 'CacheHits', 'Sum', 'sum'),
    stat('misses', 'misses', 'count', 'CacheMisses', 'Sum', 'sum'),
    math('hitRate', 'hit rate', '%', '100*{hits}/({hits}+{misses})'),
    stat('connectionsMax', 'connections max', 'count', 'CurrConnections', 'Maximum', 'max'),
  ],
};

/** GetMetricData query Id of one metric of the i-th resource: r<i>_<key>. */
export function queryId(resourceIndex: number, key: string): string {
  return `r${resourceIndex}_${key}`;
}

/** Keys an expression refers to: `{key}` placeholders. */
export function expressionInputs(spec: MetricSpec): string[] {
  return spec.expression ? [...spec.expression.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!) : [];
}

/**
 * Splits specs into clusters that must share one GetMetricData call: an expression with
 * the metrics it reads. Every other metric is a cluster of its own.
 */
export function dependencyClusters(specs: readonly MetricSpec[]): MetricSpec[][] {
  const clusterOf = new Map<string, MetricSpec[]>();
  for (const spec of specs) {
    const linked = new Set(
      expressionInputs(spec)
        .map((key) => clusterOf.get(key))
        .filter((c) => c !== undefined),
    );
    const cluster = [...[...linked].flat(), spec];
    for (const member of cluster) clusterOf.set(member.key, cluster);
  }
  return [...new Set(clusterOf.values())];
}

/**
 * The queries of one resource, in dependency clusters: one query per key metric, period =
 * the whole window, so each returns (about) one datapoint.
 */
export function resourceQueries(resource: Resource, resourceIndex: number, periodSeconds: number): MetricDataQuery[][] {
  const toQuery = (spec: MetricSpec): MetricDataQuery => {
    const Id = queryId(resourceIndex, spec.key);
    if (spec.expression) {
      const Expression = spec.expression.replace(/\{(\w+)\}/g, (_, key: string) => queryId(resourceIndex, key));
      return { Id, Expression, Label: spec.label, ReturnData: true };
    }
    return {
      Id,
      MetricStat: {
        Metric: {
          Namespace: resource.namespace,
          MetricName: spec.metric!.name,
          Dimensions: Object.entries(resource.dimensions).map(([Name, Value]) => ({ Name, Value })),
        },
        Period: periodSeconds,
        Stat: spec.metric!.stat,
      },
      ReturnData: true,
    };
  };
  return dependencyClusters(KEY_METRICS[resource.kind]).map((cluster) => cluster.map(toQuery));
}

/** Combines the window's datapoints and converts the unit; undefined without datapoints. */
export function metricValue(spec: MetricSpec, values: readonly number[], windowMinutes: number): number | undefined {
  if (values.length === 0) return undefined;
  const combined =
    spec.combine === 'sum'
      ? values.reduce((a, b) => a + b, 0)
      : spec.combine === 'max'
        ? Math.max(...values)
        : spec.combine === 'min'
          ? Math.min(...values)
          : values.reduce((a, b) => a + b, 0) / values.length;
  if (spec.scale === 'perMinute') return combined / windowMinutes;
  return combined * (spec.scale ?? 1);
}

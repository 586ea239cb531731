import type { Component } from './alarm-naming.js';
import type { MetricUnit } from './report-metrics.js';
import type { Resource } from './report-resources.js';
import { formatNumber } from './text-format.js';

export interface Threshold {
  readonly value: number;
  readonly unit: MetricUnit;
  /** `above`: a value >= threshold is a finding; `below`: a value < threshold is. */
  readonly when: 'above' | 'below';
  readonly metric: string;
  /** What a finding means and what to consider, as printed in the verdict. */
  readonly advice: string;
}

/**
 * Every threshold the report's verdicts use. docs/ops-cli.md has the same table (a test
 * keeps them in sync); change both together.
 */
export const VERDICT_THRESHOLDS = {
  fleetCpuP95: {
    value: 75,
    unit: '%',
    when: 'above',
    metric: 'fleet CPUUtilization p95',
    advice: 'the fleet is CPU-bound; scale out (raise max capacity) or use a larger instance type',
  },
  dbCpuP95: {
    value: 75,
    unit: '%',
    when: 'above',
    metric: 'DB writer/instance CPUUtilization p95',
    advice: 'the DB is the bottleneck; consider read replicas/caching or a larger instance class',
  },
  dbFreeableMemoryMin: {
    value: 256,
    unit: 'MiB',
    when: 'below',
    metric: 'DB FreeableMemory min',
    advice: 'memory pressure; the working set does not fit, consider a larger instance class',
  },
  dbLatency: {
    value: 20,
    unit: 'ms',
    when: 'above',
    metric: 'DB ReadLatency or WriteLatency avg',
    advice: 'storage is slow; consider more IOPS (gp3/io2) or caching reads',
  },
  replicaLagMax: {
    value: 30,
    unit: 's',
    when: 'above',
    metric: 'replica ReplicaLag max',
    advice: 'reads from the replica are stale; it cannot keep up with the writer',
  },
  replicaCpuP95: {
    value: 75,
    unit: '%',
    when: 'above',
    metric: 'replica CPUUtilization p95',
    advice: 'the replicas are saturated; add a replica or cache reads',
  },
  proxyBorrowLatency: {
    value: 50,
    unit: 'ms',
    when: 'above',
    metric: 'RDS Proxy DatabaseConnectionsBorrowLatency avg',
    advice: 'the proxy waits for free DB connections; the pool is too small or queries too slow',
  },
  cacheEvictionsPerMin: {
    value: 100,
    unit: '/min',
    when: 'above',
    metric: 'cache Evictions per minute',
    advice: 'the cache is too small for the working set; consider a larger node type or shorter TTLs',
  },
  cacheHitRate: {
    value: 80,
    unit: '%',
    when: 'below',
    metric: 'cache hit rate = hits / (hits + misses)',
    advice: 'many reads miss the cache and reach the DB; check keys and TTLs',
  },
  cacheEngineCpuMax: {
    value: 80,
    unit: '%',
    when: 'above',
    metric: 'cache EngineCPUUtilization max',
    advice: 'the cache engine is saturated; consider a larger node type or more shards',
  },
  cacheMemoryMax: {
    value: 80,
    unit: '%',
    when: 'above',
    metric: 'cache DatabaseMemoryUsagePercentage max',
    advice: 'the cache is nearly full and will evict',
  },
  albElb5xxRate: {
    value: 1,
    unit: '%',
    when: 'above',
    metric: 'ALB HTTPCode_ELB_5XX_Count / RequestCount',
    advice: 'the load balancer itself fails requests; check target health and capacity',
  },
  albTarget5xxRate: {
    value: 1,
    unit: '%',
    when: 'above',
    metric: 'ALB HTTPCode_Target_5XX_Count / RequestCount',
    advice: 'the application returns errors; check its logs',
  },
  albResponseTimeP99: {
    value: 1000,
    unit: 'ms',
    when: 'above',
    metric: 'ALB TargetResponseTime p99',
    advice: 'responses are slow; see which tier is hot (fleet CPU, DB, cache)',
  },
  cdn5xxErrorRate: {
    value: 1,
    unit: '%',
    when: 'above',
    metric: 'CloudFront 5xxErrorRate avg',
    advice: 'CloudFront serves errors; check the origin',
  },
  cdnOriginLatencyP99: {
    value: 1000,
    unit: 'ms',
    when: 'above',
    metric: 'CloudFront OriginLatency p99',
    advice: 'the origin answers CloudFront slowly',
  },
} as const satisfies Record<string, Threshold>;

export type ThresholdKey = keyof typeof VERDICT_THRESHOLDS;

/** One finding, with the numbers behind it. */
export interface Verdict {
  readonly key: ThresholdKey;
  readonly component: Component;
  readonly resource: string;
  readonly message: string;
  readonly evidence: Readonly<Record<string, number>>;
}

/** A resource with its measured key metrics (undefined = not measured). */
export interface MeasuredResource {
  readonly resource: Resource;
  readonly values: Readonly<Record<string, number | undefined>>;
}

export function crosses(key: ThresholdKey, value: number | undefined): value is number {
  if (value === undefined) return false;
  const t: Threshold = VERDICT_THRESHOLDS[key];
  return t.when === 'above' ? value >= t.value : value < t.value;
}

/** `82%`, `45 s`, `1.2k/min`, `180 MiB`, `2 GiB`. */
export function formatValue(value: number, unit: MetricUnit): string {
  if (unit === 'MiB' && value >= 1024) return `${formatNumber(value / 1024)} GiB`;
  const n = formatNumber(value);
  if (unit === 'count') return n;
  return unit === '%' || unit === '/min' ? `${n}${unit}` : `${n} ${unit}`;
}

/**
 * Where the pressure is, in request-path order. Each verdict names the resource, the
 * numbers and what to consider; thresholds come from VERDICT_THRESHOLDS only.
 */
export function evaluateVerdicts(measured: readonly MeasuredResource[]): Verdict[] {
  const verdicts: Verdict[] = [];
  const say = (
    key: ThresholdKey,
    m: MeasuredResource,
    facts: string,
    evidence: Record<string, number | undefined>,
    advice: string = VERDICT_THRESHOLDS[key].advice,
  ) => {
    const numbers = Object.fromEntries(Object.entries(evidence).filter((e): e is [string, number] => e[1] !== undefined));
    verdicts.push({ key, component: m.resource.component, resource: m.resource.id, message: `${facts}: ${advice}`, evidence: numbers });
  };
  const fleetCpus = measured
    .filter((m) => m.resource.kind === 'fleet')
    .map((m) => m.values.cpuP95)
    .filter((v) => v !== undefined);
  const fleetCpuP95 = fleetCpus.length > 0 ? Math.max(...fleetCpus) : undefined;

  for (const m of measured) {
    const v = m.values;
    const name = m.resource.label;
    switch (m.resource.kind) {
      case 'cdn':
        if (crosses('cdn5xxErrorRate', v.errorRate5xx))
          say('cdn5xxErrorRate', m, `${name} 5xx error rate ${formatValue(v.errorRate5xx, '%')}`, { errorRate5xx: v.errorRate5xx });
        if (crosses('cdnOriginLatencyP99', v.originLatencyP99))
          say('cdnOriginLatencyP99', m, `${name} origin latency p99 ${formatValue(v.originLatencyP99, 'ms')}`, {
            originLatencyP99: v.originLatencyP99,
          });
        break;
      case 'alb':
        if (crosses('albElb5xxRate', v.elb5xxRate))
          say('albElb5xxRate', m, `${name} ELB 5xx rate ${formatValue(v.elb5xxRate, '%')} of ${formatNumber(v.requests ?? 0)} requests`, {
            elb5xxRate: v.elb5xxRate,
            requests: v.requests,
          });
        if (crosses('albTarget5xxRate', v.target5xxRate))
          say(
            'albTarget5xxRate',
            m,
            `${name} target 5xx rate ${formatValue(v.target5xxRate, '%')} of ${formatNumber(v.requests ?? 0)} requests`,
            { target5xxRate: v.target5xxRate, requests: v.requests },
          );
        if (crosses('albResponseTimeP99', v.responseTimeP99))
          say('albResponseTimeP99', m, `${name} target response time p99 ${formatValue(v.responseTimeP99, 'ms')}`, {
            responseTimeP99: v.responseTimeP99,
          });
        break;
      case 'fleet':
        if (crosses('fleetCpuP95', v.cpuP95))
          say(
            'fleetCpuP95',
            m,
            `${name} CPU p95 ${formatValue(v.cpuP95, '%')}${v.cpuAvg === undefined ? '' : ` (avg ${formatValue(v.cpuAvg, '%')})`}`,
            { cpuP95: v.cpuP95, cpuAvg: v.cpuAvg },
          );
        break;
      case 'dbWriter':
      case 'dbInstance': {
        if (crosses('dbCpuP95', v.cpuP95)) {
          const facts = `${name} CPU p95 ${formatValue(v.cpuP95, '%')}`;
          const evidence = { cpuP95: v.cpuP95, fleetCpuP95 };
          if (fleetCpuP95 === undefined) say('dbCpuP95', m, facts, evidence);
          else if (crosses('fleetCpuP95', fleetCpuP95)) {
            say(
              'dbCpuP95',
              m,
              `${facts} and fleet CPU p95 ${formatValue(fleetCpuP95, '%')}`,
              evidence,
              'both tiers are hot; scale the fleet and the DB, and cache reads',
            );
          } else say('dbCpuP95', m, `${facts} while fleet CPU p95 ${formatValue(fleetCpuP95, '%')}`, evidence);
        }
        if (crosses('dbFreeableMemoryMin', v.freeableMemoryMin))
          say('dbFreeableMemoryMin', m, `${name} freeable memory min ${formatValue(v.freeableMemoryMin, 'MiB')}`, {
            freeableMemoryMin: v.freeableMemoryMin,
          });
        if (crosses('dbLatency', v.readLatency) || crosses('dbLatency', v.writeLatency)) {
          const read = v.readLatency === undefined ? 'n/a' : formatValue(v.readLatency, 'ms');
          const write = v.writeLatency === undefined ? 'n/a' : formatValue(v.writeLatency, 'ms');
          say('dbLatency', m, `${name} read latency ${read}, write latency ${write}`, {
            readLatency: v.readLatency,
            writeLatency: v.writeLatency,
          });
        }
        break;
      }
      case 'dbReplica':
        if (crosses('replicaLagMax', v.replicaLagMax))
          say('replicaLagMax', m, `${name} lag ${formatValue(v.replicaLagMax, 's')}`, { replicaLagMax: v.replicaLagMax });
        if (crosses('replicaCpuP95', v.cpuP95))
          say('replicaCpuP95', m, `${name} CPU p95 ${formatValue(v.cpuP95, '%')}`, { cpuP95: v.cpuP95 });
        break;
      case 'dbProxy':
        if (crosses('proxyBorrowLatency', v.borrowLatency))
          say('proxyBorrowLatency', m, `${name} connection borrow latency ${formatValue(v.borrowLatency, 'ms')}`, {
            borrowLatency: v.borrowLatency,
          });
        break;
      case 'cache': {
        const lookups = (v.hits ?? 0) + (v.misses ?? 0);
        const hitRate = lookups > 0 ? v.hitRate : undefined;
        const rate = hitRate === undefined ? '' : ` with hit rate ${formatValue(hitRate, '%')}`;
        if (crosses('cacheEvictionsPerMin', v.evictionsPerMin)) {
          say('cacheEvictionsPerMin', m, `${name} evictions ${formatValue(v.evictionsPerMin, '/min')}${rate}`, {
            evictionsPerMin: v.evictionsPerMin,
            hitRate,
          });
        } else if (crosses('cacheHitRate', hitRate)) {
          const evictions = v.evictionsPerMin === undefined ? '' : ` (evictions ${formatValue(v.evictionsPerMin, '/min')})`;
          say('cacheHitRate', m, `${name} hit rate ${formatValue(hitRate, '%')}${evictions}`, {
            hitRate,
            evictionsPerMin: v.evictionsPerMin,
          });
        }
        if (crosses('cacheEngineCpuMax', v.engineCpuMax))
          say('cacheEngineCpuMax', m, `${name} engine CPU max ${formatValue(v.engineCpuMax, '%')}`, { engineCpuMax: v.engineCpuMax });
        if (crosses('cacheMemoryMax', v.memoryMax))
          say('cacheMemoryMax', m, `${name} memory used max ${formatValue(v.memoryMax, '%')}`, { memoryMax: v.memoryMax });
        break;
      }
    }
  }
  return verdicts;
}

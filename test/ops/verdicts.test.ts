import { describe, expect, it } from 'vitest';
import type { Resource, ResourceKind } from '../../lib/ops/report-resources.js';
import { crosses, evaluateVerdicts, formatValue, VERDICT_THRESHOLDS, type MeasuredResource } from '../../lib/ops/verdicts.js';

const resource = (kind: ResourceKind, id: string, label = `${kind} ${id}`): Resource => ({
  kind,
  component: kind.startsWith('db') ? 'db' : (kind as Resource['component']),
  id,
  label,
  namespace: 'X',
  dimensions: {},
});
const measured = (kind: ResourceKind, id: string, values: Record<string, number | undefined>, label?: string): MeasuredResource => ({
  resource: resource(kind, id, label),
  values,
});

describe('evaluateVerdicts', () => {
  it('calls the DB the bottleneck when its CPU is hot and the fleet is not', () => {
    const verdicts = evaluateVerdicts([
      measured('fleet', 'shop-asg', { cpuP95: 25, cpuAvg: 18 }, 'fleet shop-asg'),
      measured('dbWriter', 'shop-db', { cpuP95: 82 }, 'DB writer shop-db'),
    ]);
    expect(verdicts).toEqual([
      {
        key: 'dbCpuP95',
        component: 'db',
        resource: 'shop-db',
        message:
          'DB writer shop-db CPU p95 82% while fleet CPU p95 25%: the DB is the bottleneck; consider read replicas/caching or a larger instance class',
        evidence: { cpuP95: 82, fleetCpuP95: 25 },
      },
    ]);
  });

  it('says both tiers are hot when fleet and DB both cross', () => {
    const verdicts = evaluateVerdicts([
      measured('fleet', 'a', { cpuP95: 90 }, 'fleet a'),
      measured('dbWriter', 'db', { cpuP95: 88 }, 'DB writer db'),
    ]);
    expect(verdicts.map((v) => v.message)).toEqual([
      'fleet a CPU p95 90%: the fleet is CPU-bound; scale out (raise max capacity) or use a larger instance type',
      'DB writer db CPU p95 88% and fleet CPU p95 90%: both tiers are hot; scale the fleet and the DB, and cache reads',
    ]);
  });

  it('reports cache evictions with the hit rate, and replica lag', () => {
    const verdicts = evaluateVerdicts([
      measured('dbReplica', 'r1', { replicaLagMax: 45, cpuP95: 20 }, 'replica 1 r1'),
      measured('cache', 'c1', { evictionsPerMin: 1_200, hits: 610, misses: 390, hitRate: 61 }, 'cache c1'),
    ]);
    expect(verdicts.map((v) => v.message)).toEqual([
      'replica 1 r1 lag 45 s: reads from the replica are stale; it cannot keep up with the writer',
      'cache c1 evictions 1.2k/min with hit rate 61%: the cache is too small for the working set; consider a larger node type or shorter TTLs',
    ]);
  });

  it('reports a low hit rate without evictions, but not without lookups', () => {
    expect(
      evaluateVerdicts([measured('cache', 'c', { evictionsPerMin: 0, hits: 50, misses: 50, hitRate: 50 }, 'cache c')])[0]!.message,
    ).toBe('cache c hit rate 50% (evictions 0/min): many reads miss the cache and reach the DB; check keys and TTLs');
    expect(evaluateVerdicts([measured('cache', 'c', { hits: 0, misses: 0, hitRate: 0 })])).toEqual([]);
  });

  it('covers every threshold with at least one rule', () => {
    const hot: MeasuredResource[] = [
      measured('cdn', 'd', { errorRate5xx: 5, originLatencyP99: 3_000 }),
      measured('alb', 'l', { requests: 1000, elb5xxRate: 2, target5xxRate: 3, responseTimeP99: 2_500 }),
      measured('fleet', 'f', { cpuP95: 99 }),
      measured('dbWriter', 'w', { cpuP95: 99, freeableMemoryMin: 100, readLatency: 30, writeLatency: 1 }),
      measured('dbReplica', 'r', { replicaLagMax: 100, cpuP95: 99 }),
      measured('dbProxy', 'p', { borrowLatency: 200 }),
      measured('cache', 'c', { evictionsPerMin: 0, hits: 1, misses: 9, hitRate: 10, engineCpuMax: 95, memoryMax: 95 }),
    ];
    const keys = new Set(evaluateVerdicts(hot).map((v) => v.key));
    const withEvictions = evaluateVerdicts([measured('cache', 'c', { evictionsPerMin: 500 })]).map((v) => v.key);
    expect([...keys, ...withEvictions].sort()).toEqual(Object.keys(VERDICT_THRESHOLDS).sort());
  });

  it('is silent when every value is under its threshold or missing', () => {
    expect(
      evaluateVerdicts([
        measured('fleet', 'f', { cpuP95: 74.9 }),
        measured('dbWriter', 'w', { cpuP95: undefined, freeableMemoryMin: 256 }),
        measured('alb', 'l', { elb5xxRate: 0.99 }),
      ]),
    ).toEqual([]);
  });

  it('treats "above" as >= and "below" as <', () => {
    expect(crosses('fleetCpuP95', 75)).toBe(true);
    expect(crosses('fleetCpuP95', 74.99)).toBe(false);
    expect(crosses('cacheHitRate', 80)).toBe(false);
    expect(crosses('cacheHitRate', 79.9)).toBe(true);
    expect(crosses('cacheHitRate', undefined)).toBe(false);
  });

  it('formats values with their units', () => {
    expect([
      formatValue(82.14, '%'),
      formatValue(45, 's'),
      formatValue(1_234, '/min'),
      formatValue(180.4, 'MiB'),
      formatValue(12_345, 'count'),
      formatValue(3_072, 'MiB'),
    ]).toEqual(['82.1%', '45 s', '1.2k/min', '180 MiB', '12.3k', '3 GiB']);
  });
});

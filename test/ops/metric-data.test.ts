import type { GetMetricDataCommandInput, GetMetricDataCommandOutput, MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fetchMetricData, MAX_QUERIES_PER_CALL, packBatches } from '../../lib/ops/metric-data.js';
import { dependencyClusters, expressionInputs, KEY_METRICS, resourceQueries } from '../../lib/ops/report-metrics.js';
import type { Resource, ResourceKind } from '../../lib/ops/report-resources.js';

const KINDS = Object.keys(KEY_METRICS) as ResourceKind[];
const resource = (kind: ResourceKind, i: number): Resource => ({
  kind,
  component: 'other',
  id: `res-${i}`,
  label: `${kind} res-${i}`,
  namespace: 'AWS/Test',
  dimensions: { Id: `res-${i}` },
});
const clustersOf = (kinds: ResourceKind[]) => kinds.flatMap((kind, i) => resourceQueries(resource(kind, i), i, 3600));
const window = { start: new Date('2026-11-25T07:00:00Z'), end: new Date('2026-11-25T08:00:00Z') };
const query = (Id: string): MetricDataQuery => ({
  Id,
  MetricStat: { Metric: { Namespace: 'N', MetricName: 'M' }, Period: 60, Stat: 'Sum' },
});

describe('key metric queries', () => {
  it('only reference keys of the same kind, and keep expressions with their inputs', () => {
    for (const kind of KINDS) {
      const keys = KEY_METRICS[kind].map((s) => s.key);
      expect(new Set(keys).size).toBe(keys.length);
      for (const spec of KEY_METRICS[kind]) expect(keys).toEqual(expect.arrayContaining(expressionInputs(spec)));
      for (const cluster of dependencyClusters(KEY_METRICS[kind])) {
        const inCluster = cluster.map((s) => s.key);
        for (const spec of cluster) expect(inCluster).toEqual(expect.arrayContaining(expressionInputs(spec)));
      }
    }
  });

  it('builds the ALB 5xx rates as metric math over ids of the same resource', () => {
    const queries = resourceQueries(resource('alb', 3), 3, 3600).flat();
    expect(queries.find((q) => q.Id === 'r3_elb5xxRate')).toEqual({
      Id: 'r3_elb5xxRate',
      Expression: '100*FILL(r3_elb5xx,0)/r3_requests',
      Label: 'ELB 5xx rate',
      ReturnData: true,
    });
    expect(queries.find((q) => q.Id === 'r3_responseTimeP99')?.MetricStat).toEqual({
      Metric: { Namespace: 'AWS/Test', MetricName: 'TargetResponseTime', Dimensions: [{ Name: 'Id', Value: 'res-3' }] },
      Period: 3600,
      Stat: 'p99',
    });
  });
});

describe('packBatches', () => {
  it('never exceeds 500 queries per call, never splits a cluster, and needs ceil(M / 500) calls', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...KINDS), { minLength: 1, maxLength: 400 }), (kinds) => {
        const clusters = clustersOf(kinds);
        const total = clusters.reduce((n, c) => n + c.length, 0);
        const batches = packBatches(clusters);
        expect(batches).toHaveLength(Math.ceil(total / MAX_QUERIES_PER_CALL));
        expect(batches.flat()).toHaveLength(total);
        for (const batch of batches) expect(batch.length).toBeLessThanOrEqual(MAX_QUERIES_PER_CALL);
        const batchOf = new Map(batches.flatMap((b, i) => b.map((q) => [q.Id!, i] as const)));
        for (const cluster of clusters) expect(new Set(cluster.map((q) => batchOf.get(q.Id!))).size).toBe(1);
      }),
      { numRuns: 50 },
    );
  });
});

describe('fetchMetricData', () => {
  const describeErr = (err: unknown) => `failed: ${(err as Error).name}`;

  it('follows NextToken and joins the datapoints of each query', async () => {
    const calls: GetMetricDataCommandInput[] = [];
    const pages: GetMetricDataCommandOutput[] = [
      { $metadata: {}, NextToken: 'p2', MetricDataResults: [{ Id: 'a', StatusCode: 'PartialData', Values: [1, 2] }] },
      {
        $metadata: {},
        MetricDataResults: [
          { Id: 'a', StatusCode: 'Complete', Values: [3] },
          { Id: 'b', StatusCode: 'Complete', Values: [] },
        ],
      },
    ];
    const cw = { getMetricData: async (input: GetMetricDataCommandInput) => (calls.push(input), pages[calls.length - 1]!) };
    const results = await fetchMetricData(cw, [[query('a')], [query('b')]], window, describeErr);
    expect(results.get('a')).toEqual({ ok: true, values: [1, 2, 3] });
    expect(results.get('b')).toEqual({ ok: true, values: [] });
    expect(calls.map((c) => c.NextToken)).toEqual([undefined, 'p2']);
    expect(calls[0]).toMatchObject({ StartTime: window.start, EndTime: window.end, ScanBy: 'TimestampDescending' });
  });

  it('marks failed results and failed calls, and keeps everything else', async () => {
    const clusters = Array.from({ length: 600 }, (_, i) => [query(`q${i}`)]);
    let call = 0;
    const cw = {
      getMetricData: async (input: GetMetricDataCommandInput): Promise<GetMetricDataCommandOutput> => {
        call++;
        if (call === 2) throw Object.assign(new Error('slow down'), { name: 'Throttling' });
        return {
          $metadata: {},
          MetricDataResults: input.MetricDataQueries!.map((q) =>
            q.Id === 'q7'
              ? { Id: q.Id, StatusCode: 'InternalError', Values: [], Messages: [{ Code: 'InternalError', Value: 'try later' }] }
              : q.Id === 'q8'
                ? { Id: q.Id, StatusCode: 'Forbidden', Values: [] }
                : { Id: q.Id, StatusCode: 'Complete', Values: [null as unknown as number, 4] },
          ),
        };
      },
    };
    const results = await fetchMetricData(cw, clusters, window, describeErr);
    expect(call).toBe(2);
    expect(results.get('q0')).toEqual({ ok: true, values: [4] });
    expect(results.get('q7')).toEqual({ ok: false, error: 'InternalError: try later' });
    expect(results.get('q8')).toEqual({ ok: false, error: 'StatusCode Forbidden' });
    expect(results.get('q599')).toEqual({ ok: false, error: 'failed: Throttling' });
    expect([...results.values()].filter((r) => !r.ok)).toHaveLength(2 + 100);
  });

  it('explains a missing result with the call-level messages', async () => {
    const cw = {
      getMetricData: async (): Promise<GetMetricDataCommandOutput> => ({
        $metadata: {},
        MetricDataResults: [{ Id: 'a', StatusCode: 'Complete', Values: [1] }],
        Messages: [{ Code: 'MaxMetricsExceeded', Value: 'too many' }],
      }),
    };
    const results = await fetchMetricData(cw, [[query('a'), query('b')]], window, describeErr);
    expect(results.get('a')).toEqual({ ok: true, values: [1] });
    expect(results.get('b')).toEqual({ ok: false, error: 'MaxMetricsExceeded: too many' });
  });
});

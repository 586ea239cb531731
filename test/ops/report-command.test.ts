import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { systemClock } from '../../lib/ops/clock.js';
import { reportWindow } from '../../lib/ops/report-command.js';
import { fastRetry, metricAlarm, NOW, pagedAlarms, run } from './support/cli-harness.js';
import { fakeMetricData, STACK_ALARMS, STACK_COMPOSITES, type FakeValues } from './support/stack-fixture.js';

const cw = mockClient(CloudWatchClient);
// Test files share modules (isolate: false): put the real client back for the next file.
afterAll(() => cw.restore());
beforeEach(() => {
  cw.reset();
  cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: STACK_ALARMS, CompositeAlarms: STACK_COMPOSITES });
});

const calm: FakeValues = {
  E2SHOP: { requests: [120_000], errorRate5xx: [0.1], originLatencyP99: [180] },
  'app/shop/50dc6c495c0c9188': {
    requests: [50_000],
    elb5xx: [2],
    target5xx: [10],
    elb5xxRate: [0.004],
    target5xxRate: [0.02],
    responseTimeP99: [0.412],
  },
  'shop-asg': { cpuP95: [41], cpuAvg: [30] },
  'shop-db': { cpuP95: [35], connectionsMax: [120], freeableMemoryMin: [2_147_483_648], readLatency: [0.002], writeLatency: [0.004] },
  'shop-db-replica-1': { replicaLagMax: [0.4], cpuP95: [20] },
  'shop-proxy': { clientConnectionsMax: [300], databaseConnectionsMax: [80], borrowLatency: [900] },
  'shop-cache-001': {
    engineCpuMax: [30],
    memoryMax: [45],
    evictionsPerMin: [0],
    hits: [9_000],
    misses: [1_000],
    hitRate: [90],
    connectionsMax: [200],
  },
};
/** 28 key metrics for the 7 resources of the fixture stack. */
const FIXTURE_QUERIES = 28;

/** The same, with the DB writer hot, the fleet calm, the cache evicting and a lagging replica. */
const pressured: FakeValues = {
  ...calm,
  'shop-asg': { cpuP95: [25], cpuAvg: [18] },
  'shop-db': { ...calm['shop-db'], cpuP95: [82] },
  'shop-db-replica-1': { replicaLagMax: [45], cpuP95: [30] },
  // 72k evictions in an hour = 1.2k/min.
  'shop-cache-001': { ...calm['shop-cache-001'], evictionsPerMin: [72_000], hits: [6_100], misses: [3_900], hitRate: [61] },
};

describe('report', () => {
  it('prints every key metric of every resource, finds no pressure, and makes one GetMetricData call', async () => {
    cw.on(GetMetricDataCommand).callsFake(fakeMetricData(calm));
    const result = await run(['report', '--stack', 'shop', '--since', '1h']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('report shop: last 1h (2026-11-25T07:00:00Z to 2026-11-25T08:00:00Z), 7 resources from 10 alarms');
    expect(result.stdout).toContain('Where the pressure is: nowhere; every measured value is within its threshold.');
    expect(result.stdout).toMatch(/ALB app\/shop\/50dc6c495c0c9188\n {2}requests\s+50k\n/);
    expect(result.stdout).toMatch(/target response time p99\s+412 ms\n/);
    expect(result.stdout).toMatch(/freeable memory min\s+2 GiB\n/);
    expect(result.stdout).toMatch(/connection borrow latency avg\s+0\.9 ms/);
    expect(result.stdout).toMatch(/hit rate\s+90%/);
    expect(result.stdout).toContain(`API calls: DescribeAlarms 1, GetMetricData 1 (${FIXTURE_QUERIES} queries)`);
    const [call] = cw.commandCalls(GetMetricDataCommand);
    expect(call!.args[0].input).toMatchObject({
      StartTime: new Date('2026-11-25T07:00:00Z'),
      EndTime: new Date('2026-11-25T08:00:00Z'),
      ScanBy: 'TimestampDescending',
    });
    expect(call!.args[0].input.MetricDataQueries).toHaveLength(FIXTURE_QUERIES);
    expect(
      call!.args[0].input.MetricDataQueries!.find((q) => q.Expression?.includes('CacheHits') || q.Id?.endsWith('_hitRate'))?.Expression,
    ).toMatch(/^100\*r\d+_hits\/\(r\d+_hits\+r\d+_misses\)$/);
  });

  it('says where the pressure is, with the numbers', async () => {
    cw.on(GetMetricDataCommand).callsFake(fakeMetricData(pressured));
    const result = await run(['report', '--stack', 'shop', '--since', '1h']);
    expect(result.code).toBe(0);
    const verdicts = result.stdout.split('\n').filter((l) => l.startsWith('  ! '));
    expect(verdicts).toEqual([
      '  ! DB writer shop-db CPU p95 82% while fleet CPU p95 25%: the DB is the bottleneck; consider read replicas/caching or a larger instance class',
      '  ! replica 1 shop-db-replica-1 lag 45 s: reads from the replica are stale; it cannot keep up with the writer',
      '  ! cache shop-cache-001 evictions 1.2k/min with hit rate 61%: the cache is too small for the working set; consider a larger node type or shorter TTLs',
    ]);
  });

  it('splits more than 500 queries over several calls, expressions with their inputs', async () => {
    // 80 cache clusters x 7 key metrics = 560 queries -> 2 calls.
    const caches = Array.from({ length: 80 }, (_, i) =>
      metricAlarm(`shop-cache-evictions-${i}`, 'OK', { namespace: 'AWS/ElastiCache', dimensions: { CacheClusterId: `shop-cache-${i}` } }),
    );
    cw.on(DescribeAlarmsCommand).callsFake(pagedAlarms(caches));
    const values = Object.fromEntries(caches.map((_, i) => [`shop-cache-${i}`, { hits: [i], misses: [1], hitRate: [99] }]));
    cw.on(GetMetricDataCommand).callsFake(fakeMetricData(values));
    const result = await run(['report', '--stack', 'shop', '--json']);
    expect(result.code).toBe(0);
    const calls = cw.commandCalls(GetMetricDataCommand).map((c) => c.args[0].input.MetricDataQueries!);
    expect(calls.map((q) => q.length)).toEqual([500, 60]);
    for (const queries of calls) {
      const ids = new Set(queries.map((q) => q.Id));
      for (const q of queries.filter((x) => x.Expression)) {
        for (const ref of q.Expression!.match(/r\d+_\w+/g)!) expect(ids.has(ref)).toBe(true);
      }
    }
    const json = JSON.parse(result.stdout);
    expect(json.queries).toBe(560);
    expect(json.calls).toEqual({ describeAlarms: 1, getMetricData: 2 });
    expect(
      json.resources.find((r: { id: string }) => r.id === 'shop-cache-79').metrics.find((m: { key: string }) => m.key === 'hits').value,
    ).toBe(79);
  });

  it('follows GetMetricData NextToken pages', async () => {
    const fake = fakeMetricData(calm);
    cw.on(GetMetricDataCommand).callsFake((input) => {
      const page = fake(input);
      if (input.NextToken) return page;
      return {
        ...page,
        NextToken: 'page-2',
        MetricDataResults: page.MetricDataResults!.map((r) => ({ ...r, Values: [], StatusCode: 'PartialData' })),
      };
    });
    const result = await run(['report', '--stack', 'shop']);
    expect(result.code).toBe(0);
    expect(cw.commandCalls(GetMetricDataCommand).map((c) => c.args[0].input.NextToken)).toEqual([undefined, 'page-2']);
    expect(result.stdout).toMatch(/CPU p95\s+41%/);
  });

  it('shows what it could get and marks the rest n/a when some results fail', async () => {
    cw.on(GetMetricDataCommand).callsFake(
      fakeMetricData(calm, (r) =>
        r.Id?.endsWith('_replicaLagMax')
          ? { ...r, Values: [], StatusCode: 'InternalError', Messages: [{ Code: 'InternalError', Value: 'Internal service error' }] }
          : r,
      ),
    );
    const result = await run(['report', '--stack', 'shop', '--json']);
    expect(result.code).toBe(2);
    const json = JSON.parse(result.stdout);
    expect(json.complete).toBe(false);
    expect(json.unread).toEqual({ count: 1, metrics: FIXTURE_QUERIES, firstReason: 'InternalError: Internal service error' });
    const replica = json.resources.find((r: { kind: string }) => r.kind === 'dbReplica');
    expect(replica.metrics).toEqual([
      {
        key: 'replicaLagMax',
        label: 'replica lag max',
        unit: 's',
        value: null,
        status: 'error',
        error: 'InternalError: Internal service error',
      },
      { key: 'cpuP95', label: 'CPU p95', unit: '%', value: 20, status: 'ok' },
    ]);

    const text = await run(['report', '--stack', 'shop']);
    expect(text.code).toBe(2);
    expect(text.stdout.split('\n').slice(0, 4)).toEqual([
      'report shop: last 1h (2026-11-25T07:00:00Z to 2026-11-25T08:00:00Z), 7 resources from 10 alarms',
      `could not read 1 of ${FIXTURE_QUERIES} metrics: InternalError: Internal service error`,
      '',
      'Where the pressure is: nowhere (of the metrics that could be read); every measured value is within its threshold.',
    ]);
    expect(text.stdout).toMatch(/replica lag max\s+n\/a: InternalError: Internal service error\n/);
  });

  it('marks a whole batch n/a when its call keeps being throttled, and still prints the rest', async () => {
    const caches = Array.from({ length: 80 }, (_, i) =>
      metricAlarm(`shop-cache-evictions-${i}`, 'OK', { namespace: 'AWS/ElastiCache', dimensions: { CacheClusterId: `shop-cache-${i}` } }),
    );
    cw.on(DescribeAlarmsCommand).callsFake(pagedAlarms(caches));
    const fake = fakeMetricData(Object.fromEntries(caches.map((_, i) => [`shop-cache-${i}`, { hits: [1] }])));
    let call = 0;
    cw.on(GetMetricDataCommand).callsFake((input) => {
      if (++call > 1) throw Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } });
      return fake(input);
    });
    const result = await run(['report', '--stack', 'shop', '--json']);
    expect(result.code).toBe(2);
    const json = JSON.parse(result.stdout);
    const statuses = json.resources.flatMap((r: { metrics: { status: string; error?: string }[] }) => r.metrics);
    expect(statuses.filter((m: { status: string }) => m.status === 'error')).toHaveLength(60);
    expect(statuses.find((m: { status: string }) => m.status === 'error').error).toBe(
      'Throttling: Rate exceeded (gave up after 5 attempts)',
    );
    expect(cw.commandCalls(GetMetricDataCommand)).toHaveLength(1 + fastRetry.maxAttempts);
  });

  it('retries a throttled GetMetricData and then reports normally', async () => {
    cw.on(GetMetricDataCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }))
      .callsFake(fakeMetricData(calm));
    const result = await run(['report', '--stack', 'shop', '--json']);
    expect(JSON.parse(result.stdout).complete).toBe(true);
    expect(cw.commandCalls(GetMetricDataCommand)).toHaveLength(2);
  });

  it('marks metrics n/a on access denied for GetMetricData without retrying', async () => {
    cw.on(GetMetricDataCommand).rejects(
      Object.assign(new Error('not authorized to perform: cloudwatch:GetMetricData'), {
        name: 'AccessDenied',
        $metadata: { httpStatusCode: 403 },
      }),
    );
    const result = await run(['report', '--stack', 'shop']);
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(
      /CPU p95\s+n\/a: access denied by CloudWatch \(AccessDenied\): not authorized to perform: cloudwatch:GetMetricData/,
    );
    expect(result.stdout).toContain(
      `could not read ${FIXTURE_QUERIES} of ${FIXTURE_QUERIES} metrics: access denied by CloudWatch (AccessDenied): not authorized to perform: cloudwatch:GetMetricData (needs cloudwatch:DescribeAlarms and cloudwatch:GetMetricData)\n`,
    );
    expect(result.stdout).toContain('Where the pressure is: unknown; no metric could be read.');
    expect(result.stdout).not.toContain('no metric had data');
    expect(cw.commandCalls(GetMetricDataCommand)).toHaveLength(1);
  });

  it('summarizes an HTML error page instead of dumping the parser error (every fetch failed: exit 2)', async () => {
    // What the SDK throws when a proxy or the wrong endpoint answers with an HTML page.
    const htmlPage = Object.assign(
      new SyntaxError(
        'Unexpected token \'<\', "<!doctype "... is not valid JSON\n  Deserialization error: to see the raw response, inspect the hidden field {error}.$response on this object.',
      ),
      {
        $metadata: { httpStatusCode: 502 },
        $response: { statusCode: 502, headers: { 'content-type': 'text/html; charset=utf-8' } },
      },
    );
    cw.on(GetMetricDataCommand).rejects(htmlPage);
    const result = await run(['report', '--stack', 'shop']);
    expect(result.code).toBe(2);
    const reason = /could not read 28 of 28 metrics: (.*)\n/.exec(result.stdout)?.[1];
    expect(reason).toMatch(
      /^CloudWatch endpoint \S+ answered HTTP 502 with an HTML page, not a CloudWatch API response \(a proxy or load balancer in the way, or AWS_ENDPOINT_URL pointing elsewhere\?\)/,
    );
    expect(result.stdout).not.toMatch(/SyntaxError|<!doctype|Deserialization/);
    expect(result.stdout).toContain('Where the pressure is: unknown; no metric could be read.');
  });

  it('still says "no metric had data" when every fetch worked and the window was empty (exit 0)', async () => {
    cw.on(GetMetricDataCommand).callsFake(fakeMetricData({}));
    const result = await run(['report', '--stack', 'shop', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).unread).toEqual({ count: 0, metrics: FIXTURE_QUERIES, firstReason: null });
    expect((await run(['report', '--stack', 'shop'])).stdout).toContain(
      'Where the pressure is: unknown; no metric had data in the window.',
    );
  });

  it('exits 2 on access denied for DescribeAlarms', async () => {
    cw.on(DescribeAlarmsCommand).rejects(
      Object.assign(new Error('denied'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } }),
    );
    const result = await run(['report', '--stack', 'shop']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'loadbearing: error: access denied by CloudWatch (AccessDeniedException): denied (needs cloudwatch:DescribeAlarms and cloudwatch:GetMetricData)\n',
    );
    expect(cw.commandCalls(DescribeAlarmsCommand)).toHaveLength(1);
    expect(cw.commandCalls(GetMetricDataCommand)).toHaveLength(0);
  });

  it('exits 2 for an unknown stack', async () => {
    cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [], CompositeAlarms: [] });
    const result = await run(['report', '--stack', 'nope']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no alarms found with prefix "nope-"');
  });

  it('exits 2 when no alarm names a resource', async () => {
    cw.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [metricAlarm('shop-service-x', 'OK', { namespace: 'Shop' })],
      CompositeAlarms: STACK_COMPOSITES,
    });
    const result = await run(['report', '--stack', 'shop']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('none of the 2 alarms of shop watches a known resource dimension');
  });

  it.each([
    [['--since', 'yesterday'], 'invalid duration "yesterday" for --since: use e.g. 30s, 10m, 1h, 2h30m, 1d'],
    [['--since', '30s'], '--since (30s) must be at least 1m: CloudWatch periods are whole minutes'],
    [['--since', '500d'], '--since (500d) must be at most 455d: CloudWatch keeps no older data'],
  ])('rejects %j with exit 2 before any call', async (args, message) => {
    const result = await run(['report', '--stack', 'shop', ...args]);
    expect(result).toMatchObject({ code: 2, stderr: `loadbearing: error: ${message}\n` });
    expect(cw.calls()).toHaveLength(0);
  });

  describe('deadline', () => {
    beforeEach(() => vi.useFakeTimers({ now: NOW }));
    afterEach(() => vi.useRealTimers());

    it('prints what it has when GetMetricData never answers before --timeout', async () => {
      cw.on(GetMetricDataCommand).callsFake(() => new Promise(() => undefined));
      const pending = run(['report', '--stack', 'shop', '--timeout', '10s'], { clock: systemClock });
      await vi.advanceTimersByTimeAsync(10_000);
      const result = await pending;
      expect(result.code).toBe(2);
      expect(result.stdout).toMatch(/CPU p95\s+n\/a: gave up after 10s without a complete answer from CloudWatch/);
      expect(result.stdout).toContain(`could not read ${FIXTURE_QUERIES} of ${FIXTURE_QUERIES} metrics: gave up after 10s`);
    });
  });

  it('prints a stable JSON document with --json', async () => {
    cw.on(GetMetricDataCommand).callsFake(fakeMetricData(pressured));
    const result = await run(['report', '--stack', 'shop', '--since', '2h30m', '--json']);
    const metric = z.strictObject({
      key: z.string(),
      label: z.string(),
      unit: z.enum(['%', 'ms', 's', 'MiB', 'count', '/min']),
      value: z.number().nullable(),
      status: z.enum(['ok', 'no-data', 'error']),
      error: z.string().optional(),
    });
    const doc = z
      .strictObject({
        stack: z.literal('shop'),
        prefix: z.literal('shop-'),
        since: z.literal('2h30m'),
        window: z.strictObject({ start: z.iso.datetime(), end: z.iso.datetime(), periodSeconds: z.literal(9000) }),
        complete: z.boolean(),
        unread: z.strictObject({ count: z.number(), metrics: z.number(), firstReason: z.string().nullable() }),
        alarms: z.number(),
        resources: z.array(
          z.strictObject({
            kind: z.enum(['cdn', 'alb', 'fleet', 'dbWriter', 'dbReplica', 'dbProxy', 'dbInstance', 'cache']),
            component: z.string(),
            id: z.string(),
            label: z.string(),
            namespace: z.string(),
            dimensions: z.record(z.string(), z.string()),
            metrics: z.array(metric),
          }),
        ),
        verdicts: z.array(
          z.strictObject({
            key: z.string(),
            component: z.string(),
            resource: z.string(),
            message: z.string(),
            evidence: z.record(z.string(), z.number()),
          }),
        ),
        calls: z.strictObject({ describeAlarms: z.number(), getMetricData: z.number() }),
        queries: z.number(),
      })
      .parse(JSON.parse(result.stdout));
    expect(doc.window).toEqual({ start: '2026-11-25T05:30:00.000Z', end: '2026-11-25T08:00:00.000Z', periodSeconds: 9000 });
    expect(doc.verdicts.map((v) => v.key)).toEqual(['dbCpuP95', 'replicaLagMax', 'cacheEvictionsPerMin']);
    expect(doc.verdicts[0]!.evidence).toEqual({ cpuP95: 82, fleetCpuP95: 25 });
    expect(doc.complete).toBe(true);
  });
});

describe('reportWindow', () => {
  it('ends at the last whole minute and spans the window in one period', () => {
    expect(reportWindow(90 * 60_000, Date.parse('2026-11-25T08:00:42Z'))).toEqual({
      start: new Date('2026-11-25T06:30:00Z'),
      end: new Date('2026-11-25T08:00:00Z'),
      periodSeconds: 5_400,
    });
  });

  it('rounds up to whole minutes, and to whole hours beyond 15 days', () => {
    expect(reportWindow(61_000, NOW).periodSeconds).toBe(120);
    expect(reportWindow(20 * 86_400_000 + 60_000, NOW).periodSeconds).toBe(20 * 86_400 + 3_600);
  });
});

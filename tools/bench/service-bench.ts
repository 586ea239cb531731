import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon, { type Request as LoadRequest } from 'autocannon';
import * as hdr from 'hdr-histogram-js';
import { buildServiceBundle } from '../../service/build';
import {
  environmentConfig,
  serviceProcessEnv,
  startLocalStack,
  startService,
  type LocalStack,
  type ServiceProcess,
} from '../../proving-ground/src/local-stack';
import { createCpuQuota, type CpuQuota } from '../../proving-ground/src/topology/cpu-quota';
import { round, stats, type Stats } from './measure';
import { cpuSeconds } from './process-cpu';

/** The three requests the reference service is measured on. */
export const SERVICE_CASES = ['cached-read', 'uncached-read', 'idempotent-write'] as const;
export type ServiceCase = (typeof SERVICE_CASES)[number];

/** One load phase against one server: closed loop at a fixed number of connections. */
export interface LoadStats {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly requests: number;
  /** 2xx responses. */
  readonly ok: number;
  /** Responses that were not 2xx, plus socket errors and timeouts: must be 0 for a valid run. */
  readonly failures: number;
}

export interface ServerStats {
  readonly requestsPerSecond: Stats;
  readonly p50Ms: Stats;
  readonly p99Ms: Stats;
  /** CPU of the server's processes per request, microseconds. */
  readonly cpuUsPerRequest?: Stats;
  readonly failures: number;
}

export interface ServiceCaseResult {
  readonly name: ServiceCase;
  /** The reference service: medians over the rounds. */
  readonly service: ServerStats;
  /** The bare handler doing the same I/O, same rounds. */
  readonly bare: ServerStats;
  /** Extra CPU per request of the contract: bare req/s over service req/s, minus 1, in %. */
  readonly overheadPercent: number;
  /**
   * The same from the CPU the server processes used (/proc): service CPU per request over the
   * bare handler's, minus 1, in %. Unlike the throughput ratio, it holds when something else
   * (the load generator on a busy machine) limits both.
   */
  readonly cpuOverheadPercent?: number;
}

export interface ServiceBenchResults {
  readonly measuredAt: string;
  /** What ran where: the service alone on one core, everything else (load, PostgreSQL, cache) on the other. */
  readonly placement: string;
  readonly connections: number;
  readonly secondsPerPhase: number;
  readonly rounds: number;
  readonly environment: string;
  readonly cases: ServiceCaseResult[];
  /** Peak resident set of the service process over the whole bench (VmHWM). */
  readonly servicePeakRssMiB: number;
  readonly barePeakRssMiB: number;
}

export interface ServiceBenchOptions {
  readonly secondsPerPhase: number;
  readonly rounds: number;
  readonly connections: number;
  readonly log: (line: string) => void;
}

/** Pins this process (every thread) and, through inheritance, every server it starts next, to `cpus`. */
export function pin(pid: number, cpus: string): boolean {
  return spawnSync('taskset', ['-apc', cpus, String(pid)], { encoding: 'utf8' }).status === 0;
}

function peakRssMiB(pid: number): number {
  const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return kb ? Math.round(Number(kb) / 1024) : 0;
}

/** One closed-loop phase with autocannon; latencies recorded per response in microseconds (HdrHistogram). */
/** Items the uncached read rotates over: more than a phase's requests per second, so each is revalidated at most once a second (REVALIDATE_FLOOR_MS) and every read misses. */
export const UNCACHED_ITEMS = 20_000;

export async function load(
  url: string,
  kase: ServiceCase,
  itemId: string,
  seconds: number,
  connections: number,
  tag: string,
  uncached: { readonly first: number; readonly count: number } = { first: 1, count: 1 },
): Promise<LoadStats> {
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  let n = 0;
  const request: LoadRequest =
    kase === 'idempotent-write'
      ? {
          method: 'POST' as const,
          path: '/api/orders',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ itemId, quantity: 1 }),
          // A unique key per request: every write is a first attempt, never a replay.
          setupRequest: (req: LoadRequest) => ({ ...req, headers: { ...req.headers, 'idempotency-key': `bench-${tag}-${++n}` } }),
        }
      : kase === 'uncached-read'
        ? {
            // `no-cache` revalidates at most once a second per key (ADR 0010): the read rotates
            // over UNCACHED_ITEMS items, so each request is a miss that queries the replica.
            method: 'GET' as const,
            path: `/api/items/${uncached.first}`,
            headers: { 'cache-control': 'no-cache' },
            setupRequest: (req: LoadRequest) => ({ ...req, path: `/api/items/${uncached.first + (n++ % uncached.count)}` }),
          }
        : { method: 'GET' as const, path: `/api/items/${itemId}`, headers: {} };
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon({ url, connections, duration: seconds, requests: [request], timeout: 10 }, (error, r) =>
      error ? reject(error) : resolve(r),
    );
    instance.on('response', (_client, _status, _bytes, responseTimeMs) =>
      histogram.recordValue(Math.max(1, Math.round(responseTimeMs * 1000))),
    );
  });
  const failures = result.non2xx + result.errors + result.timeouts;
  const out: LoadStats = {
    requestsPerSecond: round(result.requests.total / seconds, 0),
    p50Ms: round(histogram.getValueAtPercentile(50) / 1000),
    p99Ms: round(histogram.getValueAtPercentile(99) / 1000),
    maxMs: round(histogram.maxValue / 1000),
    requests: result.requests.total,
    ok: result['2xx'],
    failures,
  };
  histogram.destroy();
  return out;
}

/**
 * Measures the bundled reference service against real PostgreSQL (primary + replica) and
 * redis-server: requests/s and p50/p99 for a cached read, an uncached read (replica) and an
 * idempotent write, at a fixed number of connections, closed loop, side by side with a bare
 * handler doing the same I/O (service/bench/bare-server.ts), alternating over the rounds so
 * drift hits both. The service runs alone on one core (`taskset`); the load generator and the
 * servers share the other.
 */
export async function runServiceBench(o: ServiceBenchOptions): Promise<ServiceBenchResults> {
  const cores = availableParallelism();
  const pinned = cores >= 2 && pin(process.pid, '0');
  const servicesCpu = pinned ? String(cores - 1) : undefined;
  const [, bare] = await Promise.all([
    buildServiceBundle(),
    buildServiceBundle(join(tmpdir(), 'loadbearing-bench-bare-server.js'), 'service/bench/bare-server.ts'),
  ]);
  let stack: LocalStack | undefined;
  const servers: ServiceProcess[] = [];
  const groups: CpuQuota[] = [];
  // Each server in a group of a whole CPU (no real quota) with a high CPU weight, so that on a
  // shared, busy machine both get their CPU and the comparison measures them, not the neighbours.
  const weighted = (label: string) => {
    const g = createCpuQuota(`loadbearing-prove-${process.pid}-service-bench-${label}`, 1, 10);
    if (typeof g === 'string') return undefined;
    groups.push(g);
    return (pid: number) => g.add(pid);
  };
  try {
    o.log('service bench: starting PostgreSQL (primary + replica), redis-server and moto');
    stack = await startLocalStack({ replica: true });
    const config = environmentConfig('prod');
    const env = serviceProcessEnv(await stack.appEnv(config, { metricsFlushMs: 10_000 }), stack.moto.url);
    const service = await startService(env, { taskset: servicesCpu, onSpawn: weighted('service') });
    servers.push(service);
    const created = await fetch(`${service.url}/api/items`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'bench-seed-item-1' },
      body: JSON.stringify({ sku: 'bench-1', name: 'Bench item', priceCents: 1999, category: 'bench' }),
    });
    const itemId = ((await created.json()) as { id: string }).id;
    // The items the uncached read rotates over, straight into the writer.
    const admin = await stack.postgres.admin();
    const uncached = await admin
      .query<{ first: string }>(
        `INSERT INTO items (category_id, sku, name, price_cents)
         SELECT (SELECT id FROM categories WHERE name = 'bench'), 'bench-u-' || g, 'Bench ' || g, g FROM generate_series(1, $1) g
         RETURNING id::text AS first`,
        [UNCACHED_ITEMS],
      )
      .then(({ rows }) => ({ first: Math.min(...rows.map((r) => Number(r.first))), count: UNCACHED_ITEMS }))
      .finally(() => admin.end());
    // The item is on the replica and in the cache before anything is measured.
    for (let i = 0; i < 50; i++) {
      const r = await fetch(`${service.url}/api/items/${itemId}`);
      await r.arrayBuffer();
      if (r.status === 200) break;
      await new Promise((r2) => setTimeout(r2, 100));
    }
    const bareEnv = serviceProcessEnv(await stack.appEnv(config), stack.moto.url);
    const baseline = await startService(bareEnv, { bundle: bare.path, taskset: servicesCpu, onSpawn: weighted('bare') });
    servers.push(baseline);

    const runs = new Map<string, (LoadStats & { cpuUsPerRequest: number })[]>();
    for (let round = 0; round <= o.rounds; round++) {
      for (const kase of SERVICE_CASES) {
        for (const [label, server] of [
          ['service', service],
          ['bare', baseline],
        ] as const) {
          // Round 0 is the warm-up (JIT, pools, cache), shorter and not recorded.
          const seconds = round === 0 ? Math.min(2, o.secondsPerPhase) : o.secondsPerPhase;
          const cpu0 = cpuSeconds(server.process.pid);
          const l = await load(server.url, kase, itemId, seconds, o.connections, `${label}-${round}`, uncached);
          const s = { ...l, cpuUsPerRequest: l.requests ? ((cpuSeconds(server.process.pid) - cpu0) / l.requests) * 1e6 : 0 };
          if (round > 0) runs.set(`${kase}/${label}`, [...(runs.get(`${kase}/${label}`) ?? []), s]);
          o.log(
            `${round === 0 ? 'warm-up' : `round ${round}/${o.rounds}`}  ${kase.padEnd(16)} ${label.padEnd(7)} ${String(s.requestsPerSecond).padStart(6)} req/s  p50 ${s.p50Ms} ms  p99 ${s.p99Ms} ms  CPU ${Math.round(s.cpuUsPerRequest)} us/req${s.failures ? `  FAILURES ${s.failures}` : ''}`,
          );
        }
      }
    }
    const summary = (list: (LoadStats & { cpuUsPerRequest: number })[]): ServerStats => ({
      requestsPerSecond: stats(list.map((s) => s.requestsPerSecond)),
      p50Ms: stats(list.map((s) => s.p50Ms)),
      p99Ms: stats(list.map((s) => s.p99Ms)),
      cpuUsPerRequest: stats(list.map((s) => round(s.cpuUsPerRequest, 0))),
      failures: list.reduce((sum, s) => sum + s.failures, 0),
    });
    const cases = SERVICE_CASES.map((name): ServiceCaseResult => {
      const svc = summary(runs.get(`${name}/service`)!);
      const base = summary(runs.get(`${name}/bare`)!);
      return {
        name,
        service: svc,
        bare: base,
        overheadPercent: round((base.requestsPerSecond.median / svc.requestsPerSecond.median - 1) * 100, 1),
        cpuOverheadPercent: round((svc.cpuUsPerRequest!.median / base.cpuUsPerRequest!.median - 1) * 100, 1),
      };
    });
    return {
      measuredAt: new Date().toISOString(),
      placement: pinned
        ? `service and bare handler each on CPU ${servicesCpu} (taskset), 10x the default CPU share (a cgroup); load generator, PostgreSQL, redis-server and moto on CPU 0`
        : 'not pinned (fewer than 2 CPUs)',
      connections: o.connections,
      secondsPerPhase: o.secondsPerPhase,
      rounds: o.rounds,
      environment: `${config.name} config (app.dbPoolSize ${config.app.dbPoolSize}, app.cacheConnectionsPerInstance ${config.app.cacheConnectionsPerInstance})`,
      cases,
      servicePeakRssMiB: peakRssMiB(service.process.pid),
      barePeakRssMiB: peakRssMiB(baseline.process.pid),
    };
  } finally {
    await Promise.all(servers.map((s) => s.stop().catch(() => undefined)));
    for (const g of groups) g.remove();
    await stack?.destroy();
    if (pinned) pin(process.pid, `0-${cores - 1}`);
  }
}

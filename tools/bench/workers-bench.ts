import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as hdr from 'hdr-histogram-js';
import { buildServiceBundle } from '../../service/build';
import { workerMechanism } from '../../service/src/ipc';
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
import { cpuSeconds, ownCpu } from './process-cpu';
import { load, pin } from './service-bench';
import { profilesBySize, summarizeBundleProfile, type ModuleProfile } from './service-profile';

/**
 * One worker's CPU in the bench, in cores. Every instance runs its workers x this under one
 * cgroup quota (as the proving ground does: proving-ground/src/topology/cpu-quota.ts), pinned to
 * one CPU, so 4 workers (0.6 core) still fit on that CPU and the load generator on the other
 * can drive them.
 */
export const BENCH_WORKER_CORES = 0.15;
/**
 * Each instance's CPU weight against the other processes of the machine (x the kernel's default
 * share): on a shared, busy machine an instance at the default share got half its quota or less
 * (4 workers used 0.22 of 0.6 core with the load average near 20), so the bench measured the
 * neighbours. With it, the quota is the bound, as an instance's vCPUs are.
 */
export const BENCH_CPU_WEIGHT = 10;
/**
 * Closed-loop connections per worker: enough to keep a worker's quota busy (the cached read
 * waits for redis), few enough that requests do not wait longer than the worker's over-capacity
 * bound (a quarter of the lag bound), past which it closes connections and the primary sheds:
 * 16 on one 0.15-core worker turned the phase into connection churn and 503s.
 */
export const CONNECTIONS_PER_WORKER = 4;
/** The connection cap of the instance that measures the shed path: this many held connections fill its one worker. */
const SHED_CAP = 16;
/** Concurrent clients of the connection-per-request phases (the primary answers at most SHED_CAP sheds at once). */
export const RAW_CLIENTS = 4;

/** Cached reads of one instance size over the rounds. */
export interface WorkerCountResult {
  readonly workers: number;
  /** The instance's cgroup quota: workers x BENCH_WORKER_CORES, shared by its primary and workers. */
  readonly quotaCores: number;
  readonly requestsPerSecond: Stats;
  readonly p99Ms: Stats;
  /** CPU the instance used (primary and workers), in cores, over each phase. */
  readonly cpuCores: Stats;
  /** Served reads per second of the instance's CPU: what the instance does with the CPU it got, whether or not it got its quota. */
  readonly readsPerCpuSecond: Stats;
  /** CPU of the load generator (this process) over each phase, in cores: near 1 means it, not the service, was the limit. */
  readonly loadGeneratorCores: Stats;
  readonly failures: number;
}

/** Connection-per-request answers (connect, one request with `Connection: close`, read to the end). */
export interface RawPhase {
  readonly answersPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Answers by status code. */
  readonly statuses: Readonly<Record<string, number>>;
  /** The instance's CPU per answer (primary and workers), microseconds. */
  readonly cpuUsPerAnswer: number;
  /** The primary's own CPU per answer, microseconds. */
  readonly primaryCpuUsPerAnswer: number;
  readonly errors: number;
}

export interface WorkersBenchResults {
  readonly measuredAt: string;
  readonly mechanism: string;
  readonly placement: string;
  readonly perWorkerCores: number;
  readonly connectionsPerWorker: number;
  /** Connections of the profiled runs. */
  readonly connections: number;
  readonly secondsPerPhase: number;
  readonly rounds: number;
  /** Why a worker count was left out, if one was. */
  readonly leftOut?: string;
  readonly counts: WorkerCountResult[];
  /** 2 workers over 1, ratio of the medians, and the median of the per-round ratios. */
  readonly ratio2v1?: { readonly ofMedians: number; readonly perRound: Stats };
  /** The shed path: a 503 answered by the primary (every worker at its cap) beside a served cached read, each on a new connection. */
  readonly shed: { readonly shed: RawPhase; readonly served: RawPhase; readonly keepAliveCpuUsPerRead: number };
  /** Where a cached read's CPU goes: the service's worker and the bare handler, profiled under the same load. */
  readonly profile: {
    readonly service: ModuleProfile & { readonly requests: number; readonly usPerRequest: number };
    readonly bare: ModuleProfile & { readonly requests: number; readonly usPerRequest: number };
  };
}

export interface WorkersBenchOptions {
  readonly secondsPerPhase: number;
  readonly rounds: number;
  readonly connections: number;
  readonly log: (line: string) => void;
}

/** `n` clients, each connecting, sending one request with `Connection: close` and reading to the end, for `seconds`. */
async function rawPhase(port: number, path: string, seconds: number, n: number, instancePid: number): Promise<RawPhase> {
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  const statuses: Record<string, number> = {};
  let errors = 0;
  let answers = 0;
  const request = Buffer.from(`GET ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n`, 'latin1');
  const end = performance.now() + seconds * 1000;
  const one = () =>
    new Promise<void>((resolve) => {
      const started = performance.now();
      let head = '';
      const socket = net.connect({ port, host: '127.0.0.1' }, () => socket.write(request));
      socket.setTimeout(10_000, () => socket.destroy(new Error('timeout')));
      socket.on('data', (chunk: Buffer) => {
        if (head.length < 16) head += chunk.toString('latin1', 0, 16);
      });
      socket.on('error', () => undefined);
      socket.on('close', (hadError) => {
        const status = /^HTTP\/1\.1 (\d{3})/.exec(head)?.[1];
        if (hadError || !status) errors++;
        else {
          answers++;
          statuses[status] = (statuses[status] ?? 0) + 1;
          histogram.recordValue(Math.max(1, Math.round((performance.now() - started) * 1000)));
        }
        resolve();
      });
    });
  const cpu0 = cpuSeconds(instancePid);
  const primary0 = ownCpu(instancePid);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (performance.now() < end) await one();
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(instancePid) - cpu0;
  const primaryCpu = ownCpu(instancePid) - primary0;
  const out: RawPhase = {
    answersPerSecond: round(answers / elapsed, 0),
    p50Ms: round(histogram.getValueAtPercentile(50) / 1000),
    p99Ms: round(histogram.getValueAtPercentile(99) / 1000),
    statuses,
    cpuUsPerAnswer: answers ? round((cpu / answers) * 1e6, 0) : 0,
    primaryCpuUsPerAnswer: answers ? round((primaryCpu / answers) * 1e6, 0) : 0,
    errors,
  };
  histogram.destroy();
  return out;
}

/** Holds `n` keep-alive connections open on the instance, one request each first, so every one is a worker's. */
async function holdConnections(port: number, n: number): Promise<{ sockets: net.Socket[]; close(): void }> {
  const sockets: net.Socket[] = [];
  for (let i = 0; i < n; i++) {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => socket.write('GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n'));
      socket.once('data', (chunk: Buffer) =>
        /^HTTP\/1\.1 200/.test(chunk.toString('latin1')) && !/x-shed-by/i.test(chunk.toString('latin1'))
          ? resolve()
          : reject(new Error(`a held connection was not served by a worker: ${chunk.toString('latin1').split('\r\n')[0]}`)),
      );
    });
    sockets.push(socket);
  }
  return {
    sockets,
    close: () => {
      for (const s of sockets) s.destroy();
    },
  };
}

/**
 * The process model under load (issue 22): cached reads of one instance with 1, 2 and 4 workers,
 * each instance under a cgroup quota of its workers x {@link BENCH_WORKER_CORES} and pinned to
 * one CPU, the rounds alternating between the instances so drift hits all; the shed path's own
 * cost (a 503 from the primary beside a served cached read, on a new connection each, with the
 * instance's CPU per answer); and a `--cpu-prof` profile of the service's worker and of the bare
 * handler under the same cached-read load, by source module.
 */
export async function runWorkersBench(o: WorkersBenchOptions): Promise<WorkersBenchResults> {
  const cores = availableParallelism();
  const mechanism = workerMechanism();
  const pinned = cores >= 2 && pin(process.pid, '0');
  const servicesCpu = pinned ? String(cores - 1) : undefined;
  // 4 workers x 0.15 core fit on the one CPU the instances run on; more would not.
  const counts = [1, 2, 4].filter((w) => w * BENCH_WORKER_CORES <= 0.9);
  const [bundle, bare] = await Promise.all([
    buildServiceBundle(),
    buildServiceBundle(join(tmpdir(), 'loadbearing-bench-bare-server.js'), 'service/bench/bare-server.ts'),
  ]);
  let stack: LocalStack | undefined;
  const servers: ServiceProcess[] = [];
  const quotas: CpuQuota[] = [];
  const profileDir = mkdtempSync(join(tmpdir(), 'bench-service-profile-'));
  try {
    o.log('workers bench: starting PostgreSQL (primary + replica), redis-server and moto');
    stack = await startLocalStack({ replica: true });
    const config = environmentConfig('prod');
    const instance = async (workers: number, extra: Record<string, string> = {}, bundlePath?: string) => {
      const env = serviceProcessEnv({ ...(await stack!.appEnv(config, { metricsFlushMs: 10_000, workers })), ...extra }, stack!.moto.url);
      const quota = createCpuQuota(
        `loadbearing-prove-${process.pid}-bench-${servers.length}`,
        workers * BENCH_WORKER_CORES,
        BENCH_CPU_WEIGHT,
      );
      if (typeof quota === 'string') throw new Error(`the workers bench needs a CPU quota per instance: ${quota}`);
      quotas.push(quota);
      const s = await startService(env, { taskset: servicesCpu, bundle: bundlePath, retainLines: false, onSpawn: (pid) => quota.add(pid) });
      servers.push(s);
      return s;
    };
    const instances = new Map<number, ServiceProcess>();
    for (const w of counts) instances.set(w, await instance(w));
    const first = instances.get(1)!;
    const created = await fetch(`${first.url}/api/items`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'bench-workers-item-1' },
      body: JSON.stringify({ sku: 'bench-w-1', name: 'Bench item', priceCents: 1999, category: 'bench' }),
    });
    const itemId = ((await created.json()) as { id: string }).id;
    for (let i = 0; i < 50; i++) {
      const r = await fetch(`${first.url}/api/items/${itemId}`);
      await r.arrayBuffer();
      if (r.status === 200) break;
      await new Promise((r2) => setTimeout(r2, 100));
    }

    const phases = new Map<number, { rps: number; p99: number; cpu: number; gen: number; failures: number }[]>();
    for (let r = 0; r <= o.rounds; r++) {
      for (const w of counts) {
        const s = instances.get(w)!;
        const seconds = r === 0 ? Math.min(2, o.secondsPerPhase) : o.secondsPerPhase;
        const cpu0 = cpuSeconds(s.process.pid);
        const gen0 = process.cpuUsage();
        const t0 = performance.now();
        const l = await load(s.url, 'cached-read', itemId, seconds, w * CONNECTIONS_PER_WORKER, `w${w}-${r}`);
        const elapsed = (performance.now() - t0) / 1000;
        const gen = process.cpuUsage(gen0);
        const phase = {
          // Served reads only: a 503 is not throughput.
          rps: round(l.ok / seconds, 0),
          p99: l.p99Ms,
          cpu: round((cpuSeconds(s.process.pid) - cpu0) / elapsed),
          gen: round((gen.user + gen.system) / 1e6 / elapsed),
          failures: l.failures,
        };
        if (r > 0) phases.set(w, [...(phases.get(w) ?? []), phase]);
        o.log(
          `${r === 0 ? 'warm-up' : `round ${r}/${o.rounds}`}  ${w} worker${w === 1 ? ' ' : 's'} (quota ${round(w * BENCH_WORKER_CORES)} core)  ${String(phase.rps).padStart(6)} req/s  p99 ${phase.p99} ms  instance CPU ${phase.cpu} cores  load generator ${phase.gen} cores${phase.failures ? `  FAILURES ${phase.failures}` : ''}`,
        );
      }
    }
    const results = counts.map((w): WorkerCountResult => {
      const list = phases.get(w)!;
      return {
        workers: w,
        quotaCores: round(w * BENCH_WORKER_CORES),
        requestsPerSecond: stats(list.map((p) => p.rps)),
        p99Ms: stats(list.map((p) => p.p99)),
        cpuCores: stats(list.map((p) => p.cpu)),
        readsPerCpuSecond: stats(list.map((p) => (p.cpu > 0 ? round(p.rps / p.cpu, 0) : 0))),
        loadGeneratorCores: stats(list.map((p) => p.gen)),
        failures: list.reduce((n, p) => n + p.failures, 0),
      };
    });
    const one = results.find((c) => c.workers === 1)!;
    const two = results.find((c) => c.workers === 2);
    const ratio2v1 = two
      ? {
          ofMedians: round(two.requestsPerSecond.median / one.requestsPerSecond.median),
          perRound: stats(phases.get(2)!.map((p, i) => p.rps / phases.get(1)![i]!.rps)),
        }
      : undefined;

    // The shed path: one worker under the same quota, its connection cap filled by held
    // connections, so the primary answers every new one; then the same requests served.
    o.log('workers bench: the shed path (the primary answers 503) beside served cached reads, a new connection each');
    const shedInstance = await instance(1, { APP_MAX_CONNECTIONS_PER_WORKER: String(SHED_CAP) });
    const port = Number(new URL(shedInstance.url).port);
    const path = `/api/items/${itemId}`;
    await rawPhase(port, path, 1, RAW_CLIENTS, shedInstance.process.pid); // warm-up
    const held = await holdConnections(port, SHED_CAP);
    await new Promise((r) => setTimeout(r, 100)); // the worker reports what it holds
    const shed = await rawPhase(port, path, o.secondsPerPhase, RAW_CLIENTS, shedInstance.process.pid);
    held.close();
    await new Promise((r) => setTimeout(r, 200));
    const served = await rawPhase(port, path, o.secondsPerPhase, RAW_CLIENTS, shedInstance.process.pid);
    o.log(`  shed:   ${JSON.stringify(shed)}`);
    o.log(`  served: ${JSON.stringify(served)}`);
    const keepAliveCpuUsPerRead = round((one.cpuCores.median / one.requestsPerSecond.median) * 1e6, 0);

    // Where a cached read's CPU goes: the worker of a 1-worker service and the bare handler, each
    // profiled (--cpu-prof, written at exit) under the same closed-loop load, unquota'd on one CPU.
    o.log('workers bench: profiling a cached read (--cpu-prof), the service and the bare handler');
    const profiled = async (label: 'service' | 'bare', bundlePath: string) => {
      const dir = join(profileDir, label);
      const env = serviceProcessEnv({ ...(await stack!.appEnv(config, { metricsFlushMs: 10_000, workers: 1 })) }, stack!.moto.url, {
        NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${dir}`,
      });
      // No quota (a whole CPU), the same weight as the instances above.
      const group = createCpuQuota(`loadbearing-prove-${process.pid}-bench-profile-${label}`, 1, BENCH_CPU_WEIGHT);
      if (typeof group !== 'string') quotas.push(group);
      const s = await startService(env, {
        taskset: servicesCpu,
        bundle: bundlePath,
        retainLines: false,
        onSpawn: (pid) => (typeof group === 'string' ? undefined : group.add(pid)),
      });
      try {
        await load(s.url, 'cached-read', itemId, 2, o.connections, `${label}-profile-warm`);
        // The profile's timestamps are CLOCK_MONOTONIC microseconds, as process.hrtime here: only
        // the samples of the measured phase count (not start-up, not the warm-up).
        const from = Number(process.hrtime.bigint() / 1000n);
        const l = await load(s.url, 'cached-read', itemId, o.secondsPerPhase, o.connections, `${label}-profile`);
        const to = Number(process.hrtime.bigint() / 1000n);
        await s.stop('SIGTERM');
        // The worker's profile, not the primary's (the bare handler is one process).
        const file = existsSync(dir) ? profilesBySize(dir, label === 'service' ? s.process.pid : undefined)[0] : undefined;
        if (!file) throw new Error(`no CPU profile was written for the ${label} in ${dir}`);
        const p = summarizeBundleProfile(file, bundlePath, { fromUs: from, toUs: to });
        return { ...p, requests: l.requests, usPerRequest: round((p.busyMs * 1000) / l.requests, 1) };
      } finally {
        await s.stop().catch(() => undefined);
      }
    };
    const profile = { service: await profiled('service', bundle.path), bare: await profiled('bare', bare.path) };

    return {
      measuredAt: new Date().toISOString(),
      mechanism,
      placement: pinned
        ? `each instance on CPU ${servicesCpu} (taskset) under its own cgroup CPU quota (workers x ${BENCH_WORKER_CORES} core, 10 ms period, ${BENCH_CPU_WEIGHT}x the default CPU share so that a busy machine still gives it its quota); load generator, PostgreSQL, redis-server and moto on CPU 0`
        : 'not pinned (fewer than 2 CPUs)',
      perWorkerCores: BENCH_WORKER_CORES,
      connectionsPerWorker: CONNECTIONS_PER_WORKER,
      connections: o.connections,
      secondsPerPhase: o.secondsPerPhase,
      rounds: o.rounds,
      ...(counts.includes(4) ? {} : { leftOut: `4 workers x ${BENCH_WORKER_CORES} core do not fit on one CPU` }),
      counts: results,
      ...(ratio2v1 ? { ratio2v1 } : {}),
      shed: { shed, served, keepAliveCpuUsPerRead },
      profile,
    };
  } finally {
    await Promise.all(servers.map((s) => s.stop().catch(() => undefined)));
    for (const q of quotas) q.remove();
    await stack?.destroy();
    rmSync(profileDir, { recursive: true, force: true });
    if (pinned) pin(process.pid, `0-${cores - 1}`);
  }
}

import { performance } from 'node:perf_hooks';
import { waitFor } from './local-stack';
import { budgets, type BudgetCheck, type Calibration } from './budgets';
import { bottleneck } from './bottleneck';
import { LoadGenerator } from './load/generator';
import { Recorder } from './load/recorder';
import { measureRun, type RunMeasurement } from './measurement';
import { Observer } from './observe';
import { localRateRule } from './topology/haproxy-config';
import { SEED_ITEMS, type InstanceExit, type Topology } from './topology/topology';
import { apiStalenessBoundMs, scenario, SPIKE_LOAD, type FaultContext, type Timings } from './scenarios';
import { FreshnessProbe, type FreshnessResult } from './freshness-probe';
import type { ScenarioId } from './scenario-ids';
import { auditWrites, nextOrderId, NO_WRITES } from './writes';
import { teamAppChecks, teamMix } from './team-app';
import { newReleaseRun } from './release/release-scenarios';
import type { RolloutLog } from './release/rollout';

/** First attempt's timeout of the retrying clients (client-retries); doubled per attempt, the last waits the full timeout. */
export const RETRY_FIRST_TIMEOUT_MS = 5;
/** Attempts per write of a retrying client: 5, 10 and 20 ms, then the full client timeout. */
export const RETRY_ATTEMPTS = 4;

export interface RunContext {
  readonly topology: Topology;
  readonly timings: Timings;
  /** Receives every service document while a run observes (set by the runner). */
  documents: { sink?: (doc: Record<string, unknown>, instance: string) => void };
  readonly dbDelayMs: number;
  readonly seed: number;
  readonly progress: (text: string) => void;
  /** Set when the command is interrupted: the run stops waiting. */
  readonly signal: AbortSignal;
}

export interface RunResult {
  readonly measurement: RunMeasurement;
  readonly checks: BudgetCheck[];
  readonly bottleneck: string;
  readonly faultLog: { tMs: number; what: string }[];
  /** Service instances that exited on their own during the run (crashes): always a finding. */
  readonly crashes: InstanceExit[];
  /** The release scenarios: what the local rollout did. */
  readonly release?: RolloutLog;
  /** The replica-lag scenario: what the freshness probe saw. */
  readonly freshness?: FreshnessResult;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const onAbort = () => {
      clearTimeout(t);
      resolve();
    };
    // The listener goes with the sleep: a run of many scenarios must not pile them up on the signal.
    const t = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** Source addresses for a run whose highest rate is `maxRps`: each client stays under half the per-client limit. */
export function clientsFor(topology: Topology, maxRps: number): number {
  const rule = localRateRule(topology.config);
  if (!rule) return 64;
  return Math.max(16, Math.ceil(maxRps / (rule.perSecond / 2)));
}

export function generatorFor(
  ctx: RunContext,
  maxRps: number,
  keyPrefix: string,
  retryFirstTimeoutMs = RETRY_FIRST_TIMEOUT_MS,
): LoadGenerator {
  const { config } = ctx.topology;
  return new LoadGenerator({
    url: ctx.topology.haproxy.url,
    clients: clientsFor(ctx.topology, maxRps),
    seed: ctx.seed,
    seedItems: SEED_ITEMS,
    keyPrefix,
    timeoutMs: config.app.requestTimeoutSeconds * 1000 + 2_000,
    retry: { firstTimeoutMs: retryFirstTimeoutMs, maxAttempts: RETRY_ATTEMPTS },
    mix: ctx.topology.teamApp ? teamMix(ctx.topology.teamApp.requests) : undefined,
  });
}

/**
 * Puts everything back after a run: the cache thawed and running, both database nodes up and
 * streaming, the proxy fast, every instance running and UP in HAProxy.
 */
export async function restore(t: Topology): Promise<void> {
  const { redis, postgres } = t.stack;
  redis.thaw();
  if (!redis.process.running()) await redis.restart();
  t.proxy.fast();
  if (!postgres.primary.process.running()) await postgres.primary.start();
  if (!postgres.replica!.process.running()) await postgres.replica!.start();
  await Promise.all(
    t.instances
      .filter((i) => !i.service?.process.running())
      .map((i) => {
        i.killed = false;
        return t.startInstance(i);
      }),
  );
  await t.waitAllUp(30_000);
  await waitFor(
    'the replica streaming from the writer',
    async () => {
      const db = await t.admin();
      try {
        return (await db.query("SELECT count(*)::int AS n FROM pg_stat_replication WHERE state = 'streaming'")).rows[0].n >= 1;
      } finally {
        await db.end();
      }
    },
    30_000,
  );
}

/** One run of a scenario: load before, during and after the fault; then restore, audit and judge. */
export async function runScenario(ctx: RunContext, id: ScenarioId, run: number, calibration: Calibration): Promise<RunResult> {
  const s = scenario(id);
  const { topology } = ctx;
  const config = topology.config;
  const timings = s.timings?.(ctx.timings, config) ?? ctx.timings;
  const window = { startMs: timings.beforeMs, endMs: timings.beforeMs + timings.faultMs };
  const endMs = window.endMs + timings.afterMs;
  const maxShare = id === 'traffic-spike' ? SPIKE_LOAD : 1;
  const keyPrefix = `${id}-r${run}-${Date.now().toString(36)}`;
  const rule = localRateRule(config);
  // Retrying clients give up on a write after 5 ms at first (less than a write takes), doubling per attempt.
  const generator = generatorFor(ctx, calibration.capacityRps * maxShare, keyPrefix, RETRY_FIRST_TIMEOUT_MS);
  const recorder = new Recorder(timings.bucketMs, { faultStartMs: window.startMs, faultEndMs: window.endMs, endMs });
  const observer = new Observer(topology, timings.bucketMs);
  // A team's app has no orders table: its mix sends no writes.
  const firstOrderId = topology.teamApp ? 0 : await nextOrderId(topology);
  ctx.documents.sink = (doc, instance) => observer.onDocument(doc, instance);
  const release = newReleaseRun();
  const faultCtx: FaultContext = { topology, config, release };
  const faultLog: { tMs: number; what: string }[] = [];
  topology.exits.length = 0;
  // The replica-lag scenario observes every read's age (freshness-probe.ts).
  const probe =
    id === 'replica-lag'
      ? new FreshnessProbe(topology, topology.haproxy.url, apiStalenessBoundMs(config), calibration.targetP99Ms, keyPrefix)
      : undefined;
  await probe?.start();
  await observer.begin();
  const start = performance.now();
  release.runStart = start;
  const at = async (tMs: number, what: string, action: () => Promise<void>) => {
    await sleep(tMs - (performance.now() - start), ctx.signal);
    if (ctx.signal.aborted) return;
    faultLog.push({ tMs: Math.round(performance.now() - start), what });
    await action();
  };
  const faults = (async () => {
    for (const step of s.steps) await at(window.startMs + step.at * timings.faultMs, step.what, () => step.run(faultCtx));
    if (s.steps.length > 0 || s.id !== 'steady-state') await at(window.endMs, 'fault cleared', () => s.clear(faultCtx));
  })();
  const stats = await generator.run(
    {
      durationMs: endMs,
      rateAt: (t) => calibration.capacityRps * s.loadAt(t, window),
      retryingWritesAt: s.retryingWrites ? (t) => t >= window.startMs && t < window.endMs : undefined,
      overLimitRate: s.overLimitClient && rule ? rule.perSecond * 3 : undefined,
      signal: ctx.signal,
    },
    recorder,
  );
  await faults;
  const freshness = await probe?.stop();
  const observed = await observer.end();
  ctx.documents.sink = undefined;
  await generator.close();
  if (ctx.signal.aborted) throw new Error('interrupted');
  await restore(topology);
  const writes = topology.teamApp ? NO_WRITES : await auditWrites(topology, keyPrefix, firstOrderId, generator.writes);
  const started = faultLog[0]?.tMs;
  const cleared = faultLog.find((f) => f.what === 'fault cleared')?.tMs;
  const measurement = measureRun({
    recorder,
    observer,
    generator: stats,
    writes,
    cpuPercent: observed.cpuPercent,
    listenOverflows: observed.listenOverflows,
    topStatements: observed.topStatements,
    actualFault: started !== undefined && cleared !== undefined ? { startMs: started, endMs: cleared } : undefined,
  });
  const all = budgets(id, {
    config,
    calibration,
    m: measurement,
    dbDelayMs: ctx.dbDelayMs,
    release: release.log,
    freshness,
    writerConnections: topology.instances.length * topology.instances[0].workers * config.app.dbPoolSize,
  });
  const checks = topology.teamApp ? teamAppChecks(all, measurement.phases.fault.counts.shed) : all;
  const phase = id === 'steady-state' ? measurement.run : measurement.phases.fault;
  const crashes = topology.exits.splice(0);
  checks.push({
    id: 'crashes',
    label: 'service instances that crashed (exited without being killed)',
    comparison: '=',
    limit: 0,
    measured: crashes.length,
    unit: 'count',
    derivation: 'a dependency failure must never take the process down (unhandled errors, exits)',
  });
  faultLog.push(...release.log.events);
  faultLog.sort((a, b) => a.tMs - b.tMs);
  return {
    measurement,
    checks,
    bottleneck: bottleneck(config, measurement, phase),
    faultLog,
    crashes,
    ...(release.log.plan ? { release: release.log } : {}),
    ...(freshness ? { freshness } : {}),
  };
}

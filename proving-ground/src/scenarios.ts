import { readFileSync } from 'node:fs';
import type { EnvironmentConfig } from 'loadbearing/model';
import { failureMode, LOCAL_REHEARSALS } from 'loadbearing/model';
import { localRateRule } from './topology/haproxy-config';
import { instancesPerAz } from './scale';
import { SCENARIO_IDS, STEADY_STATE, type ScenarioId } from './scenario-ids';
import type { Topology } from './topology/topology';
import { releaseScenarios, type ReleaseRun } from './release/release-scenarios';

/** Phase lengths of one run, and the chart's time resolution. */
export interface Timings {
  readonly beforeMs: number;
  readonly faultMs: number;
  readonly afterMs: number;
  readonly bucketMs: number;
  /** One step of the calibration ramp. */
  readonly calibrationStepMs: number;
}

export const FULL_TIMINGS: Timings = { beforeMs: 8_000, faultMs: 12_000, afterMs: 10_000, bucketMs: 1_000, calibrationStepMs: 4_000 };
export const QUICK_TIMINGS: Timings = { beforeMs: 4_000, faultMs: 6_000, afterMs: 5_000, bucketMs: 500, calibrationStepMs: 2_000 };

/** Load of every scenario, as a share of the measured capacity (the issue's "70%"), and the spike. */
export const STEADY_LOAD = 0.7;
export const SPIKE_LOAD = 3;

export interface FaultContext {
  readonly topology: Topology;
  readonly config: EnvironmentConfig;
  /** The release scenarios' rollout and its log (src/release); set by the runner for every run. */
  readonly release?: ReleaseRun;
}

/** One action at a fraction of the fault window (0 = its start). */
export interface FaultStep {
  readonly at: number;
  readonly what: string;
  run(ctx: FaultContext): Promise<void>;
}

export interface Scenario {
  readonly id: ScenarioId;
  readonly title: string;
  /** What is injected, in words (LOCAL_REHEARSALS for the failure modes). */
  readonly fault: string;
  /** Load as a share of capacity at `tMs`, given the fault window. */
  loadAt(tMs: number, window: { startMs: number; endMs: number }): number;
  readonly overLimitClient?: boolean;
  readonly retryingWrites?: boolean;
  readonly steps: readonly FaultStep[];
  /** Clears the fault at the end of the window. */
  clear(ctx: FaultContext): Promise<void>;
  /** Phase lengths of this scenario, when they are not the run's (the release scenarios'). @default - the run's timings */
  timings?(base: Timings, config: EnvironmentConfig): Timings;
}

const steady = () => STEADY_LOAD;
const nothing = async () => undefined;
const inWindow = (t: number, w: { startMs: number; endMs: number }) => t >= w.startMs && t < w.endMs;

/** Instances of the "lost AZ": the first AZ's share of the fleet. */
const lostAzInstances = (ctx: FaultContext) => ctx.topology.instances.slice(0, instancesPerAz(ctx.config));

async function killInstances(ctx: FaultContext, count: number): Promise<void> {
  await Promise.all(
    ctx.topology.instances.slice(0, count).map((i) => {
      i.killed = true;
      return i.service?.process.stop('SIGKILL', 1_000);
    }),
  );
}

/** PIDs of an instance's workers: its primary's children. */
export function workerPids(primaryPid: number): number[] {
  try {
    return readFileSync(`/proc/${primaryPid}/task/${primaryPid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Kills one worker of the first instance (SIGKILL): its primary must restart it while the instance serves. */
async function killWorker(ctx: FaultContext): Promise<void> {
  const instance = ctx.topology.instances[0]!;
  const [victim] = workerPids(instance.service!.process.pid);
  if (victim === undefined) throw new Error(`instance ${instance.name} has no worker to kill`);
  process.kill(victim, 'SIGKILL');
}

async function replaceKilled(ctx: FaultContext): Promise<void> {
  await Promise.all(
    ctx.topology.instances
      .filter((i) => i.killed)
      .map(async (i) => {
        await ctx.topology.startInstance(i);
        i.killed = false;
      }),
  );
}

/**
 * The bound the replica-lag scenario judges reads of `/api/*` by: that class's maxStalenessSeconds
 * (less its edge TTL when it is cacheable), in ms; the tightest class above 0 when none matches.
 */
export function apiStalenessBoundMs(config: EnvironmentConfig): number {
  const api = config.edge.freshness.find((c) => c.pathPattern === '/api/*');
  if (api) return Math.max(0, api.maxStalenessSeconds - (api.cacheable ? api.edgeTtlSeconds : 0)) * 1000;
  const bounds = config.edge.freshness.map((c) => c.maxStalenessSeconds).filter((b) => b > 0);
  return (bounds.length > 0 ? Math.min(...bounds) : 0) * 1000;
}

/**
 * Pauses or resumes the replica's replay (the replica-lag scenario). While the replica replays the
 * backlog of a pause, PostgreSQL cancels standby statements that conflict with it at once
 * (SQLSTATE 40001, "conflict with recovery": the standby delay has long run out), this one
 * included: it is tried again.
 */
async function replay(ctx: FaultContext, what: 'pause' | 'resume'): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const db = await ctx.topology.stack.postgres.admin(ctx.topology.stack.postgres.replica);
    db.on('error', () => undefined);
    try {
      await db.query(what === 'pause' ? 'SELECT pg_wal_replay_pause()' : 'SELECT pg_wal_replay_resume()');
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== '40001' || attempt >= 20) throw error;
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      await db.end().catch(() => undefined);
    }
  }
}

const SCENARIOS: Readonly<Record<string, Omit<Scenario, 'id' | 'fault'>>> = {
  [STEADY_STATE]: { title: 'Steady state at 70% of capacity', loadAt: steady, steps: [], clear: nothing },
  'traffic-spike': {
    title: 'Spike to 3x capacity',
    loadAt: (t, w) => (inWindow(t, w) ? SPIKE_LOAD : STEADY_LOAD),
    overLimitClient: true,
    steps: [],
    clear: nothing,
  },
  'instance-loss': {
    title: 'One instance killed',
    loadAt: steady,
    steps: [{ at: 0, what: 'kill -9 instance i1', run: (ctx) => killInstances(ctx, 1) }],
    // The replacement Auto Scaling would launch: it joins once HAProxy sees it healthy.
    clear: (ctx) => replaceKilled(ctx),
  },
  'worker-crash': {
    title: 'One worker process of one instance killed',
    loadAt: steady,
    steps: [{ at: 0, what: 'kill -9 one worker of instance i1', run: (ctx) => killWorker(ctx) }],
    // Nothing to clear: the instance's primary restarts the worker by itself.
    clear: nothing,
  },
  'replica-lag': {
    title: "The replica's replay paused past the tightest staleness bound",
    loadAt: steady,
    // The pause outlasts the tightest bound by 10 s: reads must move to the writer, not only wait.
    timings: (base, config) => ({ ...base, faultMs: Math.max(base.faultMs, apiStalenessBoundMs(config) + 10_000) }),
    steps: [{ at: 0, what: "pause the replica's replay (pg_wal_replay_pause)", run: (ctx) => replay(ctx, 'pause') }],
    clear: (ctx) => replay(ctx, 'resume'),
  },
  'az-loss': {
    title: "An AZ's share of the fleet and the replica lost",
    loadAt: steady,
    steps: [
      {
        at: 0,
        what: "kill -9 the first AZ's instances, crash the replica",
        run: async (ctx) => {
          await Promise.all([killInstances(ctx, lostAzInstances(ctx).length), ctx.topology.stack.postgres.replica!.crash()]);
        },
      },
    ],
    // The AZ comes back: its instances are replaced and the replica restarts and catches up.
    clear: async (ctx) => {
      await Promise.all([replaceKilled(ctx), ctx.topology.stack.postgres.replica!.start()]);
    },
  },
  'replica-loss': {
    title: 'Read replica stopped',
    loadAt: steady,
    steps: [{ at: 0, what: 'stop the replica', run: (ctx) => ctx.topology.stack.postgres.replica!.stop() }],
    clear: (ctx) => ctx.topology.stack.postgres.replica!.start(),
  },
  'cache-loss': {
    title: 'Cache frozen, then lost, then back empty',
    loadAt: steady,
    // Frozen first: SIGSTOP hangs only connections that exist (a client reconnecting to a frozen
    // server fails fast at connect), so the freeze comes while every connection is up.
    steps: [
      { at: 0, what: 'freeze redis-server (SIGSTOP)', run: async (ctx) => ctx.topology.stack.redis.freeze() },
      {
        at: 0.5,
        what: 'stop redis-server (SIGKILL: connections reset)',
        run: (ctx) => ctx.topology.stack.redis.process.stop('SIGKILL', 1_000),
      },
    ],
    // It comes back empty: the cold cache is part of the recovery.
    clear: (ctx) => ctx.topology.stack.redis.restart(),
  },
  'db-failover': {
    title: 'Writer crashed and restarted',
    loadAt: steady,
    steps: [{ at: 0, what: 'immediate shutdown of the writer', run: (ctx) => ctx.topology.stack.postgres.primary.crash() }],
    clear: (ctx) => ctx.topology.stack.postgres.primary.start(),
  },
  'dependency-latency': {
    title: 'Latency on the database path',
    loadAt: steady,
    steps: [{ at: 0, what: 'delay on in the TCP proxy', run: async (ctx) => ctx.topology.proxy.slow() }],
    clear: async (ctx) => ctx.topology.proxy.fast(),
  },
  'client-retries': {
    title: 'Clients retry every write after a timeout',
    loadAt: steady,
    retryingWrites: true,
    steps: [],
    clear: nothing,
  },
  ...releaseScenarios(steady),
};

/** The scenario of `id` (every id of SCENARIO_IDS has one). */
export function scenario(id: ScenarioId): Scenario {
  const s = SCENARIOS[id];
  if (!s) throw new Error(`no proving-ground scenario for ${id}`);
  const rehearsal = id === STEADY_STATE ? undefined : LOCAL_REHEARSALS[id];
  return { id, fault: rehearsal && rehearsal.scenario !== 'none' ? rehearsal.fault : 'none (the baseline)', ...s };
}

/** Scenarios this command implements, for the catalogue: every id of SCENARIO_IDS. */
export function implementedScenarios(): ScenarioId[] {
  return Object.keys(SCENARIOS) as ScenarioId[];
}

/** Whether the failure mode applies to the environment (a scenario of a mode that does not is skipped, with the reason). */
export function applicability(id: ScenarioId, config: EnvironmentConfig): { applies: boolean; reason: string } {
  if (id === STEADY_STATE) return { applies: true, reason: 'the baseline' };
  if (id === 'traffic-spike' && !localRateRule(config))
    return { applies: true, reason: 'waf.enabled is false: no per-client rate rule, no over-limit client' };
  return failureMode(id)!.applies(config);
}

export { SCENARIO_IDS };

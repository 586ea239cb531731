import type { EnvironmentConfig } from 'loadbearing/model';
import { scaledMs } from '../scale';
import type { FaultContext, Scenario, Timings } from '../scenarios';
import type { ReleaseFault } from './release-proxy';
import { emptyRolloutLog, LocalRollout, type RolloutLog } from './rollout';

/** The bad release of issue 25: it fails 30% of the requests it takes. */
export const BAD_RELEASE: ReleaseFault = { errorRate: 0.3, addedDelayMs: 0 };
/** The slow release: it adds 300 ms to every request. */
export const SLOW_RELEASE: ReleaseFault = { errorRate: 0, addedDelayMs: 300 };

/** Slack in the fault window beyond the alarms' detection bound: a new instance's start, and the revert's. */
export const RELEASE_WINDOW_SLACK_MS = 10_000;

/** A run's rollout: created by the runner for every run, started by a release scenario's step. */
export interface ReleaseRun {
  /** performance.now() of the run's start (set by the runner). */
  runStart: number;
  readonly log: RolloutLog;
  rollout?: LocalRollout;
}

export function newReleaseRun(): ReleaseRun {
  return { runStart: 0, log: emptyRolloutLog() };
}

/**
 * The fault window of a release scenario: long enough for the release alarms to fire on the
 * first checkpoint's instances (their detection bound, scaled), and for the revert; a release they
 * miss is still on its first checkpoint when the window ends (DS-3 keeps the checkpoint delay above
 * the detection bound), and is reverted then, failing the detection budget.
 */
export function releaseTimings(base: Timings, config: EnvironmentConfig): Timings {
  const r = config.delivery.releaseAlarms;
  return { ...base, faultMs: scaledMs((r.datapointsToAlarm + 1) * r.periodSeconds) + RELEASE_WINDOW_SLACK_MS };
}

async function rollOut(ctx: FaultContext, fault: ReleaseFault): Promise<void> {
  const run = ctx.release!;
  run.rollout = new LocalRollout(ctx.topology, ctx.config, fault, run.log, run.runStart);
  run.rollout.start();
}

async function stop(ctx: FaultContext): Promise<void> {
  await ctx.release?.rollout?.stop();
}

/** The two release scenarios, for the scenario table (src/scenarios.ts). */
export function releaseScenarios(loadAt: Scenario['loadAt']): Record<'bad-release' | 'slow-release', Omit<Scenario, 'id' | 'fault'>> {
  return {
    'bad-release': {
      title: 'A release that fails 30% of requests, rolled out and rolled back',
      loadAt,
      timings: releaseTimings,
      steps: [{ at: 0, what: 'roll out a release that fails 30% of requests', run: (ctx) => rollOut(ctx, BAD_RELEASE) }],
      clear: stop,
    },
    'slow-release': {
      title: 'A release that adds 300 ms, rolled out and rolled back',
      loadAt,
      timings: releaseTimings,
      steps: [{ at: 0, what: 'roll out a release that adds 300 ms to every request', run: (ctx) => rollOut(ctx, SLOW_RELEASE) }],
      clear: stop,
    },
  };
}

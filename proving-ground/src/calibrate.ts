import { calibrationNon2xxPercent, calibrationTargetMs, type Calibration } from './budgets';
import { percentileMs } from './load/histogram';
import { Recorder } from './load/recorder';
import { generatorFor, type RunContext } from './run-scenario';
import { localInstances } from './scale';
import { calibrationIntro, calibrationStepLine } from './report/console';
import { SPIKE_LOAD, STEADY_LOAD } from './scenarios';

export interface CalibrationStep {
  readonly rps: number;
  readonly p99Ms: number;
  readonly non2xxPercent: number;
  readonly generatorLagP99Ms: number;
  readonly within: boolean;
}

export interface CalibrationResult extends Calibration {
  readonly perInstanceRps: number;
  readonly non2xxPercent: number;
  readonly steps: readonly CalibrationStep[];
}

/** Ramp: first rate per instance (low enough that a busy machine still has a step within the target), growth per step, and at most this many steps. */
export const RAMP = { startPerInstance: 40, factor: 1.5, maxSteps: 12 } as const;

/**
 * Finds the capacity of the local fleet with an open-loop ramp at the scenario mix: fixed-rate
 * steps, each faster than the last, until p99 (from the planned send) passes the target or more
 * than the allowed share of answers are shed or errors, twice in a row; then one rate between
 * the last good and the first bad one. Capacity is the highest rate that stayed within both.
 */
export async function calibrate(ctx: RunContext): Promise<CalibrationResult> {
  const config = ctx.topology.config;
  const targetP99Ms = calibrationTargetMs(config);
  const non2xxPercent = calibrationNon2xxPercent(config);
  const steps: CalibrationStep[] = [];
  /** A judged step's place in the search: a ramp step, its repeat, or the one between the last good and the first bad rate (and its repeat). */
  type Role = 'warm-up' | 'ramp' | 'ramp-repeat' | 'between' | 'between-repeat';
  const nextAfter = (role: Role, rps: number, within: boolean): string => {
    if (role === 'ramp' || role === 'ramp-repeat')
      return within
        ? `next step ${Math.round(rps * RAMP.factor)} req/s`
        : role === 'ramp'
          ? 'repeating this rate once (one noisy step on a shared machine must not end the search)'
          : 'the capacity is below this rate';
    return within
      ? 'the capacity is this rate'
      : role === 'between'
        ? 'repeating this rate once'
        : 'the capacity is the last rate within the target';
  };
  ctx.progress(calibrationIntro(targetP99Ms, non2xxPercent, STEADY_LOAD, SPIKE_LOAD));
  const step = async (rps: number, role: Role): Promise<CalibrationStep> => {
    const judged = role !== 'warm-up';
    const generator = generatorFor(ctx, rps, `calibration-${Date.now().toString(36)}`);
    const stepMs = ctx.timings.calibrationStepMs;
    const recorder = new Recorder(stepMs, { faultStartMs: stepMs, faultEndMs: stepMs, endMs: stepMs });
    const stats = await generator.run({ durationMs: stepMs, rateAt: () => rps, signal: ctx.signal }, recorder);
    await generator.close();
    const c = recorder.phases.get('before')!;
    const p99Ms = Math.round(percentileMs(c.all, 99) * 10) / 10;
    const bad = c.counts.shed + c.counts.error;
    const result = {
      rps: Math.round(rps),
      p99Ms,
      non2xxPercent: Math.round((1000 * 100 * bad) / Math.max(1, c.counts.sent)) / 1000,
      generatorLagP99Ms: Math.round(stats.lagP99Ms),
      within: p99Ms <= targetP99Ms && (100 * bad) / Math.max(1, c.counts.sent) <= non2xxPercent,
    };
    if (judged) steps.push(result);
    ctx.progress(
      calibrationStepLine(result, {
        warmUp: !judged,
        targetP99Ms,
        non2xxPercent,
        next: judged ? nextAfter(role, rps, result.within) : undefined,
      }),
    );
    if (!ctx.signal.aborted) await new Promise((resolve) => setTimeout(resolve, 1_000));
    return result;
  };
  const n = localInstances(config);
  let rps = RAMP.startPerInstance * n;
  await step(rps, 'warm-up'); // connections, caches, JIT
  let good = 0;
  let bad = 0;
  for (let i = 0; i < RAMP.maxSteps && !ctx.signal.aborted; i++) {
    // A step over the target is repeated once: on a shared machine one noisy step must not end the ramp.
    const r = (await step(rps, 'ramp')).within ? { within: true } : await step(rps, 'ramp-repeat');
    if (!r.within) {
      bad = rps;
      break;
    }
    good = rps;
    rps *= RAMP.factor;
  }
  if (good > 0 && bad > 0 && !ctx.signal.aborted) {
    const mid = Math.sqrt(good * bad);
    if ((await step(mid, 'between')).within || (await step(mid, 'between-repeat')).within) good = mid;
  }
  if (good === 0)
    throw new Error(
      `calibration: even ${Math.round(RAMP.startPerInstance * n)} req/s broke the p99 target of ${targetP99Ms} ms; the machine is too busy to measure anything`,
    );
  return { capacityRps: Math.round(good), perInstanceRps: Math.round(good / n), targetP99Ms, non2xxPercent, steps };
}

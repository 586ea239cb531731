import type { Comparison } from '../budgets';
import type { CalibrationStep } from '../calibrate';
import type { RunMeasurement } from '../measurement';
import type { Timings } from '../scenarios';
import type { JudgedCheck } from '../verdict';
import type { AppUnderTest, ProveResults, ScenarioResult } from './results';

/**
 * What `prove` prints, as pure functions: the console tells the same story as results.md, in the
 * same words. Every number is in a named window (WINDOWS), and every judged value stands beside
 * its budget.
 */

/**
 * The windows of a run, by each request's planned send time. The console, results.md and the
 * checks' labels use these names.
 */
export const WINDOWS = {
  before: 'before the fault',
  fault: 'fault window',
  after: 'after the fault',
  run: 'whole run',
} as const;

/** A value with its unit, as results.md writes it. */
export function formatValue(v: number | null, unit: string): string {
  return v === null ? 'never' : `${v}${unit === '%' ? '%' : unit === 'count' || unit === 'targets' ? '' : ` ${unit}`}`;
}

/** The relation that broke a bound: `<=` broken is `>`. */
const BROKEN: Readonly<Record<Comparison, string>> = { '<=': '>', '<': '>=', '>=': '<', '>': '<=', '=': '!=' };

/**
 * One judged check: its label, the measured median, and the budget beside it, e.g.
 * `p99 of shed responses during the spike: 62 ms > 50 ms budget`. A broken check shows the
 * relation that broke it; a held one, the budget's own.
 */
export function checkLine(c: JudgedCheck): string {
  // Never happened within the run (e.g. never recovered): no relation to show, only the budget.
  if (c.median === null) return `${c.label}: never; budget ${c.comparison} ${formatValue(c.limit, c.unit)}`;
  const relation = c.pass ? c.comparison : BROKEN[c.comparison];
  const runs = c.runs.length > 1 ? ` (median of ${c.runs.length} runs; ${formatValue(c.min, c.unit)}-${formatValue(c.max, c.unit)})` : '';
  return `${c.label}: ${formatValue(c.median, c.unit)} ${relation} ${formatValue(c.limit, c.unit)} budget${runs}`;
}

/** A scenario's verdict line, then one line per check (the failing ones first, marked FAIL). */
export function scenarioLines(s: ScenarioResult): string[] {
  if (!s.applies) return [`skip  ${s.id}: ${s.reason}`];
  const failing = s.checks.filter((c) => !c.pass);
  const head = `${s.pass ? 'pass' : 'FAIL'}  ${s.id}: ${s.title}${failing.length > 0 ? ` (${failing.length} of ${s.checks.length} checks broke)` : ''}`;
  return [
    head,
    ...failing.map((c) => `        FAIL  ${checkLine(c)}`),
    ...s.checks.filter((c) => c.pass).map((c) => `        ok    ${checkLine(c)}`),
  ];
}

/** The app the run measures and its request mix, in one line. */
export function appLine(app: AppUnderTest): string {
  return app.kind === 'team-artifact'
    ? `app: your app ${app.artifact} (runtime ${app.runtime}, health path ${app.healthPath}); request mix: ${app.mix}, from ${app.mixSource}`
    : `app: the reference service; request mix: ${app.mix}`;
}

/** The windows of a run in seconds, for the console and results.md. */
export function windowsLine(t: Timings): string {
  const s = (ms: number) => Math.round(ms / 100) / 10;
  const end = t.beforeMs + t.faultMs + t.afterMs;
  return `windows of each run, by planned send time: ${WINDOWS.before} 0-${s(t.beforeMs)} s, ${WINDOWS.fault} ${s(t.beforeMs)}-${s(t.beforeMs + t.faultMs)} s, ${WINDOWS.after} ${s(t.beforeMs + t.faultMs)}-${s(end)} s, ${WINDOWS.run} 0-${s(end)} s (the release scenarios' fault window is as long as their alarms need); steady-state has no fault: it is judged on the ${WINDOWS.run}`;
}

/** What calibration does, printed before its first step. */
export function calibrationIntro(targetP99Ms: number, non2xxPercent: number, steadyShare: number, spikeShare: number): string {
  return `calibration: finding the fleet's capacity, the highest open-loop rate with p99 <= ${targetP99Ms} ms and <= ${non2xxPercent}% shed or errors, by steps of rising rate; the scenarios then run at ${Math.round(steadyShare * 100)}% of it (the spike at ${spikeShare}x). A step over the target (twice in a row) ends the search: that is not a failure`;
}

/**
 * One calibration step. The warm-up is not judged (it opens connections, fills caches, warms the
 * JIT); a judged step says whether it stayed within the target, and what comes next.
 */
export function calibrationStepLine(
  step: Pick<CalibrationStep, 'rps' | 'p99Ms' | 'non2xxPercent' | 'within'>,
  o: { readonly warmUp: boolean; readonly targetP99Ms: number; readonly non2xxPercent: number; readonly next?: string },
): string {
  const measured = `${step.rps} req/s: p99 ${step.p99Ms} ms, ${step.non2xxPercent}% shed or errors`;
  if (o.warmUp) return `calibration warm-up (not judged: opens connections, fills caches, warms the JIT) at ${measured}`;
  const over = [
    step.p99Ms > o.targetP99Ms ? `p99 ${step.p99Ms} ms > ${o.targetP99Ms} ms target` : undefined,
    step.non2xxPercent > o.non2xxPercent ? `${step.non2xxPercent}% > ${o.non2xxPercent}% shed or errors` : undefined,
  ].filter(Boolean);
  const verdict = step.within
    ? `within the target (p99 ${step.p99Ms} ms <= ${o.targetP99Ms} ms, ${step.non2xxPercent}% <= ${o.non2xxPercent}% shed or errors)`
    : `over the target (${over.join(', ')})`;
  return `calibration step at ${measured}: ${verdict}${o.next ? `; ${o.next}` : ''}`;
}

/** A scenario run's numbers, each in its named window (steady-state: the whole run, there is no fault). */
export function runLine(
  id: string,
  run: number,
  m: Pick<RunMeasurement, 'phases' | 'run' | 'writes'>,
  o: { readonly writes: boolean },
): string {
  const latency =
    id === 'steady-state'
      ? `p99 ${m.run.all.p99Ms} ms (${WINDOWS.run})`
      : `p99 ${m.phases.fault.all.p99Ms} ms (${WINDOWS.fault}), ${m.phases.before.all.p99Ms} ms (${WINDOWS.before})`;
  const counts = `errors ${m.run.errorPercent}%, shed ${m.run.shedPercent}%, 429s ${m.run.counts.rateLimited} (${WINDOWS.run})`;
  const writes = o.writes ? `; writes lost ${m.writes.lost}, duplicated ${m.writes.duplicated}` : '';
  return `scenario ${id} run ${run}: ${latency}; ${counts}${writes}`;
}

/** The end of the output: the verdict, and where results.md is. */
export function summaryLines(r: ProveResults, outDir: string, resultsFile: string): string[] {
  const skipped = r.scenarios.filter((s) => !s.applies).length;
  const broken = r.scenarios.filter((s) => s.applies && !s.pass).map((s) => s.id);
  return [
    `capacity ${r.calibration.capacityRps} req/s (${r.calibration.perInstanceRps} per instance); ${r.pass ? 'every budget held' : `a budget broke in ${broken.join(', ')}`}${skipped > 0 ? `; ${skipped} scenario${skipped === 1 ? '' : 's'} did not apply` : ''} (${Math.round(r.wallSeconds.total)} s)`,
    `results: ${resultsFile} (charts and results.json in ${outDir})`,
  ];
}

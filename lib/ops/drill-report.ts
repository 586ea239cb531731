import type { FailureModeId } from '../model/failure-modes/failure-mode';
import { ExitCode, writeLine } from './command.js';
import type { DrillRun } from './drill-run.js';
import type { DrillVerdict, DrillWatch } from './drill-watch.js';
import { formatDuration } from './duration.js';

/** `drill --json` output of a drill that ran (exit 0 or 1). */
export interface DrillJson {
  environment: string;
  stack: string;
  mode: FailureModeId;
  drill: string;
  zone: string | null;
  templateId: string;
  experimentId: string;
  result: 'pass' | 'fail';
  exitCode: number;
  /** Why it failed, in words; empty on pass. */
  failures: string[];
  experiment: { status: string; reason: string | null };
  timeToDetectSeconds: number | null;
  timeToRecoverSeconds: number | null;
  detected: boolean;
  recovered: boolean;
  stopConditionFired: boolean;
  expectedAlarmsFired: string[];
  unexpectedAlarms: string[];
  /** Stop alarms of other drills that fired: their budgets overlap this mode's (not a finding). */
  otherDrillAlarms: string[];
  detectWithinSeconds: number;
  recoverWithinSeconds: number;
  elapsedSeconds: number;
  checks: number;
}

/** The report of a drill that ran, as text or `--json`; returns the exit code (0 pass, 1 fail). */
export function reportDrill(
  run: DrillRun,
  watch: DrillWatch,
  verdict: DrillVerdict,
  meta: { templateId: string; experimentId: string; checks: number; elapsedMs: number },
): number {
  const { plan } = run;
  const r = watch.result(verdict);
  const failures = [
    ...(verdict.detected ? [] : [`no expected alarm (${plan.expectedAlarms.join(', ')}) fired: the failure went undetected`]),
    ...(verdict.recovered
      ? []
      : [`the stack did not recover: alarms still in ALARM ${formatDuration(r.recoverWithinSeconds * 1000)} after the fault ended`]),
    ...(r.stopConditionFired ? [`the stop condition fired (${plan.stopAlarm}): impact beyond the budget`] : []),
  ];
  const exitCode = failures.length === 0 ? ExitCode.Ok : ExitCode.Alarm;
  const json: DrillJson = {
    environment: plan.environment,
    stack: plan.stack,
    mode: plan.mode,
    drill: plan.drill,
    zone: plan.zone,
    templateId: meta.templateId,
    experimentId: meta.experimentId,
    result: exitCode === ExitCode.Ok ? 'pass' : 'fail',
    exitCode,
    failures,
    experiment: watch.experimentState,
    timeToDetectSeconds: r.timeToDetectSeconds,
    timeToRecoverSeconds: r.timeToRecoverSeconds,
    detected: verdict.detected,
    recovered: verdict.recovered,
    stopConditionFired: r.stopConditionFired,
    expectedAlarmsFired: r.expectedAlarmsFired,
    unexpectedAlarms: r.unexpectedAlarms,
    otherDrillAlarms: r.otherDrillAlarms,
    detectWithinSeconds: plan.detectWithinSeconds,
    recoverWithinSeconds: r.recoverWithinSeconds,
    elapsedSeconds: Math.round(meta.elapsedMs / 1000),
    checks: meta.checks,
  };
  if (run.json) {
    writeLine(run.stdout, JSON.stringify(json, null, 2));
    return exitCode;
  }
  const secs = (s: number | null, what: string) => (s === null ? what : formatDuration(s * 1000));
  writeLine(
    run.stdout,
    `${exitCode === ExitCode.Ok ? 'PASS' : 'FAIL'}: drill ${plan.drill} on ${plan.stack}${plan.zone ? ` in ${plan.zone}` : ''} (experiment ${meta.experimentId}, ${json.experiment.status})`,
  );
  writeLine(
    run.stdout,
    `  time to detect:   ${plan.expectedAlarms.length > 0 ? secs(r.timeToDetectSeconds, 'not detected') : 'no alarm expected'}${r.expectedAlarmsFired.length > 0 ? ` (${r.expectedAlarmsFired.join(', ')})` : ''}`,
  );
  writeLine(
    run.stdout,
    `  time to recover:  ${secs(r.timeToRecoverSeconds, `not within ${formatDuration(r.recoverWithinSeconds * 1000)}`)} after the fault ended (budget ${plan.budget.recoverySeconds} s plus the alarms' own window)`,
  );
  writeLine(run.stdout, `  stop condition:   ${r.stopConditionFired ? `FIRED (${plan.stopAlarm})` : 'did not fire'}`);
  writeLine(run.stdout, `  unexpected:       ${r.unexpectedAlarms.length > 0 ? r.unexpectedAlarms.join(', ') : 'none'}`);
  if (r.otherDrillAlarms.length > 0)
    writeLine(run.stdout, `  note: stop alarms of other drills fired (their budgets overlap this one): ${r.otherDrillAlarms.join(', ')}`);
  for (const f of failures) writeLine(run.stdout, `  failed: ${f}`);
  return exitCode;
}

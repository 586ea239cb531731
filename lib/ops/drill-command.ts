import { randomUUID } from 'node:crypto';
import type { EnvironmentConfig } from '../model/config/environment-schema';
import type * as FailureModesModule from '../model/failure-modes';
import type { DrillTemplate, DrillValue } from '../model/failure-modes/drills';
import { alarmKeyMatches, type FailureModeId, type ImpactBudget } from '../model/failure-modes/failure-mode';
import { discoverAlarms, type OpsAlarm } from './alarm-discovery.js';
import { parseAlarmName } from './alarm-naming.js';
import { CloudWatchGateway } from './cloudwatch-gateway.js';
import { CONNECTION_TIMEOUT_MS, REQUEST_TIMEOUT_MS } from './cli-timeouts.js';
import type { Clock } from './clock.js';
import { ExitCode, writeLine, type Command, type LocalIo, type OptionValues, type OutputStream } from './command.js';
import { startDeadline } from './deadline.js';
import { formatDuration, parseDuration } from './duration.js';
import { ENVIRONMENT_OPTIONS, loadEnvironment } from './environment-option.js';
import { DeadlineExceededError, describeError, OperatorError, UsageError } from './errors.js';
import { FisGateway } from './fis-gateway.js';
import { DURATION_HELP } from './help.js';
import { ProgressLine } from './progress-line.js';
import { PLAIN_PROGRESS_EVERY_MS } from './gate-command.js';

export const DRILL_DEFAULT_INTERVAL_MS = 30_000;
/** Time to find the template, check the alarms and start the experiment, in the default wall-clock bound. */
const SETUP_MS = 5 * 60_000;
/** How long a drill that hit its wall-clock bound may take to stop its experiment. */
const STOP_TIMEOUT_MS = 30_000;

/** What `loadbearing drill` will do, from config alone (`--dry-run` prints it). */
export interface DrillPlan {
  environment: string;
  stage: string;
  stack: string;
  region: string;
  mode: FailureModeId;
  drill: string;
  zone: string | null;
  /** Other AZs that have a template of this drill (`--zone`). */
  otherZones: string[];
  /** Tags that identify the experiment template. */
  findBy: Record<string, string>;
  description: string;
  targets: { name: string; resourceType: string; selectionMode: string; what: string }[];
  actions: { name: string; actionId: string; description: string; parameters: Record<string, string>; startAfter: string[] }[];
  faultSeconds: number;
  /** `sustained`: the stop condition can stop the experiment; `one-shot`: the fault is over first, and this command judges it by the stop alarm. */
  fault: 'sustained' | 'one-shot';
  /** What the template leaves out in its AZ (e.g. no cache node there). */
  notes: string[];
  expectedAlarms: string[];
  stopAlarm: string;
  stopRules: string[];
  budget: ImpactBudget;
  /** An expected alarm must fire within this long after the start (the fault, then the alarms' default window). */
  detectWithinSeconds: number;
  /** Every alarm must be out of ALARM this long after the fault ends: the budget's recovery plus the window of the slowest alarm that fired (known at run time; the plan shows the default window). */
  recoverWithinSeconds: number;
  intervalSeconds: number;
  /** The whole run gives up after this long (--timeout). */
  boundSeconds: number;
  /** Prod stacks run only with --confirm <stack>. */
  needsConfirmation: boolean;
}

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

interface DrillOptions {
  readonly zone?: string;
  readonly intervalMs: number;
  readonly timeoutMs?: number;
}

function str(value: OptionValues[string]): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** A template value as the plan shows it: literals as they are, the stack's own resources by name. */
function show(v: DrillValue): string {
  if (typeof v === 'string') return v;
  if ('json' in v) return JSON.stringify(Object.fromEntries(Object.entries(v.json).map(([k, x]) => [k, show(x)])));
  switch (v.ref) {
    case 'fleet-group-name':
      return '<the fleet Auto Scaling group name>';
    case 'app-subnet-arn':
      return `<the app subnet in ${v.zone}>`;
    case 'db-writer-arn':
      return '<the DB writer>';
    case 'db-replica-arn':
      return `<DB read replica ${v.replica}>`;
    case 'db-endpoints':
      return '<the DB endpoints the app uses>';
    case 'cache-failover-document-arn':
      return "<the stack's TestFailover automation>";
    case 'cache-failover-role-arn':
      return "<the automation's role>";
  }
}

/** The plan of a drill in an environment. @throws UsageError when there is no such drill there. */
export function drillPlan(fm: typeof FailureModesModule, env: EnvironmentConfig, mode: FailureModeId, options: DrillOptions): DrillPlan {
  const definition = fm.DRILLS[mode];
  if (fm.isNoDrill(definition)) throw new UsageError(`failure mode ${mode} has no drill: ${definition.reason}`);
  if (!env.failureDrills.enabled) {
    throw new UsageError(
      `environment ${env.name} has no failure drills (failureDrills.enabled is false): set it in the config and deploy, or pick an environment that has them`,
    );
  }
  const applicability = fm.drillApplicability(mode, env);
  if (!applicability.applies) throw new UsageError(`no ${definition.drill} drill in ${env.name}: ${applicability.reason}`);
  const templates = fm.drillTemplates(env).filter((t) => t.mode === mode);
  const zones = templates.flatMap((t) => (t.zone ? [t.zone] : []));
  let template: DrillTemplate;
  if (zones.length === 0) {
    if (options.zone) throw new UsageError(`--zone does not apply to the ${definition.drill} drill: it is not per AZ`);
    template = templates[0]!;
  } else {
    const zone = options.zone ?? zones[0]!;
    const found = templates.find((t) => t.zone === zone);
    if (!found) throw new UsageError(`no ${definition.drill} template for --zone ${zone} in ${env.name} (zones: ${zones.join(', ')})`);
    template = found;
  }
  const modeDef = fm.FAILURE_MODES.get(mode)!;
  const budget = modeDef.impactBudget(env);
  const window = env.alarms.evaluationPeriods * env.alarms.periodSeconds;
  const intervalSeconds = options.intervalMs / 1000;
  const detectWithinSeconds = Math.max(template.faultSeconds, 60) + window;
  const recoverWithinSeconds = budget.recoverySeconds + window + intervalSeconds;
  const defaultBound = SETUP_MS / 1000 + template.faultSeconds + detectWithinSeconds + recoverWithinSeconds + 2 * intervalSeconds;
  return {
    environment: env.name,
    stage: env.stage,
    stack: env.stackName,
    region: env.region,
    mode,
    drill: template.drill,
    zone: template.zone ?? null,
    otherZones: zones.filter((z) => z !== template.zone),
    findBy: Object.fromEntries(Object.entries(template.tags).filter(([k]) => k.startsWith('loadbearing:'))),
    description: template.description,
    targets: Object.entries(template.targets).map(([name, t]) => ({
      name,
      resourceType: t.resourceType,
      selectionMode: t.selectionMode,
      what: t.what,
    })),
    actions: Object.entries(template.actions).map(([name, a]) => ({
      name,
      actionId: a.actionId,
      description: a.description,
      parameters: Object.fromEntries(Object.entries(a.parameters ?? {}).map(([k, v]) => [k, show(v)])),
      startAfter: [...(a.startAfter ?? [])],
    })),
    faultSeconds: template.faultSeconds,
    fault: template.fault,
    notes: [...(template.notes ?? [])],
    expectedAlarms: [...modeDef.expectedAlarms],
    stopAlarm: template.stopAlarmName,
    stopRules: fm.stopRules(modeDef, env).map((r) => r.description),
    budget,
    detectWithinSeconds,
    recoverWithinSeconds,
    intervalSeconds,
    boundSeconds: options.timeoutMs !== undefined ? options.timeoutMs / 1000 : defaultBound,
    needsConfirmation: env.stage === 'prod',
  };
}

/** The plan in words (`--dry-run`). */
export function renderPlan(plan: DrillPlan): string {
  const lines = [
    `drill ${plan.drill} on ${plan.stack} (${plan.environment}, ${plan.region})${plan.zone ? ` in ${plan.zone}` : ''}: plan, nothing started`,
    '',
    `Template: the FIS experiment template tagged ${Object.entries(plan.findBy)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')}`,
    `  ${plan.description}`,
    ...(plan.otherZones.length > 0 ? [`  other AZs: ${plan.otherZones.join(', ')} (choose with --zone)`] : []),
    '',
    'Targets:',
    ...plan.targets.map((t) => `  ${t.name}: ${t.resourceType}, ${t.what}`),
    ...(plan.targets.length === 0 ? ["  (none: the action runs the stack's automation)"] : []),
    '',
    'Actions (at the start unless "after"):',
    ...plan.actions.map(
      (a) =>
        `  ${a.name}: ${a.actionId}${a.startAfter.length > 0 ? ` after ${a.startAfter.join(', ')}` : ''}: ${a.description}` +
        (Object.keys(a.parameters).length > 0
          ? `\n    ${Object.entries(a.parameters)
              .map(([k, v]) => `${k}=${v}`)
              .join(', ')}`
          : ''),
    ),
    ...plan.notes.map((n) => `  not in this AZ: ${n}`),
    '',
    `Fault: ${plan.fault === 'sustained' ? `${formatDuration(plan.faultSeconds * 1000)}` : 'one shot'}`,
    `Stop condition: ${plan.stopAlarm} in ALARM, when ${plan.stopRules.join('; or ')}. ${
      plan.fault === 'sustained'
        ? 'FIS then stops the experiment and the drill fails.'
        : 'The fault is over before FIS could stop anything: this command judges it by the same alarm, and the drill fails.'
    }`,
    `Budget: 5xx <= ${plan.budget.max5xxRatePercent}%, recovery <= ${plan.budget.recoverySeconds} s${plan.budget.minHealthyHosts !== undefined ? `, healthy hosts >= ${plan.budget.minHealthyHosts}` : ''}${plan.budget.maxP99Seconds !== undefined ? `, p99 <= ${plan.budget.maxP99Seconds} s` : ''}. ${plan.budget.derivation}`,
    `Detection: ${plan.expectedAlarms.length > 0 ? `one of ${plan.expectedAlarms.join(', ')} in ALARM within ${formatDuration(plan.detectWithinSeconds * 1000)} of the start` : 'no alarm is expected (nothing a customer sees)'}`,
    `Recovery: every alarm out of ALARM within ${formatDuration(plan.recoverWithinSeconds * 1000)} of the fault's end (the budget's recovery plus the slowest fired alarm's window)`,
    '',
    'Steps: 1. find the template by its tags; 2. refuse unless no alarm of the stack is in ALARM;',
    `  3. start the experiment; 4. check the alarms and the experiment every ${formatDuration(plan.intervalSeconds * 1000)} until the stack recovers;`,
    `  5. report time to detect, time to recover, whether the stop condition fired and unexpected alarms. Gives up after ${formatDuration(plan.boundSeconds * 1000)} (stopping the experiment).`,
    ...(plan.needsConfirmation ? ['', `A prod stack: runs only with --confirm ${plan.stack}.`] : []),
  ];
  return `${lines.join('\n')}\n`;
}

interface DrillRun {
  readonly plan: DrillPlan;
  readonly fis: FisGateway;
  readonly cw: CloudWatchGateway;
  readonly clock: Clock;
  readonly signal: AbortSignal;
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly json: boolean;
}

const ENDED = new Set(['completed', 'stopped', 'failed', 'cancelled']);

/** Runs the drill: finds its template, checks the alarms, starts the experiment, watches it. Resolves to the exit code. */
export async function runDrill(run: DrillRun): Promise<number> {
  const { plan, fis, cw, clock, signal } = run;
  const prefix = `${plan.stack}-`;
  const text = run.json ? run.stderr : run.stdout;

  const templates = await fis.listTemplates();
  const matching = templates.filter((t) => Object.entries(plan.findBy).every(([k, v]) => t.tags?.[k] === v));
  if (matching.length === 0) {
    throw new OperatorError(
      `no FIS experiment template tagged ${Object.entries(plan.findBy)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')} in ${plan.region}: deploy ${plan.stack} with failureDrills.enabled (or check --region / --profile)`,
    );
  }
  if (matching.length > 1)
    throw new OperatorError(
      `${matching.length} FIS experiment templates carry the tags of this drill (${matching.map((t) => t.id).join(', ')}): delete the extra ones`,
    );
  const templateId = matching[0]!.id!;

  const before = await discoverAlarms(cw, prefix);
  const alarming = before.filter((a) => a.state === 'ALARM');
  if (alarming.length > 0) {
    throw new OperatorError(
      `refusing to start: ${alarming.length} alarm(s) of ${plan.stack} in ALARM (${alarming.map((a) => a.name).join(', ')}); a drill starts from a healthy stack (see: loadbearing status --stack ${plan.stack})`,
    );
  }

  writeLine(
    text,
    `drill ${plan.drill} on ${plan.stack}${plan.zone ? ` in ${plan.zone}` : ''}: starting the experiment of template ${templateId}`,
  );
  const experiment = await fis.startExperiment(templateId, randomUUID(), {
    'loadbearing:stack': plan.stack,
    'loadbearing:drill': plan.mode,
  });
  const experimentId = experiment.id!;
  const startedAt = clock.now();
  const watch = new DrillWatch(plan, prefix, startedAt);
  const progress = new ProgressLine(run.stderr, clock, PLAIN_PROGRESS_EVERY_MS);
  let ended = false;
  try {
    for (let checks = 1; ; checks++) {
      const alarms = await discoverAlarms(cw, prefix);
      const now = clock.now();
      let state = watch.experimentState;
      if (!ended) {
        const current = await fis.getExperiment(experimentId);
        state = { status: current.state?.status ?? 'unknown', reason: current.state?.reason ?? null };
        if (ENDED.has(state.status)) {
          ended = true;
          watch.ended(current.endTime ? Math.min(current.endTime.getTime(), now) : now, state);
        } else watch.experimentState = state;
      }
      watch.observe(alarms, now);
      if (state.status === 'failed') {
        progress.clear();
        throw new OperatorError(
          `the experiment ${experimentId} failed: ${state.reason ?? 'no reason given'} (see its log group and: aws fis get-experiment --id ${experimentId}); the drill is inconclusive`,
        );
      }
      if (state.status === 'stopped' && !watch.stoppedByItsCondition(state.reason)) {
        // The alarms were read just before the experiment: read them once more before calling the stop external.
        watch.observe(await discoverAlarms(cw, prefix), clock.now());
        if (!watch.stoppedByItsCondition(state.reason)) {
          progress.clear();
          throw new OperatorError(
            `the experiment ${experimentId} was stopped, but not by its stop condition (${plan.stopAlarm} never in ALARM; FIS says: ${state.reason ?? 'no reason given'}): someone stopped it by hand or from another tool; the drill is inconclusive (see: aws fis get-experiment --id ${experimentId})`,
          );
        }
      }
      const verdict = watch.verdict(now);
      if (verdict) {
        progress.clear();
        return finish(run, watch, verdict, { templateId, experimentId, checks, elapsedMs: now - startedAt });
      }
      const nextAt = startedAt + checks * plan.intervalSeconds * 1000;
      progress.update(watch.progress(now, nextAt));
      await clock.sleep(Math.max(0, nextAt - clock.now()), signal);
    }
  } catch (err) {
    progress.clear();
    if (!ended) await stopQuietly(fis, experimentId, run.stderr);
    if (err instanceof DeadlineExceededError || (signal.aborted && signal.reason === err)) {
      throw new OperatorError(
        `gave up after ${formatDuration(plan.boundSeconds * 1000)} (the drill's wall-clock bound; raise it with --timeout): experiment ${experimentId} ${ended ? 'had ended' : 'was stopped'}, the stack had ${watch.recoveredText()}`,
      );
    }
    throw err;
  }
}

async function stopQuietly(fis: FisGateway, id: string, stderr: OutputStream): Promise<void> {
  const deadline = startDeadline(STOP_TIMEOUT_MS, () => new Error('stop timed out'));
  try {
    await fis.stopExperiment(id, deadline.signal);
    writeLine(stderr, `stopped experiment ${id}`);
  } catch (err) {
    writeLine(stderr, `could not stop experiment ${id} (${describeError(err, 'FIS')}): stop it with: aws fis stop-experiment --id ${id}`);
  } finally {
    deadline.dispose();
  }
}

interface Verdict {
  readonly detected: boolean;
  readonly recovered: boolean;
}

/** What a drill has seen so far, check by check. */
class DrillWatch {
  experimentState: { status: string; reason: string | null } = { status: 'pending', reason: null };
  private endedAt?: number;
  private readonly firstAlarm = new Map<string, number>();
  private readonly alarmWindows = new Map<string, number>();
  private detectedAt?: number;
  private recoveredAt?: number;
  private stopFired = false;
  private current: OpsAlarm[] = [];

  constructor(
    private readonly plan: DrillPlan,
    private readonly prefix: string,
    private readonly startedAt: number,
  ) {}

  private key(alarm: OpsAlarm): string {
    return alarm.name.startsWith(this.prefix) ? alarm.name.slice(this.prefix.length) : alarm.name;
  }

  /** Alarms of this drill's stop condition: the stop alarm and its members. */
  private isOwnStop(alarm: OpsAlarm): boolean {
    return alarm.component === 'drill' && (alarm.signal === `${this.plan.mode}-stop` || alarm.signal.startsWith(`${this.plan.mode}-`));
  }

  private isOtherDrill(alarm: OpsAlarm): boolean {
    return alarm.component === 'drill' && !this.isOwnStop(alarm);
  }

  private isExpected(alarm: OpsAlarm, matches: (pattern: string, key: string) => boolean): boolean {
    const key = this.key(alarm);
    if (this.plan.expectedAlarms.some((p) => matches(p, key))) return true;
    // A cause composite (`<component>-health`) fires with any alarm of its component.
    const { component, signal } = parseAlarmName(alarm.name, this.prefix);
    return signal === 'health' && component !== 'service' && this.plan.expectedAlarms.some((p) => p.startsWith(`${component}-`));
  }

  ended(at: number, state: { status: string; reason: string | null }): void {
    this.endedAt = at;
    this.experimentState = state;
  }

  /**
   * Whether a stopped experiment was stopped by its stop condition: one of the drill's stop alarms
   * was seen in ALARM, or FIS's reason says so. The API documents the reason only as "the reason
   * for the state" (https://docs.aws.amazon.com/fis/latest/APIReference/API_ExperimentState.html),
   * not its wording, so the alarm is the evidence and the reason a fallback (StopExperiment by
   * hand answers "Stopping Experiment.": https://awscli.amazonaws.com/v2/documentation/api/2.7.12/reference/fis/stop-experiment.html).
   */
  stoppedByItsCondition(reason: string | null): boolean {
    if (!this.stopFired && reason && /stop condition/i.test(reason)) this.stopFired = true;
    return this.stopFired;
  }

  observe(alarms: readonly OpsAlarm[], now: number): void {
    this.current = [...alarms];
    for (const alarm of alarms) {
      if (alarm.state !== 'ALARM') continue;
      const since = alarm.stateUpdatedAt && alarm.stateUpdatedAt.getTime() >= this.startedAt ? alarm.stateUpdatedAt.getTime() : now;
      if (!this.firstAlarm.has(alarm.name)) this.firstAlarm.set(alarm.name, Math.min(since, now));
      if (alarm.windowSeconds) this.alarmWindows.set(alarm.name, alarm.windowSeconds);
      if (this.isOwnStop(alarm)) this.stopFired = true;
      if (this.isExpected(alarm, alarmKeyMatches) && this.detectedAt === undefined) this.detectedAt = this.firstAlarm.get(alarm.name);
    }
    const clear = this.clear();
    if (this.endedAt !== undefined && clear && this.recoveredAt === undefined) this.recoveredAt = now;
    if (!clear) this.recoveredAt = undefined;
  }

  private clear(): boolean {
    return !this.current.some((a) => a.state === 'ALARM' && !this.isOtherDrill(a));
  }

  /** How long the stack may take to come back: the budget plus the window of the slowest alarm that fired. */
  recoverWithinMs(): number {
    const windows = [...this.alarmWindows.values()];
    const slowest =
      windows.length > 0
        ? Math.max(...windows)
        : this.plan.recoverWithinSeconds - this.plan.budget.recoverySeconds - this.plan.intervalSeconds;
    return (this.plan.budget.recoverySeconds + slowest + this.plan.intervalSeconds) * 1000;
  }

  /** A verdict once the experiment has ended and the stack recovered (or the time to recover ran out). */
  verdict(now: number): Verdict | undefined {
    if (this.endedAt === undefined) return undefined;
    const expectsDetection = this.plan.expectedAlarms.length > 0;
    const detected = !expectsDetection || this.detectedAt !== undefined;
    if (this.recoveredAt !== undefined) {
      // Alarms take minutes to fire: a quiet stack right after the fault is not yet "no detection".
      if (detected || now - this.startedAt >= this.plan.detectWithinSeconds * 1000) return { detected, recovered: true };
      return undefined;
    }
    if (now - this.endedAt > this.recoverWithinMs()) return { detected, recovered: false };
    return undefined;
  }

  result(verdict: Verdict) {
    const fired = [...this.firstAlarm.keys()];
    const byName = new Map(this.current.map((a) => [a.name, a]));
    const expected = fired.filter((n) => {
      const a = byName.get(n);
      return a ? this.isExpected(a, alarmKeyMatches) : false;
    });
    const other = fired.filter((n) => byName.get(n)?.component === 'drill' && !this.isOwnStop(byName.get(n)!));
    const unexpected = fired.filter(
      (n) => !expected.includes(n) && !other.includes(n) && !(byName.get(n) && this.isOwnStop(byName.get(n)!)),
    );
    return {
      timeToDetectSeconds: this.detectedAt !== undefined ? Math.round((this.detectedAt - this.startedAt) / 1000) : null,
      timeToRecoverSeconds:
        verdict.recovered && this.recoveredAt !== undefined && this.endedAt !== undefined
          ? Math.round((this.recoveredAt - this.endedAt) / 1000)
          : null,
      stopConditionFired: this.stopFired,
      expectedAlarmsFired: expected,
      unexpectedAlarms: unexpected,
      otherDrillAlarms: other,
      recoverWithinSeconds: Math.round(this.recoverWithinMs() / 1000),
    };
  }

  recoveredText(): string {
    return this.recoveredAt !== undefined ? 'recovered' : 'not recovered yet';
  }

  progress(now: number, nextAt: number): string {
    const inAlarm = this.current.filter((a) => a.state === 'ALARM' && !this.isOtherDrill(a));
    const detection =
      this.detectedAt !== undefined
        ? `detected after ${formatDuration(this.detectedAt - this.startedAt)}`
        : this.plan.expectedAlarms.length > 0
          ? 'not detected yet'
          : 'no detection expected';
    return (
      `drill ${this.plan.drill}: ${formatDuration(now - this.startedAt)}, experiment ${this.experimentState.status}, ${inAlarm.length} alarm(s) in ALARM, ${detection}, ` +
      `stop condition ${this.stopFired ? 'FIRED' : 'not fired'}; next check in ${formatDuration(Math.max(0, nextAt - now))}`
    );
  }
}

function finish(
  run: DrillRun,
  watch: DrillWatch,
  verdict: Verdict,
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

function parseDrillOptions(values: OptionValues): DrillOptions {
  const interval = str(values.interval);
  const timeout = str(values.timeout);
  const intervalMs = interval ? parseDuration(interval, '--interval') : DRILL_DEFAULT_INTERVAL_MS;
  if (intervalMs < 1000) throw new UsageError(`--interval (${interval}) must be at least 1s`);
  return { zone: str(values.zone), intervalMs, ...(timeout ? { timeoutMs: parseDuration(timeout, '--timeout') } : {}) };
}

async function drill(values: OptionValues, io: LocalIo): Promise<number> {
  const { stdout, stderr } = io;
  const fm: typeof FailureModesModule = await import('../model/failure-modes/index.js');
  const mode = str(values._);
  if (!mode) throw new UsageError('missing <mode>, e.g. loadbearing drill az-loss --env staging; see: loadbearing drill --help');
  if (!(fm.FAILURE_MODE_IDS as readonly string[]).includes(mode))
    throw new UsageError(`unknown failure mode "${mode}" (modes: ${fm.FAILURE_MODE_IDS.join(', ')})`);
  const options = parseDrillOptions(values);
  const env = await loadEnvironment(values, 'drill', stderr);
  if (!env) return ExitCode.Error;
  const plan = drillPlan(fm, env, mode as FailureModeId, options);
  if (values['dry-run'] === true) {
    if (values.json === true) writeLine(stdout, JSON.stringify(plan, null, 2));
    else stdout.write(renderPlan(plan));
    return ExitCode.Ok;
  }
  if (plan.needsConfirmation && str(values.confirm) !== plan.stack) {
    throw new UsageError(`refusing to run a drill on the prod stack ${plan.stack} without --confirm ${plan.stack}`);
  }
  const region = str(values.region) ?? plan.region;
  const clientOptions = {
    region,
    profile: str(values.profile),
    connectionTimeoutMs: CONNECTION_TIMEOUT_MS,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
  };
  const cwClient = io.createCloudWatchClient(clientOptions);
  const fisClient = io.createFisClient(clientOptions);
  const boundMs = plan.boundSeconds * 1000;
  const deadline = startDeadline(boundMs, () => new DeadlineExceededError(boundMs));
  try {
    return await runDrill({
      plan,
      fis: new FisGateway(fisClient, io.retryPolicy, io.clock, deadline.signal),
      cw: new CloudWatchGateway(cwClient, io.retryPolicy, io.clock, deadline.signal),
      clock: io.clock,
      signal: deadline.signal,
      stdout,
      stderr,
      json: values.json === true,
    });
  } finally {
    deadline.dispose();
    cwClient.destroy();
    fisClient.destroy();
  }
}

export const drillCommand: Command = {
  name: 'drill',
  summary: "Run the AWS FIS drill of a failure mode on an environment and judge it against the mode's budget",
  usage: '<mode> --env <name> [--zone <az>] [--confirm <stack>] [--dry-run] [--json] [options]',
  positional: { name: 'mode', description: 'failure mode ID, e.g. az-loss (see: loadbearing failure-modes --env <name>)' },
  details: [
    'Finds the experiment template of the drill by its tags (loadbearing:stack, loadbearing:drill,',
    'loadbearing:zone), refuses to start unless no alarm of the stack is in ALARM, starts the',
    'experiment (FIS StartExperiment, with a client token so a retry never starts two), then',
    "checks the stack's alarms and the experiment every --interval, scheduled from the start, with",
    'a progress line on stderr, until the experiment has ended and every alarm is out of ALARM.',
    '',
    'It reports the time to detect (the first expected cause alarm of the mode in ALARM), the time',
    'to recover (every alarm out of ALARM again, from the end of the fault), whether the stop',
    "condition (<stack>-drill-<mode>-stop, from the mode's impact budget) fired, and the alarms",
    'that fired without being expected for the mode. --dry-run prints the plan from config alone.',
    "Prod stacks run only with --confirm <stack name>. The region is the environment's unless",
    '--region is given. The whole run gives up after the fault, detection and recovery times and',
    'a setup margin (see --dry-run), or --timeout, and then stops the experiment.',
    DURATION_HELP,
    '',
    'Exit codes: 0 passed (detected, recovered in time, stop condition not fired),',
    '            1 failed (not detected, not recovered, or the stop condition fired),',
    '            2 could not run: usage or config error, no drill here, no template, alarms not OK',
    '              before the start, prod without --confirm, FIS or CloudWatch errors, the',
    '              experiment failed or was stopped by hand (not by its stop condition),',
    '              or the wall-clock bound.',
  ].join('\n'),
  sdkClients: ['@aws-sdk/client-fis'],
  options: {
    ...ENVIRONMENT_OPTIONS,
    zone: {
      type: 'string',
      valueName: '<az>',
      description: 'AZ of a per-AZ drill (az-loss, capacity-shortage-in-an-az); default: the first',
    },
    confirm: { type: 'string', valueName: '<stack>', description: 'the stack name, required to run on a prod stack' },
    'dry-run': { type: 'boolean', description: 'print the plan and start nothing (no AWS calls)' },
    interval: { type: 'string', valueName: '<duration>', description: 'time between checks (default 30s, at least 1s)' },
    timeout: { type: 'string', valueName: '<duration>', description: 'wall-clock bound of the whole drill (default: from the plan)' },
    region: { type: 'string', valueName: '<region>', description: "AWS region (default: the environment's)" },
    profile: { type: 'string', valueName: '<profile>', description: 'AWS profile (default: AWS_PROFILE, then "default")' },
  },
  local: drill,
};

import { alarmKeyMatches } from '../model/failure-modes/failure-mode';
import type { OpsAlarm } from './alarm-discovery.js';
import { parseAlarmName } from './alarm-naming.js';
import type { DrillPlan } from './drill-plan.js';
import { formatDuration } from './duration.js';

/** The judgement of a drill: whether the expected alarms detected it and the stack recovered. */
export interface DrillVerdict {
  readonly detected: boolean;
  readonly recovered: boolean;
}

/** What a drill has seen so far, check by check. */
export class DrillWatch {
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
  verdict(now: number): DrillVerdict | undefined {
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

  result(verdict: DrillVerdict) {
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

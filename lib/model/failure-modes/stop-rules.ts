import type { EnvironmentConfig } from '../config/environment-schema';
import type { FailureMode, FailureModeId } from './failure-mode';

/** The metrics a stop rule reads, all from the ALB: what customers get. */
export type StopMetric = '5xx-rate' | 'healthy-hosts' | 'p99';

/**
 * One condition of a drill's stop alarm: impact beyond the mode's budget (lib/model/failure-modes,
 * `impactBudget`). Each becomes a CloudWatch metric alarm on one-minute datapoints; the drill's
 * stop alarm fires when any of them does. A fired stop condition means the drill failed: the
 * platform did not keep its promise for the mode. FIS stops an experiment when one of its stop
 * conditions goes into ALARM during the experiment
 * (https://docs.aws.amazon.com/fis/latest/userguide/stop-conditions.html): for a sustained
 * fault that is a brake (lib/model/failure-modes/drill-checks.ts refuses a rule that could not fire
 * within the fault); a one-shot fault is over before any rule can fire, and `loadbearing drill`,
 * which watches the same alarms, judges it.
 */
export interface StopRule {
  /** Part of the alarm name: `<stack>-drill-<mode>-<id>`. */
  readonly id: 'error-ceiling' | 'errors-too-long' | 'healthy-hosts' | 'p99';
  readonly metric: StopMetric;
  readonly comparison: 'above' | 'below';
  readonly threshold: number;
  /** Consecutive breaching one-minute datapoints before the rule fires. */
  readonly minutes: number;
  /** The rule in words, with where each number comes from. */
  readonly description: string;
}

/** Period of every stop-rule datapoint. */
export const STOP_RULE_PERIOD_SECONDS = 60;

/**
 * Consecutive one-minute datapoints that a breach lasting `seconds` can touch: a breach that
 * starts late in one minute and ends early in another spans ceil(s / 60) + 1 of them. One more
 * than that is the first that an allowed breach cannot reach.
 */
export function minutesBeyond(seconds: number): number {
  return Math.ceil(seconds / STOP_RULE_PERIOD_SECONDS) + 2;
}

/** Two minutes in a row: one minute can straddle the fault's start; two is no longer a transient. */
const SUSTAINED = 2;

/**
 * The stop rules of a mode's drill, from its impact budget in this environment:
 *
 * - error ceiling: the 5xx rate (ELB and target, % of requests) above the budget's
 *   max5xxRatePercent for 2 minutes in a row (only when the budget bounds the rate, < 100 %);
 * - errors too long: the 5xx rate above the steady-state level (alarms.http5xxRatePercent) for
 *   longer than the budget's recovery time (only when the ceiling is above the steady state;
 *   otherwise the ceiling already says it sooner);
 * - healthy hosts: fewer healthy targets than the budget's minHealthyHosts for 2 minutes;
 * - p99: p99 target response time above the budget's maxP99Seconds for 2 minutes in a row:
 *   the budget bounds p99 while the mode lasts (ImpactBudget.maxP99Seconds), not only after the
 *   recovery time, which bounds errors.
 */
export function stopRules(mode: FailureMode, config: EnvironmentConfig): StopRule[] {
  const budget = mode.impactBudget(config);
  const steady = config.alarms.http5xxRatePercent;
  const rules: StopRule[] = [];
  if (budget.max5xxRatePercent < 100) {
    rules.push({
      id: 'error-ceiling',
      metric: '5xx-rate',
      comparison: 'above',
      threshold: budget.max5xxRatePercent,
      minutes: SUSTAINED,
      description: `5xx rate above ${budget.max5xxRatePercent}% (the budget's ceiling) for ${SUSTAINED} minutes in a row`,
    });
  }
  if (budget.max5xxRatePercent > steady) {
    const minutes = minutesBeyond(budget.recoverySeconds);
    rules.push({
      id: 'errors-too-long',
      metric: '5xx-rate',
      comparison: 'above',
      threshold: steady,
      minutes,
      description: `5xx rate above the steady-state ${steady}% (alarms.http5xxRatePercent) for ${minutes} minutes in a row: longer than the ${budget.recoverySeconds} s recovery the budget allows`,
    });
  }
  if (budget.minHealthyHosts !== undefined && budget.minHealthyHosts >= 1) {
    rules.push({
      id: 'healthy-hosts',
      metric: 'healthy-hosts',
      comparison: 'below',
      threshold: budget.minHealthyHosts,
      minutes: SUSTAINED,
      description: `fewer than ${budget.minHealthyHosts} healthy targets for ${SUSTAINED} minutes in a row`,
    });
  }
  if (budget.maxP99Seconds !== undefined) {
    rules.push({
      id: 'p99',
      metric: 'p99',
      comparison: 'above',
      threshold: budget.maxP99Seconds,
      minutes: SUSTAINED,
      description: `p99 target response time above ${budget.maxP99Seconds} s (the budget's bound while the mode lasts) for ${SUSTAINED} minutes in a row`,
    });
  }
  return rules;
}

/** The stop alarm's signal within the `drill` component: `<mode>-stop`. */
export function stopAlarmSignal(mode: FailureModeId): string {
  return `${mode}-stop`;
}

/** The name of a drill's stop alarm under the default naming (`<stack>-drill-<mode>-stop`, ADR 0001). */
export function stopAlarmName(stackName: string, mode: FailureModeId): string {
  return `${stackName}-drill-${stopAlarmSignal(mode)}`;
}

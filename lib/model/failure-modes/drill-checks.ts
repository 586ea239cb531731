import { unreachableP99Problem } from '../config/aws-limits';
import { renderValue, type ConfigProblem } from '../config/config-error';
import type { EnvironmentConfig } from '../config/environment-schema';
import { drillTemplates, type DrillTemplate } from './drills';
import { FAILURE_MODES } from './modes';
import { STOP_RULE_PERIOD_SECONDS, stopRules, type StopRule } from './stop-rules';

/** The config value at a dotted path of the environment (for the problem's value). */
function valueAt(config: EnvironmentConfig, path: string): unknown {
  return path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], config);
}

/**
 * Minutes a sustained fault must last for this rule to fire within it: its consecutive breaching
 * one-minute datapoints, and the first minute, which can straddle the fault's start.
 */
export function minutesToFire(rule: StopRule): number {
  return rule.minutes + 1;
}

/**
 * The stop rules of the drills this environment creates that could never stop anything, as config
 * problems (AWS limits `fis-stop-conditions` and `alarm-vs-timeouts`, docs/configuration.md):
 *
 * - a rule of a sustained fault whose window does not fit in the fault: FIS stops an experiment
 *   only when a stop condition goes into ALARM during it
 *   (https://docs.aws.amazon.com/fis/latest/userguide/stop-conditions.html);
 * - a p99 rule at or above the request timeout, which the app never lets p99 reach.
 *
 * One-shot drills are not held to the first rule: their fault is over before any rule has two
 * datapoints, and `loadbearing drill` judges them by the same alarms (docs/failure-modes.md).
 */
export function drillConfigProblems(config: EnvironmentConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const byMode = new Map<string, DrillTemplate>();
  for (const t of drillTemplates(config)) if (!byMode.has(t.mode)) byMode.set(t.mode, t);
  const at = (path: string) => `environments.${config.name}.${path}`;
  for (const template of byMode.values()) {
    const mode = FAILURE_MODES.get(template.mode)!;
    const budget = mode.impactBudget(config);
    for (const rule of stopRules(mode, config)) {
      const needed = minutesToFire(rule);
      if (template.fault === 'sustained' && needed * STOP_RULE_PERIOD_SECONDS > template.faultSeconds) {
        problems.push({
          path: at('failureDrills.faultMinutes'),
          value: renderValue(config.failureDrills.faultMinutes),
          rule: `the ${template.drill} drill's stop rule "${rule.id}" (${rule.description}) needs ${needed} minutes of fault to fire, with the first minute straddling the fault's start; the fault lasts ${config.failureDrills.faultMinutes} minutes, and FIS watches stop conditions only while the experiment runs, so it could never stop the drill`,
          fix: `raise failureDrills.faultMinutes to ${needed} or more, or shorten the ${mode.id} budget's recovery time (${budget.recoverySeconds} s) that the window comes from (the impact budgets: docs/failure-modes.md).`,
        });
      }
      const unreachable = rule.metric === 'p99' ? unreachableP99Problem(rule.threshold, config.app.requestTimeoutSeconds) : undefined;
      if (unreachable) {
        const key = budget.maxP99Key ?? 'alarms.latencyP99Seconds';
        problems.push({
          path: at(key),
          value: renderValue(valueAt(config, key)),
          rule: `the ${template.drill} drill's p99 stop rule comes to ${rule.threshold} s with it; the threshold ${unreachable}`,
          fix: `lower ${key} until the ${mode.id} budget's p99 bound is below ${config.app.requestTimeoutSeconds} s (the impact budgets: docs/failure-modes.md), or raise app.requestTimeoutSeconds.`,
        });
      }
    }
  }
  return problems;
}

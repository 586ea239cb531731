import { ConfigError, renderValue, type ConfigProblem } from '../config/config-error';
import type { EnvironmentConfig } from '../config/environment-schema';
import type { InvariantFinding, InvariantRule } from './invariant-rule';
import { INVARIANT_RULES } from './rules';

/** An advisory finding: reported as a CDK warning, does not fail synth. */
export interface InvariantWarning {
  readonly ruleId: string;
  readonly problem: ConfigProblem;
}

export interface InvariantResult {
  readonly errors: ConfigProblem[];
  readonly warnings: InvariantWarning[];
}

function toProblem(env: EnvironmentConfig, rule: InvariantRule, f: InvariantFinding): ConfigProblem {
  return { path: `environments.${env.name}.${f.path}`, value: renderValue(f.value), rule: `[${rule.id}] ${f.message}`, fix: f.fix };
}

/** Rule IDs an environment deliberately opts out of. */
export function optedOut(env: EnvironmentConfig): Set<string> {
  return new Set(env.invariants.optOut.map((o) => o.rule));
}

/**
 * Runs the config-phase invariants on one validated environment. Opted-out rules are skipped;
 * opt-outs must name a rule that exists and can be opted out of.
 */
export function checkInvariants(env: EnvironmentConfig, rules: readonly InvariantRule[] = INVARIANT_RULES): InvariantResult {
  const errors: ConfigProblem[] = [];
  const warnings: InvariantWarning[] = [];
  env.invariants.optOut.forEach((o, i) => {
    const rule = rules.find((r) => r.id === o.rule);
    if (!rule || rule.phase === 'schema') {
      errors.push({
        path: `environments.${env.name}.invariants.optOut[${i}].rule`,
        value: renderValue(o.rule),
        rule: rule ? 'is enforced by the config schema (an AWS limit), so it cannot be opted out of' : 'is not an invariant rule ID',
        fix: `use one of ${rules
          .filter((r) => r.phase !== 'schema')
          .map((r) => r.id)
          .join(', ')}.`,
      });
    }
  });
  const skip = optedOut(env);
  for (const rule of rules) {
    if (rule.phase !== 'config' || skip.has(rule.id)) continue;
    for (const finding of rule.check(env)) {
      const problem = toProblem(env, rule, finding);
      if (rule.severity === 'error') errors.push(problem);
      else warnings.push({ ruleId: rule.id, problem });
    }
  }
  return { errors, warnings };
}

/**
 * Checks every environment; throws one ConfigError with all violations (before anything is
 * synthesized), and returns the advisory warnings per environment.
 */
export function assertInvariants(envs: readonly EnvironmentConfig[]): Map<string, InvariantWarning[]> {
  const errors: ConfigProblem[] = [];
  const warnings = new Map<string, InvariantWarning[]>();
  for (const env of envs) {
    const result = checkInvariants(env);
    errors.push(...result.errors);
    warnings.set(env.name, result.warnings);
  }
  if (errors.length > 0) throw new ConfigError(errors, 'the platform invariants');
  return warnings;
}

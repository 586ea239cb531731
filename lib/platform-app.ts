import { Validations, type App } from 'aws-cdk-lib';
import type { EnvironmentConfig } from './config/environment-schema';
import { assertInvariants, optedOut } from './invariants/check-invariants';
import { InvariantsPlugin } from './invariants/invariants-plugin';
import { PlatformStack } from './platform-stack';
import { addPolicyPacks, type PolicyPackOptions } from './policies/policy-packs';

export interface PlatformAppOptions extends PolicyPackOptions {
  /** Register the policy packs (cdk-nag, Control Tower controls). @default true */
  readonly policies?: boolean;
}

/**
 * Adds one PlatformStack per environment to the app, after checking the cross-component
 * invariants (a violation throws a ConfigError before any stack exists), plus the template-phase
 * invariants and the policy gates. Used by `bin/app.ts` and by the tests, so both build exactly
 * the same thing.
 */
export function addPlatform(app: App, environments: readonly EnvironmentConfig[], options: PlatformAppOptions = {}): PlatformStack[] {
  const warnings = assertInvariants(environments);
  const stacks = environments.map((config) => {
    const stack = new PlatformStack(app, config.stackName, { config });
    for (const w of warnings.get(config.name) ?? []) {
      Validations.of(stack).addWarning(`loadbearing-invariant-${w.ruleId}`, `${w.problem.path} = ${w.problem.value}: ${w.problem.rule}. Fix: ${w.problem.fix}`);
    }
    return stack;
  });
  Validations.of(app).addPlugins(new InvariantsPlugin(new Map(environments.map((e) => [e.stackName, optedOut(e)]))));
  if (options.policies ?? true) addPolicyPacks(app, options);
  return stacks;
}

import type { App } from 'aws-cdk-lib';
import type { EnvironmentConfig } from './config/environment-schema';
import { PlatformStack } from './platform-stack';
import { addPolicyPacks } from './policies/policy-packs';

export interface PlatformAppOptions {
  /** Register the cdk-nag policy packs. @default true */
  readonly policies?: boolean;
}

/**
 * Adds one PlatformStack per environment to the app, plus the policy gates. Used by
 * `bin/app.ts` and by the tests, so both build exactly the same thing.
 */
export function addPlatform(app: App, environments: readonly EnvironmentConfig[], options: PlatformAppOptions = {}): PlatformStack[] {
  const stacks = environments.map((config) => new PlatformStack(app, config.stackName, { config }));
  if (options.policies ?? true) addPolicyPacks(app);
  return stacks;
}

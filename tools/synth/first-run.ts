import { existsSync, readdirSync } from 'node:fs';

/** The validation cache's folders, one per policy gate (see lib/platform/policies/policy-packs.ts). */
const GATES = ['AwsSolutions', 'NIST.800.53.R5', 'cdk-validator-cfnguard', 'CloudFormation-Validate'];

/**
 * Whether the validation cache holds no report for at least one gate: then this synth runs that
 * gate in full (after `npm ci`, every gate), which takes seconds instead of milliseconds.
 */
export function validationCacheIsCold(cacheDirectory: string): boolean {
  return GATES.some((gate) => {
    const dir = `${cacheDirectory}/${gate}`;
    return !existsSync(dir) || !readdirSync(dir).some((f) => f.endsWith('.json'));
  });
}

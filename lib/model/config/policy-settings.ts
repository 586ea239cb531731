import { z } from 'zod';
import { ALWAYS, violation } from './schema-helpers';

/**
 * The policy packs an environment's stack is checked against at synth (docs/policy-gates.md).
 * CDK's CloudFormation validator is not among them: it checks that CloudFormation would accept
 * the template at all, so it always runs.
 */
export const POLICY_PACKS = {
  'aws-solutions': "cdk-nag's AwsSolutions rules: AWS's security and operational best practices, per resource",
  'nist-800-53-r5': "cdk-nag's NIST 800-53 rev 5 rules: encryption, logging, backups and redundancy a NIST audit asks for",
  'control-tower': 'The AWS Control Tower proactive controls (cfn-guard rules of @cdklabs/cdk-validator-cfnguard, run offline)',
} as const;

export type PolicyPack = keyof typeof POLICY_PACKS;
export const ALL_POLICY_PACKS = Object.keys(POLICY_PACKS) as PolicyPack[];

export const policySettingsSchema = z
  .strictObject({
    packs: z
      .array(z.enum(ALL_POLICY_PACKS))
      .default([...ALL_POLICY_PACKS])
      .describe(
        `Policy packs this environment's stack must pass (${ALL_POLICY_PACKS.map((p) => `"${p}"`).join(', ')}). @default - all of them`,
      ),
  })
  .superRefine((policies, ctx) => {
    const packs = Array.isArray(policies.packs) ? policies.packs : [];
    if (Array.isArray(policies.packs) && packs.length === 0) {
      violation(
        ctx,
        ['packs'],
        packs,
        'must name at least one pack (an environment checked by none would deploy what no gate has seen)',
        `list the packs to run, e.g. ["aws-solutions"]; leave the field out for all of them.`,
      );
    }
    const repeated = packs.find((p, i) => packs.indexOf(p) !== i);
    if (repeated !== undefined) {
      violation(ctx, ['packs'], packs, `names "${repeated}" twice`, 'list each pack once.');
    }
  }, ALWAYS)
  .describe(
    'The policy gates of this environment (docs/policy-gates.md). A finding of a selected pack that is neither fixed nor acknowledged fails synth; `-c policies=false` turns every pack off (for template-only synths such as the diff guard).',
  );

export type PolicySettings = z.output<typeof policySettingsSchema>;

import { z } from 'zod';
import { alarmSettingsSchema } from './alarm-settings';
import { appSettingsSchema } from './app-settings';
import { cacheSettingsSchema } from './cache-settings';
import { databaseSettingsSchema } from './database-settings';
import { deliverySettingsSchema } from './delivery-settings';
import { fleetSettingsSchema } from './fleet-settings';
import { loadBalancerSettingsSchema } from './load-balancer-settings';
import { networkSettingsSchema } from './network-settings';
import { wafSettingsSchema } from './waf-settings';
import { edgeSettingsSchema } from './edge-settings';
import { dnsSettingsSchema } from './dns-settings';
import { policySettingsSchema } from './policy-settings';
import { failureDrillSettingsSchema } from './failure-drill-settings';
import { reviewSettingsSchema } from './review-settings';
import { deliveryFileSchema } from './pipeline-settings';
import { zonalSettingsSchema } from './zonal-settings';
import { AWS_REGIONS } from './aws-limits';
import { closest } from './config-error';
import { ALWAYS, matching, violation } from './schema-helpers';
import { ENVIRONMENT_RULES } from './environment-rules';

/**
 * Lower-case letters, digits and single hyphens, starting with a letter and not ending with a
 * hyphen: the rules of the RDS instance identifiers and the ElastiCache replication group ID the
 * stack name prefixes (docs/configuration.md, "AWS limits").
 */
const NAME_RULE = (min: number, max: number) => new RegExp(`^(?!.*--)[a-z][a-z0-9-]{${min - 2},${max - 2}}[a-z0-9]$`);

/** An environment name: 2-21 characters, so that `loadbearing-<name>` is a valid stack name. */
export const ENVIRONMENT_NAME = NAME_RULE(2, 21);
export const ENVIRONMENT_NAME_RULE =
  'environment names must be 2-21 lower-case letters, digits or single "-", starting with a letter and not ending with "-" (the default stack name loadbearing-<name> prefixes RDS and ElastiCache identifiers)';
export const ENVIRONMENT_NAME_FIX = 'rename the environment, e.g. "prod" or "pr-42".';

/** Characters AWS allows in tag keys and values across services (https://docs.aws.amazon.com/personalize/latest/dg/personalize-managing-tags.html). */
const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u;

const tagsSchema = z
  .record(
    z.string(),
    // CloudFormation stack tags need a value of at least one character (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_Tag.html).
    z.string().superRefine((value, ctx) => {
      if (value.length < 1 || value.length > 256 || !TAG_TEXT.test(value)) {
        violation(
          ctx,
          [],
          value,
          'must be a tag value of 1-256 letters, digits, spaces or _ . : / = + - @ (CloudFormation refuses an empty stack tag value)',
          'use a non-empty value with those characters, e.g. "payments".',
        );
      }
    }),
  )
  .superRefine((tags, ctx) => {
    for (const key of Object.keys(tags)) {
      if (key.length > 128 || !TAG_TEXT.test(key) || /^(aws|loadbearing):/i.test(key)) {
        violation(
          ctx,
          [key],
          key,
          'must be a tag key of 1-128 letters, digits, spaces or _ . : / = + - @, not starting with "aws:" (reserved by AWS) or "loadbearing:" (the platform\'s)',
          'rename the tag key, e.g. "team" or "cost-center".',
        );
      }
    }
    if (Object.keys(tags).length > 48)
      violation(
        ctx,
        [],
        Object.keys(tags).length,
        'at most 48 tags: AWS allows 50 per resource and the platform adds 2',
        'drop the tags you do not need on every resource.',
      );
  })
  .default({})
  .describe('Tags on every resource (and the stack): keys 1-128, values 1-256 characters, at most 48.');

export const STAGES = ['dev', 'staging', 'prod'] as const;
export type Stage = (typeof STAGES)[number];

export const dataProtectionSchema = z
  .strictObject({
    allowDestroy: z
      .boolean()
      .default(false)
      .describe(
        'Let `cdk destroy` delete the DB, cache, keys, secrets and log buckets (no final snapshot, no deletion protection). Only for throwaway dev stacks; refused for prod.',
      ),
    reason: z.string().min(10).optional().describe('Why destroying data is acceptable here. Required when allowDestroy is true.'),
  })
  .superRefine((d, ctx) => {
    if (d.allowDestroy === true && !d.reason) {
      violation(
        ctx,
        ['reason'],
        d.reason,
        'required when allowDestroy is true',
        'write down why losing this environment\'s data is acceptable, e.g. "dev is rebuilt from fixtures".',
      );
    }
  }, ALWAYS)
  .describe('What happens to stateful resources (DB, cache, secrets, keys, log buckets) on delete or replacement.');

/** The fields of one environment, each checked on its own; `environmentSchema` adds the cross-field rules. */
export const environmentFieldsSchema = z.strictObject({
  stage: z.enum(STAGES).describe('Stage preset: sizes and protections start from this stage\'s defaults (see "Stage presets").'),
  stackName: z
    .string()
    .pipe(
      matching(
        NAME_RULE(3, 34),
        'must be 3-34 lower-case letters, digits or single "-", starting with a letter and not ending with "-" (it prefixes the RDS instance identifiers and the 40-character cache ID)',
        'rename the stack, e.g. "loadbearing-prod".',
      ),
    )
    .optional()
    .describe('CloudFormation stack name; also the alarm name prefix. @default - "loadbearing-<environment name>"'),
  account: matching(
    /^\d{12}$/,
    'must be a 12-digit AWS account ID (a string, to keep leading zeros)',
    'use the 12 digits of the target account, e.g. "123456789012".',
  ).describe('AWS account ID. Explicit, so synth never looks anything up.'),
  region: z
    .string()
    .superRefine((region, ctx) => {
      if (!AWS_REGIONS.includes(region)) {
        const near = closest(region, AWS_REGIONS);
        violation(
          ctx,
          [],
          region,
          'is not an AWS region aws-cdk-lib knows',
          near ? `did you mean "${near}"?` : 'use a region code such as "us-east-1" or "eu-west-1".',
        );
      }
    })
    .describe('AWS region (one of the regions aws-cdk-lib knows).'),
  availabilityZones: z
    .array(z.string())
    .min(2)
    .max(6)
    .describe(
      'Availability zones (2-6, in the region). Listed explicitly so the VPC needs no lookup; 3 lets the fleet and data tier lose one AZ with two left.',
    ),
  terminationProtection: z.boolean().default(false).describe('CloudFormation termination protection (prod preset: true).'),
  dataProtection: dataProtectionSchema.prefault({}),
  tags: tagsSchema,
  network: networkSettingsSchema.prefault({}),
  loadBalancer: loadBalancerSettingsSchema.prefault({}),
  app: appSettingsSchema.prefault({}),
  fleet: fleetSettingsSchema.prefault({}),
  database: databaseSettingsSchema.prefault({}),
  cache: cacheSettingsSchema.prefault({}),
  alarms: alarmSettingsSchema.prefault({}),
  waf: wafSettingsSchema.prefault({}),
  edge: edgeSettingsSchema.prefault({}),
  dns: dnsSettingsSchema.prefault({}),
  failureDrills: failureDrillSettingsSchema.prefault({}),
  delivery: deliverySettingsSchema.prefault({}),
  zonal: zonalSettingsSchema.prefault({}),
  policies: policySettingsSchema.prefault({}),
  invariants: z
    .strictObject({
      optOut: z
        .array(
          z.strictObject({
            rule: z
              .string()
              .regex(/^[A-Z]{2}-\d+$/, { message: 'must be a rule ID such as "TC-6"' })
              .describe('Rule ID (see docs/configuration.md, "Invariants").'),
            reason: z.string().min(20).describe('Why breaking this rule is acceptable here (at least 20 characters).'),
          }),
        )
        .default([])
        .describe('Rules deliberately switched off for this environment, each with a written reason.'),
    })
    .prefault({})
    .describe('Cross-component invariants checked at synth (see docs/configuration.md, "Invariants").'),
});

/** One environment's fields as the schema parsed them; what the cross-field rules (environment-rules.ts) read. */
export type EnvironmentFields = z.output<typeof environmentFieldsSchema>;

export const environmentSchema = environmentFieldsSchema
  .superRefine((env, ctx) => {
    for (const rule of ENVIRONMENT_RULES) rule.check(env, (path, value, message, fix) => violation(ctx, path, value, message, fix));
  }, ALWAYS)
  .describe('One deployment environment (one stack).');

export type EnvironmentInput = z.input<typeof environmentSchema>;
export type EnvironmentSettings = z.output<typeof environmentSchema>;

/** A validated environment with its name and resolved stack name. */
export interface EnvironmentConfig extends EnvironmentSettings {
  readonly name: string;
  readonly stackName: string;
}

export const configFileSchema = z
  .strictObject({
    $schema: z.string().optional().describe('Optional JSON schema reference for editors.'),
    environments: z
      .record(matching(ENVIRONMENT_NAME, ENVIRONMENT_NAME_RULE, ENVIRONMENT_NAME_FIX), z.unknown())
      .refine((envs) => Object.keys(envs).length > 0, { message: 'must define at least one environment' })
      .describe('Environments by name; each becomes a stack `loadbearing-<name>` (unless stackName is set).'),
    review: reviewSettingsSchema.optional(),
    delivery: deliveryFileSchema.optional(),
  })
  .describe('A loadbearing config file (`-c configFile=<path.json>`).');

import { z } from 'zod';
import { alarmSettingsSchema } from './alarm-settings';
import { appSettingsSchema } from './app-settings';
import { cacheSettingsSchema } from './cache-settings';
import { databaseSettingsSchema } from './database-settings';
import { bootTimingProblems } from './boot-timing';
import { fleetBootTimingInput, fleetSettingsSchema } from './fleet-settings';
import { loadBalancerSettingsSchema } from './load-balancer-settings';
import { networkSettingsSchema } from './network-settings';
import { wafSettingsSchema } from './waf-settings';
import { edgeSettingsSchema } from './edge-settings';
import { ALWAYS, isNum, matching, violation } from './schema-helpers';

export const STAGES = ['dev', 'staging', 'prod'] as const;
export type Stage = (typeof STAGES)[number];

export const dataProtectionSchema = z
  .strictObject({
    allowDestroy: z
      .boolean()
      .default(false)
      .describe('Let `cdk destroy` delete the DB, cache, keys, secrets and log buckets (no final snapshot, no deletion protection). Only for throwaway dev stacks; refused for prod.'),
    reason: z.string().min(10).optional().describe('Why destroying data is acceptable here. Required when allowDestroy is true.'),
  })
  .superRefine((d, ctx) => {
    if (d.allowDestroy === true && !d.reason) {
      violation(ctx, ['reason'], d.reason, 'required when allowDestroy is true', 'write down why losing this environment\'s data is acceptable, e.g. "dev is rebuilt from fixtures".');
    }
  }, ALWAYS)
  .describe('What happens to stateful resources (DB, cache, secrets, keys, log buckets) on delete or replacement.');

export const environmentSchema = z
  .strictObject({
    stage: z.enum(STAGES).describe('Stage preset: sizes and protections start from this stage\'s defaults (see "Stage presets").'),
    stackName: z
      .string()
      .pipe(matching(
          /^[a-z][a-z0-9-]{2,33}$/,
          'must be 3-34 lower-case letters, digits or "-", starting with a letter (it prefixes the 40-character cache ID)',
          'rename the stack, e.g. "loadbearing-prod".',
        ))
      .optional()
      .describe('CloudFormation stack name; also the alarm name prefix. @default - "loadbearing-<environment name>"'),
    account: matching(/^\d{12}$/, 'must be a 12-digit AWS account ID (a string, to keep leading zeros)', 'use the 12 digits of the target account, e.g. "123456789012".').describe('AWS account ID. Explicit, so synth never looks anything up.'),
    region: matching(/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/, 'must be an AWS region code', 'use a region code such as "us-east-1" or "eu-west-1".').describe('AWS region.'),
    availabilityZones: z
      .array(z.string())
      .min(2)
      .max(6)
      .describe('Availability zones (2-6, in the region). Listed explicitly so the VPC needs no lookup; 3 lets the fleet and data tier lose one AZ with two left.'),
    terminationProtection: z.boolean().default(false).describe('CloudFormation termination protection (prod preset: true).'),
    dataProtection: dataProtectionSchema.prefault({}),
    tags: z.record(z.string().min(1).max(128), z.string().max(256)).default({}).describe('Tags on every resource.'),
    network: networkSettingsSchema.prefault({}),
    loadBalancer: loadBalancerSettingsSchema.prefault({}),
    app: appSettingsSchema.prefault({}),
    fleet: fleetSettingsSchema.prefault({}),
    database: databaseSettingsSchema.prefault({}),
    cache: cacheSettingsSchema.prefault({}),
    alarms: alarmSettingsSchema.prefault({}),
    waf: wafSettingsSchema.prefault({}),
    edge: edgeSettingsSchema.prefault({}),
    invariants: z
      .strictObject({
        optOut: z
          .array(
            z.strictObject({
              rule: z.string().regex(/^[A-Z]{2}-\d+$/, { message: 'must be a rule ID such as "TC-6"' }).describe('Rule ID (see docs/configuration.md, "Invariants").'),
              reason: z.string().min(20).describe('Why breaking this rule is acceptable here (at least 20 characters).'),
            }),
          )
          .default([])
          .describe('Rules deliberately switched off for this environment, each with a written reason.'),
      })
      .prefault({})
      .describe('Cross-component invariants checked at synth (see docs/configuration.md, "Invariants").'),
  })
  .superRefine((env, ctx) => {
    const azs = Array.isArray(env.availabilityZones) ? env.availabilityZones : [];
    azs.forEach((az, i) => {
      if (typeof az === 'string' && typeof env.region === 'string' && !new RegExp(`^${env.region}[a-z]$`).test(az)) {
        violation(ctx, ['availabilityZones', i], az, `must be an availability zone of region ${env.region}`, `use names like "${env.region}a", "${env.region}b".`);
      }
    });
    if (new Set(azs).size !== azs.length) {
      violation(ctx, ['availabilityZones'], azs, 'must not repeat an availability zone', 'list each AZ once.');
    }
    const cidr = env.network?.cidr;
    const prefix = typeof cidr === 'string' ? Number(cidr.split('/')[1]) : NaN;
    if (azs.length > 0 && Number.isInteger(prefix)) {
      // Three subnet tiers per AZ, carved equally out of the VPC block; AWS's smallest subnet is /28.
      const subnetPrefix = prefix + Math.ceil(Math.log2(3 * azs.length));
      if (subnetPrefix > 28) {
        violation(ctx, ['network', 'cidr'], cidr, `is too small for 3 subnet tiers in ${azs.length} AZs (subnets would be /${subnetPrefix}; AWS allows at most /28)`, `use a block of /${28 - Math.ceil(Math.log2(3 * azs.length))} or larger, or fewer AZs.`);
      }
    }
    const nat = env.network?.natGateways;
    if (isNum(nat) && nat > azs.length) {
      violation(ctx, ['network', 'natGateways'], nat, `must be <= the number of availability zones (${azs.length})`, `use at most ${azs.length}, one per AZ.`);
    }
    const albCert = env.loadBalancer?.certificateArn;
    const certWhere = typeof albCert === 'string' ? /^arn:[^:]+:acm:([^:]+):(\d{12}):/.exec(albCert) : null;
    if (certWhere && typeof env.region === 'string' && typeof env.account === 'string' && /^\d{12}$/.test(env.account) && (certWhere[1] !== env.region || certWhere[2] !== env.account)) {
      violation(ctx, ['loadBalancer', 'certificateArn'], albCert, `must be a certificate in this environment's account and region (${env.account}, ${env.region}); an ALB cannot use one from ${certWhere[2]}, ${certWhere[1]}`, `request or import the certificate in ACM in ${env.region} of account ${env.account} and use its ARN.`);
    }
    const edge = env.edge;
    if (edge?.enabled === true && typeof env.loadBalancer?.certificateArn === 'string' && !edge.originDomainName) {
      violation(ctx, ['edge', 'originDomainName'], undefined, 'required when the ALB has a certificate: CloudFront reaches it over HTTPS and checks the name', 'set it to the DNS name (covered by loadBalancer.certificateArn) that points at the ALB, e.g. "origin.example.com".');
    }
    if (edge?.enabled === true && !edge.webAclArn && typeof env.region === 'string' && env.region !== 'us-east-1') {
      violation(ctx, ['edge', 'webAclArn'], undefined, `a CLOUDFRONT web ACL lives in us-east-1, so a stack in ${env.region} cannot create it`, 'create one in us-east-1 (e.g. with the WebAcl construct, scope CLOUDFRONT) and set edge.webAclArn; the ALB keeps its regional web ACL either way.');
    }
    const fleet = env.fleet;
    const boot = fleet?.boot;
    if (boot && isNum(boot.healthWaitSeconds) && isNum(boot.healthProbeTimeoutSeconds) && isNum(boot.healthProbeIntervalSeconds)) {
      const artifact = env.app?.artifact;
      const hook = artifact?.installCommand && isNum(artifact.installTimeoutSeconds) ? artifact.installTimeoutSeconds : 0;
      const paths = {
        signalTimeout: 'fleet.rollingUpdate.signalTimeoutSeconds',
        gracePeriod: 'fleet.healthCheckGracePeriodSeconds',
        healthWait: 'fleet.boot.healthWaitSeconds',
        installHook: hook > 0 ? 'app.artifact.installTimeoutSeconds' : undefined,
      };
      for (const p of bootTimingProblems(fleetBootTimingInput(fleet, hook), paths)) violation(ctx, p.path.split('.'), p.value, p.rule, p.fix);
    }
    if (env.stage === 'prod' && env.dataProtection?.allowDestroy) {
      violation(ctx, ['dataProtection', 'allowDestroy'], true, 'prod data can never be destroyable', 'set dataProtection.allowDestroy to false.');
    }
    if ((env.stage === 'staging' || env.stage === 'prod') && isNum(env.cache?.replicasPerShard) && env.cache.replicasPerShard < 1) {
      violation(ctx, ['cache', 'replicasPerShard'], env.cache.replicasPerShard, `${env.stage} needs at least 1 cache replica for Multi-AZ automatic failover`, 'set cache.replicasPerShard to 1 or more.');
    }
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
      .record(z.string().regex(/^[a-z][a-z0-9-]{1,20}$/, { message: 'environment names must be 2-21 lower-case letters, digits or "-"' }), z.unknown())
      .refine((envs) => Object.keys(envs).length > 0, { message: 'must define at least one environment' })
      .describe('Environments by name; each becomes a stack `loadbearing-<name>` (unless stackName is set).'),
  })
  .describe('A loadbearing config file (`-c configFile=<path.json>`).');

import { z } from 'zod';
import { alarmSettingsSchema } from './alarm-settings';
import { appSettingsSchema } from './app-settings';
import { cacheSettingsSchema } from './cache-settings';
import { databaseSettingsSchema } from './database-settings';
import { deliverySettingsSchema } from './delivery-settings';
import { bootTimingProblems } from './boot-timing';
import { fleetBootTimingInput, fleetSettingsSchema } from './fleet-settings';
import { loadBalancerSettingsSchema } from './load-balancer-settings';
import { networkSettingsSchema } from './network-settings';
import { wafSettingsSchema } from './waf-settings';
import { edgeSettingsSchema } from './edge-settings';
import { dnsSettingsSchema, inZone } from './dns-settings';
import { failureDrillSettingsSchema, fleetTargetCount } from './failure-drill-settings';
import { AWS_REGIONS, ORIGIN_SHIELD_FOR, ORIGIN_SHIELD_REGIONS, unreachableP99Problem, worstCaseBackoffMs } from './aws-limits';
import { closest } from './config-error';
import { ALWAYS, isNum, matching, violation } from './schema-helpers';

/**
 * Lower-case letters, digits and single hyphens, starting with a letter and not ending with a
 * hyphen: the rules of the RDS instance identifiers and the ElastiCache replication group ID the
 * stack name prefixes (docs/configuration.md, "AWS limits").
 */
const NAME_RULE = (min: number, max: number) => new RegExp(`^(?!.*--)[a-z][a-z0-9-]{${min - 2},${max - 2}}[a-z0-9]$`);

/** An environment name: 2-21 characters, so that `loadbearing-<name>` is a valid stack name. */
export const ENVIRONMENT_NAME = NAME_RULE(2, 21);

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

export const environmentSchema = z
  .strictObject({
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
  })
  .superRefine((env, ctx) => {
    const azs = Array.isArray(env.availabilityZones) ? env.availabilityZones : [];
    azs.forEach((az, i) => {
      if (typeof az === 'string' && typeof env.region === 'string' && !new RegExp(`^${env.region}[a-z]$`).test(az)) {
        violation(
          ctx,
          ['availabilityZones', i],
          az,
          `must be an availability zone of region ${env.region}`,
          `use names like "${env.region}a", "${env.region}b".`,
        );
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
        violation(
          ctx,
          ['network', 'cidr'],
          cidr,
          `is too small for 3 subnet tiers in ${azs.length} AZs (subnets would be /${subnetPrefix}; AWS allows at most /28)`,
          `use a block of /${28 - Math.ceil(Math.log2(3 * azs.length))} or larger, or fewer AZs.`,
        );
      }
    }
    const nat = env.network?.natGateways;
    if (isNum(nat) && nat > azs.length) {
      violation(
        ctx,
        ['network', 'natGateways'],
        nat,
        `must be <= the number of availability zones (${azs.length})`,
        `use at most ${azs.length}, one per AZ.`,
      );
    }
    const albCert = env.loadBalancer?.certificateArn;
    const certWhere = typeof albCert === 'string' ? /^arn:[^:]+:acm:([^:]+):(\d{12}):/.exec(albCert) : null;
    if (
      certWhere &&
      typeof env.region === 'string' &&
      typeof env.account === 'string' &&
      /^\d{12}$/.test(env.account) &&
      (certWhere[1] !== env.region || certWhere[2] !== env.account)
    ) {
      violation(
        ctx,
        ['loadBalancer', 'certificateArn'],
        albCert,
        `must be a certificate in this environment's account and region (${env.account}, ${env.region}); an ALB cannot use one from ${certWhere[2]}, ${certWhere[1]}`,
        `request or import the certificate in ACM in ${env.region} of account ${env.account} and use its ARN.`,
      );
    }
    const edge = env.edge;
    if (edge?.enabled === true && typeof env.loadBalancer?.certificateArn === 'string' && !edge.originDomainName) {
      violation(
        ctx,
        ['edge', 'originDomainName'],
        undefined,
        'required when the ALB has a certificate: CloudFront reaches it over HTTPS and checks the name',
        'set it to the DNS name (covered by loadBalancer.certificateArn) that points at the ALB, e.g. "origin.example.com".',
      );
    }
    if (edge?.enabled === true && !edge.webAclArn && typeof env.region === 'string' && env.region !== 'us-east-1') {
      violation(
        ctx,
        ['edge', 'webAclArn'],
        undefined,
        `a CLOUDFRONT web ACL lives in us-east-1, so a stack in ${env.region} cannot create it`,
        'create one in us-east-1 (e.g. with the WebAcl construct, scope CLOUDFRONT) and set edge.webAclArn; the ALB keeps its regional web ACL either way.',
      );
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
      for (const p of bootTimingProblems(fleetBootTimingInput(fleet, hook), paths))
        violation(ctx, p.path.split('.'), p.value, p.rule, p.fix);
    }
    if (env.stage === 'prod' && env.dataProtection?.allowDestroy) {
      violation(
        ctx,
        ['dataProtection', 'allowDestroy'],
        true,
        'prod data can never be destroyable',
        'set dataProtection.allowDestroy to false.',
      );
    }
    if ((env.stage === 'staging' || env.stage === 'prod') && env.database?.multiAz === false) {
      violation(
        ctx,
        ['database', 'multiAz'],
        false,
        `${env.stage} needs a Multi-AZ writer (a standby in another AZ with automatic failover)`,
        'set database.multiAz to true (only dev may run a single-AZ writer).',
      );
    }
    if (edge?.enabled === true && typeof env.loadBalancer?.certificateArn !== 'string') {
      violation(
        ctx,
        ['loadBalancer', 'certificateArn'],
        undefined,
        'required when edge.enabled: without it CloudFront reaches the ALB over plain HTTP, and the origin secret header crosses the internet in clear text',
        'set loadBalancer.certificateArn (and edge.originDomainName), or turn the edge off.',
      );
    }
    if (edge?.enabled === true && env.waf?.enabled === false && !edge.webAclArn) {
      violation(
        ctx,
        ['edge', 'webAclArn'],
        undefined,
        'the distribution needs a web ACL (the per-client rate limit lives there): waf.enabled is false and edge.webAclArn is not set',
        'keep waf.enabled, or set edge.webAclArn to a CLOUDFRONT web ACL from us-east-1.',
      );
    }
    const dns = env.dns;
    if (typeof dns?.hostedZoneId === 'string' && typeof dns.zoneName === 'string') {
      if (edge?.enabled !== true) {
        violation(
          ctx,
          ['dns', 'hostedZoneId'],
          dns.hostedZoneId,
          'the stack creates DNS records only for the edge (edge.originDomainName and edge.domainNames), and edge.enabled is false',
          'turn the edge on, or remove dns.',
        );
      } else {
        const zone = dns.zoneName;
        if (typeof edge.originDomainName === 'string' && !inZone(edge.originDomainName, zone)) {
          violation(
            ctx,
            ['edge', 'originDomainName'],
            edge.originDomainName,
            `is not in the hosted zone dns.zoneName (${zone}), so the stack cannot create its record there`,
            `use a name under ${zone}, or a zone that holds it.`,
          );
        }
        (Array.isArray(edge.domainNames) ? edge.domainNames : []).forEach((name, i) => {
          if (typeof name === 'string' && !inZone(name.replace(/^\*\./, ''), zone)) {
            violation(
              ctx,
              ['edge', 'domainNames', i],
              name,
              `is not in the hosted zone dns.zoneName (${zone}), so the stack cannot create its record there`,
              `use names under ${zone}, or create this record yourself and remove dns.`,
            );
          }
        });
      }
    }
    const shield = edge?.originShield;
    if (edge?.enabled === true && shield?.enabled === true && typeof env.region === 'string') {
      const region = shield.region ?? env.region;
      if (!ORIGIN_SHIELD_REGIONS.includes(region)) {
        const suggestion = ORIGIN_SHIELD_FOR[region];
        violation(
          ctx,
          ['edge', 'originShield', 'region'],
          shield.region,
          `${region}${shield.region ? '' : ' (the stack region, the default)'} is not a region where CloudFront offers Origin Shield`,
          suggestion
            ? `set edge.originShield.region to "${suggestion}", the region AWS recommends for origins in ${region}.`
            : `set edge.originShield.region to one of ${ORIGIN_SHIELD_REGIONS.join(', ')}: the one closest to ${region}.`,
        );
      }
    }
    const app = env.app;
    if (app && isNum(app.retryBaseDelayMs) && isNum(app.retryMaxDelayMs) && app.retryBaseDelayMs > app.retryMaxDelayMs) {
      violation(
        ctx,
        ['app', 'retryBaseDelayMs'],
        app.retryBaseDelayMs,
        `must be <= app.retryMaxDelayMs (${app.retryMaxDelayMs}): the cap would silently replace the first backoff`,
        'lower app.retryBaseDelayMs, or raise app.retryMaxDelayMs.',
      );
    } else if (
      app &&
      isNum(app.retryMaxAttempts) &&
      isNum(app.retryBaseDelayMs) &&
      isNum(app.retryMaxDelayMs) &&
      isNum(app.requestTimeoutSeconds)
    ) {
      const backoff = worstCaseBackoffMs({
        retryMaxAttempts: app.retryMaxAttempts,
        retryBaseDelayMs: app.retryBaseDelayMs,
        retryMaxDelayMs: app.retryMaxDelayMs,
      });
      if (backoff >= app.requestTimeoutSeconds * 1000) {
        violation(
          ctx,
          ['app', 'retryMaxAttempts'],
          app.retryMaxAttempts,
          `${app.retryMaxAttempts} attempts can wait up to ${backoff} ms in backoff alone, not less than the request deadline (app.requestTimeoutSeconds: ${app.requestTimeoutSeconds * 1000} ms): the last retries can never finish in time`,
          'lower app.retryMaxAttempts or app.retryMaxDelayMs, or raise app.requestTimeoutSeconds.',
        );
      }
    }
    const p99 = env.alarms?.latencyP99Seconds;
    const unreachable = isNum(p99) && isNum(app?.requestTimeoutSeconds) ? unreachableP99Problem(p99, app.requestTimeoutSeconds) : undefined;
    if (unreachable && isNum(app?.requestTimeoutSeconds)) {
      violation(
        ctx,
        ['alarms', 'latencyP99Seconds'],
        p99,
        unreachable,
        `set alarms.latencyP99Seconds below ${app.requestTimeoutSeconds}, e.g. ${Math.max(1, Math.floor(app.requestTimeoutSeconds / 3))}.`,
      );
    }
    const drills = env.failureDrills;
    (Array.isArray(drills?.zones) ? drills.zones : []).forEach((zone, i) => {
      if (typeof zone === 'string' && azs.length > 0 && !azs.includes(zone)) {
        violation(
          ctx,
          ['failureDrills', 'zones', i],
          zone,
          `must be one of the environment's availability zones (${azs.join(', ')})`,
          'list AZs from availabilityZones, or remove failureDrills.zones to get a template per AZ.',
        );
      }
    });
    if (
      drills?.enabled === true &&
      fleet &&
      isNum(fleet.minCapacity) &&
      isNum(fleet.maxCapacity) &&
      isNum(drills.maxTargetsPerAction) &&
      azs.length > 0
    ) {
      // az-loss stops every instance of one AZ in one action; FIS refuses more than the quota.
      const perAz = Math.ceil(fleet.minCapacity / azs.length);
      if (perAz > drills.maxTargetsPerAction) {
        violation(
          ctx,
          ['failureDrills', 'maxTargetsPerAction'],
          drills.maxTargetsPerAction,
          `the az-loss drill stops up to ${perAz} instances of one AZ at fleet.minCapacity ${fleet.minCapacity}, more than FIS lets one action target (the account quota, failureDrills.maxTargetsPerAction)`,
          `raise the FIS quotas "Target Instances for aws:ec2:stop-instances" and "Resources per experiment target" to ${perAz} or more and set failureDrills.maxTargetsPerAction to match.`,
        );
      }
      const load = drills.cpuLoadPercent;
      const threshold = env.alarms?.fleetCpuPercent;
      if (isNum(load) && isNum(threshold)) {
        const { count } = fleetTargetCount({ minCapacity: fleet.minCapacity, maxCapacity: fleet.maxCapacity }, drills.maxTargetsPerAction);
        const average = (load * count) / fleet.minCapacity;
        if (average <= threshold) {
          violation(
            ctx,
            ['failureDrills', 'cpuLoadPercent'],
            load,
            `the cpu-stress drill loads ${count} of ${fleet.minCapacity} instances to ${load}%, an average of ${Math.round(average)}%, which never crosses alarms.fleetCpuPercent (${threshold}%): the drill could never be detected`,
            `raise failureDrills.cpuLoadPercent (up to 100), or failureDrills.maxTargetsPerAction after raising the FIS quota "Target Instances for aws:ssm:send-command".`,
          );
        }
      }
    }
    if ((env.stage === 'staging' || env.stage === 'prod') && isNum(env.cache?.replicasPerShard) && env.cache.replicasPerShard < 1) {
      violation(
        ctx,
        ['cache', 'replicasPerShard'],
        env.cache.replicasPerShard,
        `${env.stage} needs at least 1 cache replica for Multi-AZ automatic failover`,
        'set cache.replicasPerShard to 1 or more.',
      );
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
      .record(
        z.string().regex(ENVIRONMENT_NAME, {
          message:
            'environment names must be 2-21 lower-case letters, digits or single "-", starting with a letter and not ending with "-"',
        }),
        z.unknown(),
      )
      .refine((envs) => Object.keys(envs).length > 0, { message: 'must define at least one environment' })
      .describe('Environments by name; each becomes a stack `loadbearing-<name>` (unless stackName is set).'),
  })
  .describe('A loadbearing config file (`-c configFile=<path.json>`).');

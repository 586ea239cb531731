import { AWS_REGION_CATALOG } from './aws-catalog';

/** One AWS limit the config schema enforces, with the AWS page it comes from. */
export interface AwsLimit {
  /** Stable ID, used by the tests (test/model/config/aws-limits.test.ts has a compliant and a refused case for each). */
  readonly id: string;
  /** Config fields the limit applies to. */
  readonly fields: readonly string[];
  readonly limit: string;
  /** The AWS documentation page. */
  readonly source: string;
}

/**
 * The AWS limits behind config fields: what the schema refuses at synth, so that nothing AWS
 * would reject reaches CloudFormation. Rendered into docs/configuration.md ("AWS limits").
 */
export const AWS_LIMITS: readonly AwsLimit[] = [
  {
    id: 'tags',
    fields: ['tags'],
    limit:
      "Keys 1-128 and values 1-256 characters of letters, digits, spaces and `_ . : / = + - @`; keys must not start with `aws:` (reserved) or `loadbearing:` (the platform's own); at most 48 (50 per resource, 2 are the platform's).",
    source:
      'https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_Tag.html, https://docs.aws.amazon.com/personalize/latest/dg/personalize-managing-tags.html',
  },
  {
    id: 'names',
    fields: ['(environment name)', 'stackName'],
    limit:
      'The stack name prefixes RDS instance identifiers (letters, digits, hyphens; no two hyphens in a row, no trailing hyphen) and the ElastiCache replication group ID (at most 40 characters, the same hyphen rules): stackName 3-34, environment names 2-21 (in `loadbearing-<name>`), lower case, no `--`, no trailing `-`.',
    source:
      'https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html, https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_CreateReplicationGroup.html',
  },
  {
    id: 'region',
    fields: ['region'],
    limit: 'One of the regions aws-cdk-lib knows (`aws-cdk-lib/region-info`), not a pattern.',
    source: 'https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html',
  },
  {
    id: 'schedule',
    fields: ['fleet.scheduledActions[].timeZone', 'fleet.scheduledActions[].minCapacity', 'fleet.scheduledActions[].maxCapacity'],
    limit:
      'An IANA time zone; at least one of minCapacity and maxCapacity; a new minimum alone must be <= fleet.maxCapacity, a new maximum alone >= fleet.minCapacity (a group minimum may never exceed its maximum).',
    source: 'https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-autoscaling-scheduledaction.html',
  },
  {
    id: 'instance-refresh',
    fields: [
      'fleet.instanceRefresh.checkpointPercentages',
      'fleet.instanceRefresh.checkpointDelaySeconds',
      'fleet.instanceRefresh.bakeSeconds',
      'fleet.instanceRefresh.minHealthyPercentage',
      'fleet.instanceRefresh.maxHealthyPercentage',
    ],
    limit:
      'Checkpoints: whole percentages 1-100, ascending, unique, the last one 100. Checkpoint delay and bake: 0-172,800 s. Minimum healthy 0-100, maximum healthy 100-200, at most 100 apart.',
    source:
      'https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_RefreshPreferences.html, https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_InstanceMaintenancePolicy.html',
  },
  {
    id: 'refresh-alarms',
    fields: ['delivery.releaseAlarms.extraAlarmNames'],
    limit: "At most 10 alarms per instance refresh: the platform's 2 release alarms and up to 8 of yours.",
    source: 'https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_AlarmSpecification.html',
  },
  {
    id: 'rollback-triggers',
    fields: ['delivery.rollbackTriggers', 'delivery.monitoringMinutes'],
    limit: 'At most 5 rollback triggers; a monitoring time of 0-180 whole minutes.',
    source: 'https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_RollbackConfiguration.html',
  },
  {
    id: 'warm-pool',
    fields: ['fleet.warmPool.enabled', 'fleet.spotPercentAboveBase', 'fleet.onDemandBaseCapacity'],
    limit: 'A warm pool only on a group without Spot and without a mixed instances policy (invariant SA-4).',
    source: 'https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_PutWarmPool.html',
  },
  {
    id: 'warm-pool-state',
    fields: ['fleet.warmPool.state'],
    limit:
      'Not Hibernated: EC2 enables hibernation only at launch, with prerequisites (an encrypted root volume that holds the RAM, a supported family), and the launch template does not enable it.',
    source: 'https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/enabling-hibernation.html',
  },
  {
    id: 'origin-shield',
    fields: ['edge.originShield.region'],
    limit: 'A region where CloudFront offers Origin Shield; the default, the stack region, must be one too.',
    source: 'https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/origin-shield.html#choose-origin-shield-region',
  },
  {
    id: 'alarm-evaluation',
    fields: ['alarms.datapointsToAlarm', 'alarms.evaluationPeriods', 'alarms.periodSeconds', 'alarms.overrides'],
    limit:
      'datapointsToAlarm <= evaluationPeriods (refused, no longer capped); period x evaluationPeriods <= 86,400 s for periods under an hour, else <= 604,800 s. Checked per alarm with its own defaults too.',
    source: 'https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html',
  },
  {
    id: 'retry-budget',
    fields: ['app.retryMaxAttempts', 'app.retryBaseDelayMs', 'app.retryMaxDelayMs'],
    limit:
      'retryBaseDelayMs <= retryMaxDelayMs, and the longest total backoff of one call (each retry waits at most min(retryMaxDelayMs, retryBaseDelayMs x 2^n)) fits in app.requestTimeoutSeconds.',
    source: 'https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html',
  },
  {
    id: 'alarm-vs-timeouts',
    fields: ['alarms.latencyP99Seconds', 'failureDrills.dependencyLatencyMs', 'app.cacheTimeoutMs'],
    limit:
      'Below app.requestTimeoutSeconds: the app answers every request by then, so a p99 target response time alarm at or above it can never fire. The same for the p99 stop rules of the failure drills (with drills on), whose thresholds come from these fields (docs/failure-modes.md).',
    source: 'https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html',
  },
  {
    id: 'log-retention',
    fields: ['*.logRetentionDays', 'network.flowLogRetentionDays', 'cache.slowLogRetentionDays'],
    limit:
      'A CloudWatch Logs retention value of at least 365 days: the Control Tower control CT.CLOUDWATCH.PR.2, which the policy gate runs, refuses less.',
    source:
      'https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html (values); Control Tower CT.CLOUDWATCH.PR.2 (@cdklabs/cdk-validator-cfnguard, ct-cloudwatch-pr-2.guard)',
  },
  {
    id: 'backups',
    fields: ['database.backupRetentionDays'],
    limit: 'At least 7 days: the Control Tower control CT.RDS.PR.8, which the policy gate runs, refuses less (RDS allows 0-35).',
    source:
      'https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html; Control Tower CT.RDS.PR.8 (@cdklabs/cdk-validator-cfnguard, ct-rds-pr-8.guard)',
  },
  {
    id: 'edge-origin',
    fields: ['edge.enabled', 'loadBalancer.certificateArn', 'waf.enabled', 'edge.webAclArn'],
    limit:
      'With the edge on, the ALB needs a certificate (CloudFront reaches it over HTTPS: the origin secret must not cross the internet in clear text) and the distribution a web ACL (waf.enabled or edge.webAclArn).',
    source: 'https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/restrict-access-to-load-balancer.html',
  },
  {
    id: 'fis-targets',
    fields: ['failureDrills.maxTargetsPerAction', 'failureDrills.cpuLoadPercent', 'failureDrills.zones'],
    limit:
      "With drills on: the az-loss drill stops every instance of one AZ in one action, so ceil(fleet.minCapacity / AZs) must not exceed the FIS target quota (5 unless raised); the cpu-stress drill's stressed share of the fleet times failureDrills.cpuLoadPercent must exceed alarms.fleetCpuPercent; failureDrills.zones must be configured AZs.",
    source:
      'https://docs.aws.amazon.com/fis/latest/userguide/fis-quotas.html, https://docs.aws.amazon.com/fis/latest/userguide/fis-actions-reference.html',
  },
  {
    id: 'fis-stop-conditions',
    fields: ['failureDrills.faultMinutes'],
    limit:
      "With drills on: FIS stops an experiment only when a stop condition goes into ALARM while it runs, so every stop rule of a drill with a sustained fault must be able to fire within it: its consecutive one-minute datapoints, plus the first minute that can straddle the fault's start, within failureDrills.faultMinutes.",
    source: 'https://docs.aws.amazon.com/fis/latest/userguide/stop-conditions.html',
  },
  {
    id: 'multi-az',
    fields: ['database.multiAz', 'cache.replicasPerShard'],
    limit:
      'staging and prod: a Multi-AZ writer and at least one cache replica (Multi-AZ automatic failover); dev may turn them off (the policy findings are acknowledged there).',
    source:
      'https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.MultiAZSingleStandby.html, https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/AutoFailover.html',
  },
];

/** AWS regions aws-cdk-lib knows about (bundled, so synth stays offline). */
export const AWS_REGIONS: readonly string[] = AWS_REGION_CATALOG.map((r) => r.name);

/** The partition of a region aws-cdk-lib knows (`aws` when it does not know it). */
export function partitionOf(region: string): string {
  return AWS_REGION_CATALOG.find((r) => r.name === region)?.partition ?? 'aws';
}

/**
 * Regions where CloudFront offers Origin Shield, and for other origin regions the one AWS
 * recommends (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/origin-shield.html#choose-origin-shield-region).
 */
export const ORIGIN_SHIELD_REGIONS: readonly string[] = [
  'us-east-1',
  'us-east-2',
  'us-west-2',
  'ap-south-1',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-southeast-1',
  'ap-southeast-2',
  'eu-central-1',
  'eu-west-1',
  'eu-west-2',
  'sa-east-1',
];
export const ORIGIN_SHIELD_FOR: Readonly<Record<string, string>> = {
  'us-west-1': 'us-west-2',
  'af-south-1': 'eu-west-1',
  'ap-east-1': 'ap-southeast-1',
  'ca-central-1': 'us-east-1',
  'eu-south-1': 'eu-central-1',
  'eu-west-3': 'eu-west-2',
  'eu-north-1': 'eu-west-2',
  'me-south-1': 'ap-south-1',
};

/** Whether the runtime knows this IANA time zone. */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** The longest a call waits in backoff over all its retries: attempts - 1 waits, each capped. */
export function worstCaseBackoffMs(app: {
  readonly retryMaxAttempts: number;
  readonly retryBaseDelayMs: number;
  readonly retryMaxDelayMs: number;
}): number {
  let total = 0;
  for (let retry = 0; retry < app.retryMaxAttempts - 1; retry++) total += Math.min(app.retryMaxDelayMs, app.retryBaseDelayMs * 2 ** retry);
  return total;
}

/**
 * Why a p99 target response time alarm at this threshold could never fire (alarm-vs-timeouts), or
 * undefined: the app answers every request within the request timeout, and TargetResponseTime is
 * the time until the target answers
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html).
 */
export function unreachableP99Problem(thresholdSeconds: number, requestTimeoutSeconds: number): string | undefined {
  if (thresholdSeconds < requestTimeoutSeconds) return undefined;
  return `must be below the app request timeout (app.requestTimeoutSeconds: ${requestTimeoutSeconds} s): the app answers every request by then, so the alarm could never fire`;
}

/** Whether CloudWatch accepts this evaluation window (period x evaluation periods). */
export function evaluationWindowProblem(periodSeconds: number, evaluationPeriods: number, datapointsToAlarm: number): string | undefined {
  if (datapointsToAlarm > evaluationPeriods)
    return `datapointsToAlarm (${datapointsToAlarm}) must be <= evaluationPeriods (${evaluationPeriods})`;
  const limit = periodSeconds < 3600 ? 86_400 : 604_800;
  if (periodSeconds * evaluationPeriods > limit)
    return `period ${periodSeconds} s x evaluationPeriods ${evaluationPeriods} = ${periodSeconds * evaluationPeriods} s exceeds CloudWatch's ${limit} s for ${periodSeconds < 3600 ? 'periods under an hour' : 'any alarm'}`;
  return undefined;
}

/** The list of docs/configuration.md, "AWS limits": one item per limit, with its fields, the limit and its AWS sources. */
export function awsLimitsReference(): string {
  const source = (text: string) =>
    text
      .split(/,\s+(?=https:)|;\s+/)
      .map((s) =>
        s.startsWith('https://')
          ? `[${new URL(s.split(' ')[0]).pathname.split('/').pop()}](${s.split(' ')[0]})${s.includes(' ') ? ` ${s.slice(s.indexOf(' ') + 1)}` : ''}`
          : s,
      )
      .join('; ');
  return AWS_LIMITS.flatMap((l) => [
    `- **${l.id}** (${l.fields.map((f) => `\`${f}\``).join(', ')}): ${l.limit}`,
    `  - AWS source: ${source(l.source)}`,
  ]).join('\n');
}

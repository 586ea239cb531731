import { describe, expect, it } from 'vitest';
import { AWS_LIMITS, AWS_REGIONS, worstCaseBackoffMs } from '../../../lib/model/config/aws-limits';
import { BUILTIN_ENVIRONMENTS } from '../../../lib/model/config/builtin-environments';
import { isConfigError } from '../../../lib/model/config/config-error';
import { deepMerge, resolveEnvironments } from '../../../lib/model/config/load-config';
import { addPlatform } from '../../../lib/platform/platform-app';
import { PlatformStack } from '../../../lib/platform/platform-stack';
import { readValidationReport, unacknowledgedFindings } from '../../support/assembly';
import { testApp, VALIDATION_CACHE } from '../../support/test-app';

/**
 * Every AWS limit of docs/configuration.md ("AWS limits"): a config just inside the limit is
 * accepted, one just outside is refused with the field path, the value, the rule and a fix.
 */
type Envs = Record<string, unknown>;
const env = (name: 'dev' | 'staging' | 'prod', change: Record<string, unknown>): Envs => ({
  [name]: deepMerge(BUILTIN_ENVIRONMENTS[name], change),
});

function problemsOf(envs: Envs): string | undefined {
  try {
    resolveEnvironments(envs, 'limits.json');
    return undefined;
  } catch (e) {
    if (isConfigError(e)) return e.message;
    throw e;
  }
}

/** Per row: [label, compliant environments, refused environments, what the message must say]. */
const CASES: Record<string, [string, Envs, Envs, RegExp[]][]> = {
  tags: [
    [
      'an empty tag value (CloudFormation needs 1-256 characters)',
      env('prod', { tags: { team: 'payments' } }),
      env('prod', { tags: { team: '' } }),
      [/environments\.prod\.tags\.team = ""/, /CloudFormation refuses an empty stack tag value/],
    ],
    [
      'a reserved aws: key',
      env('prod', { tags: { 'cost-center': 'cc 42' } }),
      env('prod', { tags: { 'aws:owner': 'me' } }),
      [/tags\.aws:owner/, /not starting with "aws:"/],
    ],
    [
      'a character AWS does not allow',
      env('prod', { tags: { owner: 'team@example.com' } }),
      env('prod', { tags: { owner: 'a|b' } }),
      [/tags\.owner = "a\|b"/, /letters, digits, spaces or _ \. : \/ = \+ - @/],
    ],
  ],
  names: [
    [
      'a stack name with two hyphens in a row (RDS identifiers refuse it)',
      env('prod', { stackName: 'lb-prod' }),
      env('prod', { stackName: 'lb--prod' }),
      [/stackName = "lb--prod"/, /single "-"/],
    ],
    [
      'a stack name ending in a hyphen',
      env('prod', { stackName: 'lb-prod2' }),
      env('prod', { stackName: 'lb-prod-' }),
      [/stackName = "lb-prod-"/, /not ending with "-"/],
    ],
    [
      'an environment name ending in a hyphen',
      { 'pr-42': { ...BUILTIN_ENVIRONMENTS.dev } },
      { 'pr-': { ...BUILTIN_ENVIRONMENTS.dev } },
      [/environments\.pr-/, /not ending with "-"/],
    ],
  ],
  region: [
    [
      'a region that matches the old pattern but does not exist',
      env('prod', {}),
      { prod: { ...BUILTIN_ENVIRONMENTS.prod, region: 'us-east-9', availabilityZones: ['us-east-9a', 'us-east-9b'] } },
      [/region = "us-east-9"/, /not an AWS region/, /did you mean "us-east-1"\?/],
    ],
  ],
  schedule: [
    [
      'a time zone that is not IANA',
      env('prod', { fleet: { scheduledActions: [{ name: 'Peak', schedule: '0 8 * * 1-5', timeZone: 'Europe/Berlin', minCapacity: 8 }] } }),
      env('prod', { fleet: { scheduledActions: [{ name: 'Peak', schedule: '0 8 * * 1-5', timeZone: 'CET+1', minCapacity: 8 }] } }),
      [/scheduledActions\[0\]\.timeZone = "CET\+1"/, /IANA time zone/],
    ],
    [
      'a new minimum above the group maximum',
      env('prod', { fleet: { scheduledActions: [{ name: 'Peak', schedule: '0 8 * * *', minCapacity: 24 }] } }),
      env('prod', { fleet: { scheduledActions: [{ name: 'Peak', schedule: '0 8 * * *', minCapacity: 25 }] } }),
      [/scheduledActions\[0\]\.minCapacity = 25/, /<= fleet\.maxCapacity \(24\)/],
    ],
    [
      'a new maximum below the group minimum',
      env('prod', { fleet: { scheduledActions: [{ name: 'Night', schedule: '0 2 * * *', maxCapacity: 6 }] } }),
      env('prod', { fleet: { scheduledActions: [{ name: 'Night', schedule: '0 2 * * *', maxCapacity: 5 }] } }),
      [/scheduledActions\[0\]\.maxCapacity = 5/, />= fleet\.minCapacity \(6\)/],
    ],
    [
      'an action that changes nothing',
      env('prod', { fleet: { scheduledActions: [{ name: 'Night', schedule: '0 2 * * *', maxCapacity: 12 }] } }),
      env('prod', { fleet: { scheduledActions: [{ name: 'Night', schedule: '0 2 * * *' }] } }),
      [/scheduledActions\[0\] = "Night"/, /changes nothing/],
    ],
  ],
  'fis-targets': [
    [
      'an az-loss drill that would stop more instances of one AZ than FIS allows',
      env('staging', { fleet: { minCapacity: 15, maxCapacity: 24 }, failureDrills: { maxTargetsPerAction: 15 } }),
      env('staging', { fleet: { minCapacity: 15, maxCapacity: 24 }, failureDrills: { maxTargetsPerAction: 4 } }),
      [/failureDrills\.maxTargetsPerAction = 4/, /stops up to 5 instances of one AZ/],
    ],
    [
      'a cpu-stress drill that could never be detected',
      env('prod', { failureDrills: { enabled: true, cpuLoadPercent: 100 } }),
      env('prod', { failureDrills: { enabled: true, cpuLoadPercent: 96 } }),
      [/failureDrills\.cpuLoadPercent = 96/, /an average of 80%/],
    ],
    [
      'a drill AZ the environment does not have',
      env('staging', { failureDrills: { zones: ['us-east-1c'] } }),
      env('staging', { failureDrills: { zones: ['us-east-1d'] } }),
      [/failureDrills\.zones\[0\] = "us-east-1d"/, /availability zones/],
    ],
  ],
  'instance-refresh': [
    [
      'checkpoints that do not end at 100 (the refresh would stop before it replaces everyone)',
      env('prod', { fleet: { instanceRefresh: { checkpointPercentages: [20, 100] } } }),
      env('prod', { fleet: { instanceRefresh: { checkpointPercentages: [20, 50] } } }),
      [/instanceRefresh\.checkpointPercentages = \[20,50\]/, /the last one 100/, /API_RefreshPreferences\.html/],
    ],
    [
      'checkpoints out of order',
      env('prod', { fleet: { instanceRefresh: { checkpointPercentages: [34, 67, 100] } } }),
      env('prod', { fleet: { instanceRefresh: { checkpointPercentages: [67, 34, 100] } } }),
      [/checkpointPercentages = \[67,34,100\]/, /ascending and unique/],
    ],
    [
      'a checkpoint delay above 48 hours',
      env('prod', { fleet: { instanceRefresh: { checkpointDelaySeconds: 172_800 } } }),
      env('prod', { fleet: { instanceRefresh: { checkpointDelaySeconds: 172_801 } } }),
      [/checkpointDelaySeconds = 172801/, /from 0 to 172800/, /API_RefreshPreferences\.html/],
    ],
    [
      'a negative bake',
      env('prod', { fleet: { instanceRefresh: { bakeSeconds: 0 } } }),
      env('prod', { fleet: { instanceRefresh: { bakeSeconds: -1 } } }),
      [/bakeSeconds = -1/, /from 0 to 172800/],
    ],
    [
      'healthy percentages more than 100 apart',
      env('prod', { fleet: { instanceRefresh: { minHealthyPercentage: 100, maxHealthyPercentage: 200 } } }),
      env('prod', {
        fleet: { instanceRefresh: { minHealthyPercentage: 90, maxHealthyPercentage: 200 } },
      }),
      [/maxHealthyPercentage = 200/, /at most 100 above minHealthyPercentage \(90\)/, /API_InstanceMaintenancePolicy\.html/],
    ],
  ],
  'refresh-alarms': [
    [
      'more than 10 alarms for the refresh',
      env('prod', { delivery: { releaseAlarms: { extraAlarmNames: Array.from({ length: 8 }, (_, i) => `mine-${i}`) } } }),
      env('prod', { delivery: { releaseAlarms: { extraAlarmNames: Array.from({ length: 9 }, (_, i) => `mine-${i}`) } } }),
      [/extraAlarmNames/, /would watch 11 alarms/, /at most 10/, /API_AlarmSpecification\.html/],
    ],
  ],
  'rollback-triggers': [
    [
      'more than 5 rollback triggers',
      env('prod', {
        delivery: {
          rollbackTriggers: ['alb-target-5xx-rate', 'alb-elb-5xx-rate', 'alb-latency-p99', 'alb-healthy-hosts-low', 'app-shed-requests'],
        },
      }),
      env('prod', {
        delivery: {
          rollbackTriggers: [
            'alb-target-5xx-rate',
            'alb-elb-5xx-rate',
            'alb-latency-p99',
            'alb-healthy-hosts-low',
            'app-shed-requests',
            'fleet-in-service-low',
          ],
        },
      }),
      [/delivery\.rollbackTriggers/, /holds 6 alarms/, /at most 5 rollback triggers/, /API_RollbackConfiguration\.html/],
    ],
    [
      'a monitoring time above 180 minutes',
      env('prod', { delivery: { monitoringMinutes: 180 } }),
      env('prod', { delivery: { monitoringMinutes: 181 } }),
      [/delivery\.monitoringMinutes = 181/, /from 0 to 180/, /API_RollbackConfiguration\.html/],
    ],
  ],
  'warm-pool': [
    [
      'a warm pool with Spot',
      env('prod', { fleet: { warmPool: { enabled: true } } }),
      env('prod', { fleet: { warmPool: { enabled: true }, spotPercentAboveBase: 10 } }),
      [/fleet\.spotPercentAboveBase = 10/, /\[SA-4\]/],
    ],
    [
      'a warm pool with an On-Demand base',
      env('prod', { fleet: { onDemandBaseCapacity: 6 } }),
      env('prod', { fleet: { warmPool: { enabled: true }, onDemandBaseCapacity: 6 } }),
      [/fleet\.onDemandBaseCapacity = 6/, /has no effect/],
    ],
  ],
  'warm-pool-state': [
    [
      'a hibernated warm pool (the launch template does not enable hibernation)',
      env('prod', { fleet: { warmPool: { enabled: true, state: 'Running' } } }),
      env('prod', { fleet: { warmPool: { enabled: true, state: 'Hibernated' } } }),
      [/fleet\.warmPool\.state = "Hibernated"/, /does not enable hibernation/, /use "Stopped"/],
    ],
  ],
  'origin-shield': [
    [
      'an Origin Shield region CloudFront does not offer',
      env('prod', { edge: { originShield: { enabled: true, region: 'eu-west-1' } } }),
      env('prod', { edge: { originShield: { enabled: true, region: 'eu-west-3' } } }),
      [
        /edge\.originShield\.region = "eu-west-3"/,
        /not a region where CloudFront offers Origin Shield/,
        /"eu-west-2", the region AWS recommends/,
      ],
    ],
    [
      'the default (stack region) where Origin Shield is not offered',
      env('prod', { edge: { originShield: { enabled: true } } }),
      env('prod', {
        region: 'ca-central-1',
        availabilityZones: ['ca-central-1a', 'ca-central-1b', 'ca-central-1d'],
        loadBalancer: { certificateArn: 'arn:aws:acm:ca-central-1:333333333333:certificate/00000000-0000-4000-8000-000000000003' },
        edge: {
          originShield: { enabled: true },
          webAclArn: 'arn:aws:wafv2:us-east-1:333333333333:global/webacl/edge/11111111-2222-3333-4444-555555555555',
        },
      }),
      [/edge\.originShield\.region = \(missing\)/, /ca-central-1 \(the stack region, the default\)/, /"us-east-1"/],
    ],
  ],
  'alarm-evaluation': [
    [
      'datapointsToAlarm above evaluationPeriods (was capped silently)',
      env('prod', { alarms: { evaluationPeriods: 5, datapointsToAlarm: 5 } }),
      env('prod', { alarms: { evaluationPeriods: 5, datapointsToAlarm: 6 } }),
      [/alarms\.datapointsToAlarm = 6/, /must be <= evaluationPeriods \(5\)/],
    ],
    [
      'an override with more datapoints than periods',
      env('prod', { alarms: { overrides: { 'db-writer-cpu': { evaluationPeriods: 3, datapointsToAlarm: 3 } } } }),
      env('prod', { alarms: { overrides: { 'db-writer-cpu': { evaluationPeriods: 3, datapointsToAlarm: 4 } } } }),
      [/overrides\.db-writer-cpu\.datapointsToAlarm = 4/],
    ],
    [
      'an evaluation window over a day',
      env('prod', { alarms: { periodSeconds: 300, evaluationPeriods: 100, datapointsToAlarm: 3 } }),
      env('prod', { alarms: { overrides: { 'db-writer-cpu': { periodSeconds: 900, evaluationPeriods: 100 } } } }),
      [/overrides\.db-writer-cpu/, /90000 s exceeds CloudWatch's 86400 s/],
    ],
  ],
  'retry-budget': [
    [
      'retries whose backoff alone outlasts the request deadline',
      env('prod', { app: { retryMaxAttempts: 10, retryBaseDelayMs: 100, retryMaxDelayMs: 8000 } }),
      env('prod', { app: { retryMaxAttempts: 10, retryBaseDelayMs: 100, retryMaxDelayMs: 10000 } }),
      [
        /app\.retryMaxAttempts = 10/,
        /can wait up to 32700 ms in backoff alone, not less than the request deadline \(app\.requestTimeoutSeconds: 30000 ms\)/,
      ],
    ],
    [
      'a first backoff above the cap',
      env('prod', { app: { retryBaseDelayMs: 1000 } }),
      env('prod', { app: { retryBaseDelayMs: 1001 } }),
      [/app\.retryBaseDelayMs = 1001/, /<= app\.retryMaxDelayMs \(1000\)/],
    ],
  ],
  'alarm-vs-timeouts': [
    [
      'a p99 latency alarm at the request timeout',
      env('prod', { alarms: { latencyP99Seconds: 29 } }),
      env('prod', { alarms: { latencyP99Seconds: 30 } }),
      [/alarms\.latencyP99Seconds = 30/, /could never fire/],
    ],
    [
      'a drill p99 stop rule at the request timeout (2 s + 2 x 0.5 s + 5 round trips x the delay)',
      env('staging', { failureDrills: { dependencyLatencyMs: 5000 } }),
      env('staging', { failureDrills: { dependencyLatencyMs: 5400 } }),
      [/failureDrills\.dependencyLatencyMs = 5400/, /dependency-latency drill's p99 stop rule comes to 30 s/, /could never fire/],
    ],
  ],
  'fis-stop-conditions': [
    [
      'a stop rule whose window outlasts the fault (slow health checks: a 160 s recovery, 5 minutes beyond it)',
      // Without the per-AZ alarms: the gray-az drill (a 300 s recovery) needs 8 minutes of fault itself.
      env('staging', {
        loadBalancer: { healthCheck: { intervalSeconds: 30, unhealthyThresholdCount: 5, timeoutSeconds: 10 } },
        failureDrills: { faultMinutes: 6 },
        zonal: { alarms: false },
      }),
      env('staging', {
        loadBalancer: { healthCheck: { intervalSeconds: 30, unhealthyThresholdCount: 5, timeoutSeconds: 10 } },
        failureDrills: { faultMinutes: 5 },
        zonal: { alarms: false },
      }),
      [
        /failureDrills\.faultMinutes = 5/,
        /az-loss drill's stop rule "errors-too-long"/,
        /FIS watches stop conditions only while the experiment runs/,
        /raise failureDrills\.faultMinutes to 6 or more/,
      ],
    ],
  ],
  'log-retention': [
    [
      'log retention under a year (Control Tower refuses it after synth)',
      env('staging', { database: { logRetentionDays: 365 } }),
      env('staging', { database: { logRetentionDays: 180 } }),
      [/database\.logRetentionDays = 180/, /a year or more/, /use 365/],
    ],
  ],
  backups: [
    [
      'backups under 7 days (Control Tower refuses them after synth)',
      env('prod', { database: { backupRetentionDays: 7 } }),
      env('prod', { database: { backupRetentionDays: 6 } }),
      [/database\.backupRetentionDays = 6/, />= 7/],
    ],
  ],
  'edge-origin': [
    [
      'an edge without an ALB certificate (origin secret over plain HTTP)',
      env('staging', { edge: { enabled: true, originDomainName: 'origin.example.com' } }),
      env('dev', { edge: { enabled: true }, waf: { enabled: true } }),
      [/dev\.loadBalancer\.certificateArn = \(missing\)/, /plain HTTP/],
    ],
    [
      'an edge without any web ACL',
      env('staging', { edge: { enabled: true, originDomainName: 'origin.example.com' } }),
      env('staging', { edge: { enabled: true, originDomainName: 'origin.example.com' }, waf: { enabled: false } }),
      [/staging\.edge\.webAclArn = \(missing\)/, /needs a web ACL/],
    ],
  ],
  'multi-az': [
    [
      'a single-AZ writer in staging (dev may)',
      env('dev', { database: { multiAz: false } }),
      env('staging', { database: { multiAz: false } }),
      [/staging\.database\.multiAz = false/, /Multi-AZ writer/],
    ],
    [
      'a cache without replicas in prod (dev may)',
      env('dev', { cache: { replicasPerShard: 0 } }),
      env('prod', { cache: { replicasPerShard: 0 } }),
      [/prod\.cache\.replicasPerShard = 0/],
    ],
  ],
};

describe('the AWS limits list', () => {
  it('has cases for every row, and only for rows', () => {
    expect(Object.keys(CASES).sort()).toEqual(AWS_LIMITS.map((l) => l.id).sort());
  });

  it('cites an AWS source for every row', () => {
    for (const limit of AWS_LIMITS) expect(limit.source, limit.id).toMatch(/https:\/\/docs\.aws\.amazon\.com\//);
  });
});

describe.each(Object.entries(CASES))('%s', (_id, cases) => {
  it.each(cases)(
    '%s: accepts the compliant config, refuses the other with path, value, rule and fix',
    (_label, compliant, refused, patterns) => {
      expect(problemsOf(compliant)).toBeUndefined();
      const message = problemsOf(refused) ?? synthProblem(refused);
      expect(message, 'expected a refusal').toBeDefined();
      for (const pattern of patterns) expect(message).toMatch(pattern);
      expect(message).toMatch(/rule: .+\n +fix: +.+/);
      expect(message).not.toMatch(/\n\s+at /);
    },
  );
});

/** Limits that depend on an alarm's own defaults are refused while the stack is built. */
function synthProblem(envs: Envs): string | undefined {
  const [config] = resolveEnvironments(envs, 'limits.json');
  try {
    new PlatformStack(testApp(), config.stackName, { config });
    return undefined;
  } catch (e) {
    if (isConfigError(e)) return e.message;
    throw e;
  }
}

describe('what the schema accepts, the policy gates accept (one gated synth of two stacks)', () => {
  it('passes cdk-nag and the Control Tower controls for the relaxations only dev may use, and for a warm pool with Redis OSS', () => {
    const configs = resolveEnvironments(
      {
        'dev-lean': deepMerge(BUILTIN_ENVIRONMENTS.dev, { database: { multiAz: false, readReplicas: 0 }, cache: { replicasPerShard: 0 } }),
        'prod-warm': deepMerge(BUILTIN_ENVIRONMENTS.prod, {
          fleet: { warmPool: { enabled: true, minSize: 2 } },
          cache: { engine: 'redis', engineVersion: '7.1' },
        }),
      },
      'gates.json',
    );
    const app = testApp();
    addPlatform(app, configs, { cacheDirectory: VALIDATION_CACHE });
    expect(unacknowledgedFindings(readValidationReport(app.synth().directory))).toEqual([]);
  });
});

describe('helpers', () => {
  it('knows real regions and no invented ones', () => {
    expect(AWS_REGIONS).toEqual(expect.arrayContaining(['us-east-1', 'eu-west-1', 'ap-southeast-2']));
    expect(AWS_REGIONS).not.toContain('us-east-9');
  });

  it('adds up the worst-case backoff: each retry waits at most min(cap, base x 2^n)', () => {
    expect(worstCaseBackoffMs({ retryMaxAttempts: 3, retryBaseDelayMs: 50, retryMaxDelayMs: 1000 })).toBe(50 + 100);
    expect(worstCaseBackoffMs({ retryMaxAttempts: 10, retryBaseDelayMs: 50, retryMaxDelayMs: 4000 })).toBe(
      50 + 100 + 200 + 400 + 800 + 1600 + 3200 + 4000 + 4000,
    );
  });
});

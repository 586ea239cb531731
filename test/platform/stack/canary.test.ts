import { beforeAll, describe, expect, inject, it } from 'vitest';
import { canaryChecks, canaryMonthlyCost, canaryRequestsPer5Minutes, pathPatternMatches } from '../../../lib/model/config/canary-checks';
import { isConfigError } from '../../../lib/model/config/config-error';
import { DEFAULT_ROLLBACK_TRIGGERS, ROLLBACK_TRIGGER_LIMITS } from '../../../lib/model/config/delivery-settings';
import { builtinEnvironments } from '../../../lib/model/config/load-config';
import { LAMBDA_RUNTIMES } from '../../../lib/model/config/lambda-runtimes';
import { DELIVERY_METADATA, type DeliveryMetadata } from '../../../lib/platform/platform-stack';
import { readTemplate, resourcesOfType, type CfnResource, type CfnTemplate } from '../../support/assembly';
import { environment, synthPlatform } from '../../support/platform-variants';

/**
 * Canary traffic (constructs/canary.ts): every environment has a scheduled function that requests
 * the health check and one read through the ALB (and CloudFront in prod), whose failures are an
 * alarm that pages, is a rollback trigger and joins service-health, but never a refresh alarm.
 */
const dir = inject('assemblyDir');
const one = (t: CfnTemplate, type: string, prefix: string): [string, CfnResource] => {
  const found = Object.entries(resourcesOfType(t, type)).filter(([id]) => id.startsWith(prefix));
  expect(
    found.map(([id]) => id),
    `${type} ${prefix}*`,
  ).toHaveLength(1);
  return found[0]!;
};
const metadataOf = (t: CfnTemplate) => (t as { Metadata?: Record<string, DeliveryMetadata> }).Metadata![DELIVERY_METADATA]!;

describe.each(builtinEnvironments().map((e) => [e.name, e.stackName] as const))('the canary of %s', (name, stackName) => {
  let t: CfnTemplate;
  let fnId: string;
  let fn: CfnResource;
  beforeAll(() => {
    t = readTemplate(dir, stackName);
    [fnId, fn] = one(t, 'AWS::Lambda::Function', 'CanaryFunction');
  });
  const env = () => (fn.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;

  it('is a function on a pinned runtime the tripwire table lists, outside any VPC, logging to its own encrypted group of a year', () => {
    expect(fn.Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], MemorySize: 128, Timeout: 25 });
    expect(fn.Properties!.VpcConfig).toBeUndefined();
    expect(LAMBDA_RUNTIMES.find((r) => r.runtime === 'nodejs24.x')!.usedBy.join(' ')).toMatch(/canary/);
    const [logsId, logs] = one(t, 'AWS::Logs::LogGroup', 'CanaryLogs');
    expect(logs.Properties).toMatchObject({ RetentionInDays: 365, KmsKeyId: { 'Fn::GetAtt': [expect.stringMatching(/^LogsKey/), 'Arn'] } });
    expect((fn.Properties!.LoggingConfig as { LogGroup: unknown }).LogGroup).toEqual({ Ref: logsId });
  });

  it('runs every minute, once: no retry by EventBridge or by Lambda (a retry would count one failure twice)', () => {
    const [, rule] = one(t, 'AWS::Events::Rule', 'CanarySchedule');
    expect(rule.Properties).toMatchObject({ ScheduleExpression: 'rate(1 minute)', State: 'ENABLED' });
    expect((rule.Properties!.Targets as { Arn: unknown; RetryPolicy: unknown }[])[0]).toMatchObject({
      Arn: { 'Fn::GetAtt': [fnId, 'Arn'] },
      RetryPolicy: { MaximumRetryAttempts: 0 },
    });
    const [, invoke] = one(t, 'AWS::Lambda::EventInvokeConfig', 'CanaryFunctionEventInvokeConfig');
    expect(invoke.Properties).toMatchObject({ MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 });
  });

  it('starts only once the fleet, the listeners, the web ACLs and (prod) CloudFront and the origin record exist, so a first create does not page', () => {
    const [, rule] = one(t, 'AWS::Events::Rule', 'CanarySchedule');
    const after = new Set(rule.DependsOn as string[]);
    const ids = (type: string) => Object.keys(resourcesOfType(t, type));
    for (const id of [
      ...ids('AWS::AutoScaling::AutoScalingGroup'),
      ...ids('AWS::ElasticLoadBalancingV2::Listener'),
      ...ids('AWS::ElasticLoadBalancingV2::ListenerRule'),
      ...ids('AWS::WAFv2::WebACLAssociation'),
      ...ids('AWS::CloudFront::Distribution'),
      ...ids('AWS::Route53::RecordSet'),
    ])
      expect(after.has(id), id).toBe(true);
  });

  it('checks the health path and the read path through the ALB, and through CloudFront in prod', () => {
    const checks = JSON.parse(String(env().CHECKS)) as { name: string; path: string }[];
    expect(checks.map((c) => `${c.name} ${c.path}`)).toEqual([
      'alb-health /healthz',
      'alb-read /api/items?limit=1',
      ...(name === 'prod' ? ['edge-health /healthz', 'edge-read /api/items?limit=1'] : []),
    ]);
    expect(env().ALB_DNS).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^LoadBalancer/), 'DNSName'] });
    expect(env().ALB_HTTPS).toBe(name === 'dev' ? 'false' : 'true');
    expect(env().EDGE_DOMAIN).toEqual(name === 'prod' ? { 'Fn::GetAtt': [expect.stringMatching(/^Edge/), 'DomainName'] } : undefined);
  });

  it('holds the origin secret only where the ALB requires it (prod), with a grant of GetSecretValue on that secret alone', () => {
    const [, policy] = one(t, 'AWS::IAM::Policy', 'CanaryRoleDefaultPolicy');
    const statements = (policy.Properties!.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] }).Statement;
    const secretStatements = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('secretsmanager:')));
    if (name === 'prod') {
      const [secretId] = Object.keys(resourcesOfType(t, 'AWS::SecretsManager::Secret')).filter((id) => id.startsWith('EdgeOriginVerify'));
      expect(secretStatements).toEqual([
        { Sid: 'ReadOriginVerifySecret', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: { Ref: secretId } },
      ]);
      expect(env()).toMatchObject({
        ORIGIN_SECRET_ARN: { Ref: secretId },
        ORIGIN_HEADER: 'x-origin-verify',
        ALB_HOST_NAME: 'origin.prod.loadbearing.example.com',
      });
    } else {
      expect(secretStatements).toEqual([]);
      expect(env().ORIGIN_SECRET_ARN).toBeUndefined();
    }
    // Nothing else: its log group, and no wildcard resource.
    for (const s of statements) expect(s.Resource, JSON.stringify(s)).not.toBe('*');
    expect(
      statements.flatMap((s) => [s.Action].flat()).filter((a) => !a.startsWith('logs:') && a !== 'secretsmanager:GetSecretValue'),
    ).toEqual([]);
  });

  it('alarms on the function errors as <stack>-canary-failures: critical, paging, missing data not breaching', () => {
    const [, alarm] = one(t, 'AWS::CloudWatch::Alarm', 'CanaryFailuresAlarm');
    expect(alarm.Properties).toMatchObject({
      AlarmName: `${stackName}-canary-failures`,
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: fnId } }],
      Statistic: 'Sum',
      Period: 60,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      ActionsEnabled: true,
    });
    expect(String(alarm.Properties!.AlarmDescription)).toMatch(/^\[critical\] Canary runs failed/);
    expect((alarm.Properties!.AlarmActions as unknown[]).length).toBeGreaterThan(0);
  });

  it('is a rollback trigger (within the limit of 5) and a user-facing alarm of service-health, and never a refresh alarm', () => {
    const delivery = metadataOf(t);
    expect(delivery.rollbackTriggers).toContain(`${stackName}-canary-failures`);
    expect(delivery.rollbackTriggers.length).toBeLessThanOrEqual(ROLLBACK_TRIGGER_LIMITS.maxTriggers);
    expect(delivery.refreshAlarms.some((a) => a.includes('canary'))).toBe(false);
    const health = Object.values(resourcesOfType(t, 'AWS::CloudWatch::CompositeAlarm')).find(
      (a) => a.Properties!.AlarmName === `${stackName}-service-health`,
    )!;
    expect(JSON.stringify(health.Properties!.AlarmRule)).toContain('CanaryFailuresAlarm');
  });
});

describe('the canary settings', () => {
  it('are on by default, with canary-failures the fifth default rollback trigger (CloudFormation takes at most 5)', () => {
    expect(DEFAULT_ROLLBACK_TRIGGERS).toHaveLength(ROLLBACK_TRIGGER_LIMITS.maxTriggers);
    expect(DEFAULT_ROLLBACK_TRIGGERS).toContain('canary-failures');
  });

  it('refuse a canary turned off while its alarm is still a rollback trigger, naming the field and the fix', () => {
    let message = '';
    try {
      environment('staging', { delivery: { canary: { enabled: false } } });
    } catch (e) {
      if (!isConfigError(e)) throw e;
      message = e.message;
    }
    expect(message).toMatch(/staging\.delivery\.rollbackTriggers\[4\] = "canary-failures"/);
    expect(message).toMatch(/delivery\.canary\.enabled is false/);
    expect(message).toMatch(/remove "canary-failures" from delivery\.rollbackTriggers, or turn the canary on/);
  });

  it('leave no canary resource when turned off with the other four triggers', () => {
    const config = environment('staging', {
      delivery: { canary: { enabled: false }, rollbackTriggers: DEFAULT_ROLLBACK_TRIGGERS.filter((k) => k !== 'canary-failures') },
    });
    const t = synthPlatform(config) as unknown as CfnTemplate;
    expect(Object.keys(t.Resources).filter((id) => id.startsWith('Canary'))).toEqual([]);
  });

  it('run less often at a longer rate: the alarm period follows it', () => {
    const t = synthPlatform(environment('dev', { delivery: { canary: { rateMinutes: 5 } } })) as unknown as CfnTemplate;
    expect(one(t, 'AWS::Events::Rule', 'CanarySchedule')[1].Properties!.ScheduleExpression).toBe('rate(5 minutes)');
    expect(one(t, 'AWS::CloudWatch::Alarm', 'CanaryFailuresAlarm')[1].Properties!.Period).toBe(300);
  });

  it('check a configured host name for an HTTPS ALB without an edge, and never send a secret there', () => {
    const t = synthPlatform(
      environment('staging', { delivery: { canary: { hostName: 'origin.staging.example.com' } } }),
    ) as unknown as CfnTemplate;
    const vars = (one(t, 'AWS::Lambda::Function', 'CanaryFunction')[1].Properties!.Environment as { Variables: Record<string, unknown> })
      .Variables;
    expect(vars).toMatchObject({ ALB_HOST_NAME: 'origin.staging.example.com', ALB_HTTPS: 'true' });
    expect(vars.ORIGIN_SECRET_ARN).toBeUndefined();
  });
});

describe('the canary checks', () => {
  it('match ALB path patterns (* any run, ? one character, the path without its query string)', () => {
    expect(pathPatternMatches('/*', '/healthz')).toBe(true);
    expect(pathPatternMatches('/api/*', '/api/items?limit=1')).toBe(true);
    expect(pathPatternMatches('/api/item?', '/api/items')).toBe(true);
    expect(pathPatternMatches('/api/*', '/healthz')).toBe(false);
    expect(pathPatternMatches('/API/*', '/api/items')).toBe(false);
    expect(pathPatternMatches('/a.c', '/abc')).toBe(false);
  });

  it('expect the maintenance status where the switch covers a path, and the degraded page (503) through CloudFront where that class has one', () => {
    const checks = canaryChecks({
      healthPath: '/healthz',
      readPath: '/pages/home',
      edge: true,
      maintenance: { statusCode: 502, pathPatterns: ['/pages/*'] },
      degradedPatterns: ['/pages/*'],
    });
    expect(checks.map((c) => [c.name, c.expect])).toEqual([
      ['alb-health', [[200, 200]]],
      ['alb-read', [[502, 502]]],
      ['edge-health', [[200, 200]]],
      [
        'edge-read',
        [
          [502, 502],
          [503, 503],
        ],
      ],
    ]);
  });

  it('count at most floor(5 / rate) + 1 runs in a 5-minute window', () => {
    const checks = canaryChecks({ healthPath: '/healthz', readPath: '/r', edge: true });
    expect(canaryRequestsPer5Minutes(checks, 1)).toEqual({ alb: 12, edge: 12 });
    expect(canaryRequestsPer5Minutes(checks, 5)).toEqual({ alb: 4, edge: 4 });
    expect(canaryRequestsPer5Minutes(checks, 60)).toEqual({ alb: 2, edge: 2 });
  });

  it('cost about $0.30 a month per environment at one run a minute, against $52.56 for CloudWatch Synthetics', () => {
    // 128 MB, 2 s billed a run (four checks at once; a cold start's secret read included).
    expect(canaryMonthlyCost({ rateMinutes: 1, memoryMb: 128, billedSecondsPerRun: 2 })).toEqual({
      runs: 43_800,
      lambda: 0.19,
      alarm: 0.1,
      logs: 0.01,
      total: 0.3,
      synthetics: 52.56,
    });
  });
});

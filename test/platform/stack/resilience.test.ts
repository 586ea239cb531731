import { environmentBootTiming } from '../../../lib/model/config/boot-timing';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { BUILTIN_ENVIRONMENTS } from '../../../lib/model/config/builtin-environments';
import { builtinEnvironments, deepMerge, resolveEnvironments } from '../../../lib/model/config/load-config';
import { addPlatform } from '../../../lib/platform/platform-app';
import { readTemplate, resourcesOfType, type CfnTemplate } from '../../support/assembly';
import { testApp } from '../../support/test-app';

const dir = inject('assemblyDir');
const prodConfig = builtinEnvironments().find((e) => e.name === 'prod')!;
let prod: Template;
let prodJson: CfnTemplate;
let staging: CfnTemplate;
let dev: Template;

beforeAll(() => {
  prodJson = readTemplate(dir, 'loadbearing-prod');
  prod = Template.fromJSON(prodJson);
  staging = readTemplate(dir, 'loadbearing-staging');
  dev = Template.fromJSON(readTemplate(dir, 'loadbearing-dev'));
});

describe('edge protection: WAF on the ALB', () => {
  it('rate-limits each client IP with a consistent JSON 429 and Retry-After (at the edge in prod; on the ALB without an edge)', () => {
    Template.fromJSON(staging).hasResourceProperties('AWS::WAFv2::WebACL', {
      Scope: 'REGIONAL',
      DefaultAction: { Allow: {} },
      Rules: Match.arrayWith([
        Match.objectLike({
          Name: 'rate-limit-per-ip',
          Priority: 0,
          Statement: { RateBasedStatement: { Limit: prodConfig.waf.rateLimitPerIp, AggregateKeyType: 'IP', EvaluationWindowSec: 300 } },
        }),
      ]),
    });
    prod.hasResourceProperties('AWS::WAFv2::WebACL', {
      Scope: 'CLOUDFRONT',
      DefaultAction: { Allow: {} },
      CustomResponseBodies: { 'rate-limited': { ContentType: 'APPLICATION_JSON', Content: prodConfig.waf.blockResponse.body } },
      Rules: Match.arrayWith([
        Match.objectLike({
          Name: 'rate-limit-per-ip',
          Priority: 0,
          Statement: { RateBasedStatement: { Limit: prodConfig.waf.rateLimitPerIp, AggregateKeyType: 'IP', EvaluationWindowSec: 300 } },
          Action: {
            Block: {
              CustomResponse: {
                ResponseCode: 429,
                CustomResponseBodyKey: 'rate-limited',
                ResponseHeaders: [{ Name: 'Retry-After', Value: String(prodConfig.waf.blockResponse.retryAfterSeconds) }],
              },
            },
          },
        }),
      ]),
    });
  });

  it('applies the AWS common and known-bad-inputs managed rule sets', () => {
    const acl = Object.values(resourcesOfType(prodJson, 'AWS::WAFv2::WebACL'))[0];
    const managed = (acl.Properties?.Rules as { Statement: { ManagedRuleGroupStatement?: { Name: string } } }[])
      .map((r) => r.Statement.ManagedRuleGroupStatement?.Name)
      .filter(Boolean);
    expect(managed).toEqual(['AWSManagedRulesCommonRuleSet', 'AWSManagedRulesKnownBadInputsRuleSet']);
  });

  it('is associated with the ALB and logs to an aws-waf-logs- group with secrets redacted', () => {
    prod.hasResourceProperties('AWS::WAFv2::WebACLAssociation', { ResourceArn: { Ref: Match.stringLikeRegexp('^LoadBalancer') } });
    prod.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: 'aws-waf-logs-loadbearing-prod',
      RetentionInDays: prodConfig.waf.logRetentionDays,
    });
    prod.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', {
      RedactedFields: [{ SingleHeader: { Name: 'authorization' } }, { SingleHeader: { Name: 'cookie' } }],
    });
  });

  it('is on in staging and prod, off in dev', () => {
    expect(Object.keys(resourcesOfType(staging, 'AWS::WAFv2::WebACL'))).toHaveLength(1);
    dev.resourceCountIs('AWS::WAFv2::WebACL', 0);
  });
});

describe('connection handling: RDS Proxy and read/write separation', () => {
  it('puts a TLS-only, IAM-authenticated proxy in front of the writer with the configured pool', () => {
    prod.hasResourceProperties('AWS::RDS::DBProxy', {
      EngineFamily: 'POSTGRESQL',
      RequireTLS: true,
      // The app role's own secret first, then the master secret (operators); IAM for both.
      Auth: [
        { AuthScheme: 'SECRETS', IAMAuth: 'REQUIRED', SecretArn: { Ref: Match.stringLikeRegexp('^DatabaseAppSecretAttachment') } },
        { AuthScheme: 'SECRETS', IAMAuth: 'REQUIRED', SecretArn: { Ref: Match.stringLikeRegexp('^DatabaseSecretAttachment') } },
      ],
      DBProxyName: 'loadbearing-prod-proxy',
    });
    prod.hasResourceProperties('AWS::RDS::DBProxyTargetGroup', {
      DBInstanceIdentifiers: [{ Ref: Match.stringLikeRegexp('^DatabaseWriter') }],
      ConnectionPoolConfigurationInfo: {
        MaxConnectionsPercent: prodConfig.database.proxy.maxConnectionsPercent,
        MaxIdleConnectionsPercent: prodConfig.database.proxy.maxIdleConnectionsPercent,
        ConnectionBorrowTimeout: prodConfig.database.proxy.borrowTimeoutSeconds,
      },
    });
    dev.resourceCountIs('AWS::RDS::DBProxy', 0);
  });

  it('hands the app the proxy as writer endpoint, the replicas as readers, and IAM auth', () => {
    prod.hasResourceProperties('AWS::SSM::Parameter', {
      Name: '/loadbearing-prod/db/writer/host',
      Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DatabaseProxy'), 'Endpoint'] },
    });
    const userData = JSON.stringify(Object.values(resourcesOfType(prodJson, 'AWS::EC2::LaunchTemplate'))[0].Properties);
    expect(userData).toMatch(/DB_WRITER_HOST=",\{"Fn::GetAtt":\["DatabaseProxy[0-9A-F]+","Endpoint"\]\}/);
    expect(userData).toContain('DB_IAM_AUTH=true');
    expect(userData).toMatch(
      /DB_READER_HOSTS=",\{"Fn::GetAtt":\["DatabaseReplica1[0-9A-F]+","Endpoint.Address"\]\},",",\{"Fn::GetAtt":\["DatabaseReplica2/,
    );
  });

  it('lets the app reach the proxy and the proxy reach the writer, on 5432 only', () => {
    const ingress = Object.values(resourcesOfType(prodJson, 'AWS::EC2::SecurityGroupIngress')).map((r) => r.Properties!);
    const proxyIn = ingress.filter((r) => JSON.stringify(r.GroupId).includes('SecurityGroupsDatabaseProxy'));
    expect(proxyIn).toEqual([
      expect.objectContaining({
        FromPort: 5432,
        ToPort: 5432,
        SourceSecurityGroupId: { 'Fn::GetAtt': [expect.stringMatching(/^SecurityGroupsApp/), 'GroupId'] },
      }),
    ]);
    const dbFromProxy = ingress.filter(
      (r) => JSON.stringify(r.GroupId).includes('SecurityGroupsDatabase0') && JSON.stringify(r.SourceSecurityGroupId).includes('Proxy'),
    );
    expect(dbFromProxy).toEqual([expect.objectContaining({ FromPort: 5432, ToPort: 5432 })]);
  });

  it("rotates the master secret on a schedule, with the platform's own rotation function", () => {
    prod.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      SecretId: { Ref: Match.stringLikeRegexp('^DatabaseSecretAttachment') },
      RotationLambdaARN: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DatabaseSecretRotationFunction'), 'Arn'] },
      RotationRules: { ScheduleExpression: `rate(${prodConfig.database.secretRotationDays} days)` },
    });
  });
});

describe('fleet: capacity fallback and safe rollout', () => {
  it("uses a mixed instances policy over the profile's families with an On-Demand base (no Spot in prod)", () => {
    prod.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      CapacityRebalance: false,
      MixedInstancesPolicy: {
        InstancesDistribution: {
          OnDemandBaseCapacity: prodConfig.fleet.minCapacity,
          OnDemandPercentageAboveBaseCapacity: 100,
          OnDemandAllocationStrategy: 'prioritized',
          SpotAllocationStrategy: 'price-capacity-optimized',
        },
        LaunchTemplate: Match.objectLike({
          Overrides: [{ InstanceType: 'm7g.large' }, { InstanceType: 'm7gd.large' }, { InstanceType: 'r7g.large' }],
        }),
      },
    });
  });

  it('adds Spot above the base with capacity rebalancing where configured (staging)', () => {
    const asg = Object.values(resourcesOfType(staging, 'AWS::AutoScaling::AutoScalingGroup'))[0];
    expect(asg.Properties).toMatchObject({
      CapacityRebalance: true,
      MixedInstancesPolicy: { InstancesDistribution: { OnDemandPercentageAboveBaseCapacity: 50 } },
    });
  });

  it('creates with every instance signalling, and rolls a release out by instance refresh: one AZ at a time, a delay at each, a bake, the release alarms', () => {
    const timing = environmentBootTiming(prodConfig);
    const asg = Object.values(resourcesOfType(prodJson, 'AWS::AutoScaling::AutoScalingGroup'))[0];
    const policy = asg.UpdatePolicy as Record<string, { Preferences?: { AlarmSpecification?: { Alarms: string[] } } }>;
    expect(policy.AutoScalingRollingUpdate).toBeUndefined();
    expect(policy.AutoScalingInstanceRefresh).toMatchObject({
      Strategy: 'Rolling',
      Preferences: {
        CheckpointPercentages: [33, 66, 100],
        CheckpointDelay: prodConfig.fleet.instanceRefresh.checkpointDelaySeconds,
        BakeTime: prodConfig.fleet.instanceRefresh.bakeSeconds,
        MinHealthyPercentage: 100,
        MaxHealthyPercentage: 134,
        SkipMatching: true,
        ScaleInProtectedInstances: 'Ignore',
        StandbyInstances: 'Ignore',
      },
    });
    expect(policy.AutoScalingInstanceRefresh!.Preferences!.AlarmSpecification!.Alarms).toEqual([
      expect.stringMatching(/^loadbearing-prod-release-r[0-9a-f]{12}-errors$/),
      expect.stringMatching(/^loadbearing-prod-release-r[0-9a-f]{12}-latency-p99$/),
    ]);
    expect(asg.CreationPolicy).toEqual({
      ResourceSignal: { Count: prodConfig.fleet.minCapacity, Timeout: `PT${timing.signalTimeoutSeconds / 60}M` },
    });
    const userData = JSON.stringify(Object.values(resourcesOfType(prodJson, 'AWS::EC2::LaunchTemplate'))[0].Properties);
    expect(userData).toContain(`--max-time ${timing.healthWait.probeTimeoutSeconds} http://127.0.0.1:8080/healthz`);
    expect(userData).toContain('aws cloudformation signal-resource');
  });
});

describe('options switched on through config (one extra synth)', () => {
  let variant: Template;
  let annotations: Annotations;
  beforeAll(() => {
    const [config] = resolveEnvironments(
      {
        prod: deepMerge(BUILTIN_ENVIRONMENTS.prod, {
          network: { natGateways: 1 },
          fleet: {
            warmPool: { enabled: true, minSize: 2, state: 'Running' },
            scheduledActions: [{ name: 'MorningPeak', schedule: '30 7 * * 1-5', timeZone: 'Europe/Berlin', minCapacity: 12 }],
          },
          loadBalancer: { maintenance: { enabled: true, pathPatterns: ['/api/reports/*'] } },
        }),
      },
      'variant.json',
    );
    const [stack] = addPlatform(testApp({ templatesOnly: true }), [config], { policies: false });
    variant = Template.fromStack(stack);
    annotations = Annotations.fromStack(stack);
  });

  it('adds a warm pool', () => {
    variant.hasResourceProperties('AWS::AutoScaling::WarmPool', {
      MinSize: 2,
      PoolState: 'Running',
      InstanceReusePolicy: { ReuseOnScaleIn: true },
    });
    prod.resourceCountIs('AWS::AutoScaling::WarmPool', 0);
  });

  it('adds scheduled capacity for a known peak', () => {
    variant.hasResourceProperties('AWS::AutoScaling::ScheduledAction', {
      Recurrence: '30 7 * * 1-5',
      TimeZone: 'Europe/Berlin',
      MinSize: 12,
    });
  });

  it('serves the fixed maintenance response ahead of the forward (the degradation switch)', () => {
    variant.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
      Priority: 1,
      Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/api/reports/*'] } }],
      Actions: [
        Match.objectLike({
          Type: 'fixed-response',
          FixedResponseConfig: { StatusCode: '503', ContentType: 'application/json', MessageBody: Match.stringLikeRegexp('maintenance') },
        }),
      ],
    });
    expect(JSON.stringify(resourcesOfType(prodJson, 'AWS::ElasticLoadBalancingV2::ListenerRule'))).not.toContain('fixed-response');
  });

  it('reports an advisory invariant as a CDK warning', () => {
    annotations.hasWarning('*', Match.stringLikeRegexp('\\[AZ-4\\] 1 NAT gateway\\(s\\) for 3 AZs'));
  });
});

import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { BUILTIN_ENVIRONMENTS } from '../../../lib/model/config/builtin-environments';
import { builtinEnvironments, deepMerge, resolveEnvironments } from '../../../lib/model/config/load-config';
import { addPlatform } from '../../../lib/platform/platform-app';
import {
  readTemplate,
  readValidationReport,
  resourcesOfType,
  unacknowledgedFindings,
  type CfnTemplate,
  type PluginReport,
} from '../../support/assembly';
import { testApp, VALIDATION_CACHE } from '../../support/test-app';

const dir = inject('assemblyDir');
const prodConfig = builtinEnvironments().find((e) => e.name === 'prod')!;
let prod: Template;
let prodJson: CfnTemplate;
type Behavior = {
  PathPattern?: string;
  CachePolicyId: unknown;
  OriginRequestPolicyId: unknown;
  ResponseHeadersPolicyId: unknown;
  TargetOriginId: string;
  AllowedMethods: string[];
  ViewerProtocolPolicy: string;
  LambdaFunctionAssociations?: { EventType: string }[];
};
let config: {
  DefaultCacheBehavior: Behavior;
  CacheBehaviors: Behavior[];
  Origins: {
    Id: string;
    DomainName: unknown;
    CustomOriginConfig?: Record<string, unknown>;
    OriginCustomHeaders?: { HeaderName: string; HeaderValue: unknown }[];
  }[];
  OriginGroups?: unknown;
  CustomErrorResponses: { ErrorCode: number; ErrorCachingMinTTL: number }[];
  [key: string]: unknown;
};

beforeAll(() => {
  prodJson = readTemplate(dir, 'loadbearing-prod');
  prod = Template.fromJSON(prodJson);
  config = Object.values(resourcesOfType(prodJson, 'AWS::CloudFront::Distribution'))[0].Properties!.DistributionConfig as typeof config;
});

describe('the distribution (prod)', () => {
  it('exists in prod only', () => {
    prod.resourceCountIs('AWS::CloudFront::Distribution', 1);
    for (const env of ['loadbearing-dev', 'loadbearing-staging'])
      expect(Object.keys(resourcesOfType(readTemplate(dir, env), 'AWS::CloudFront::Distribution'))).toEqual([]);
  });

  it('has a cache behavior per content class (at least 3), each with its own cache, origin request and response headers policy', () => {
    const behaviors = [config.DefaultCacheBehavior, ...config.CacheBehaviors];
    expect(behaviors.length).toBeGreaterThanOrEqual(3);
    expect(config.CacheBehaviors.map((b) => b.PathPattern)).toEqual(['/static/*', '/api/*', '/forms/*', '/webhooks/*']);
    for (const b of behaviors) {
      expect(b.CachePolicyId).toBeDefined();
      expect(b.OriginRequestPolicyId).toBeDefined();
      expect(b.ResponseHeadersPolicyId).toBeDefined();
    }
    expect(new Set(behaviors.map((b) => JSON.stringify(b.CachePolicyId))).size).toBe(3);
  });

  it('sets TTLs and explicit cache keys from the freshness model', () => {
    prod.hasResourceProperties('AWS::CloudFront::CachePolicy', {
      CachePolicyConfig: Match.objectLike({
        DefaultTTL: 60,
        MaxTTL: 60,
        MinTTL: 0,
        ParametersInCacheKeyAndForwardedToOrigin: {
          QueryStringsConfig: { QueryStringBehavior: 'whitelist', QueryStrings: ['page', 'lang'] },
          HeadersConfig: { HeaderBehavior: 'none' },
          CookiesConfig: { CookieBehavior: 'none' },
          EnableAcceptEncodingGzip: true,
          EnableAcceptEncodingBrotli: true,
        },
      }),
    });
    prod.hasResourceProperties('AWS::CloudFront::CachePolicy', {
      CachePolicyConfig: Match.objectLike({ DefaultTTL: 31_536_000, MaxTTL: 31_536_000 }),
    });
    // The API is not cached: AWS's managed CachingDisabled policy, all methods, HTTPS only.
    const api = config.CacheBehaviors.find((b) => b.PathPattern === '/api/*')!;
    expect(api).toMatchObject({ CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad', ViewerProtocolPolicy: 'https-only' });
    expect(api.AllowedMethods).toContain('POST');
  });

  it('tells browsers the freshness model (stale-while-revalidate, stale-if-error) unless the app says otherwise', () => {
    prod.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: Match.objectLike({
        CustomHeadersConfig: {
          Items: [{ Header: 'Cache-Control', Value: 'public, max-age=60, stale-while-revalidate=30, stale-if-error=600', Override: false }],
        },
        SecurityHeadersConfig: Match.objectLike({ StrictTransportSecurity: Match.objectLike({ AccessControlMaxAgeSec: 31_536_000 }) }),
      }),
    });
    prod.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: Match.objectLike({
        CustomHeadersConfig: { Items: [{ Header: 'Cache-Control', Value: 'no-store', Override: false }] },
      }),
    });
  });

  it('serves viewers over HTTPS with the configured domain and TLS 1.2+', () => {
    expect(config).toMatchObject({
      Aliases: prodConfig.edge.domainNames,
      ViewerCertificate: {
        AcmCertificateArn: prodConfig.edge.certificateArn,
        MinimumProtocolVersion: 'TLSv1.2_2021',
        SslSupportMethod: 'sni-only',
      },
    });
    expect(config.DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https');
  });

  it('logs to S3 and caches errors only briefly', () => {
    expect(config.Logging).toMatchObject({ Bucket: { 'Fn::GetAtt': [expect.stringMatching(/^EdgeAccessLogs/), 'RegionalDomainName'] } });
    expect(config.CustomErrorResponses).toEqual(
      [500, 502, 503, 504].map((ErrorCode) => ({ ErrorCode, ErrorCachingMinTTL: prodConfig.edge.errorCachingSeconds })),
    );
  });

  it('uses a CLOUDFRONT-scope web ACL created in the stack (us-east-1)', () => {
    prod.hasResourceProperties('AWS::WAFv2::WebACL', { Scope: 'CLOUDFRONT' });
    expect(JSON.stringify(config.WebACLId)).toContain('EdgeWebAcl');
  });
});

describe('origin protection', () => {
  it('sends a secret header from CloudFront, over HTTPS to the name the ALB certificate covers', () => {
    const alb = config.Origins.find((o) => o.CustomOriginConfig)!;
    expect(alb.DomainName).toBe(prodConfig.edge.originDomainName);
    expect(alb.CustomOriginConfig).toMatchObject({
      OriginProtocolPolicy: 'https-only',
      OriginReadTimeout: prodConfig.edge.originReadTimeoutSeconds,
      OriginSSLProtocols: ['TLSv1.2'],
    });
    expect(alb.OriginCustomHeaders?.[0].HeaderName).toBe('X-Origin-Verify');
    expect(JSON.stringify(alb.OriginCustomHeaders?.[0].HeaderValue)).toMatch(/resolve:secretsmanager:.*EdgeOriginVerify/);
  });

  it('makes the ALB answer 403 unless the header is there', () => {
    prod.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      DefaultActions: [Match.objectLike({ Type: 'fixed-response', FixedResponseConfig: Match.objectLike({ StatusCode: '403' }) })],
    });
    prod.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
      Priority: 10,
      Conditions: [
        {
          Field: 'http-header',
          HttpHeaderConfig: { HttpHeaderName: 'X-Origin-Verify', Values: [Match.objectLike({ 'Fn::Join': Match.anyValue() })] },
        },
      ],
      Actions: [Match.objectLike({ Type: 'forward' })],
    });
  });

  it('leaves the ALB open where there is no edge (dev)', () => {
    Template.fromJSON(readTemplate(dir, 'loadbearing-dev')).hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      DefaultActions: [Match.objectLike({ Type: 'forward' })],
    });
  });
});

describe('graceful degradation (the three requirements are tested in test/platform/stack/deploy-rules.test.ts, finding 5)', () => {
  it('sends every behavior straight to the ALB: no origin group, no second origin', () => {
    expect(config.Origins).toHaveLength(1);
    expect(config.Origins[0].CustomOriginConfig).toBeDefined();
    expect(config.OriginGroups).toBeUndefined();
    for (const b of [config.DefaultCacheBehavior, ...config.CacheBehaviors]) expect(b.TargetOriginId).toBe(config.Origins[0].Id);
  });

  it('puts the configured degraded page, and the Retry-After from edge.errorCachingSeconds, inside the origin-response function', () => {
    expect(config.DefaultCacheBehavior.LambdaFunctionAssociations).toEqual([expect.objectContaining({ EventType: 'origin-response' })]);
    const inline = Object.values(resourcesOfType(prodJson, 'AWS::Lambda::Function')).map(
      (f) => (f.Properties?.Code as { ZipFile?: string }).ZipFile ?? '',
    );
    const code = inline.find((c) => c.includes('const PAGE')) ?? '';
    expect(code).toContain(JSON.stringify(prodConfig.edge.degradedPageHtml));
    expect(code).toContain(`headers['retry-after'] = [{ key: 'Retry-After', value: '${prodConfig.edge.errorCachingSeconds}' }]`);
  });
});

describe('edge alarms', () => {
  it('alarms on the edge 5xx rate and on origin latency at 80% of the origin deadline (the app request timeout when shorter), inside service health', () => {
    const alarms = Object.values(resourcesOfType(prodJson, 'AWS::CloudWatch::Alarm')).map((a) => a.Properties!);
    expect(alarms.find((a) => a.AlarmName === 'loadbearing-prod-cdn-5xx-rate')).toMatchObject({
      MetricName: '5xxErrorRate',
      Namespace: 'AWS/CloudFront',
      Threshold: prodConfig.alarms.http5xxRatePercent,
    });
    expect(alarms.find((a) => a.AlarmName === 'loadbearing-prod-cdn-origin-latency')).toMatchObject({
      MetricName: 'OriginLatency',
      ExtendedStatistic: 'p90',
      Threshold: Math.min(prodConfig.edge.originReadTimeoutSeconds, prodConfig.app.requestTimeoutSeconds) * 1000 * 0.8,
    });
    // 80% of the 45 s origin timeout (36 s) is above the app's 30 s request timeout: that alarm could never fire.
    expect(prodConfig.app.requestTimeoutSeconds).toBeLessThan(prodConfig.edge.originReadTimeoutSeconds * 0.8);
    // OriginLatency exists only with CloudFront's additional metrics on.
    expect(Object.keys(resourcesOfType(prodJson, 'AWS::CloudFront::MonitoringSubscription'))).toHaveLength(1);
    const health = Object.values(resourcesOfType(prodJson, 'AWS::CloudWatch::CompositeAlarm')).find(
      (c) => c.Properties?.AlarmName === 'loadbearing-prod-service-health',
    );
    const rule = JSON.stringify(health?.Properties?.AlarmRule);
    expect(rule).toContain('EdgeErrorRateAlarm');
    expect(rule).toContain('EdgeOriginLatencyAlarm');
  });
});

describe('a prod stack outside us-east-1, with Origin Shield and a given web ACL (one extra synth)', () => {
  const webAclArn = 'arn:aws:wafv2:us-east-1:333333333333:global/webacl/shared-edge/11111111-2222-3333-4444-555555555555';
  let variant: Template;
  let support: Template | undefined;
  let stackRegions: Record<string, string>;
  let reports: PluginReport[];
  beforeAll(() => {
    const [cfg] = resolveEnvironments(
      {
        prod: deepMerge(BUILTIN_ENVIRONMENTS.prod, {
          region: 'eu-west-1',
          availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
          loadBalancer: { certificateArn: 'arn:aws:acm:eu-west-1:333333333333:certificate/00000000-0000-4000-8000-000000000003' },
          edge: { originShield: { enabled: true }, webAclArn },
        }),
      },
      'variant.json',
    );
    const app = testApp();
    const [stack] = addPlatform(app, [cfg], { cacheDirectory: VALIDATION_CACHE });
    const assembly = app.synth();
    variant = Template.fromJSON(assembly.getStackByName(stack.stackName).template as Record<string, unknown>);
    stackRegions = Object.fromEntries(assembly.stacks.map((s) => [s.stackName, s.environment.region]));
    const supportArtifact = assembly.stacks.find((s) => s.stackName !== stack.stackName);
    support = supportArtifact ? Template.fromJSON(supportArtifact.template as Record<string, unknown>) : undefined;
    reports = readValidationReport(assembly.directory);
  });

  it('passes cdk-nag and the Control Tower controls with no unacknowledged finding, in both stacks', () => {
    expect(reports.map((r) => r.pluginName).sort()).toEqual(['AwsSolutions', 'NIST.800.53.R5', 'cdk-validator-cfnguard']);
    expect(unacknowledgedFindings(reports)).toEqual([]);
  });

  it('adds Origin Shield in the stack region and uses the given web ACL instead of creating one', () => {
    variant.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        WebACLId: webAclArn,
        Origins: Match.arrayWith([Match.objectLike({ OriginShield: { Enabled: true, OriginShieldRegion: 'eu-west-1' } })]),
      }),
    });
    expect(Object.keys(variant.findResources('AWS::WAFv2::WebACL', { Properties: { Scope: 'CLOUDFRONT' } }))).toEqual([]);
    variant.resourceCountIs('AWS::WAFv2::WebACL', 1);
  });

  it('deploys the Lambda@Edge degraded-page function in a support stack in us-east-1 and reads its version from there', () => {
    expect(Object.values(stackRegions).sort()).toEqual(['eu-west-1', 'us-east-1']);
    expect(support).toBeDefined();
    support!.hasResourceProperties('AWS::Lambda::Function', { Runtime: 'nodejs22.x', Handler: 'index.handler' });
    support!.resourceCountIs('AWS::Lambda::Version', 1);
    variant.resourceCountIs('AWS::Lambda::Version', 0);
    // Retained there too, and logging under the same fixed name in every Region (review 13, findings 1 and 9).
    for (const type of ['AWS::Lambda::Function', 'AWS::Lambda::Version']) {
      for (const r of Object.values(support!.findResources(type))) expect(r.DeletionPolicy, type).toBe('Retain');
    }
    support!.hasResourceProperties('AWS::Lambda::Function', { LoggingConfig: { LogGroup: '/loadbearing-prod/lambda-edge/degraded-page' } });
    support!.resourceCountIs('AWS::Logs::LogGroup', 0);
    const dist = Object.values(variant.findResources('AWS::CloudFront::Distribution'))[0].Properties.DistributionConfig as {
      DefaultCacheBehavior: Behavior & { LambdaFunctionAssociations?: { EventType: string; LambdaFunctionARN: unknown }[] };
    };
    const [association] = dist.DefaultCacheBehavior.LambdaFunctionAssociations ?? [];
    expect(association?.EventType).toBe('origin-response');
    // The version ARN crosses regions through a custom resource that reads it from SSM in us-east-1.
    const [reader] = Object.values((association?.LambdaFunctionARN ?? {}) as { 'Fn::GetAtt'?: [string, string] });
    expect(variant.toJSON().Resources[reader![0]].Type).toMatch(/^Custom::/);
  });

  it('leaves out the CloudFront alarms (its metrics exist only in us-east-1)', () => {
    expect(Object.keys(variant.findResources('AWS::CloudWatch::Alarm')).filter((id) => id.includes('Edge'))).toEqual([]);
    expect(Object.keys(variant.findResources('AWS::CloudWatch::Alarm')).length).toBeGreaterThan(10);
  });
});

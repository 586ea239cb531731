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
const propsOf = (template: CfnTemplate, type: string) => Object.values(resourcesOfType(template, type)).map((r) => r.Properties!);
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

describe('graceful degradation: the ALB is the only origin, the degraded page is in the function', () => {
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

describe('graceful degradation: POSTs reach the origin, pages still degrade, API errors pass through', () => {
  type DegradationBehavior = {
    PathPattern?: string;
    AllowedMethods: string[];
    TargetOriginId: string;
    LambdaFunctionAssociations?: { EventType: string; LambdaFunctionARN: { Ref: string } }[];
    FunctionAssociations?: unknown[];
  };
  type DistributionConfig = {
    DefaultCacheBehavior: DegradationBehavior;
    CacheBehaviors: DegradationBehavior[];
    OriginGroups?: { Quantity: number };
    CustomErrorResponses: Record<string, unknown>[];
  };
  const ALL_METHODS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'];
  let distribution: DistributionConfig;
  beforeAll(() => {
    distribution = propsOf(prodJson, 'AWS::CloudFront::Distribution')[0].DistributionConfig as DistributionConfig;
  });

  /** The Lambda@Edge handler of the default behavior, loaded from the template's inline code. */
  function defaultBehaviorHandler(): (event: unknown) => Promise<Record<string, unknown>> {
    const [association] = distribution.DefaultCacheBehavior.LambdaFunctionAssociations ?? [];
    expect(association?.EventType).toBe('origin-response');
    const version = prodJson.Resources[association.LambdaFunctionARN.Ref];
    const fn = prodJson.Resources[(version.Properties?.FunctionName as { Ref: string }).Ref];
    const module = { exports: {} as { handler: (event: unknown) => Promise<Record<string, unknown>> } };
    new Function('exports', 'module', String((fn.Properties?.Code as { ZipFile: string }).ZipFile))(module.exports, module);
    return module.exports.handler;
  }
  const originResponse = (method: string, status: string) => ({
    Records: [
      {
        cf: {
          request: { method, uri: '/account/login', headers: {} },
          response: { status, statusDescription: 'x', headers: { 'retry-after': [{ key: 'Retry-After', value: '7' }] } },
        },
      },
    ],
  });

  it('every method reaches the origin on every path: all behaviors allow all methods, none uses an origin group', () => {
    for (const behavior of [distribution.DefaultCacheBehavior, ...distribution.CacheBehaviors]) {
      expect([...behavior.AllowedMethods].sort(), behavior.PathPattern ?? '/* (default)').toEqual(ALL_METHODS);
    }
    expect(distribution.OriginGroups?.Quantity ?? 0).toBe(0);
  });

  it('GET and HEAD to pages still get the static degraded page when the origin fails (5xx)', async () => {
    const handler = defaultBehaviorHandler();
    for (const status of ['500', '502', '503', '504']) {
      const page = await handler(originResponse('GET', status));
      expect(page).toMatchObject({ status: '503', body: expect.stringContaining('We will be right back') });
      expect((page.headers as Record<string, { value: string }[]>)['content-type'][0].value).toMatch(/^text\/html/);
    }
    expect(await handler(originResponse('HEAD', '502'))).toMatchObject({ status: '503', body: '' });
  });

  it('leaves every other page response alone: other methods, success and client errors', async () => {
    const handler = defaultBehaviorHandler();
    for (const [method, status] of [
      ['POST', '503'],
      ['PUT', '500'],
      ['DELETE', '502'],
      ['GET', '200'],
      ['GET', '404'],
      ['HEAD', '304'],
    ]) {
      const event = originResponse(method, status);
      expect(await handler(event), `${method} ${status}`).toBe(event.Records[0].cf.response);
    }
  });

  it('changes the origin response in place: the read-only Transfer-Encoding and Via survive, the old body headers go', async () => {
    const handler = defaultBehaviorHandler();
    const event = originResponse('GET', '502');
    const received = event.Records[0].cf.response as { headers: Record<string, { key: string; value: string }[]> };
    const readOnly = { 'transfer-encoding': [{ key: 'Transfer-Encoding', value: 'chunked' }], via: [{ key: 'Via', value: '1.1 alb' }] };
    Object.assign(received.headers, readOnly, {
      'content-length': [{ key: 'Content-Length', value: '17' }],
      'content-encoding': [{ key: 'Content-Encoding', value: 'gzip' }],
    });
    const page = (await handler(event)) as typeof received & { status: string };
    // CloudFront answers 502 when a function adds, changes or deletes a read-only header.
    expect(page).toBe(received);
    expect(page.status).toBe('503');
    expect(page.headers).toMatchObject(readOnly);
    expect(page.headers).not.toHaveProperty('content-length');
    expect(page.headers).not.toHaveProperty('content-encoding');
  });

  it('/api/* errors pass through untouched: no function on the API, no distribution-wide error page', () => {
    const api = distribution.CacheBehaviors.find((b) => b.PathPattern === '/api/*')!;
    expect(api.LambdaFunctionAssociations ?? []).toEqual([]);
    expect(api.FunctionAssociations ?? []).toEqual([]);
    // A custom error response with a page or a new status would replace the API's JSON 503 too.
    for (const response of distribution.CustomErrorResponses) {
      expect(response, `error code ${String(response.ErrorCode)}`).not.toHaveProperty('ResponsePagePath');
      expect(response).not.toHaveProperty('ResponseCode');
    }
  });
});

describe('cache behaviors: POSTs to forms and webhooks arrive with their cookies, headers and query strings', () => {
  type FormBehavior = {
    PathPattern?: string;
    AllowedMethods: string[];
    CachePolicyId: unknown;
    OriginRequestPolicyId: unknown;
    LambdaFunctionAssociations?: unknown[];
  };
  const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
  // AWS's managed origin request policies: every viewer header but Host, every cookie and query string; and only Origin.
  const ALL_VIEWER_EXCEPT_HOST = 'b689b0a8-53d0-40ab-baf2-68738e2966ac';
  const CORS_CUSTOM_ORIGIN = '59781a5b-3903-41f3-afcb-af62929ccde1';
  let behaviors: FormBehavior[];
  beforeAll(() => {
    const distribution = propsOf(prodJson, 'AWS::CloudFront::Distribution')[0].DistributionConfig as {
      DefaultCacheBehavior: FormBehavior;
      CacheBehaviors: FormBehavior[];
    };
    behaviors = [...distribution.CacheBehaviors, { ...distribution.DefaultCacheBehavior, PathPattern: '/*' }];
  });
  const behavior = (path: string) => behaviors.find((b) => b.PathPattern === path)!;

  it.each(['/forms/*', '/webhooks/*'])('%s is a class of its own: never cached, every method, everything forwarded to the app', (path) => {
    expect(behavior(path)).toMatchObject({ CachePolicyId: CACHING_DISABLED, OriginRequestPolicyId: ALL_VIEWER_EXCEPT_HOST });
    expect(behavior(path).AllowedMethods).toContain('POST');
  });

  it('keeps the cached pages correct: they forward only their cache key, so no response can vary on a cookie the key lacks', () => {
    expect(behavior('/*')).toMatchObject({ OriginRequestPolicyId: CORS_CUSTOM_ORIGIN });
    expect(behavior('/*').CachePolicyId).not.toBe(CACHING_DISABLED);
  });

  it('forwards everything on every non-cacheable class, and on no cacheable one', () => {
    for (const b of behaviors)
      expect([b.PathPattern, b.OriginRequestPolicyId === ALL_VIEWER_EXCEPT_HOST]).toEqual([
        b.PathPattern,
        b.CachePolicyId === CACHING_DISABLED,
      ]);
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

describe('edge alarms: the CloudFront alarms watch series that exist', () => {
  it('use DistributionId and Region=Global, as CloudFront publishes them (without Region an alarm never sees data)', () => {
    const cdn = propsOf(prodJson, 'AWS::CloudWatch::Alarm').filter((a) => a.Namespace === 'AWS/CloudFront');
    expect(cdn.map((a) => a.MetricName).sort()).toEqual(['5xxErrorRate', 'OriginLatency']);
    for (const alarm of cdn) {
      const dimensions = alarm.Dimensions as { Name: string; Value: unknown }[];
      expect(dimensions.map((d) => d.Name).sort(), String(alarm.AlarmName)).toEqual(['DistributionId', 'Region']);
      expect(dimensions).toContainEqual({ Name: 'Region', Value: 'Global' });
    }
  });
});

describe('the degraded-page function logs where its log group is', () => {
  const fn = () =>
    Object.values(resourcesOfType(prodJson, 'AWS::Lambda::Function')).find((f) =>
      String((f.Properties?.Code as { ZipFile?: string }).ZipFile).includes('const PAGE'),
    )!;

  it('names its log group itself (Lambda@Edge then uses that name in every Region), and the stack owns it in us-east-1 with retention and key', () => {
    const name = (fn().Properties?.LoggingConfig as { LogGroup: unknown }).LogGroup;
    expect(name).toEqual({ Ref: expect.stringMatching(/^EdgeDegradedRewriteLogs/) });
    const group = prodJson.Resources[(name as { Ref: string }).Ref];
    expect(group.Properties).toMatchObject({
      LogGroupName: '/loadbearing-prod/lambda-edge/degraded-page',
      RetentionInDays: 365,
      KmsKeyId: { 'Fn::GetAtt': [expect.stringMatching(/^LogsKey/), 'Arn'] },
    });
    // A fixed name: deleted when the first create rolls back, kept after that.
    expect(group.DeletionPolicy).toBe('RetainExceptOnCreate');
  });

  it('has no /aws/lambda/<function> group any more: Lambda@Edge never wrote there', () => {
    const names = Object.values(resourcesOfType(prodJson, 'AWS::Logs::LogGroup')).map((g) =>
      String(JSON.stringify(g.Properties?.LogGroupName)),
    );
    expect(names.filter((n) => n.includes('EdgeDegradedRewriteFn'))).toEqual([]);
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
    // Retained there too, and logging under the same fixed name in every Region.
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

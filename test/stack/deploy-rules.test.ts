import { beforeAll, describe, expect, inject, it } from 'vitest';
import { builtinEnvironments } from '../../lib/config/load-config';
import { readTemplate, resourcesOfType, type CfnResource, type CfnTemplate } from '../support/assembly';
import { environment, synthPlatform } from '../support/platform-variants';

/**
 * Findings of an expert review of the synthesized templates: things synth accepted that AWS
 * would reject at deploy time or that would silently misbehave. Each test failed on the
 * template before the fix.
 */
const dir = inject('assemblyDir');
let prod: CfnTemplate;

beforeAll(() => {
  prod = readTemplate(dir, 'loadbearing-prod');
});

const propsOf = (template: CfnTemplate, type: string) => Object.values(resourcesOfType(template, type)).map((r) => r.Properties!);

describe('finding 1: the CloudFront alarms watch series that exist', () => {
  it('use DistributionId and Region=Global, as CloudFront publishes them (without Region an alarm never sees data)', () => {
    const cdn = propsOf(prod, 'AWS::CloudWatch::Alarm').filter((a) => a.Namespace === 'AWS/CloudFront');
    expect(cdn.map((a) => a.MetricName).sort()).toEqual(['5xxErrorRate', 'OriginLatency']);
    for (const alarm of cdn) {
      const dimensions = alarm.Dimensions as { Name: string; Value: unknown }[];
      expect(dimensions.map((d) => d.Name).sort(), String(alarm.AlarmName)).toEqual(['DistributionId', 'Region']);
      expect(dimensions).toContainEqual({ Name: 'Region', Value: 'Global' });
    }
  });
});

describe('finding 2: behind CloudFront, the regional WAF does not rate-limit CloudFront as if it were one client', () => {
  type RateBased = { Limit: number; AggregateKeyType: string; ScopeDownStatement?: Record<string, unknown> };
  type Rule = { Name: string; Statement: { RateBasedStatement?: RateBased }; Action?: { Block?: { CustomResponse?: { ResponseCode: number } } } };
  const regionalRules = (template: CfnTemplate) => (propsOf(template, 'AWS::WAFv2::WebACL').find((a) => a.Scope === 'REGIONAL')!.Rules as Rule[]);
  const rateRules = (template: CfnTemplate) => regionalRules(template).filter((r) => r.Statement.RateBasedStatement);
  /** The byte match on the origin-verify header with the secret CloudFront sends (a dynamic reference). */
  const isOriginSecret = (statement: unknown) => {
    const match = (statement as { ByteMatchStatement?: { FieldToMatch: unknown; PositionalConstraint: string; SearchString: unknown } }).ByteMatchStatement;
    return (
      match !== undefined &&
      JSON.stringify(match.FieldToMatch) === JSON.stringify({ SingleHeader: { Name: 'x-origin-verify' } }) &&
      match.PositionalConstraint === 'EXACTLY' &&
      /resolve:secretsmanager:.*EdgeOriginVerify/.test(JSON.stringify(match.SearchString))
    );
  };

  it('counts per IP only requests that did not come through CloudFront (they carry the real client address)', () => {
    const perIp = rateRules(prod).filter((r) => r.Statement.RateBasedStatement!.AggregateKeyType === 'IP');
    expect(perIp.map((r) => r.Name)).toEqual(['rate-limit-per-ip']);
    const scope = perIp[0].Statement.RateBasedStatement!.ScopeDownStatement as { NotStatement?: { Statement: unknown } } | undefined;
    expect(scope?.NotStatement, 'a per-IP rule over CloudFront traffic counts edge servers').toBeDefined();
    expect(isOriginSecret(scope!.NotStatement!.Statement)).toBe(true);
  });

  it('never keys on the forwarded IP: the client writes the first X-Forwarded-For address itself', () => {
    for (const rule of rateRules(prod)) expect(rule.Statement.RateBasedStatement!.AggregateKeyType).not.toBe('FORWARDED_IP');
  });

  it('caps the CloudFront traffic, all clients together, with a backstop sized from the fleet (a JSON 503)', () => {
    const [backstop] = rateRules(prod).filter((r) => r.Statement.RateBasedStatement!.AggregateKeyType === 'CONSTANT');
    expect(backstop).toBeDefined();
    const { maxCapacity, requestsPerTarget } = builtinEnvironments().find((e) => e.name === 'prod')!.fleet;
    expect(backstop.Statement.RateBasedStatement!.Limit).toBe(2 * maxCapacity * requestsPerTarget * 5);
    expect(isOriginSecret(backstop.Statement.RateBasedStatement!.ScopeDownStatement)).toBe(true);
    expect(backstop.Action?.Block?.CustomResponse?.ResponseCode).toBe(503);
  });

  it('keeps the plain per-IP rule where clients reach the ALB directly (no edge: staging)', () => {
    const staging = readTemplate(dir, 'loadbearing-staging');
    expect(rateRules(staging).map((r) => [r.Name, r.Statement.RateBasedStatement!.AggregateKeyType, r.Statement.RateBasedStatement!.ScopeDownStatement])).toEqual([
      ['rate-limit-per-ip', 'IP', undefined],
    ]);
  });
});

describe('finding 3: a warm pool deploys', () => {
  let warm: CfnTemplate;
  beforeAll(() => {
    warm = synthPlatform(environment('prod', { fleet: { warmPool: { enabled: true, minSize: 2 } } })) as CfnTemplate;
  });

  it('sits on a plain launch-template group: PutWarmPool refuses a mixed instances policy or Spot', () => {
    const [asg] = Object.values(resourcesOfType(warm, 'AWS::AutoScaling::AutoScalingGroup'));
    expect(asg.Properties?.MixedInstancesPolicy).toBeUndefined();
    expect(asg.Properties?.LaunchTemplate).toMatchObject({ LaunchTemplateId: { Ref: expect.stringMatching(/^FleetLaunchTemplate/) } });
    const [pool] = propsOf(warm, 'AWS::AutoScaling::WarmPool');
    expect(pool).toMatchObject({ MinSize: 2, PoolState: 'Stopped' });
  });

  it('keeps the mixed instances policy (capacity fallback over the profile families) without a warm pool', () => {
    const [asg] = Object.values(resourcesOfType(prod, 'AWS::AutoScaling::AutoScalingGroup'));
    expect(asg.Properties?.MixedInstancesPolicy).toBeDefined();
    expect(Object.keys(resourcesOfType(prod, 'AWS::AutoScaling::WarmPool'))).toEqual([]);
  });
});

/** A string or an Fn::Join of strings and pseudo-parameter Refs, as text (`{AWS::Partition}`). */
function renderJoin(value: unknown): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (!join) return `{${(value as { Ref: string }).Ref}}`;
  return join[1].map(renderJoin).join(join[0]);
}

describe('finding 4: Auto Scaling can publish to the encrypted warning topic', () => {
  const SLR = /^arn:.+:iam::.+:role\/aws-service-role\/autoscaling\.amazonaws\.com\/AWSServiceRoleForAutoScaling$/;

  function alarmTopicsKey(template: CfnTemplate): CfnResource {
    const [topic] = propsOf(template, 'AWS::SNS::Topic').filter((t) => String(t.DisplayName).includes('warning'));
    const keyId = (topic.KmsMasterKeyId as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    return template.Resources[keyId];
  }

  it("lets the service-linked role use the topics' key, matched by aws:PrincipalArn rather than named (it may not exist yet)", () => {
    const statements = (alarmTopicsKey(prod).Properties?.KeyPolicy as { Statement: Record<string, unknown>[] }).Statement;
    const grant = statements.find((s) => JSON.stringify(s).includes('AWSServiceRoleForAutoScaling'));
    expect(grant).toBeDefined();
    expect(grant).toMatchObject({ Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] });
    // KMS refuses a key policy whose principals do not exist: the role must not be the principal.
    expect(JSON.stringify(grant!.Principal)).not.toContain('AWSServiceRoleForAutoScaling');
    // A root principal would only delegate to IAM, and the role's managed policy has no KMS action.
    expect(grant!.Principal).toEqual({ AWS: '*' });
    const arn = (grant!.Condition as { StringEquals: Record<string, unknown> }).StringEquals['aws:PrincipalArn'];
    expect(renderJoin(arn)).toMatch(SLR);
    expect(renderJoin(arn)).toContain(':iam::333333333333:');
  });

  it('is the key of the topic the fleet sends its launch and terminate notifications to', () => {
    const [asg] = propsOf(prod, 'AWS::AutoScaling::AutoScalingGroup');
    const [config] = asg.NotificationConfigurations as { TopicARN: { Ref: string } }[];
    expect(prod.Resources[config.TopicARN.Ref].Properties?.DisplayName).toMatch(/warning/);
  });
});

describe('finding 5: POSTs reach the origin, pages still degrade, API errors pass through', () => {
  type Behavior = { PathPattern?: string; AllowedMethods: string[]; TargetOriginId: string; LambdaFunctionAssociations?: { EventType: string; LambdaFunctionARN: { Ref: string } }[]; FunctionAssociations?: unknown[] };
  type DistributionConfig = { DefaultCacheBehavior: Behavior; CacheBehaviors: Behavior[]; OriginGroups?: { Quantity: number }; CustomErrorResponses: Record<string, unknown>[] };
  const ALL_METHODS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'];
  let config: DistributionConfig;
  beforeAll(() => {
    config = propsOf(prod, 'AWS::CloudFront::Distribution')[0].DistributionConfig as DistributionConfig;
  });

  /** The Lambda@Edge handler of the default behavior, loaded from the template's inline code. */
  function defaultBehaviorHandler(): (event: unknown) => Promise<Record<string, unknown>> {
    const [association] = config.DefaultCacheBehavior.LambdaFunctionAssociations ?? [];
    expect(association?.EventType).toBe('origin-response');
    const version = prod.Resources[association.LambdaFunctionARN.Ref];
    const fn = prod.Resources[(version.Properties?.FunctionName as { Ref: string }).Ref];
    const module = { exports: {} as { handler: (event: unknown) => Promise<Record<string, unknown>> } };
    new Function('exports', 'module', String((fn.Properties?.Code as { ZipFile: string }).ZipFile))(module.exports, module);
    return module.exports.handler;
  }
  const originResponse = (method: string, status: string) => ({
    Records: [{ cf: { request: { method, uri: '/account/login', headers: {} }, response: { status, statusDescription: 'x', headers: { 'retry-after': [{ key: 'Retry-After', value: '7' }] } } } }],
  });

  it('every method reaches the origin on every path: all behaviors allow all methods, none uses an origin group', () => {
    for (const behavior of [config.DefaultCacheBehavior, ...config.CacheBehaviors]) {
      expect([...behavior.AllowedMethods].sort(), behavior.PathPattern ?? '/* (default)').toEqual(ALL_METHODS);
    }
    expect(config.OriginGroups?.Quantity ?? 0).toBe(0);
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
    for (const [method, status] of [['POST', '503'], ['PUT', '500'], ['DELETE', '502'], ['GET', '200'], ['GET', '404'], ['HEAD', '304']]) {
      const event = originResponse(method, status);
      expect(await handler(event), `${method} ${status}`).toBe(event.Records[0].cf.response);
    }
  });

  it('/api/* errors pass through untouched: no function on the API, no distribution-wide error page', () => {
    const api = config.CacheBehaviors.find((b) => b.PathPattern === '/api/*')!;
    expect(api.LambdaFunctionAssociations ?? []).toEqual([]);
    expect(api.FunctionAssociations ?? []).toEqual([]);
    // A custom error response with a page or a new status would replace the API's JSON 503 too.
    for (const response of config.CustomErrorResponses) {
      expect(response, `error code ${String(response.ErrorCode)}`).not.toHaveProperty('ResponsePagePath');
      expect(response).not.toHaveProperty('ResponseCode');
    }
  });
});

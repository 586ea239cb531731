import { beforeAll, describe, expect, inject, it } from 'vitest';
import { builtinEnvironments } from '../../../lib/model/config/load-config';
import { readTemplate, resourcesOfType, type CfnResource, type CfnTemplate } from '../../support/assembly';
import { environment, synthPlatform } from '../../support/platform-variants';

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
  type Rule = {
    Name: string;
    Statement: { RateBasedStatement?: RateBased };
    Action?: { Block?: { CustomResponse?: { ResponseCode: number } } };
  };
  const regionalRules = (template: CfnTemplate) =>
    propsOf(template, 'AWS::WAFv2::WebACL').find((a) => a.Scope === 'REGIONAL')!.Rules as Rule[];
  const rateRules = (template: CfnTemplate) => regionalRules(template).filter((r) => r.Statement.RateBasedStatement);
  /** The byte match on the origin-verify header with the secret CloudFront sends (a dynamic reference). */
  const isOriginSecret = (statement: unknown) => {
    const match = (statement as { ByteMatchStatement?: { FieldToMatch: unknown; PositionalConstraint: string; SearchString: unknown } })
      .ByteMatchStatement;
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
    expect(
      rateRules(staging).map((r) => [
        r.Name,
        r.Statement.RateBasedStatement!.AggregateKeyType,
        r.Statement.RateBasedStatement!.ScopeDownStatement,
      ]),
    ).toEqual([['rate-limit-per-ip', 'IP', undefined]]);
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
    const arn = (grant!.Condition as { ArnEquals: Record<string, unknown> }).ArnEquals['aws:PrincipalArn'];
    expect(renderJoin(arn)).toMatch(SLR);
    expect(renderJoin(arn)).toContain(':iam::333333333333:');
  });

  it('limits that grant to SNS calls in the stack region for these two topics, the ARN compared with an ARN operator (review 13, finding 10)', () => {
    const statements = (alarmTopicsKey(prod).Properties?.KeyPolicy as { Statement: Record<string, unknown>[] }).Statement;
    const grant = statements.find((s) => s.Sid === 'AllowAutoScalingNotifications')!;
    const conditions = grant.Condition as {
      ArnEquals: Record<string, unknown>;
      StringEquals: Record<string, unknown>;
      StringLike?: unknown;
    };
    expect(Object.keys(conditions).sort()).toEqual(['ArnEquals', 'StringEquals']);
    expect(conditions.StringEquals['kms:ViaService']).toBe('sns.us-east-1.amazonaws.com');
    const topicArns = (conditions.StringEquals['kms:EncryptionContext:aws:sns:topicArn'] as unknown[]).map(renderJoin).sort();
    const topicNames = propsOf(prod, 'AWS::SNS::Topic')
      .map((t) => t.TopicName as string)
      .sort();
    expect(topicNames).toEqual(['loadbearing-prod-alarms-critical', 'loadbearing-prod-alarms-warning']);
    expect(topicArns).toEqual(topicNames.map((name) => `arn:aws:sns:us-east-1:333333333333:${name}`));
  });

  it('is the key of the topic the fleet sends its launch and terminate notifications to', () => {
    const [asg] = propsOf(prod, 'AWS::AutoScaling::AutoScalingGroup');
    const [config] = asg.NotificationConfigurations as { TopicARN: { Ref: string } }[];
    expect(prod.Resources[config.TopicARN.Ref].Properties?.DisplayName).toMatch(/warning/);
  });
});

describe('finding 5: POSTs reach the origin, pages still degrade, API errors pass through', () => {
  type Behavior = {
    PathPattern?: string;
    AllowedMethods: string[];
    TargetOriginId: string;
    LambdaFunctionAssociations?: { EventType: string; LambdaFunctionARN: { Ref: string } }[];
    FunctionAssociations?: unknown[];
  };
  type DistributionConfig = {
    DefaultCacheBehavior: Behavior;
    CacheBehaviors: Behavior[];
    OriginGroups?: { Quantity: number };
    CustomErrorResponses: Record<string, unknown>[];
  };
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

  it('changes the origin response in place: the read-only Transfer-Encoding and Via survive, the old body headers go (review 13, finding 2)', async () => {
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

/**
 * Review 13 (docs: the review of issue 13's templates): what still misbehaved at runtime. Each test
 * failed on the template before its fix.
 */
describe('review 13, finding 3: POSTs to forms and webhooks arrive with their cookies, headers and query strings', () => {
  type Behavior = {
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
  let behaviors: Behavior[];
  beforeAll(() => {
    const config = propsOf(prod, 'AWS::CloudFront::Distribution')[0].DistributionConfig as {
      DefaultCacheBehavior: Behavior;
      CacheBehaviors: Behavior[];
    };
    behaviors = [...config.CacheBehaviors, { ...config.DefaultCacheBehavior, PathPattern: '/*' }];
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

describe('review 13, finding 7: the origin secret is kept out of WAF request samples, not only out of the logs', () => {
  type Acl = { Scope: string; DataProtectionConfig?: unknown; Rules: { VisibilityConfig: { SampledRequestsEnabled: boolean } }[] };
  const regional = (template: CfnTemplate) => propsOf(template, 'AWS::WAFv2::WebACL').find((a) => a.Scope === 'REGIONAL') as unknown as Acl;

  it('substitutes the x-origin-verify header in everything the ALB web ACL stores (samples, logs, Security Lake)', () => {
    expect(regional(prod).DataProtectionConfig).toEqual({
      DataProtections: [{ Action: 'SUBSTITUTION', Field: { FieldType: 'SINGLE_HEADER', FieldKeys: ['x-origin-verify'] } }],
    });
    // Sampling stays on: it is what data protection makes safe.
    expect(regional(prod).Rules.every((r) => r.VisibilityConfig.SampledRequestsEnabled)).toBe(true);
  });

  it('adds none where there is no secret header (no edge: staging; the edge web ACL never sees the header)', () => {
    expect(regional(readTemplate(dir, 'loadbearing-staging')).DataProtectionConfig).toBeUndefined();
    expect(
      (propsOf(prod, 'AWS::WAFv2::WebACL').find((a) => a.Scope === 'CLOUDFRONT') as unknown as Acl).DataProtectionConfig,
    ).toBeUndefined();
  });
});

describe('review 13, finding 8: bodies over 8 KB pass the common rule set only on the configured paths', () => {
  type Rule = { Name: string; Priority: number; Action?: unknown; Statement: Record<string, any> };
  const rules = (template: CfnTemplate, scope: string) =>
    propsOf(template, 'AWS::WAFv2::WebACL').find((a) => a.Scope === scope)!.Rules as Rule[];
  const common = (template: CfnTemplate, scope: string) => rules(template, scope).find((r) => r.Name === 'aws-common')!;

  it('leaves the managed rule blocking every large body by default (waf.largeBodyPaths is empty)', () => {
    for (const scope of ['REGIONAL', 'CLOUDFRONT']) {
      expect(common(prod, scope).Statement.ManagedRuleGroupStatement.RuleActionOverrides).toBeUndefined();
      expect(rules(prod, scope).map((r) => r.Name)).not.toContain('body-over-8kb-outside-large-body-paths');
    }
  });

  it('with paths: only counts SizeRestrictions_BODY, then blocks its label on every other path, in both web ACLs', () => {
    const variant = synthPlatform(environment('prod', { waf: { largeBodyPaths: ['/webhooks/', '/forms/upload'] } })) as CfnTemplate;
    for (const scope of ['REGIONAL', 'CLOUDFRONT']) {
      expect(common(variant, scope).Statement.ManagedRuleGroupStatement.RuleActionOverrides).toEqual([
        { Name: 'SizeRestrictions_BODY', ActionToUse: { Count: {} } },
      ]);
      const block = rules(variant, scope).find((r) => r.Name === 'body-over-8kb-outside-large-body-paths')!;
      // A label is visible only to rules evaluated after the rule group that adds it.
      expect(block.Priority).toBeGreaterThan(common(variant, scope).Priority);
      expect(block.Action).toEqual({ Block: {} });
      const [label, not] = block.Statement.AndStatement.Statements;
      expect(label).toEqual({ LabelMatchStatement: { Scope: 'LABEL', Key: 'awswaf:managed:aws:core-rule-set:SizeRestrictions_Body' } });
      const allowed = (not.NotStatement.Statement.OrStatement.Statements as { ByteMatchStatement: Record<string, unknown> }[]).map(
        (s) => s.ByteMatchStatement,
      );
      expect(allowed.map((m) => [m.SearchString, m.PositionalConstraint, m.FieldToMatch])).toEqual([
        ['/webhooks/', 'STARTS_WITH', { UriPath: {} }],
        ['/forms/upload', 'STARTS_WITH', { UriPath: {} }],
      ]);
    }
  });
});

describe('review 13, finding 9: the degraded-page function logs where its log group is', () => {
  const fn = () =>
    Object.values(resourcesOfType(prod, 'AWS::Lambda::Function')).find((f) =>
      String((f.Properties?.Code as { ZipFile?: string }).ZipFile).includes('const PAGE'),
    )!;

  it('names its log group itself (Lambda@Edge then uses that name in every Region), and the stack owns it in us-east-1 with retention and key', () => {
    const name = (fn().Properties?.LoggingConfig as { LogGroup: unknown }).LogGroup;
    expect(name).toEqual({ Ref: expect.stringMatching(/^EdgeDegradedRewriteLogs/) });
    const group = prod.Resources[(name as { Ref: string }).Ref];
    expect(group.Properties).toMatchObject({
      LogGroupName: '/loadbearing-prod/lambda-edge/degraded-page',
      RetentionInDays: 365,
      KmsKeyId: { 'Fn::GetAtt': [expect.stringMatching(/^LogsKey/), 'Arn'] },
    });
    // A fixed name: deleted when the first create rolls back, kept after that.
    expect(group.DeletionPolicy).toBe('RetainExceptOnCreate');
  });

  it('has no /aws/lambda/<function> group any more: Lambda@Edge never wrote there', () => {
    const names = Object.values(resourcesOfType(prod, 'AWS::Logs::LogGroup')).map((g) =>
      String(JSON.stringify(g.Properties?.LogGroupName)),
    );
    expect(names.filter((n) => n.includes('EdgeDegradedRewriteFn'))).toEqual([]);
  });
});

describe('review 13, finding 11: the keys of what outlives a rolled-back create outlive it too', () => {
  it.each(['loadbearing-staging', 'loadbearing-prod'])(
    '%s: the DB and cache keys are kept (their final snapshots and backups need them); the other keys go with the rollback',
    (stack) => {
      const keys = Object.entries(resourcesOfType(readTemplate(dir, stack), 'AWS::KMS::Key')).map(([id, k]) => [
        id.replace(/[0-9A-F]{8}$/, ''),
        k.DeletionPolicy,
      ]);
      expect(Object.fromEntries(keys)).toEqual({
        AlarmTopicsKey: 'RetainExceptOnCreate',
        CacheKey: 'Retain',
        DatabaseKey: 'Retain',
        LogsKey: 'RetainExceptOnCreate',
      });
    },
  );

  it('dev, which destroys its data, destroys its keys too', () => {
    for (const k of Object.values(resourcesOfType(readTemplate(dir, 'loadbearing-dev'), 'AWS::KMS::Key')))
      expect(k.DeletionPolicy).toBe('Delete');
  });
});

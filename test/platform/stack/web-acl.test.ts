import { beforeAll, describe, expect, inject, it } from 'vitest';
import { builtinEnvironments } from '../../../lib/model/config/load-config';
import { readTemplate, resourcesOfType, type CfnTemplate } from '../../support/assembly';
import { environment, synthPlatform } from '../../support/platform-variants';

/**
 * The web ACLs (constructs/web-acl.ts) in the synthesized templates: the rate limits behind
 * CloudFront, the origin secret kept out of what WAF stores, and the large-body exception. The
 * ALB web ACL's rule set itself is in resilience.test.ts ("edge protection").
 */
const dir = inject('assemblyDir');
let prod: CfnTemplate;

beforeAll(() => {
  prod = readTemplate(dir, 'loadbearing-prod');
});

const propsOf = (template: CfnTemplate, type: string) => Object.values(resourcesOfType(template, type)).map((r) => r.Properties!);

describe('rate limits: behind CloudFront, the regional web ACL does not rate-limit CloudFront as if it were one client', () => {
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

describe('data protection: the origin secret is kept out of WAF request samples, not only out of the logs', () => {
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

describe('large bodies: bodies over 8 KB pass the common rule set only on the configured paths', () => {
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

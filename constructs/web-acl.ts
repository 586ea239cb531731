import { ArnFormat, Stack } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { EDGE_BACKSTOP_BODY, wafSettingsSchema, type WafSettings, type WafSettingsInput } from '../lib/model/config/waf-settings';
import { parseSettings } from './parse-settings';
import { PROTECT_DATA, type StatefulProtection } from './stateful-protection';
import { physicalNamePrefix } from './physical-name-prefix';

export interface WebAclProps {
  /**
   * ARN of the regional resource (the ALB) to associate. CLOUDFRONT-scope web ACLs are
   * attached by the distribution instead. @default - not associated
   */
  readonly resourceArn?: string;
  /** `CLOUDFRONT` web ACLs must be created in us-east-1. @default 'REGIONAL' */
  readonly scope?: 'REGIONAL' | 'CLOUDFRONT';
  /** @default - platform defaults (see the config reference, `waf`) */
  readonly settings?: WafSettingsInput;
  /** Key for the WAF log group. @default - CloudWatch Logs' own encryption */
  readonly logsKey?: kms.IKey;
  /** @default PROTECT_DATA (logs are retained) */
  readonly protection?: StatefulProtection;
  /**
   * Name prefix of the log group (WAF requires `aws-waf-logs-<...>`) and metric names.
   * @default - the stack name
   */
  readonly namePrefix?: string;
  /**
   * The ALB sits behind CloudFront, which adds this secret header to every request. A per-IP
   * rule would then count CloudFront's edge servers, so the web ACL rate-limits per IP only the
   * requests without the header (direct hits on the ALB), and caps the requests with it, all
   * clients together, at `backstopLimit` per 5 minutes (a JSON 503 with Retry-After).
   * @default - every request comes straight from its client: a per-IP rate limit
   */
  readonly behindEdge?: { readonly originVerifyHeader: { readonly name: string; readonly value: string }; readonly backstopLimit: number };
}

/** Metric names of the web ACL's rules (the `Rule` dimension in AWS/WAFV2). */
export const WEB_ACL_RULES = {
  rateLimit: 'rate-limit-per-ip',
  edgeBackstop: 'edge-backstop',
  common: 'aws-common',
  knownBadInputs: 'aws-known-bad-inputs',
  largeBodies: 'body-over-8kb-outside-large-body-paths',
} as const;

/**
 * The label AWS's common rule set puts on a request whose body is over 8 KB (its rule
 * SizeRestrictions_BODY), also when that rule only counts
 * (https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-baseline.html).
 */
export const LARGE_BODY_LABEL = 'awswaf:managed:aws:core-rule-set:SizeRestrictions_Body';

/**
 * An AWS WAF web ACL (regional for the ALB, or CLOUDFRONT for the edge): first a per-client-IP
 * rate limit that answers with a consistent JSON 429 and `Retry-After` (behind CloudFront: see
 * `behindEdge`), then AWS's common and known-bad-inputs managed rule sets. Every request decision is logged (authorization and cookie headers redacted).
 */
export class WebAcl extends Construct {
  public readonly webAcl: wafv2.CfnWebACL;
  public readonly logGroup: logs.LogGroup;
  public readonly metricName: string;
  public readonly settings: WafSettings;

  constructor(scope: Construct, id: string, props: WebAclProps) {
    super(scope, id);
    const settings = (this.settings = parseSettings(wafSettingsSchema, props.settings, 'waf'));
    const prefix = physicalNamePrefix(this, props.namePrefix);
    this.metricName = `${prefix}-web-acl`;
    const visibility = (metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      metricName,
      cloudWatchMetricsEnabled: true,
      sampledRequestsEnabled: true,
    });
    const managed = (
      priority: number,
      name: string,
      metricName: string,
      ruleActionOverrides?: wafv2.CfnWebACL.RuleActionOverrideProperty[],
    ): wafv2.CfnWebACL.RuleProperty => ({
      name: metricName,
      priority,
      overrideAction: { none: {} },
      statement: { managedRuleGroupStatement: { vendorName: 'AWS', name, ruleActionOverrides } },
      visibilityConfig: visibility(metricName),
    });
    const largeBodies = this.largeBodyRule(settings.largeBodyPaths, visibility);

    this.webAcl = new wafv2.CfnWebACL(this, 'Resource', {
      scope: props.scope ?? 'REGIONAL',
      description: `${prefix}: per-IP rate limit and AWS managed rules`,
      defaultAction: { allow: {} },
      visibilityConfig: visibility(this.metricName),
      customResponseBodies: {
        'rate-limited': { contentType: 'APPLICATION_JSON', content: settings.blockResponse.body },
        ...(props.behindEdge ? { overloaded: { contentType: 'APPLICATION_JSON', content: EDGE_BACKSTOP_BODY } } : {}),
      },
      rules: [
        ...this.rateRules(settings, props.behindEdge, visibility),
        managed(
          2,
          'AWSManagedRulesCommonRuleSet',
          WEB_ACL_RULES.common,
          largeBodies && [{ name: 'SizeRestrictions_BODY', actionToUse: { count: {} } }],
        ),
        managed(3, 'AWSManagedRulesKnownBadInputsRuleSet', WEB_ACL_RULES.knownBadInputs),
        ...(largeBodies ? [largeBodies] : []),
      ],
      dataProtectionConfig: props.behindEdge ? this.originSecretProtection(props.behindEdge.originVerifyHeader.name) : undefined,
    });
    if (props.resourceArn)
      new wafv2.CfnWebACLAssociation(this, 'Association', { resourceArn: props.resourceArn, webAclArn: this.webAcl.attrArn });

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      // WAF only delivers to log groups whose name starts with "aws-waf-logs-".
      logGroupName: `aws-waf-logs-${prefix}`,
      retention: settings.logRetentionDays as logs.RetentionDays,
      encryptionKey: props.logsKey,
      removalPolicy: (props.protection ?? PROTECT_DATA).retainPolicy,
    });
    new wafv2.CfnLoggingConfiguration(this, 'Logging', {
      resourceArn: this.webAcl.attrArn,
      // WAF wants the log group ARN without the trailing ":*" of LogGroup.logGroupArn.
      logDestinationConfigs: [
        Stack.of(this).formatArn({
          service: 'logs',
          resource: 'log-group',
          resourceName: this.logGroup.logGroupName,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
      redactedFields: [
        { singleHeader: { Name: 'authorization' } },
        { singleHeader: { Name: 'cookie' } },
        ...(props.behindEdge ? [{ singleHeader: { Name: props.behindEdge.originVerifyHeader.name.toLowerCase() } }] : []),
      ],
    });
  }

  /**
   * Keeps the origin secret out of everything WAF stores about a request. Logging redaction alone
   * (the logging configuration) "has no impact on request sampling. You can only exclude fields
   * from request sampling by disabling sampling in the web ACL visibility configuration or by
   * configuring data protection for the web ACL" (the WAFv2 API model,
   * https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/wafv2/aws.sdk.kotlin.services.wafv2.model/-logging-configuration/redacted-fields.html),
   * and every rule samples requests, so the console and GetSampledRequests would show the header
   * in clear text. Web-ACL-level data protection "alters the data that's available for ... AWS WAF
   * logging destinations, web ACL request sampling, and Amazon Security Lake"
   * (https://docs.aws.amazon.com/waf/latest/APIReference/API_DataProtectionConfig.html); SUBSTITUTION
   * replaces the value with a fixed string. Property shape:
   * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-wafv2-webacl-dataprotect.html
   * and .../aws-properties-wafv2-webacl-fieldtoprotect.html (FieldType SINGLE_HEADER, FieldKeys).
   */
  private originSecretProtection(headerName: string): wafv2.CfnWebACL.DataProtectionConfigProperty {
    return { dataProtections: [{ action: 'SUBSTITUTION', field: { fieldType: 'SINGLE_HEADER', fieldKeys: [headerName.toLowerCase()] } }] };
  }

  /**
   * Bodies over 8 KB on the configured path prefixes only. AWS's common rule set blocks every
   * request body over 8 KB ("Request bodies that are over 8 KB are blocked",
   * https://repost.aws/knowledge-center/waf-http-request-body-inspection), which would refuse a
   * larger webhook or form post with a 403. AWS's way out: override that one rule to Count, so it
   * only labels the request, and block the label in a later rule except on the allowed paths (the
   * same Knowledge Center page, "Create a rule to allow legitimate requests"). Every other rule of
   * the set keeps blocking; a label is visible to rules evaluated after the group (higher priority
   * number). Undefined without paths: the managed rule blocks as AWS ships it.
   */
  private largeBodyRule(
    paths: readonly string[],
    visibility: (metricName: string) => wafv2.CfnWebACL.VisibilityConfigProperty,
  ): wafv2.CfnWebACL.RuleProperty | undefined {
    if (paths.length === 0) return undefined;
    const startsWith = (path: string): wafv2.CfnWebACL.StatementProperty => ({
      byteMatchStatement: {
        fieldToMatch: { uriPath: {} },
        positionalConstraint: 'STARTS_WITH',
        searchString: path,
        textTransformations: [{ priority: 0, type: 'NONE' }],
      },
    });
    const allowed = paths.length === 1 ? startsWith(paths[0]) : { orStatement: { statements: paths.map(startsWith) } };
    return {
      name: WEB_ACL_RULES.largeBodies,
      priority: 4,
      action: { block: {} },
      statement: {
        andStatement: {
          statements: [{ labelMatchStatement: { scope: 'LABEL', key: LARGE_BODY_LABEL } }, { notStatement: { statement: allowed } }],
        },
      },
      visibilityConfig: visibility(WEB_ACL_RULES.largeBodies),
    };
  }

  /**
   * The rate-based rules. Straight from clients: one per client IP. Behind CloudFront the
   * request's source is a CloudFront server, and keying on the forwarded IP is no fix: WAF
   * uses the first address of X-Forwarded-For, which the client writes itself
   * (https://docs.aws.amazon.com/waf/latest/APIReference/API_ForwardedIPConfig.html), so any
   * client could evade it. So: per IP only for requests without the origin secret (direct hits,
   * real client addresses), and a CONSTANT-key backstop over all requests with it
   * (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-wafv2-webacl-ratebasedstatement.html).
   * The secret comes from a Secrets Manager dynamic reference, which CloudFormation resolves in
   * any resource property (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references-secretsmanager.html);
   * a forged header without the value cannot push the backstop.
   */
  private rateRules(
    settings: WafSettings,
    behindEdge: WebAclProps['behindEdge'],
    visibility: (metricName: string) => wafv2.CfnWebACL.VisibilityConfigProperty,
  ): wafv2.CfnWebACL.RuleProperty[] {
    const block = (status: number, bodyKey: string, retryAfter: number): wafv2.CfnWebACL.RuleActionProperty => ({
      block: {
        customResponse: {
          responseCode: status,
          customResponseBodyKey: bodyKey,
          responseHeaders: [{ name: 'Retry-After', value: String(retryAfter) }],
        },
      },
    });
    const perIp = (scopeDownStatement?: wafv2.CfnWebACL.StatementProperty): wafv2.CfnWebACL.RuleProperty => ({
      name: WEB_ACL_RULES.rateLimit,
      priority: 0,
      action: block(settings.blockResponse.statusCode, 'rate-limited', settings.blockResponse.retryAfterSeconds),
      statement: {
        rateBasedStatement: { limit: settings.rateLimitPerIp, aggregateKeyType: 'IP', evaluationWindowSec: 300, scopeDownStatement },
      },
      visibilityConfig: visibility(WEB_ACL_RULES.rateLimit),
    });
    if (!behindEdge) return [perIp()];
    const fromEdge: wafv2.CfnWebACL.StatementProperty = {
      byteMatchStatement: {
        fieldToMatch: { singleHeader: { Name: behindEdge.originVerifyHeader.name.toLowerCase() } },
        positionalConstraint: 'EXACTLY',
        searchString: behindEdge.originVerifyHeader.value,
        textTransformations: [{ priority: 0, type: 'NONE' }],
      },
    };
    return [
      perIp({ notStatement: { statement: fromEdge } }),
      {
        name: WEB_ACL_RULES.edgeBackstop,
        priority: 1,
        action: block(503, 'overloaded', settings.edgeBackstop.retryAfterSeconds),
        statement: {
          rateBasedStatement: {
            limit: behindEdge.backstopLimit,
            aggregateKeyType: 'CONSTANT',
            evaluationWindowSec: 300,
            scopeDownStatement: fromEdge,
          },
        },
        visibilityConfig: visibility(WEB_ACL_RULES.edgeBackstop),
      },
    ];
  }
}

import { ArnFormat, Stack } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { wafSettingsSchema, type WafSettings, type WafSettingsInput } from '../lib/config/waf-settings';
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
}

/** Metric names of the web ACL's rules (the `Rule` dimension in AWS/WAFV2). */
export const WEB_ACL_RULES = {
  rateLimit: 'rate-limit-per-ip',
  common: 'aws-common',
  knownBadInputs: 'aws-known-bad-inputs',
} as const;

/**
 * An AWS WAF web ACL (regional for the ALB, or CLOUDFRONT for the edge): first a per-client-IP rate limit that answers with a
 * consistent JSON 429 and `Retry-After`, then AWS's common and known-bad-inputs managed rule
 * sets. Every request decision is logged (authorization and cookie headers redacted).
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
    const managed = (priority: number, name: string, metricName: string): wafv2.CfnWebACL.RuleProperty => ({
      name: metricName,
      priority,
      overrideAction: { none: {} },
      statement: { managedRuleGroupStatement: { vendorName: 'AWS', name } },
      visibilityConfig: visibility(metricName),
    });

    this.webAcl = new wafv2.CfnWebACL(this, 'Resource', {
      scope: props.scope ?? 'REGIONAL',
      description: `${prefix}: per-IP rate limit and AWS managed rules`,
      defaultAction: { allow: {} },
      visibilityConfig: visibility(this.metricName),
      customResponseBodies: { 'rate-limited': { contentType: 'APPLICATION_JSON', content: settings.blockResponse.body } },
      rules: [
        {
          name: WEB_ACL_RULES.rateLimit,
          priority: 0,
          action: {
            block: {
              customResponse: {
                responseCode: settings.blockResponse.statusCode,
                customResponseBodyKey: 'rate-limited',
                responseHeaders: [{ name: 'Retry-After', value: String(settings.blockResponse.retryAfterSeconds) }],
              },
            },
          },
          statement: { rateBasedStatement: { limit: settings.rateLimitPerIp, aggregateKeyType: 'IP', evaluationWindowSec: 300 } },
          visibilityConfig: visibility(WEB_ACL_RULES.rateLimit),
        },
        managed(1, 'AWSManagedRulesCommonRuleSet', WEB_ACL_RULES.common),
        managed(2, 'AWSManagedRulesKnownBadInputsRuleSet', WEB_ACL_RULES.knownBadInputs),
      ],
    });
    if (props.resourceArn) new wafv2.CfnWebACLAssociation(this, 'Association', { resourceArn: props.resourceArn, webAclArn: this.webAcl.attrArn });

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
        Stack.of(this).formatArn({ service: 'logs', resource: 'log-group', resourceName: this.logGroup.logGroupName, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
      ],
      redactedFields: [{ singleHeader: { Name: 'authorization' } }, { singleHeader: { Name: 'cookie' } }],
    });
  }
}

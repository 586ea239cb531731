import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { edgeSettingsSchema, type ContentClass, type EdgeSettings, type EdgeSettingsInput } from '../lib/model/config/edge-settings';
import { acknowledge, HELPER_FUNCTION_RULES } from './acknowledge';
import { createPrivateBucket } from './private-bucket';
import { checkedAlarms, type AlarmFactory } from './alarm-factory';
import { parseSettings } from './parse-settings';
import { PROTECT_DATA, type StatefulProtection } from './stateful-protection';
import { physicalNamePrefix } from './physical-name-prefix';

/** Origin statuses on which GET and HEAD to a class with `degradedFallback` get the degraded page. */
export const DEGRADED_FALLBACK_STATUSES = [500, 502, 503, 504] as const;

export interface EdgeProps {
  /** Where CloudFront reaches the ALB: its DNS name (or one covered by its certificate), and whether over HTTPS. */
  readonly origin: { readonly domainName: string; readonly https: boolean };
  /** Header CloudFront adds to every origin request; the ALB forwards only requests that carry it. */
  readonly originVerifyHeader: { readonly name: string; readonly value: string };
  /** @default - platform defaults (see the config reference, `edge`) */
  readonly settings?: EdgeSettingsInput;
  /** A CLOUDFRONT-scope web ACL (from us-east-1). @default - none */
  readonly webAclArn?: string;
  /** @default PROTECT_DATA (log bucket retained) */
  readonly protection?: StatefulProtection;
  /** Key for the degraded-page function's log group (in us-east-1). @default - CloudWatch Logs' own encryption */
  readonly logsKey?: kms.IKey;
  /** Creates the distribution's alarms through this factory (CloudFront metrics exist only in us-east-1). @default - no alarms */
  readonly alarms?: AlarmFactory;
  /** Name in the distribution's comment. @default - the stack name */
  readonly namePrefix?: string;
  /**
   * The longest the origin takes to answer: the app's request timeout. The origin-latency alarm
   * sits at 80% of the shorter of this and the origin read timeout, so it can fire before the
   * app gives up. @default - edge.originReadTimeoutSeconds
   */
  readonly originDeadlineSeconds?: number;
}

/** Inputs of the edge's alarm hook. */
export interface EdgeAlarmTargets {
  readonly distribution: cloudfront.Distribution;
  readonly settings: EdgeSettings;
  /** The longest the origin takes to answer, in seconds (see `EdgeProps.originDeadlineSeconds`). */
  readonly originDeadlineSeconds: number;
}

/**
 * The edge layer: a CloudFront distribution in front of the ALB.
 *
 * - One cache behavior per content class of the freshness model, each with its own cache
 *   policy (TTLs, explicit query-string, header and cookie keys, compression), origin request
 *   policy and response headers policy (`Cache-Control` with stale-while-revalidate and
 *   stale-if-error for browsers, and security headers).
 * - The ALB origin carries a secret header; the ALB answers 403 to anything without it.
 * - Every method reaches the origin on every path (a login form or a webhook POSTs to a page).
 * - Graceful degradation: for classes with `degradedFallback`, a Lambda@Edge origin-response
 *   function turns a 5xx from the ALB into the static degraded page, for GET and HEAD only; other
 *   methods and other classes (the API) get the origin's response untouched. Errors are cached
 *   only briefly, so a recovered origin is used again quickly. (An origin group cannot do this:
 *   CloudFront allows only GET, HEAD and OPTIONS on a behavior that uses one; see
 *   docs/failure-modes.md, "Degraded pages at the edge".)
 * - Access logs to S3, optional Origin Shield, a web ACL, and alarms on 5xx rate and origin latency.
 */
export class Edge extends Construct {
  public readonly distribution: cloudfront.Distribution;
  public readonly logsBucket: s3.Bucket;
  /**
   * Origin-response function that turns a 5xx answer to GET or HEAD into the degraded page;
   * undefined without fallback classes. (The construct ID predates the origin-response design
   * and stays, so the function's log group keeps its logical ID.)
   */
  public readonly degradedRewrite?: cloudfront.experimental.EdgeFunction;
  public readonly cachePolicies: Record<string, cloudfront.ICachePolicy> = {};
  public readonly alarms: cloudwatch.Alarm[];
  public readonly settings: EdgeSettings;

  constructor(scope: Construct, id: string, props: EdgeProps) {
    super(scope, id);
    const settings = (this.settings = parseSettings(edgeSettingsSchema, props.settings, 'edge'));
    const protection = props.protection ?? PROTECT_DATA;
    const prefix = physicalNamePrefix(this, props.namePrefix);

    this.logsBucket = createPrivateBucket(this, 'AccessLogs', {
      protection,
      // CloudFront standard logging writes with ACLs.
      objectOwnership: s3.ObjectOwnership.OBJECT_WRITER,
      lifecycleRules: [
        {
          id: 'age-out-access-logs',
          expiration: Duration.days(settings.accessLogRetentionDays),
          noncurrentVersionExpiration: Duration.days(7),
        },
      ],
    });

    const albOrigin = new origins.HttpOrigin(props.origin.domainName, {
      protocolPolicy: props.origin.https ? cloudfront.OriginProtocolPolicy.HTTPS_ONLY : cloudfront.OriginProtocolPolicy.HTTP_ONLY,
      originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
      readTimeout: Duration.seconds(settings.originReadTimeoutSeconds),
      customHeaders: { [props.originVerifyHeader.name]: props.originVerifyHeader.value },
      originShieldEnabled: settings.originShield.enabled,
      originShieldRegion: settings.originShield.enabled ? (settings.originShield.region ?? Stack.of(this).region) : undefined,
    });
    if (settings.freshness.some((c) => c.degradedFallback))
      this.degradedRewrite = this.createDegradedRewrite(settings, prefix, protection, props.logsKey);

    const behavior = (cls: ContentClass): cloudfront.BehaviorOptions => ({
      origin: albOrigin,
      viewerProtocolPolicy: cls.cacheable ? cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS : cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
      // Every method reaches the origin on every path; CloudFront caches only GET and HEAD.
      allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
      cachePolicy: (this.cachePolicies[cls.name] = this.cachePolicy(cls)),
      originRequestPolicy: this.originRequestPolicy(cls),
      responseHeadersPolicy: this.responseHeadersPolicy(cls),
      compress: cls.compress,
      edgeLambdas:
        cls.degradedFallback && this.degradedRewrite
          ? [{ functionVersion: this.degradedRewrite.currentVersion, eventType: cloudfront.LambdaEdgeEventType.ORIGIN_RESPONSE }]
          : undefined,
    });
    const catchAll = settings.freshness.find((c) => c.pathPattern === '/*')!;
    this.distribution = new cloudfront.Distribution(this, 'Resource', {
      comment: `${prefix}: edge cache and degraded mode in front of the ALB`,
      defaultBehavior: behavior(catchAll),
      additionalBehaviors: Object.fromEntries(settings.freshness.filter((c) => c !== catchAll).map((c) => [c.pathPattern, behavior(c)])),
      priceClass: settings.priceClass as cloudfront.PriceClass,
      domainNames: settings.domainNames.length > 0 ? settings.domainNames : undefined,
      certificate: settings.certificateArn
        ? acm.Certificate.fromCertificateArn(this, 'ViewerCertificate', settings.certificateArn)
        : undefined,
      // Only with a certificate of our own: with the default *.cloudfront.net certificate
      // CloudFront fixes the TLS policy, and CDK flags a protocol version set without a certificate.
      minimumProtocolVersion: settings.certificateArn ? cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021 : undefined,
      sslSupportMethod: settings.certificateArn ? cloudfront.SSLMethod.SNI : undefined,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      webAclId: props.webAclArn,
      enableLogging: true,
      logBucket: this.logsBucket,
      logFilePrefix: 'cloudfront/',
      publishAdditionalMetrics: true,
      // Cache errors briefly, so a recovered origin is used again quickly. Error caching only: a
      // custom error response with a page would apply distribution-wide to that status, and
      // replace the API's own JSON 503 too
      // (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/GeneratingCustomErrorResponses.html).
      // CloudFront caches 5xx for this long whatever Cache-Control the origin sends
      // (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/custom-error-pages-expiration.html).
      errorResponses: [500, 502, 503, 504].map((httpStatus) => ({ httpStatus, ttl: Duration.seconds(settings.errorCachingSeconds) })),
    });

    this.acknowledgeFindings(settings);
    // CloudFront publishes its metrics in us-east-1 only, so only a stack there can alarm on them.
    this.alarms =
      props.alarms && Stack.of(this).region === 'us-east-1'
        ? checkedAlarms(
            this.createAlarms(props.alarms, {
              distribution: this.distribution,
              settings,
              originDeadlineSeconds: Math.min(
                settings.originReadTimeoutSeconds,
                props.originDeadlineSeconds ?? settings.originReadTimeoutSeconds,
              ),
            }),
            `Edge.createAlarms() of ${this.node.path}`,
          )
        : [];
  }

  /**
   * The distribution's alarms. Override to add or replace signals; call `super.createAlarms` to
   * keep the platform's set. Runs in the constructor: use only the arguments.
   */
  protected createAlarms(factory: AlarmFactory, targets: EdgeAlarmTargets): cloudwatch.Alarm[] {
    const s = factory.settings;
    // Above the app's request timeout the alarm could never fire: the app answers by then.
    const latencyThreshold = Math.round(targets.originDeadlineSeconds * 1000 * 0.8);
    const metric = (metricName: string, statistic: string) => cloudFrontMetric(targets.distribution, metricName, statistic);
    return [
      factory.alarm(this, 'ErrorRateAlarm', {
        component: 'cdn',
        signal: '5xx-rate',
        severity: 'critical',
        metric: metric('5xxErrorRate', 'Average'),
        threshold: s.http5xxRatePercent,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.MISSING,
        evaluationPeriods: 5,
        datapointsToAlarm: 5,
        description: `More than ${s.http5xxRatePercent}% of viewer requests end in 5xx at the edge (alarms.http5xxRatePercent).`,
        recommendation: 'CloudFront 5xxErrorRate, 5 of 5, missing data ignored',
      }),
      factory.alarm(this, 'OriginLatencyAlarm', {
        component: 'cdn',
        signal: 'origin-latency',
        severity: 'critical',
        metric: metric('OriginLatency', 'p90'),
        threshold: latencyThreshold,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.MISSING,
        evaluationPeriods: 5,
        datapointsToAlarm: 5,
        description: `p90 origin latency above ${latencyThreshold} ms, 80% of the origin's deadline (${targets.originDeadlineSeconds} s: the shorter of edge.originReadTimeoutSeconds and the app request timeout): requests are close to timing out.`,
        recommendation: 'CloudFront OriginLatency p90 at 80% of the origin deadline (additional metrics are on)',
      }),
    ];
  }

  /** Cache key and TTLs of a content class; non-cacheable classes use AWS's managed CachingDisabled. */
  private cachePolicy(cls: ContentClass): cloudfront.ICachePolicy {
    if (!cls.cacheable) return cloudfront.CachePolicy.CACHING_DISABLED;
    const list = <T>(value: 'none' | 'all' | string[], none: () => T, all: () => T, allow: (...v: string[]) => T) =>
      value === 'none' ? none() : value === 'all' ? all() : allow(...value);
    return new cloudfront.CachePolicy(this, `${pascal(cls.name)}CachePolicy`, {
      comment: `${cls.name} (${cls.pathPattern}): edge TTL ${cls.edgeTtlSeconds} s`,
      minTtl: Duration.seconds(0),
      defaultTtl: Duration.seconds(cls.edgeTtlSeconds),
      maxTtl: Duration.seconds(cls.edgeTtlSeconds),
      queryStringBehavior: list(
        cls.queryStrings,
        cloudfront.CacheQueryStringBehavior.none,
        cloudfront.CacheQueryStringBehavior.all,
        cloudfront.CacheQueryStringBehavior.allowList,
      ),
      headerBehavior: cls.headers.length ? cloudfront.CacheHeaderBehavior.allowList(...cls.headers) : cloudfront.CacheHeaderBehavior.none(),
      cookieBehavior: list(
        cls.cookies,
        cloudfront.CacheCookieBehavior.none,
        cloudfront.CacheCookieBehavior.all,
        cloudfront.CacheCookieBehavior.allowList,
      ),
      enableAcceptEncodingGzip: cls.compress,
      enableAcceptEncodingBrotli: cls.compress,
    });
  }

  /**
   * What reaches the ALB beyond the cache key. A cacheable class gets only its cache key and the
   * Origin header (AWS's managed CORS-CustomOrigin: no cookies, no other query strings), so the
   * app cannot vary a cached response on anything the cache key does not hold, and one user can
   * never be served another user's page. A non-cacheable class (the API, forms, webhooks) gets
   * every viewer header but Host, every cookie and every query string (AllViewerExceptHostHeader)
   * (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-origin-request-policies.html).
   * So a path that takes form posts or webhooks belongs to a non-cacheable class.
   */
  private originRequestPolicy(cls: ContentClass): cloudfront.IOriginRequestPolicy {
    return cls.cacheable ? cloudfront.OriginRequestPolicy.CORS_CUSTOM_ORIGIN : cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER;
  }

  /** Browser caching from the freshness model (unless the app sets its own), and security headers. */
  private responseHeadersPolicy(cls: ContentClass): cloudfront.ResponseHeadersPolicy {
    const cacheControl = cls.cacheable
      ? [
          `public, max-age=${cls.edgeTtlSeconds}`,
          cls.staleWhileRevalidateSeconds && `stale-while-revalidate=${cls.staleWhileRevalidateSeconds}`,
          cls.staleIfErrorSeconds && `stale-if-error=${cls.staleIfErrorSeconds}`,
        ]
          .filter(Boolean)
          .join(', ')
      : 'no-store';
    return new cloudfront.ResponseHeadersPolicy(this, `${pascal(cls.name)}Headers`, {
      comment: `${cls.name}: Cache-Control ${cacheControl}`,
      customHeadersBehavior: { customHeaders: [{ header: 'Cache-Control', value: cacheControl, override: false }] },
      securityHeadersBehavior: {
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: true, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: false },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN, override: false },
      },
    });
  }

  /**
   * The degraded page for classes with `degradedFallback`: an origin-response function that,
   * for GET and HEAD only, replaces a 500/502/503/504 from the ALB with the static page (503,
   * Retry-After). Origin-response functions run "even if an error is returned from the origin"
   * (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/lambda-cloudfront-trigger-events.html)
   * and may replace status and body
   * (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/lambda-generating-http-responses.html).
   * The page is inside the function, so serving it needs nothing that may be down too.
   * Lambda@Edge lives in us-east-1; from another region CDK deploys it in a support stack there.
   */
  private createDegradedRewrite(
    settings: EdgeSettings,
    prefix: string,
    protection: StatefulProtection,
    logsKey?: kms.IKey,
  ): cloudfront.experimental.EdgeFunction {
    const fn = new cloudfront.experimental.EdgeFunction(this, 'DegradedRewrite', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      description: 'Serves the degraded page when the origin answers GET or HEAD with a 5xx',
      code: lambda.Code.fromInline(degradedPageHandler(settings.degradedPageHtml, settings.errorCachingSeconds)),
      logGroup: this.degradedRewriteLogGroup(settings, prefix, protection, logsKey),
      // Versions stay on every stack operation: see retainReplicatedFunction.
      currentVersionOptions: { removalPolicy: RemovalPolicy.RETAIN },
    });
    retainReplicatedFunction(fn);
    return fn;
  }

  /**
   * Where the degraded-page function logs. Lambda@Edge logs in each Region where it runs, to
   * `/aws/lambda/us-east-1.<function>` by default; with a custom log group name it uses that name
   * unchanged in every Region
   * (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/edge-functions-logs.html).
   * So the function gets a name of our own, and in us-east-1 (where a stack there owns the
   * function) the group exists beforehand with our retention and key. In other Regions Lambda@Edge
   * creates the group itself, without retention; docs/operations.md has the command to set it.
   * (CDK's default `/aws/lambda/<function>` group would only ever receive console test runs.)
   * The name is fixed, so the group is deleted with a rolled-back first create (retainPolicy).
   */
  private degradedRewriteLogGroup(
    settings: EdgeSettings,
    prefix: string,
    protection: StatefulProtection,
    logsKey?: kms.IKey,
  ): logs.ILogGroup {
    const logGroupName = degradedPageLogGroupName(prefix);
    if (Stack.of(this).region !== 'us-east-1') return logs.LogGroup.fromLogGroupName(this, 'DegradedRewriteLogs', logGroupName);
    return new logs.LogGroup(this, 'DegradedRewriteLogs', {
      logGroupName,
      retention: settings.logRetentionDays as logs.RetentionDays,
      encryptionKey: logsKey,
      removalPolicy: protection.retainPolicy,
    });
  }

  private acknowledgeFindings(settings: EdgeSettings): void {
    acknowledge(
      this.logsBucket,
      'This bucket is itself the log destination (CloudFront logs); logging it would log the log writes.',
      'AwsSolutions::AwsSolutions-S1',
      'NIST.800.53.R5::NIST.800.53.R5-S3BucketLoggingEnabled',
      'cdk-validator-cfnguard::s3_bucket_logging_enabled_check',
    );
    acknowledge(
      this.logsBucket,
      'SSE-S3: CloudFront standard logging cannot write to SSE-KMS buckets.',
      'NIST.800.53.R5::NIST.800.53.R5-S3DefaultEncryptionKMS',
      'cdk-validator-cfnguard::s3_bucket_default_encryption_kms_check',
    );
    acknowledge(
      this.logsBucket,
      'Access logs: versioned, retained and aged out by a lifecycle rule; a cross-region copy and event consumers would add cost without value.',
      'NIST.800.53.R5::NIST.800.53.R5-S3BucketReplicationEnabled',
      'cdk-validator-cfnguard::s3_event_notifications_enabled_check',
      'cdk-validator-cfnguard::s3_bucket_object_lock_enabled_check',
    );
    acknowledge(
      this.distribution,
      'The root path is served by the application behind the ALB, not by an S3 object, so there is no default root object.',
      'cdk-validator-cfnguard::cloudfront_default_root_object_configured_check',
    );
    acknowledge(
      this.distribution,
      'Failover is an origin-response Lambda@Edge function that serves the degraded page for GET and HEAD on 5xx: CloudFront allows only GET, HEAD and OPTIONS on a behavior that uses an origin group, and pages must take POST (forms, webhooks).',
      'cdk-validator-cfnguard::cloudfront_origin_failover_enabled_check',
    );
    acknowledge(
      this.distribution,
      'Geo restriction is a product decision, not a platform default; the web ACL rate-limits and filters every request.',
      'AwsSolutions::AwsSolutions-CFR1',
    );
    if (!settings.certificateArn) {
      acknowledge(
        this.distribution,
        'No edge.certificateArn/domainNames are configured, so viewers use the default *.cloudfront.net certificate (which fixes the TLS policy); set them to get TLS 1.2+ via SNI.',
        'AwsSolutions::AwsSolutions-CFR4',
        'cdk-validator-cfnguard::cloudfront_security_policy_check',
        'cdk-validator-cfnguard::cloudfront_custom_ssl_certificate_check',
        'cdk-validator-cfnguard::cloudfront_sni_enabled_check',
      );
    }
    // The function itself: in this stack in us-east-1, otherwise in CDK's edge support stack there.
    const rewrite = this.degradedRewrite?.permissionsNode.scope;
    if (rewrite) {
      acknowledge(
        rewrite,
        'Lambda@Edge runs in CloudFront locations: it cannot join a VPC, have reserved concurrency or a dead-letter queue, and logs in the regions where it runs; nodejs22.x is a runtime Lambda@Edge supports.',
        'AwsSolutions::AwsSolutions-L1',
        ...HELPER_FUNCTION_RULES,
      );
    }
    // Outside us-east-1, CDK reads the function's version ARN from SSM there through this provider.
    const arnReader = Stack.of(this).node.tryFindChild('Custom::CrossRegionStringParameterReaderCustomResourceProvider');
    if (arnReader) {
      acknowledge(
        arnReader,
        "CDK's deploy-time function that reads the Lambda@Edge version ARN from SSM in us-east-1; it calls a public regional endpoint during deployment only.",
        'cdk-validator-cfnguard::lambda_inside_vpc_check',
      );
    }
  }
}

/** The log group name of the degraded-page function, the same in every Region where it runs. */
export function degradedPageLogGroupName(prefix: string): string {
  return `/${prefix}/lambda-edge/degraded-page`;
}

/**
 * Keeps a Lambda@Edge function and its versions on every stack operation. Lambda refuses to delete
 * a function or version while CloudFront still holds replicas of it, and CloudFront removes them
 * only hours after the association or distribution is gone
 * (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/lambda-edge-delete-replicas.html).
 * A rolled-back first create deletes the distribution and then the function: with the default
 * Delete policy that fails ("unable to delete ... because it is a replicated function") and the
 * stack ends in ROLLBACK_FAILED; an update that replaces the version leaves the old one failing to
 * delete in the cleanup. Retained, the function and version are simply left behind; their names
 * are generated, so a retry creates new ones beside them, and docs/deploying.md says how to delete
 * the old ones hours later. (Outside us-east-1 they live in CDK's support stack; retained there too.)
 */
export function retainReplicatedFunction(fn: cloudfront.experimental.EdgeFunction): void {
  // The lambda.Function itself (in this stack in us-east-1, in CDK's support stack elsewhere).
  const { scope, id } = fn.permissionsNode;
  (scope!.node.findChild(id) as lambda.Function).applyRemovalPolicy(RemovalPolicy.RETAIN);
}

/**
 * Origin headers that describe the origin's body; the degraded page replaces the body, so they go.
 * (Not read-only for origin-response events, so a function may delete them.)
 */
const BODY_HEADERS = ['content-length', 'content-encoding', 'content-range', 'content-md5', 'etag', 'last-modified'];

/**
 * The origin-response handler (plain JavaScript for the Lambda@Edge runtime) that serves the
 * degraded page: GET and HEAD whose origin status is in DEGRADED_FALLBACK_STATUSES get a 503 with
 * the page and Retry-After; every other response passes through unchanged.
 *
 * It changes the response CloudFront hands it in place and returns that same object. A new object
 * would drop the origin's headers, among them the read-only `Transfer-Encoding` and `Via` of an
 * origin response; a function that adds, changes or deletes a read-only header fails CloudFront's
 * validation, and the viewer gets a 502 instead of the page
 * (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/edge-function-restrictions-all.html,
 * "HTTP headers"; AWS's own example edits the received response:
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/lambda-updating-http-responses.html).
 */
export function degradedPageHandler(pageHtml: string, retryAfterSeconds: number): string {
  return [
    "'use strict';",
    `const PAGE = ${JSON.stringify(pageHtml)};`,
    `const FALLBACK = new Set(${JSON.stringify(DEGRADED_FALLBACK_STATUSES.map(String))});`,
    `const BODY_HEADERS = ${JSON.stringify(BODY_HEADERS)};`,
    'exports.handler = async (event) => {',
    '  const { request, response } = event.Records[0].cf;',
    "  if ((request.method !== 'GET' && request.method !== 'HEAD') || !FALLBACK.has(String(response.status))) return response;",
    "  response.status = '503';",
    "  response.statusDescription = 'Service Unavailable';",
    '  const headers = (response.headers = response.headers || {});',
    '  for (const name of BODY_HEADERS) delete headers[name];',
    "  headers['content-type'] = [{ key: 'Content-Type', value: 'text/html; charset=utf-8' }];",
    `  headers['cache-control'] = [{ key: 'Cache-Control', value: 'max-age=${retryAfterSeconds}' }];`,
    `  headers['retry-after'] = [{ key: 'Retry-After', value: '${retryAfterSeconds}' }];`,
    "  response.body = request.method === 'HEAD' ? '' : PAGE;",
    "  response.bodyEncoding = 'text';",
    '  return response;',
    '};',
  ].join('\n');
}

/**
 * A distribution metric as CloudFront publishes it: in us-east-1, with the dimensions
 * `DistributionId` and `Region=Global`. An alarm without `Region` (CDK's `Distribution.metric…`
 * helpers set only `DistributionId`) matches no series and stays INSUFFICIENT_DATA.
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/programming-cloudwatch-metrics.html
 */
export function cloudFrontMetric(distribution: cloudfront.IDistribution, metricName: string, statistic: string): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'AWS/CloudFront',
    metricName,
    dimensionsMap: { DistributionId: distribution.distributionId, Region: 'Global' },
    statistic,
    region: 'us-east-1',
  });
}

function pascal(name: string): string {
  return name.replace(/(^|-)(\w)/g, (_m, _sep, c: string) => c.toUpperCase());
}

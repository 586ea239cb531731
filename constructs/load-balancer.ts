import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledge } from './acknowledge';
import { RollbackGuard } from './rollback-guard';
import { createPrivateBucket } from './private-bucket';
import {
  loadBalancerSettingsSchema,
  type LoadBalancerSettings,
  type LoadBalancerSettingsInput,
} from '../lib/model/config/load-balancer-settings';
import { checkedAlarms, type AlarmFactory } from './alarm-factory';
import { parseSettings } from './parse-settings';
import { PROTECT_DATA, type StatefulProtection } from './stateful-protection';

export interface LoadBalancerProps {
  readonly vpc: ec2.IVpc;
  readonly securityGroup: ec2.ISecurityGroup;
  /** Port the app listens on; the target group forwards to it. */
  readonly appPort: number;
  /** @default - platform defaults (see the config reference, `loadBalancer`) */
  readonly settings?: LoadBalancerSettingsInput;
  /** @default PROTECT_DATA (the access-log bucket is retained) */
  readonly protection?: StatefulProtection;
  /** Creates the load balancer's alarms through this factory. @default - no alarms */
  readonly alarms?: AlarmFactory;
  /**
   * Healthy targets the service needs (the AZ-loss floor); fewer pages.
   * @default 1
   */
  readonly minHealthyHosts?: number;
  /**
   * Only forward requests that carry this header and value (CloudFront adds it); answer every
   * other request with 403, so nobody can bypass the edge. @default - forward every request
   */
  readonly originVerifyHeader?: { readonly name: string; readonly value: string };
  /**
   * Register the load balancer with ARC zonal shift (`zonal_shift.config.enabled`), so an
   * operator (or autoshift) can move its traffic away from one AZ. @default false
   */
  readonly zonalShift?: boolean;
}

/**
 * An internet-facing ALB in the public subnets, in front of one target group.
 *
 * With a certificate, HTTPS on 443 (TLS 1.2+ policy) and a permanent redirect on 80; without one
 * (dev), plain HTTP on 80. Invalid headers are dropped, desync mitigation is on, access logs go
 * to an encrypted bucket with a lifecycle. The target group uses a shallow health check, a
 * deregistration delay for draining, and least-outstanding-requests routing by default.
 */
export class LoadBalancer extends Construct {
  public readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  /** The listener that forwards to the app (HTTPS with a certificate, else HTTP). */
  public readonly listener: elbv2.ApplicationListener;
  /** The HTTP listener that redirects to HTTPS; undefined without a certificate. */
  public readonly redirectListener?: elbv2.ApplicationListener;
  public readonly targetGroup: elbv2.ApplicationTargetGroup;
  /**
   * The graceful-degradation switch: a fixed response for `maintenance.pathPatterns`, ahead of
   * the forward to the fleet. Present only while `loadBalancer.maintenance.enabled` is true.
   */
  public readonly maintenanceRule?: elbv2.ApplicationListenerRule;
  /** Forwards requests that carry the origin-verify header; undefined without one. */
  public readonly originVerifyRule?: elbv2.ApplicationListenerRule;
  public readonly accessLogsBucket: s3.Bucket;
  public readonly alarms: cloudwatch.Alarm[];
  public readonly settings: LoadBalancerSettings;

  constructor(scope: Construct, id: string, props: LoadBalancerProps) {
    super(scope, id);
    const settings = (this.settings = parseSettings(loadBalancerSettingsSchema, props.settings, 'loadBalancer'));
    const protection = props.protection ?? PROTECT_DATA;

    // ALB access logs support only SSE-S3 (not SSE-KMS): the private-bucket default.
    this.accessLogsBucket = createPrivateBucket(this, 'AccessLogs', {
      protection,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        {
          id: 'age-out-access-logs',
          transitions: [
            { storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(settings.accessLogArchiveAfterDays) },
          ],
          expiration: Duration.days(Math.max(settings.accessLogRetentionDays, settings.accessLogArchiveAfterDays + 1)),
          noncurrentVersionExpiration: Duration.days(7),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
    });
    acknowledge(
      this.accessLogsBucket,
      'This bucket is itself the access-log destination; logging its access would log the log writes.',
      'AwsSolutions::AwsSolutions-S1',
      'NIST.800.53.R5::NIST.800.53.R5-S3BucketLoggingEnabled',
      'cdk-validator-cfnguard::s3_bucket_logging_enabled_check',
    );
    acknowledge(
      this.accessLogsBucket,
      'ALB access logs support only SSE-S3 (Amazon S3 managed keys), not SSE-KMS.',
      'NIST.800.53.R5::NIST.800.53.R5-S3DefaultEncryptionKMS',
      'cdk-validator-cfnguard::s3_bucket_default_encryption_kms_check',
    );
    acknowledge(
      this.accessLogsBucket,
      'Access logs age out through the lifecycle rule, which object lock would block; nothing consumes events for new log objects.',
      'cdk-validator-cfnguard::s3_bucket_object_lock_enabled_check',
      'cdk-validator-cfnguard::s3_event_notifications_enabled_check',
    );
    const autoDelete = Stack.of(this).node.tryFindChild('Custom::S3AutoDeleteObjectsCustomResourceProvider');
    if (autoDelete) {
      acknowledge(
        autoDelete,
        "CDK's deploy-time function that empties the log bucket when a destroyable (dev) stack is deleted; it calls only the S3 API.",
        'cdk-validator-cfnguard::lambda_inside_vpc_check',
      );
    }
    acknowledge(
      this.accessLogsBucket,
      'Access logs are diagnostic data with a lifecycle; versioning protects them, and a cross-region copy would double their cost for little value.',
      'NIST.800.53.R5::NIST.800.53.R5-S3BucketReplicationEnabled',
    );

    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'Resource', {
      vpc: props.vpc,
      vpcSubnets: { subnetGroupName: 'public' },
      internetFacing: true,
      securityGroup: props.securityGroup,
      idleTimeout: Duration.seconds(settings.idleTimeoutSeconds),
      dropInvalidHeaderFields: true,
      desyncMitigationMode:
        settings.desyncMitigationMode === 'strictest' ? elbv2.DesyncMitigationMode.STRICTEST : elbv2.DesyncMitigationMode.DEFENSIVE,
      http2Enabled: true,
      deletionProtection: protection.deletionProtection,
    });
    if (protection.deletionProtection) RollbackGuard.of(this).protectLoadBalancer(this.loadBalancer);
    else {
      acknowledge(
        this.loadBalancer,
        'Deletion protection is off only where dataProtection.allowDestroy is set (throwaway dev stacks), so the stack can be destroyed.',
        'NIST.800.53.R5::NIST.800.53.R5-ELBDeletionProtectionEnabled',
        'cdk-validator-cfnguard::elbv2_deletion_protection_enabled_check',
      );
    }
    this.loadBalancer.logAccessLogs(this.accessLogsBucket, 'alb');
    if (props.zonalShift) {
      // Zonal shift is off by default and enabled per load balancer with this attribute
      // (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-zonal-shift.html);
      // the L2 has a `zonalShift` prop only for Network Load Balancers. An ALB supports zonal
      // shift with cross-zone load balancing on or off
      // (https://docs.aws.amazon.com/r53recovery/latest/dg/arc-zonal-shift.resource-types.app-load-balancers.html).
      this.loadBalancer.setAttribute('zonal_shift.config.enabled', 'true');
    }
    // A destroyable bucket is emptied by CDK's auto-delete custom resource before it is deleted.
    // The ALB writes a test object as soon as logging is on, so it waits for that resource: a
    // rolled-back create then always empties the bucket first (S3 refuses to delete a bucket that
    // is not empty).
    const emptiesBucket = this.accessLogsBucket.node.tryFindChild('AutoDeleteObjectsCustomResource');
    if (emptiesBucket) this.loadBalancer.node.addDependency(emptiesBucket);

    this.targetGroup = new elbv2.ApplicationTargetGroup(this, 'Targets', {
      vpc: props.vpc,
      port: props.appPort,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targetType: elbv2.TargetType.INSTANCE,
      loadBalancingAlgorithmType:
        settings.algorithm === 'round_robin'
          ? elbv2.TargetGroupLoadBalancingAlgorithmType.ROUND_ROBIN
          : elbv2.TargetGroupLoadBalancingAlgorithmType.LEAST_OUTSTANDING_REQUESTS,
      slowStart: settings.slowStartSeconds > 0 ? Duration.seconds(settings.slowStartSeconds) : undefined,
      deregistrationDelay: Duration.seconds(settings.deregistrationDelaySeconds),
      // With zonal shift, cross-zone on, explicitly (docs/adr/0011-cross-zone-and-per-az-signals.md;
      // without it, the default is the same: the load balancer's, which is on): every LB node
      // spreads requests over the healthy targets of every AZ, so an AZ with fewer instances is
      // not overloaded, and a zonal shift still stops the other nodes from routing to the shifted
      // AZ (https://aws.amazon.com/blogs/networking-and-content-delivery/using-cross-zone-load-balancing-with-zonal-shift).
      // Target groups may turn it off; an ALB itself always has it on
      // (https://docs.aws.amazon.com/en_en/elasticloadbalancing/latest/application/disable-cross-zone.html).
      crossZoneEnabled: props.zonalShift ? true : undefined,
      healthCheck: {
        path: settings.healthCheck.path,
        protocol: elbv2.Protocol.HTTP,
        port: 'traffic-port',
        interval: Duration.seconds(settings.healthCheck.intervalSeconds),
        timeout: Duration.seconds(settings.healthCheck.timeoutSeconds),
        healthyThresholdCount: settings.healthCheck.healthyThresholdCount,
        unhealthyThresholdCount: settings.healthCheck.unhealthyThresholdCount,
        healthyHttpCodes: '200',
      },
    });

    const verify = props.originVerifyHeader;
    // Behind CloudFront, the default answer is 403; a rule forwards requests with the secret header.
    const defaults = verify
      ? {
          defaultAction: elbv2.ListenerAction.fixedResponse(403, { contentType: 'application/json', messageBody: '{"error":"forbidden"}' }),
        }
      : { defaultTargetGroups: [this.targetGroup] };
    if (settings.certificateArn) {
      this.listener = this.loadBalancer.addListener('Https', {
        port: 443,
        protocol: elbv2.ApplicationProtocol.HTTPS,
        certificates: [elbv2.ListenerCertificate.fromArn(settings.certificateArn)],
        sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
        open: false,
        ...defaults,
      });
      this.redirectListener = this.loadBalancer.addListener('HttpRedirect', {
        port: 80,
        protocol: elbv2.ApplicationProtocol.HTTP,
        open: false,
        defaultAction: elbv2.ListenerAction.redirect({ protocol: 'HTTPS', port: '443', permanent: true }),
      });
      acknowledge(
        this.redirectListener,
        'This port-80 listener serves nothing: it only answers with a permanent redirect to HTTPS.',
        'NIST.800.53.R5::NIST.800.53.R5-ELBv2ACMCertificateRequired',
      );
    } else {
      this.listener = this.loadBalancer.addListener('Http', {
        port: 80,
        protocol: elbv2.ApplicationProtocol.HTTP,
        open: false,
        ...defaults,
      });
      acknowledge(
        this.listener,
        'No loadBalancer.certificateArn is configured (dev), so the ALB serves plain HTTP; every environment with a certificate gets HTTPS and a redirect.',
        'NIST.800.53.R5::NIST.800.53.R5-ALBHttpToHttpsRedirection',
        'NIST.800.53.R5::NIST.800.53.R5-ELBv2ACMCertificateRequired',
        'cdk-validator-cfnguard::alb_http_to_https_redirection_check',
      );
    }

    if (verify) {
      this.originVerifyRule = new elbv2.ApplicationListenerRule(this, 'OriginVerifyRule', {
        listener: this.listener,
        priority: 10,
        conditions: [elbv2.ListenerCondition.httpHeader(verify.name, [verify.value])],
        action: elbv2.ListenerAction.forward([this.targetGroup]),
      });
    }

    const maintenance = settings.maintenance;
    if (maintenance.enabled) {
      this.maintenanceRule = new elbv2.ApplicationListenerRule(this, 'MaintenanceRule', {
        listener: this.listener,
        priority: 1,
        conditions: [elbv2.ListenerCondition.pathPatterns(maintenance.pathPatterns)],
        action: elbv2.ListenerAction.fixedResponse(maintenance.statusCode, {
          contentType: maintenance.contentType,
          messageBody: maintenance.body,
        }),
      });
    }

    this.alarms = props.alarms
      ? checkedAlarms(
          this.createAlarms(props.alarms, this.loadBalancer, this.targetGroup, props.minHealthyHosts ?? 1),
          `LoadBalancer.createAlarms() of ${this.node.path}`,
        )
      : [];
  }

  /** Listener ports for a configuration: what the ALB security group must open. */
  public static listenerPorts(settings: Pick<LoadBalancerSettings, 'certificateArn'>): number[] {
    return settings.certificateArn ? [80, 443] : [80];
  }

  /**
   * The load balancer's alarms. Override to add or replace signals; call `super.createAlarms`
   * to keep the platform's set. Runs in the constructor: use only the arguments.
   */
  protected createAlarms(
    factory: AlarmFactory,
    lb: elbv2.ApplicationLoadBalancer,
    tg: elbv2.ApplicationTargetGroup,
    minHealthyHosts: number,
  ): cloudwatch.Alarm[] {
    const s = factory.settings;
    const requests = lb.metrics.requestCount({ statistic: 'Sum' });
    const rate = (errors: cloudwatch.IMetric, label: string) =>
      new cloudwatch.MathExpression({ expression: '100 * FILL(errors, 0) / FILL(requests, 1)', usingMetrics: { errors, requests }, label });
    return [
      factory.alarm(this, 'Elb5xxAlarm', {
        component: 'alb',
        signal: 'elb-5xx-rate',
        severity: 'critical',
        metric: rate(lb.metrics.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, { statistic: 'Sum' }), 'ELB 5xx %'),
        threshold: s.http5xxRatePercent,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        description: `5xx generated by the load balancer itself (no healthy target, target timeouts, 502/503/504) above ${s.http5xxRatePercent}% of requests (alarms.http5xxRatePercent).`,
        recommendation:
          'AWS has no ALB entry; the Incident Detection and Response guide pairs HTTPCode_ELB_5XX_Count with HTTPCode_Target_5XX_Count (here as rates of RequestCount)',
      }),
      factory.alarm(this, 'Target5xxAlarm', {
        component: 'alb',
        signal: 'target-5xx-rate',
        severity: 'critical',
        metric: rate(tg.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { statistic: 'Sum' }), 'Target 5xx %'),
        threshold: s.http5xxRatePercent,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        description: `5xx returned by the app above ${s.http5xxRatePercent}% of requests (alarms.http5xxRatePercent).`,
        recommendation: 'AWS has no ALB entry; IDR guide: HTTPCode_Target_5XX_Count, as a rate of RequestCount',
      }),
      factory.alarm(this, 'LatencyAlarm', {
        component: 'alb',
        signal: 'latency-p99',
        severity: 'critical',
        metric: tg.metrics.targetResponseTime({ statistic: 'p99' }),
        threshold: s.latencyP99Seconds,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        description: `p99 target response time above ${s.latencyP99Seconds} s (alarms.latencyP99Seconds).`,
        recommendation: 'AWS has no ALB entry; TargetResponseTime at p99 (the average hides tail latency)',
      }),
      factory.alarm(this, 'UnhealthyHostsAlarm', {
        component: 'alb',
        signal: 'unhealthy-hosts',
        severity: 'warning',
        metric: tg.metrics.unhealthyHostCount({ statistic: 'Maximum' }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        description: 'At least one target fails its health check; the Auto Scaling group replaces it (ELB health checks).',
        recommendation: 'AWS has no ALB entry; UnHealthyHostCount per target group',
      }),
      factory.alarm(this, 'HealthyHostsAlarm', {
        component: 'alb',
        signal: 'healthy-hosts-low',
        severity: 'critical',
        metric: tg.metrics.healthyHostCount({ statistic: 'Minimum' }),
        threshold: minHealthyHosts,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        description: `Fewer than ${minHealthyHosts} healthy targets: below what the fleet keeps after losing one AZ.`,
        recommendation: 'AWS has no ALB entry; HealthyHostCount per target group against the AZ-loss floor',
      }),
      factory.alarm(this, 'RejectedConnectionsAlarm', {
        component: 'alb',
        signal: 'rejected-connections',
        severity: 'warning',
        metric: lb.metrics.rejectedConnectionCount({ statistic: 'Sum' }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        description: 'The load balancer rejected connections: it reached its connection limit.',
        recommendation: 'none for ALB in the AWS list; RejectedConnectionCount is the ALB capacity signal',
      }),
      factory.alarm(this, 'TargetConnectionErrorsAlarm', {
        component: 'alb',
        signal: 'target-connection-errors',
        severity: 'warning',
        metric: tg.metrics.targetConnectionErrorCount({ statistic: 'Sum' }),
        threshold: s.targetConnectionErrors,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        description: `The ALB could not open connections to targets more than ${s.targetConnectionErrors} times a period (alarms.targetConnectionErrors): instances are overloaded (accept queue full) or the security group changed.`,
        recommendation: 'none for ALB in the AWS list; TargetConnectionErrorCount separates connection failures from app 5xx',
      }),
      factory.anomalyAlarm(this, 'RequestsAnomalyAlarm', {
        component: 'alb',
        signal: 'requests-anomaly',
        severity: 'warning',
        metric: lb.metrics.requestCount({ statistic: 'Sum' }),
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_LOWER_OR_GREATER_THAN_UPPER_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.MISSING,
        description: `Request count outside its learned band (${s.anomalyStdDevs} standard deviations, alarms.anomalyStdDevs): an unexpected surge (scale ahead) or a drop (upstream outage, DNS, WAF blocking).`,
        recommendation: 'none for ALB in the AWS list; anomaly detection on RequestCount',
      }),
      factory.anomalyAlarm(this, 'LatencyAnomalyAlarm', {
        component: 'alb',
        signal: 'latency-anomaly',
        severity: 'warning',
        metric: tg.metrics.targetResponseTime({ statistic: 'p99' }),
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        description: `p99 latency above its learned band (${s.anomalyStdDevs} standard deviations): a regression well before the static p99 threshold.`,
        recommendation: 'none for ALB in the AWS list; anomaly detection on TargetResponseTime p99',
      }),
    ];
  }
}

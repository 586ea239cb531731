import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, type IDependable } from 'constructs';
import type { CanaryCheck } from '../lib/model/config/canary-checks';
import type { CanarySettings } from '../lib/model/config/delivery-settings';
import { acknowledge } from './acknowledge';
import type { AlarmFactory } from './alarm-factory';
import { CANARY_HANDLER } from './canary-handler';
import { PROTECT_DATA, type StatefulProtection } from './stateful-protection';

/**
 * The canary's runtime: pinned, never "latest", like every function of the stacks; listed in
 * lib/model/config/lambda-runtimes.ts, whose test goes red months before Lambda blocks it.
 */
export const CANARY_RUNTIME = lambda.Runtime.NODEJS_24_X;

export interface CanaryProps {
  /** `delivery.canary` (parsed). */
  readonly settings: CanarySettings;
  /** What a run requests (`canaryChecks`, lib/model/config/canary-checks.ts). */
  readonly checks: readonly CanaryCheck[];
  readonly loadBalancer: {
    /** The ALB's own DNS name (the canary connects to it: no DNS record of ours in between). */
    readonly dnsName: string;
    /** The listener the checks reach is HTTPS (a certificate is configured). */
    readonly https: boolean;
    /** A name the ALB's certificate covers; without it the name is not checked. */
    readonly hostName?: string;
  };
  /** The distribution's domain name, for the `edge` checks. @default - no edge checks */
  readonly edgeDomainName?: string;
  /**
   * The origin-verify header the ALB requires (behind CloudFront), and the secret holding its
   * value: the canary may read that one secret, nothing else. @default - the ALB takes any request
   */
  readonly originVerify?: { readonly headerName: string; readonly secret: secretsmanager.ISecret };
  /** Creates `<stack>-canary-failures`. */
  readonly alarms: AlarmFactory;
  readonly stackName: string;
  /** @default - CloudWatch Logs' own encryption */
  readonly logsKey?: kms.IKey;
  /** @default PROTECT_DATA */
  readonly protection?: StatefulProtection;
  /**
   * What must be in service before the first run: the fleet, the listener and its rules, the web
   * ACLs, CloudFront and the origin's DNS record. The schedule waits for them, so a first create
   * never sees the canary fail (and its alarm never pages for a stack still being built).
   */
  readonly startAfter: readonly (IDependable | undefined)[];
}

/**
 * Canary traffic: a small scheduled function (not CloudWatch Synthetics: about $0.30 a month
 * against $52 at one run a minute, docs/delivering.md "Canary traffic") that requests the health
 * check and one read path through the ALB, and through CloudFront when the edge is on, every
 * `rateMinutes`. An ALB publishes request metrics only while requests flow, so without it a quiet
 * environment's alarms watch nothing during a deploy or at night.
 *
 * Its failure metric is the function's own `Errors` (a run throws when any check fails; a run
 * that times out or cannot start counts too), alarmed as `<stack>-canary-failures`, critical,
 * missing data not breaching (no run, no verdict: the schedule starts only once the stack is
 * in service). The alarm is a rollback trigger by default and one of the user-facing alarms of
 * `<stack>-service-health`; it is never a refresh alarm: it sees the whole fleet, so in the
 * refresh it would block the rollback of the release that set it off (ADR 0007).
 *
 * Outside any VPC, on purpose: it reaches the ALB and CloudFront over the internet as a user does,
 * and depends on no NAT gateway of the stack.
 */
export class Canary extends Construct {
  public readonly function: lambda.Function;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;
  public readonly schedule: events.Rule;
  public readonly alarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: CanaryProps) {
    super(scope, id);
    const { settings } = props;
    if (props.originVerify && props.loadBalancer.https && !props.loadBalancer.hostName)
      // The secret header crosses the internet only to a server whose certificate names the origin.
      throw new Error(`${this.node.path}: the origin secret needs a host name to check the ALB's certificate against`);
    if (props.checks.some((c) => c.target === 'edge') && !props.edgeDomainName)
      throw new Error(`${this.node.path}: edge checks need the distribution's domain name`);

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: settings.logRetentionDays as logs.RetentionDays,
      encryptionKey: props.logsKey,
      removalPolicy: (props.protection ?? PROTECT_DATA).retainPolicy,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Canary: writes its own log group, reads the origin-verify secret (behind CloudFront)',
    });
    // Its own log group only (not AWSLambdaBasicExecutionRole's logs:* on every group).
    this.logGroup.grantWrite(this.role);
    if (props.originVerify) {
      // GetSecretValue on that one secret, nothing else (not grantRead's DescribeSecret too). It is
      // encrypted with the AWS managed key aws/secretsmanager, whose policy lets the account's
      // principals use it through Secrets Manager: no KMS statement is needed.
      this.role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'ReadOriginVerifySecret',
          actions: ['secretsmanager:GetSecretValue'],
          resources: [props.originVerify.secret.secretArn],
        }),
      );
    }

    const timeoutMs = settings.timeoutSeconds * 1000;
    this.function = new lambda.Function(this, 'Function', {
      runtime: CANARY_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromInline(CANARY_HANDLER),
      description: `Canary of ${props.stackName}: the health check and one read through the ALB${props.edgeDomainName ? ' and CloudFront' : ''}`,
      // All checks run at once; a retried 403 (a changed origin secret) and the secret read may add one more timeout each.
      timeout: Duration.seconds(3 * settings.timeoutSeconds + 10),
      memorySize: 128,
      role: this.role,
      logGroup: this.logGroup,
      environment: {
        STACK_NAME: props.stackName,
        CHECKS: JSON.stringify(props.checks),
        TIMEOUT_MS: String(timeoutMs),
        ALB_DNS: props.loadBalancer.dnsName,
        ALB_HTTPS: String(props.loadBalancer.https),
        ...(props.loadBalancer.hostName ? { ALB_HOST_NAME: props.loadBalancer.hostName } : {}),
        ...(props.edgeDomainName ? { EDGE_DOMAIN: props.edgeDomainName } : {}),
        ...(props.originVerify
          ? { ORIGIN_SECRET_ARN: props.originVerify.secret.secretArn, ORIGIN_HEADER: props.originVerify.headerName.toLowerCase() }
          : {}),
      },
    });
    // A failed run is not retried: the next run is a minute away, and a retry would count one
    // failure two or three times ("Lambda retries the function two more times" by default,
    // https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html).
    this.function.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.seconds(Math.max(60, settings.rateMinutes * 60)) });

    // rate(n minutes): EventBridge's shortest rate is one minute
    // (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html).
    this.schedule = new events.Rule(this, 'Schedule', {
      description: `Runs the canary of ${props.stackName} every ${settings.rateMinutes} min`,
      schedule: events.Schedule.rate(Duration.minutes(settings.rateMinutes)),
      targets: [new targets.LambdaFunction(this.function, { retryAttempts: 0 })],
    });
    for (const d of props.startAfter) if (d) this.schedule.node.addDependency(d);
    // The invoke permission CDK adds for the rule names the rule (SourceArn); the account too, so
    // the permission reads as scoped without resolving the reference (Control Tower's
    // lambda_function_public_access_prohibited_check accepts either).
    const invoke = this.node
      .findAll()
      .filter((c): c is lambda.CfnPermission => c instanceof lambda.CfnPermission && c.principal === 'events.amazonaws.com');
    if (invoke.length !== 1)
      throw new Error(`expected one invoke permission for EventBridge under ${this.node.path}, found ${invoke.length}`);
    invoke[0]!.sourceAccount = Stack.of(this).account;

    const period = Duration.minutes(settings.rateMinutes);
    this.alarm = props.alarms.alarm(this, 'FailuresAlarm', {
      component: 'canary',
      signal: 'failures',
      severity: 'critical',
      metric: this.function.metricErrors({ statistic: 'Sum', period }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      // No run, no verdict: before the schedule's first run, and while the canary is off.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      periodSeconds: settings.rateMinutes * 60,
      description: `Canary runs failed: the health check or ${settings.readPath} did not answer as expected through ${props.edgeDomainName ? 'the ALB or CloudFront' : 'the ALB'} (the log group of ${this.function.node.path} has each check's status).`,
      recommendation: 'none in the AWS list; an outside-in check, so a quiet environment has request metrics and the deploy has a signal',
    });
    this.acknowledgeFindings();
  }

  private acknowledgeFindings(): void {
    acknowledge(
      this.function,
      "The canary is a client of the stack from outside, as its users are: in a VPC it would reach the ALB and CloudFront through the stack's own NAT gateways, whose failure would then look like an outage of the service.",
      'NIST.800.53.R5::NIST.800.53.R5-LambdaInsideVPC',
      'cdk-validator-cfnguard::lambda_inside_vpc_check',
    );
    acknowledge(
      this.function,
      'A failed run is the signal itself (the Errors metric its alarm watches) and the next run is minutes away; there is no event worth keeping in a dead-letter queue, and retries are off.',
      'NIST.800.53.R5::NIST.800.53.R5-LambdaDLQ',
    );
    acknowledge(
      this.function,
      "One short run a minute at most; a reservation takes from the account's unreserved concurrency, of which Lambda lets you reserve only what exceeds 100 (Lambda Developer Guide, configuring reserved concurrency), so it could fail the create in a new account.",
      'NIST.800.53.R5::NIST.800.53.R5-LambdaConcurrency',
    );
    acknowledge(
      this.role.node.findChild('DefaultPolicy'),
      'The inline policy holds the grants of this function only: its own log group and, behind CloudFront, GetSecretValue on the origin-verify secret.',
      'NIST.800.53.R5::NIST.800.53.R5-IAMNoInlinePolicy',
    );
  }
}

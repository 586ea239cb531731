import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Duration, Stack, type RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledge } from './acknowledge';

/**
 * The runtime of the rotation function: pinned, never the "latest" alias, so it changes only in
 * a reviewed commit. lib/model/config/lambda-runtimes.ts holds its deprecation and block dates, and
 * test/model/config/lambda-runtimes.test.ts goes red 120 days before Lambda stops creating functions
 * with it (docs/adr/0003-secret-rotation-function.md).
 */
export const ROTATION_RUNTIME = lambda.Runtime.NODEJS_24_X;

/** Where the rotation function's bundle lives, relative to the repository (or package) root. */
const BUNDLE_DIR = join('assets', 'rotation-postgres-single-user');

/** The bundle above this file: the repository's (tools/build.cjs, before every synth by tools/launch.cjs), or the one the package ships. */
export function rotationBundleDir(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, BUNDLE_DIR, 'index.js'))) return join(dir, BUNDLE_DIR);
    if (dirname(dir) === dir) {
      throw new Error(
        `the secret rotation function's bundle (${BUNDLE_DIR}/index.js) is not built in this tree: run \`npm run build\` (or \`npm run build:rotation\`)`,
      );
    }
  }
}

export interface PostgresSingleUserRotationProps {
  /** The secret to rotate: an RDS PostgreSQL user's (username, password, host, port). */
  readonly secret: secretsmanager.ISecret;
  readonly vpc: ec2.IVpc;
  /** Subnets with a route to the Secrets Manager API and to the database. */
  readonly vpcSubnets: ec2.SubnetSelection;
  /** Allowed out to the database port and HTTPS. */
  readonly securityGroup: ec2.ISecurityGroup;
  readonly automaticallyAfter: Duration;
  readonly logRetention: logs.RetentionDays;
  /** @default - CloudWatch Logs' own encryption */
  readonly logsKey?: kms.IKey;
  /** Of the log group. */
  readonly logRemovalPolicy: RemovalPolicy;
}

/**
 * Single-user rotation of one PostgreSQL user's secret by a function of our own
 * (rotation/src/postgres-single-user.ts): it logs in as the user and changes its own password.
 *
 * One function per secret: each may read and write only its own secret, and only Secrets
 * Manager rotating that secret, in this account, may invoke it (`SourceArn` and
 * `SourceAccount` on the invoke permission; AWS: "if you include the context key aws:SourceArn
 * in your Lambda rotation function policy, the rotation function can only be used to rotate the
 * secret specified by that ARN",
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotating-secrets-required-permissions-function.html).
 * So the app role's rotation never holds the master password.
 *
 * The schedule is `secret.addRotationSchedule('Rotation', ...)`, under the secret, as the hosted
 * rotation's was: the schedule keeps its logical ID, and CloudFormation updates it in place.
 */
export class PostgresSingleUserRotation extends Construct {
  public readonly function: lambda.Function;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;
  public readonly schedule: secretsmanager.RotationSchedule;

  constructor(scope: Construct, id: string, props: PostgresSingleUserRotationProps) {
    super(scope, id);
    const { secret } = props;
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      encryptionKey: props.logsKey,
      removalPolicy: props.logRemovalPolicy,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Secret rotation function: its own secret, its log group, its network interfaces',
    });
    // Its own log group only (not AWSLambdaBasicExecutionRole's logs:* on every group).
    this.logGroup.grantWrite(this.role);
    // The network interfaces of a function in a VPC, the actions of AWSLambdaVPCAccessExecutionRole
    // (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaVPCAccessExecutionRole.html)
    // without its logs:* on every log group. Lambda uses them when it creates or updates the
    // function; DescribeNetworkInterfaces works only on "*" (https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html).
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'FunctionNetworkInterfaces',
        actions: [
          'ec2:CreateNetworkInterface',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeSubnets',
          'ec2:DeleteNetworkInterface',
          'ec2:AssignPrivateIpAddresses',
          'ec2:UnassignPrivateIpAddresses',
        ],
        resources: ['*'],
      }),
    );
    this.function = new lambda.Function(this, 'Function', {
      runtime: ROTATION_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(rotationBundleDir()),
      description: 'Secrets Manager single-user rotation of one PostgreSQL user (rotation/src/postgres-single-user.ts)',
      // Each step opens at most three sessions (5 s to connect, 5 s per statement) and a few API calls (5 s each).
      timeout: Duration.seconds(30),
      memorySize: 256,
      role: this.role,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      securityGroups: [props.securityGroup],
      logGroup: this.logGroup,
    });
    // CDK's grants for a rotation function: DescribeSecret, GetSecretValue, PutSecretValue and
    // UpdateSecretVersionStage on this secret; GetRandomPassword (no resource); the secret's key
    // through Secrets Manager only (kms:ViaService); lambda:InvokeFunction for Secrets Manager,
    // created before the schedule.
    this.schedule = secret.addRotationSchedule('Rotation', { rotationLambda: this.function, automaticallyAfter: props.automaticallyAfter });
    scopeInvokePermission(this.function, secret);
    this.acknowledgeFindings();
  }

  private acknowledgeFindings(): void {
    acknowledge(
      this.role.node.findChild('DefaultPolicy'),
      'The inline policy holds the grants of this function only: its one secret (and its key through Secrets Manager), its log group, and the network-interface actions of a function in a VPC.',
      'NIST.800.53.R5::NIST.800.53.R5-IAMNoInlinePolicy',
    );
    acknowledge(
      this.role.node.findChild('DefaultPolicy'),
      'secretsmanager:GetRandomPassword and the EC2 network-interface actions Lambda uses for a function in a VPC take no resource ARN (DescribeNetworkInterfaces works only on "*"); every action on the secret is scoped to its ARN.',
      'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
    );
    acknowledge(
      this.function,
      'Secrets Manager calls the four steps in order and acts on each result: a failed step stops the rotation, which it records on the secret and in CloudTrail, and AWSCURRENT stays where it was. There is no event to keep for later in a dead-letter queue.',
      'NIST.800.53.R5::NIST.800.53.R5-LambdaDLQ',
    );
    acknowledge(
      this.function,
      "It runs a few times a month per secret and needs no reserved capacity; a reservation would take from the account's unreserved concurrency, and AWS warns that a concurrency below 10 can throttle a rotation function (Secrets Manager User Guide, Lambda rotation functions).",
      'NIST.800.53.R5::NIST.800.53.R5-LambdaConcurrency',
    );
  }
}

/**
 * CDK grants Secrets Manager the invoke without a condition; only Secrets Manager rotating this
 * secret for this account may invoke it. The permission is CDK's own (the schedule depends on
 * it), narrowed in place.
 */
function scopeInvokePermission(fn: lambda.Function, secret: secretsmanager.ISecret): void {
  const permissions = fn.node.children.filter(
    (c): c is lambda.CfnPermission => c instanceof lambda.CfnPermission && c.principal === 'secretsmanager.amazonaws.com',
  );
  if (permissions.length !== 1)
    throw new Error(`expected one invoke permission for Secrets Manager on ${fn.node.path}, found ${permissions.length}`);
  permissions[0].sourceArn = secret.secretArn;
  permissions[0].sourceAccount = Stack.of(fn).account;
}

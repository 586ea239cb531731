import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ConfigError, extensionError } from '../lib/model/config/config-error';
import { acknowledge } from './acknowledge';
import { createEncryptionKey } from './encryption-key';
import { PROTECT_DATA, type StatefulProtection } from './stateful-protection';

export interface AppBucketProps {
  /**
   * Where S3 writes this bucket's server access logs (PlatformStack: the ALB's log bucket). It
   * must be a bucket of this stack: S3 delivers logs only to a bucket of the same account and
   * region, without SSE-KMS default encryption or Object Lock, and CDK adds the bucket-policy
   * statement for `logging.s3.amazonaws.com` only to a bucket it manages
   * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_LoggingEnabled.html).
   */
  readonly accessLogsBucket: s3.IBucket;
  /** What the bucket holds, for the key's description. @default 'app data' */
  readonly purpose?: string;
  /** How long S3 keeps a replaced or deleted object's old version. @default 30 days */
  readonly noncurrentVersionDays?: number;
  /**
   * Why the bucket is not replicated to another region (NIST 800-53's replication rule): your
   * reason, acknowledged on the bucket.
   * @default 'App data of one region: the region's AZs are its redundancy; a cross-region copy is a disaster-recovery decision the team makes per bucket.'
   */
  readonly noReplicationReason?: string;
  /**
   * What happens to the bucket and its key on delete. A destroyable bucket is emptied first (S3
   * refuses to delete a bucket that holds objects or versions:
   * https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucket.html).
   * @default - the protection of the PlatformStack it is in (its `dataProtection`), else PROTECT_DATA (retained)
   */
  readonly protection?: StatefulProtection;
}

/** What an app may do with the objects under a prefix. */
export type ObjectAccess = 'read' | 'write' | 'read-write';

/**
 * A bucket for a team's own app data that passes every policy gate the platform runs (cdk-nag's
 * AwsSolutions and NIST 800-53 packs, the Control Tower controls): private, TLS only, encrypted
 * with a key of its own, versioned with old versions aged out, server access logs in the stack's
 * log bucket, and grants that name their actions instead of the `s3:*Object*` wildcards of
 * `bucket.grantReadWrite`. What no gate can decide for you (replication, event notifications,
 * object lock) is acknowledged with a reason you can replace (docs/policy-gates.md).
 *
 * ```ts
 * const uploads = new AppBucket(stack, 'Uploads', { accessLogsBucket: stack.loadBalancer.accessLogsBucket });
 * uploads.grantObjects(stack.fleet.role, 'read-write', 'uploads/');
 * ```
 */
export class AppBucket extends Construct {
  public readonly bucket: s3.Bucket;
  public readonly key: kms.Key;
  public readonly protection: StatefulProtection;

  constructor(scope: Construct, id: string, props: AppBucketProps) {
    super(scope, id);
    checkLogTarget(this, props.accessLogsBucket);
    const protection = props.protection ?? (Stack.of(this) as { protection?: StatefulProtection }).protection ?? PROTECT_DATA;
    this.protection = protection;
    // The key lives as long as the bucket: a rolled-back first create keeps the bucket (it may
    // hold objects), so it keeps the key too, or those objects could never be read again.
    this.key = createEncryptionKey(this, 'Key', {
      description: `Encrypts ${props.purpose ?? 'app data'} in ${id}`,
      protection,
      encryptsSnapshots: true,
    });
    this.bucket = new s3.Bucket(this, 'Resource', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      // One data key per bucket and time window instead of one KMS call per object.
      bucketKeyEnabled: true,
      versioned: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      serverAccessLogsBucket: props.accessLogsBucket,
      serverAccessLogsPrefix: `s3/${id}/`,
      lifecycleRules: [
        {
          id: 'age-out-old-versions',
          noncurrentVersionExpiration: Duration.days(props.noncurrentVersionDays ?? 30),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
          // A deleted object leaves a delete marker; once its old versions have expired, the marker goes too.
          expiredObjectDeleteMarker: true,
        },
      ],
      removalPolicy: protection.bucketPolicy,
      autoDeleteObjects: protection.bucketPolicy === RemovalPolicy.DESTROY,
    });
    acknowledge(
      this.bucket,
      props.noReplicationReason ??
        "App data of one region: the region's AZs are its redundancy; a cross-region copy is a disaster-recovery decision the team makes per bucket.",
      'NIST.800.53.R5::NIST.800.53.R5-S3BucketReplicationEnabled',
    );
    acknowledge(
      this.bucket,
      'The app reads and writes its objects itself; nothing consumes object events, and object lock would block the deletes and version expiry the app relies on.',
      'cdk-validator-cfnguard::s3_event_notifications_enabled_check',
      'cdk-validator-cfnguard::s3_bucket_object_lock_enabled_check',
    );
  }

  /**
   * Lets `grantee` read, write or read and write the objects under `prefix` (and list them), with
   * the key's matching permissions. Object ARNs end in a wildcard by nature (`<bucket>/<prefix>*`):
   * that one finding is acknowledged on the grantee, narrowly, for this bucket.
   */
  public grantObjects(grantee: iam.IRole, access: ObjectAccess, prefix = ''): void {
    const objects = this.bucket.arnForObjects(`${prefix}*`);
    const read = access !== 'write';
    const write = access !== 'read';
    const actions = [
      ...(read ? ['s3:GetObject', 's3:GetObjectVersion'] : []),
      ...(write ? ['s3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'] : []),
    ];
    const added = grantee.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources: [objects] }));
    // An immutable role (fromRoleArn with mutable: false) reports the statement added and drops it.
    const attached = added.statementAdded && grantee.node.findAll().some((c) => c instanceof iam.Policy);
    if (!attached) {
      throw extensionError(
        `AppBucket(${this.node.path}).grantObjects`,
        grantee.node.path,
        'the grantee takes no policy statements (an imported or immutable role), so the grant would silently do nothing',
        'grant to a role of this stack (e.g. stack.fleet.role), or add the statements to the role where it is defined.',
      );
    }
    // Listing is limited to the prefix. S3 answers a read of a missing key with 404 only to a
    // caller allowed to list the bucket (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html);
    // with a prefix, a missing key reads as 403. Grant with prefix '' where the app needs the 404.
    grantee.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [this.bucket.bucketArn],
        ...(prefix ? { conditions: { StringLike: { 's3:prefix': [`${prefix}*`] } } } : {}),
      }),
    );
    // SSE-KMS: reads decrypt the data key; writes generate one, and a multipart upload decrypts it
    // again to complete, so every access needs kms:Decrypt
    // (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html,
    // https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html#mpuAndPermissions).
    grantee.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['kms:Decrypt', ...(write ? ['kms:GenerateDataKey'] : [])], resources: [this.key.keyArn] }),
    );
    // A destroyable bucket is emptied by CDK's auto-delete custom resource before it is deleted:
    // the grant goes first on delete (it waits for that resource on create), so the app cannot
    // write again into a bucket being emptied.
    const emptier = this.bucket.node.tryFindChild('AutoDeleteObjectsCustomResource');
    const policy = grantee.node.tryFindChild('DefaultPolicy');
    if (emptier && policy) policy.node.addDependency(emptier);
    const logicalId = Stack.of(this).getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket);
    acknowledge(
      grantee,
      `Object ARNs of one bucket end in a wildcard (${prefix || 'every key'}); the actions are named one by one.`,
      `AwsSolutions::AwsSolutions-IAM5[Resource::<${logicalId}.Arn>/${prefix}*]`,
    );
  }
}

/**
 * S3 delivers server access logs only to a bucket of the same account and region, without SSE-KMS
 * default encryption or Object Lock (https://docs.aws.amazon.com/AmazonS3/latest/API/API_LoggingEnabled.html),
 * and only where the bucket policy lets `logging.s3.amazonaws.com` write, which CDK adds only to a
 * bucket it creates in this stack.
 */
function checkLogTarget(appBucket: Construct, logs: s3.IBucket): void {
  const problem = (rule: string) =>
    new ConfigError(
      [
        {
          path: `AppBucket(${appBucket.node.path}).accessLogsBucket`,
          value: logs.node.path,
          rule,
          fix: 'pass stack.loadBalancer.accessLogsBucket, or a bucket you create in this stack with createPrivateBucket().',
        },
      ],
      'an AppBucket',
    );
  // An imported bucket (fromBucketName...) has no policy CDK may add to; a created one has one, or will.
  const created = logs.policy !== undefined || (logs as unknown as { autoCreatePolicy?: boolean }).autoCreatePolicy === true;
  if (Stack.of(logs) !== Stack.of(appBucket) || !created) {
    throw problem(
      'must be a bucket created in the same stack (S3 delivers access logs only where the bucket policy lets logging.s3.amazonaws.com write, which CDK adds only to a bucket it creates in this stack)',
    );
  }
  if (logs.encryptionKey !== undefined) {
    throw problem('must not use SSE-KMS default encryption: S3 server access logs go only to an SSE-S3 bucket');
  }
}

import { CfnDeletionPolicy, CfnResource, RemovalPolicy } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * What happens to a stateful resource when its stack is deleted or the resource is replaced,
 * and when the stack's first create fails and CloudFormation rolls it back.
 *
 * The platform default is the safe one: snapshot what can be snapshotted, retain the rest, and
 * turn on deletion protection. Only an explicit `dataProtection.allowDestroy` (with a reason,
 * refused for prod) relaxes it.
 *
 * A failed first create must leave nothing behind that blocks the retry (docs/deploying.md,
 * "When the first deploy fails"). So what is retained is retained except on create
 * (`RetainExceptOnCreate`: "behaves like Retain for stack operations, except for the stack
 * operation that initially created the resource. If the stack operation that created the resource
 * is rolled back, CloudFormation deletes the resource",
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-deletionpolicy.html);
 * after a successful create it is kept exactly as with Retain, and the diff guard treats both
 * alike. Buckets are the exception (see `bucketPolicy`).
 */
export interface StatefulProtection {
  /** For resources CloudFormation can snapshot on delete (RDS, ElastiCache). */
  readonly snapshotPolicy: RemovalPolicy;
  /** For resources that can only be kept or deleted (KMS keys, secrets, log groups, read replicas). */
  readonly retainPolicy: RemovalPolicy;
  /**
   * For the KMS keys that encrypt what `snapshotPolicy` keeps (the DB and cache keys): Retain,
   * also when the first create rolls back. That rollback leaves the writer's and the cache's final
   * snapshots and the DB's automated backups behind, encrypted under these keys; deleting a key
   * (a key removed from a stack is scheduled for deletion, 30 days by default:
   * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-kms-key.html#cfn-kms-key-pendingwindowindays) would make
   * them unrecoverable ("When a KMS key is deleted, all data that was encrypted under the KMS key
   * is unrecoverable", https://docs.aws.amazon.com/cli/v1/reference/kms/schedule-key-deletion.html).
   * A kept key has a generated ID, so it never blocks a retry; docs/deploying.md lists it among the
   * leftovers, with the commands to delete it once its snapshots are gone.
   */
  readonly snapshotKeyPolicy: RemovalPolicy;
  /**
   * For S3 buckets. A bucket that already received logs (the ALB writes a test object as soon as
   * access logging is on) cannot be deleted while it holds objects, so a rollback that tried would
   * fail; buckets are kept instead, under generated names, so a retry creates new ones beside them.
   */
  readonly bucketPolicy: RemovalPolicy;
  /** RDS and ALB deletion protection (the API refuses to delete them). */
  readonly deletionProtection: boolean;
}

export const PROTECT_DATA: StatefulProtection = {
  snapshotPolicy: RemovalPolicy.SNAPSHOT,
  retainPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
  snapshotKeyPolicy: RemovalPolicy.RETAIN,
  bucketPolicy: RemovalPolicy.RETAIN,
  deletionProtection: true,
};

export const DESTROY_DATA: StatefulProtection = {
  snapshotPolicy: RemovalPolicy.DESTROY,
  retainPolicy: RemovalPolicy.DESTROY,
  snapshotKeyPolicy: RemovalPolicy.DESTROY,
  bucketPolicy: RemovalPolicy.DESTROY,
  deletionProtection: false,
};

/**
 * Applies `snapshotPolicy` to a resource CloudFormation can snapshot (an RDS instance, a cache
 * replication group), with one change where data is protected: the deletion policy is
 * RetainExceptOnCreate, and only a replacement takes a snapshot (UpdateReplacePolicy Snapshot).
 *
 * Why not `DeletionPolicy: Snapshot`: a rollback of the create that is still creating the
 * instance deletes it with a final snapshot, and RDS refuses a final snapshot of an instance that
 * is still being created (or has failed), so the rollback fails (ROLLBACK_FAILED), and the
 * CloudFormation RDS handler does not retry it (review of issue 20, finding B1). The writer is
 * created in the first 20 minutes of a create, while the certificates, the cache and CloudFront
 * can still fail. RetainExceptOnCreate deletes it without a snapshot when its own create rolls back
 * (there is nothing in it yet), and keeps it, running, on every later delete: the data stays, and
 * `npm run diff` blocks a removal that would orphan it.
 *
 * Do not rely on the replacement snapshot. The platform's writer and cache have fixed names
 * (DBInstanceIdentifier, ReplicationGroupId), and CloudFormation refuses an update that would
 * replace a custom-named resource ("You can't perform an update that causes a custom-named resource
 * to be replaced", https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-name.html):
 * such a change fails the update, and no snapshot is taken. Only a change of the name itself
 * replaces them, which the diff guard blocks (review 20b, m-c). It stays as a backstop for a
 * resource without a fixed name.
 */
export function applySnapshotPolicy(resource: IConstruct, protection: StatefulProtection): void {
  const cfn = CfnResource.isCfnResource(resource) ? resource : (resource.node.defaultChild as CfnResource);
  cfn.applyRemovalPolicy(protection.snapshotPolicy);
  if (protection.snapshotPolicy === RemovalPolicy.SNAPSHOT) cfn.cfnOptions.deletionPolicy = CfnDeletionPolicy.RETAIN_EXCEPT_ON_CREATE;
}

/**
 * The removal policy for what a kept instance goes on using: its DB or cache subnet group, its
 * parameter group and (RDS) its Enhanced Monitoring role. Where data is protected they are
 * RetainExceptOnCreate like the instance (`retainPolicy`): deleted with it when its first create
 * rolls back, kept with it on a stack delete. Otherwise that delete fails at them: RDS and
 * ElastiCache refuse to delete a subnet or parameter group an instance still uses ("The specified
 * database subnet group must not be associated with any DB instances",
 * https://docs.aws.amazon.com/goto/WebAPI/rds-2014-10-31/DeleteDBSubnetGroup; "can't be associated
 * with any DB instances", https://docs.aws.amazon.com/goto/WebAPI/rds/DeleteDBParameterGroup;
 * "You cannot delete a default cache subnet group or one that is associated with any clusters",
 * https://docs.aws.amazon.com/goto/WebAPI/elasticache/DeleteCacheSubnetGroup; "You cannot delete a
 * cache parameter group if it is associated with any cache clusters",
 * https://docs.amazonaws.cn/AmazonElastiCache/latest/APIReference/API_DeleteCacheParameterGroup.html),
 * so the stack ends DELETE_FAILED (CDK retains an RDS subnet group with a retained cluster for
 * this reason, https://github.com/aws/aws-cdk/pull/8110); and a deleted monitoring role would
 * leave the kept instances without Enhanced Monitoring (review 20b, M2). Their names are
 * generated, so a kept one never blocks a retry. The security groups, subnets and VPC the kept
 * instances sit in are not retained: docs/deploying.md says what a stack delete leaves.
 *
 * Undefined where data is not protected: CloudFormation's default (Delete) stays.
 */
export function companionPolicy(protection: StatefulProtection): RemovalPolicy | undefined {
  return protection.retainPolicy === RemovalPolicy.DESTROY ? undefined : protection.retainPolicy;
}

/** Applies {@link companionPolicy} to a CloudFormation resource or to the default child of a construct. */
export function applyCompanionPolicy(resource: IConstruct, protection: StatefulProtection): void {
  const policy = companionPolicy(protection);
  if (policy === undefined) return;
  const cfn = CfnResource.isCfnResource(resource) ? resource : (resource.node.defaultChild as CfnResource);
  cfn.applyRemovalPolicy(policy);
}

/** The protection for `dataProtection.allowDestroy`. */
export function statefulProtection(allowDestroy: boolean): StatefulProtection {
  return allowDestroy ? DESTROY_DATA : PROTECT_DATA;
}

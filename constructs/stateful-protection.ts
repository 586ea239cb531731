import { RemovalPolicy } from 'aws-cdk-lib';

/**
 * What happens to a stateful resource when its stack is deleted or the resource is replaced.
 *
 * The platform default is the safe one: snapshot what can be snapshotted, retain the rest, and
 * turn on deletion protection. Only an explicit `dataProtection.allowDestroy` (with a reason,
 * refused for prod) relaxes it.
 */
export interface StatefulProtection {
  /** For resources CloudFormation can snapshot on delete (RDS, ElastiCache). */
  readonly snapshotPolicy: RemovalPolicy;
  /** For resources that can only be kept or deleted (KMS keys, secrets, buckets, log groups). */
  readonly retainPolicy: RemovalPolicy;
  /** RDS deletion protection (the API refuses to delete the instance). */
  readonly deletionProtection: boolean;
}

export const PROTECT_DATA: StatefulProtection = {
  snapshotPolicy: RemovalPolicy.SNAPSHOT,
  retainPolicy: RemovalPolicy.RETAIN,
  deletionProtection: true,
};

export const DESTROY_DATA: StatefulProtection = {
  snapshotPolicy: RemovalPolicy.DESTROY,
  retainPolicy: RemovalPolicy.DESTROY,
  deletionProtection: false,
};

/** The protection for `dataProtection.allowDestroy`. */
export function statefulProtection(allowDestroy: boolean): StatefulProtection {
  return allowDestroy ? DESTROY_DATA : PROTECT_DATA;
}

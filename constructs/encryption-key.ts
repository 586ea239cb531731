import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { PROTECT_DATA, type StatefulProtection } from './stateful-protection';

export interface EncryptionKeyProps {
  readonly description: string;
  /** @default PROTECT_DATA (the key is retained) */
  readonly protection?: StatefulProtection;
  /** The key encrypts snapshots or backups that outlive their resource: `snapshotKeyPolicy` applies. @default false */
  readonly encryptsSnapshots?: boolean;
}

/**
 * A customer-managed KMS key the way the platform makes every key: yearly rotation, retained
 * unless the environment allows destroying data, and grants limited to AWS services (only an
 * AWS service acting for a resource, e.g. RDS or ElastiCache, may create grants on it).
 */
export function createEncryptionKey(scope: Construct, id: string, props: EncryptionKeyProps): kms.Key {
  const key = new kms.Key(scope, id, {
    description: props.description,
    enableKeyRotation: true,
    removalPolicy: props.encryptsSnapshots
      ? (props.protection ?? PROTECT_DATA).snapshotKeyPolicy
      : (props.protection ?? PROTECT_DATA).retainPolicy,
  });
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'GrantsOnlyForAwsServices',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['kms:CreateGrant'],
      resources: ['*'],
      conditions: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
    }),
  );
  return key;
}

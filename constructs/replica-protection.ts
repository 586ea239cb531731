import type * as rds from 'aws-cdk-lib/aws-rds';
import { acknowledge } from './acknowledge';
import type { StatefulProtection } from './stateful-protection';

/**
 * Read replicas run without RDS deletion protection, also where the writer has it.
 *
 * A replica holds no data of its own: it is a copy of the writer, rebuilt from it at any time,
 * so deletion protection guards nothing there that a Retain policy and the diff guard do not
 * already guard (`npm run diff` blocks removing or replacing a replica; after a successful create
 * the replica is retained, RetainExceptOnCreate). What protection would break is every rollback
 * that must delete a replica: RDS refuses to delete a protected instance ("The database can't be
 * deleted when deletion protection is enabled",
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-rds-dbinstance.html#cfn-rds-dbinstance-deletionprotection),
 * and RetainExceptOnCreate deletes a resource when "the stack operation that created the resource
 * is rolled back"
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-deletionpolicy.html),
 * which includes a failed *update* that added a replica (raising `database.readReplicas`).
 * A custom resource could lift protection during such an update rollback, but only once it has
 * itself been updated, which happens after the new replica is complete; a failure elsewhere while
 * the replica is still being created (it takes many minutes) rolls back before that, and the
 * replica, with its fixed identifier, would be left behind to block the next attempt. Without
 * protection there is no such window. The writer keeps deletion protection (and the rollback guard).
 */
export function unprotectReplica(replica: rds.DatabaseInstanceReadReplica, protection: StatefulProtection): void {
  (replica.node.defaultChild as rds.CfnDBInstance).deletionProtection = false;
  if (!protection.deletionProtection) return; // acknowledged with the environment's own reason
  acknowledge(
    replica,
    'A read replica holds no data of its own (a copy of the writer); it is retained after creation and the diff guard blocks its removal, and deletion protection would make every rollback that deletes a new replica fail (constructs/replica-protection.ts).',
    'AwsSolutions::AwsSolutions-RDS10',
    'NIST.800.53.R5::NIST.800.53.R5-RDSInstanceDeletionProtectionEnabled',
  );
}

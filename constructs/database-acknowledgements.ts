import type * as rds from 'aws-cdk-lib/aws-rds';
import { acknowledge } from './acknowledge';
import type { StatefulProtection } from './stateful-protection';

/**
 * The Database's policy acknowledgements (docs/policy-acknowledgements.md): each on the narrowest
 * construct that holds the finding, with the reason it is acceptable there.
 */

/** A single-AZ writer: only dev stages may run one. */
export function acknowledgeSingleAzWriter(writer: rds.DatabaseInstance): void {
  acknowledge(
    writer,
    'database.multiAz is false: the config schema allows that only for dev stages (staging and prod must run a Multi-AZ writer).',
    'AwsSolutions::AwsSolutions-RDS3',
    'NIST.800.53.R5::NIST.800.53.R5-RDSMultiAZSupport',
    'cdk-validator-cfnguard::rds_instance_multi_az_support_check',
  );
}

/** Findings every DB instance (the writer and each replica) carries, with why each is acceptable. */
export function acknowledgeInstanceFindings(instance: rds.DatabaseInstanceBase, protection: StatefulProtection): void {
  acknowledge(
    instance,
    'PostgreSQL stays on 5432: RDS Proxy listens only on 5432 for PostgreSQL, and the port is reachable only from the app and proxy security groups in isolated subnets.',
    'AwsSolutions::AwsSolutions-RDS11',
    'cdk-validator-cfnguard::rds_instance_no_default_ports_check',
  );
  acknowledge(
    instance,
    'Backups are RDS automated backups with point-in-time recovery (database.backupRetentionDays), kept after the instance; the writer itself is retained on delete and snapshotted on replacement. An AWS Backup plan is an account-level choice outside this stack.',
    'NIST.800.53.R5::NIST.800.53.R5-RDSInBackupPlan',
  );
  acknowledge(
    instance.node.findChild('MonitoringRole'),
    'AmazonRDSEnhancedMonitoringRole is the AWS-maintained policy Enhanced Monitoring requires.',
    'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]',
  );
  if (!protection.deletionProtection) {
    acknowledge(
      instance,
      'Deletion protection is off only where dataProtection.allowDestroy is set, with a reason, and never in prod.',
      'AwsSolutions::AwsSolutions-RDS10',
      'NIST.800.53.R5::NIST.800.53.R5-RDSInstanceDeletionProtectionEnabled',
      'cdk-validator-cfnguard::rds_instance_deletion_protection_enabled_check',
    );
  }
}

/** What a read replica is by design: single-AZ, pinned to its AZ, encrypted through its source. */
export function acknowledgeReplicaFindings(replica: rds.DatabaseInstanceReadReplica): void {
  acknowledge(
    replica,
    'Read replicas are single-AZ by design: each sits in its own AZ, so losing an AZ loses one replica of several, and the writer itself is Multi-AZ.',
    'AwsSolutions::AwsSolutions-RDS3',
    'NIST.800.53.R5::NIST.800.53.R5-RDSMultiAZSupport',
  );
  acknowledge(
    replica,
    'Each replica is pinned to an AZ from the explicit availabilityZones config, so replicas never share an AZ by chance.',
    'CloudFormation-Validate::W3010',
  );
  acknowledge(
    replica,
    'A replica inherits encryption and the KMS key from its encrypted source; CloudFormation rejects StorageEncrypted together with SourceDBInstanceIdentifier.',
    'AwsSolutions::AwsSolutions-RDS2',
    'NIST.800.53.R5::NIST.800.53.R5-RDSStorageEncrypted',
  );
}

/** RDS Proxy's role, whose inline policy CDK generates. */
export function acknowledgeProxyRole(proxy: rds.DatabaseProxy): void {
  acknowledge(
    proxy.node.findChild('IAMRole'),
    'The inline policy is the grant CDK generates for the proxy: read the master secret and decrypt it with the database key, nothing else.',
    'NIST.800.53.R5::NIST.800.53.R5-IAMNoInlinePolicy',
  );
}

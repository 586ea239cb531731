import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { createEncryptionKey } from './encryption-key';
import type { StatefulProtection } from './stateful-protection';

export interface LogEncryptionKeyProps {
  /** @default PROTECT_DATA (the key is retained) */
  readonly protection?: StatefulProtection;
}

/**
 * A customer-managed KMS key (with rotation) that CloudWatch Logs in this account and region
 * may use, for every log group of the stack: flow logs, DB logs, cache slow log, WAF logs.
 */
export class LogEncryptionKey extends Construct {
  public readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: LogEncryptionKeyProps = {}) {
    super(scope, id);
    const { region, account, partition } = Stack.of(this);
    this.key = createEncryptionKey(this, 'Resource', {
      description: `CloudWatch Logs encryption for ${Stack.of(this).stackName}`,
      protection: props.protection,
    });
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchLogs',
        principals: [new iam.ServicePrincipal(`logs.${region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${partition}:logs:${region}:${account}:*` } },
      }),
    );
  }
}

import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { AlarmSeverity } from './alarm-actions';
import { createEncryptionKey } from './encryption-key';
import type { StatefulProtection } from './stateful-protection';

export interface AlarmTopicsProps {
  /** Email subscriptions per severity. @default - none */
  readonly emails?: Partial<Record<AlarmSeverity, readonly string[]>>;
  /** @default PROTECT_DATA (the key is retained) */
  readonly protection?: StatefulProtection;
}

/**
 * The SNS topics alarms notify: `critical` (pages) and `warning` (notifies), encrypted with a
 * customer-managed key that CloudWatch may use to publish.
 */
export class AlarmTopics extends Construct {
  public readonly key: kms.Key;
  public readonly critical: sns.Topic;
  public readonly warning: sns.Topic;

  constructor(scope: Construct, id: string, props: AlarmTopicsProps = {}) {
    super(scope, id);
    this.key = createEncryptionKey(this, 'Key', { description: 'Encrypts the alarm topics', protection: props.protection });
    // CloudWatch publishes alarm notifications to the encrypted topics.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarms',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    this.critical = this.createTopic('Critical', 'critical alarms (page)', props.emails?.critical ?? []);
    this.warning = this.createTopic('Warning', 'warning alarms (notify)', props.emails?.warning ?? []);
  }

  /** The topic for a severity. */
  public topic(severity: AlarmSeverity): sns.Topic {
    return severity === 'critical' ? this.critical : this.warning;
  }

  private createTopic(id: string, purpose: string, emails: readonly string[]): sns.Topic {
    const topic = new sns.Topic(this, id, { displayName: `loadbearing ${purpose}`, masterKey: this.key, enforceSSL: true });
    for (const email of emails) topic.addSubscription(new subs.EmailSubscription(email));
    return topic;
  }
}

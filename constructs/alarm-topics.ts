import { Stack } from 'aws-cdk-lib';
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
    this.key.addToResourcePolicy(autoScalingNotificationsStatement(this));
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

/**
 * Lets EC2 Auto Scaling publish its launch/terminate notifications to the encrypted topics.
 *
 * Auto Scaling publishes as its service-linked role, AWSServiceRoleForAutoScaling, which Auto
 * Scaling creates with the first group of the account, so in a fresh account it does not exist
 * yet when this key is created, and KMS refuses a key policy whose principals do not exist
 * (https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateKey.html, "Policy"). So the role
 * is matched by `aws:PrincipalArn`, not named as the principal.
 *
 * The principal is `*`, not the account root: a root principal only delegates to IAM policies
 * (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html), and the role's
 * AWS-managed policy, AutoScalingServiceRolePolicy, grants sns:Publish but no KMS action
 * (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AutoScalingServiceRolePolicy.html),
 * nor can a policy be attached to a service-linked role. The condition limits the statement to
 * that one role of this account; its ARN form is in
 * https://docs.aws.amazon.com/autoscaling/ec2/userguide/autoscaling-service-linked-role.html.
 */
export function autoScalingNotificationsStatement(scope: Construct): iam.PolicyStatement {
  const { partition, account } = Stack.of(scope);
  return new iam.PolicyStatement({
    sid: 'AllowAutoScalingNotifications',
    principals: [new iam.AnyPrincipal()],
    actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
    resources: ['*'],
    conditions: {
      StringEquals: {
        'aws:PrincipalArn': `arn:${partition}:iam::${account}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`,
      },
    },
  });
}

import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { AlarmSeverity } from './alarm-actions';
import { createEncryptionKey } from './encryption-key';
import { physicalNamePrefix } from './physical-name-prefix';
import type { StatefulProtection } from './stateful-protection';

export interface AlarmTopicsProps {
  /** Prefix of the topic names (`<prefix>-alarms-critical`, `<prefix>-alarms-warning`). @default - the stack name */
  readonly namePrefix?: string;
  /** Email subscriptions per severity. @default - none */
  readonly emails?: Partial<Record<AlarmSeverity, readonly string[]>>;
  /** @default PROTECT_DATA (the key is retained) */
  readonly protection?: StatefulProtection;
  /**
   * The prefix of the names of the alarms that notify these topics (the naming strategy's
   * `prefix`): the topic policies let CloudWatch publish only for alarms of this account whose
   * names start with it.
   * @default - the stack name and "-" (StackPrefixAlarmNaming)
   */
  readonly alarmNamePrefix?: string;
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
    // Named, so the key policy can name the topics without a reference (the topics refer to the key).
    const prefix = physicalNamePrefix(this, props.namePrefix);
    const names = { critical: `${prefix}-alarms-critical`, warning: `${prefix}-alarms-warning` };
    this.key.addToResourcePolicy(autoScalingNotificationsStatement(this, Object.values(names)));
    this.critical = this.createTopic('Critical', names.critical, 'critical alarms (page)', props.emails?.critical ?? []);
    this.warning = this.createTopic('Warning', names.warning, 'warning alarms (notify)', props.emails?.warning ?? []);
    const alarmNamePrefix = props.alarmNamePrefix ?? `${Stack.of(this).stackName}-`;
    for (const topic of [this.critical, this.warning]) allowAlarmsToPublish(topic, alarmNamePrefix);
  }

  /** The topic for a severity. */
  public topic(severity: AlarmSeverity): sns.Topic {
    return severity === 'critical' ? this.critical : this.warning;
  }

  private createTopic(id: string, topicName: string, purpose: string, emails: readonly string[]): sns.Topic {
    const topic = new sns.Topic(this, id, { topicName, displayName: `loadbearing ${purpose}`, masterKey: this.key, enforceSSL: true });
    for (const email of emails) topic.addSubscription(new subs.EmailSubscription(email));
    return topic;
  }
}

/**
 * Lets the CloudWatch alarms of this account whose names start with `alarmNamePrefix` publish
 * to a topic. Needed by every topic with a topic policy (`enforceSSL` creates one): a topic
 * policy replaces the topic's default policy, and without this Allow the alarm history shows
 * "... is not authorized to perform: SNS:Publish" and nobody is notified
 * (https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger, which also shows
 * the `ArnLike aws:SourceArn` condition used here). An encrypted topic's key must also let
 * `cloudwatch.amazonaws.com` use it (AlarmTopics' key does).
 *
 * Only the service principal is named: EC2 Auto Scaling publishes as its service-linked role,
 * whose own IAM policy already allows it in this account, and naming that role in a topic policy
 * would make SNS refuse the policy in a fresh account where the role does not exist yet
 * ("Policy Error: PrincipalNotFound").
 */
export function allowAlarmsToPublish(topic: sns.ITopic, alarmNamePrefix: string): void {
  const { partition, region, account } = Stack.of(topic);
  topic.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'AllowThisStacksAlarms',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: {
        ArnLike: { 'aws:SourceArn': `arn:${partition}:cloudwatch:${region}:${account}:alarm:${alarmNamePrefix}*` },
        StringEquals: { 'aws:SourceAccount': account },
      },
    }),
  );
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
 * nor can a policy be attached to a service-linked role. The conditions limit the statement to:
 * - that one role of this account (its ARN form:
 *   https://docs.aws.amazon.com/autoscaling/ec2/userguide/autoscaling-service-linked-role.html),
 *   compared with an ARN operator, as IAM recommends for ARNs
 *   (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html);
 * - calls SNS makes for it in this Region (`kms:ViaService`,
 *   https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service);
 * - these topics: SNS puts the topic ARN into the encryption context as `aws:sns:topicArn`
 *   (an AWS key policy for an encrypted SNS topic that conditions on it:
 *   https://docs.amazonaws.cn/en_us/gamelift/latest/flexmatchguide/queue-notification-sns-sse.html).
 */
export function autoScalingNotificationsStatement(scope: Construct, topicNames: readonly string[]): iam.PolicyStatement {
  const { partition, account, region } = Stack.of(scope);
  return new iam.PolicyStatement({
    sid: 'AllowAutoScalingNotifications',
    principals: [new iam.AnyPrincipal()],
    actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
    resources: ['*'],
    conditions: {
      ArnEquals: {
        'aws:PrincipalArn': `arn:${partition}:iam::${account}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`,
      },
      StringEquals: {
        'kms:ViaService': `sns.${region}.amazonaws.com`,
        'kms:EncryptionContext:aws:sns:topicArn': topicNames.map((name) => `arn:${partition}:sns:${region}:${account}:${name}`),
      },
    },
  });
}

import { Stack } from 'aws-cdk-lib';
import * as cw_actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { allowAlarmsToPublish, SeverityTopicActions, type AlarmSeverity, type AlarmTopics, type IAlarmActionStrategy } from 'loadbearing';

/**
 * Team example 3: critical alarms also go to a second topic (the team's incident tool);
 * everything else keeps the platform's routing.
 */
export class PagerRouting implements IAlarmActionStrategy {
  private readonly defaults: IAlarmActionStrategy;

  constructor(
    topics: AlarmTopics,
    private readonly pager: sns.ITopic,
  ) {
    this.defaults = new SeverityTopicActions({ critical: topics.critical, warning: topics.warning });
  }

  /** Use as `PlatformStack` props: `alarmActions: PagerRouting.factory`. */
  public static factory(scope: Construct, topics: AlarmTopics): IAlarmActionStrategy {
    const pager = new sns.Topic(scope, 'IncidentTopic', { displayName: 'team incident tool', masterKey: topics.key, enforceSSL: true });
    // Its own topic policy (enforceSSL) replaces the default one: let the stack's alarms publish.
    allowAlarmsToPublish(pager, `${Stack.of(scope).stackName}-`);
    return new PagerRouting(topics, pager);
  }

  public alarmActions(severity: AlarmSeverity): cloudwatch.IAlarmAction[] {
    const actions = this.defaults.alarmActions(severity);
    return severity === 'critical' ? [...actions, new cw_actions.SnsAction(this.pager)] : actions;
  }

  public okActions(severity: AlarmSeverity): cloudwatch.IAlarmAction[] {
    return this.defaults.okActions(severity);
  }
}

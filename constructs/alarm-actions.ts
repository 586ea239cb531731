import * as cw_actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sns from 'aws-cdk-lib/aws-sns';

/** `critical` pages a human now; `warning` notifies and can wait for working hours. */
export type AlarmSeverity = 'critical' | 'warning';

/** Decides what an alarm does when it fires and when it recovers. */
export interface IAlarmActionStrategy {
  /** Actions on ALARM. */
  alarmActions(severity: AlarmSeverity): cloudwatch.IAlarmAction[];
  /** Actions on return to OK (so a page can auto-resolve). */
  okActions(severity: AlarmSeverity): cloudwatch.IAlarmAction[];
}

/** One SNS topic per severity: critical alarms go to the paging topic, warnings to the notify topic. */
export class SeverityTopicActions implements IAlarmActionStrategy {
  constructor(private readonly topics: Readonly<Record<AlarmSeverity, sns.ITopic>>) {}

  public alarmActions(severity: AlarmSeverity): cloudwatch.IAlarmAction[] {
    return [new cw_actions.SnsAction(this.topics[severity])];
  }

  public okActions(severity: AlarmSeverity): cloudwatch.IAlarmAction[] {
    return [new cw_actions.SnsAction(this.topics[severity])];
  }
}

import * as arczonalshift from 'aws-cdk-lib/aws-arczonalshift';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import type { AutoshiftSettings } from '../lib/model/config/zonal-settings';

export interface ZonalAutoshiftProps {
  /** The ARN of a resource registered for zonal shift (the ALB with `zonal_shift.config.enabled`). */
  readonly resourceArn: string;
  readonly settings: AutoshiftSettings;
  /** The alarms of `settings.outcomeAlarms`, resolved by the caller (metric alarms of the stack). */
  readonly outcomeAlarms: readonly cloudwatch.IAlarm[];
  /** The alarms of `settings.blockingAlarms`. */
  readonly blockingAlarms: readonly cloudwatch.IAlarm[];
}

/**
 * Zonal autoshift for one managed resource, with its practice run configuration
 * (AWS::ARCZonalShift::ZonalAutoshiftConfiguration; aws-cdk-lib has only the L1).
 *
 * - A practice run configuration is required when autoshift is ENABLED, and it needs at least one
 *   outcome alarm; alarms must be CloudWatch alarms (type CLOUDWATCH) given by ARN
 *   (https://docs.aws.amazon.com/ja_jp/AWSCloudFormation/latest/UserGuide/aws-properties-arczonalshift-zonalautoshiftconfiguration-practicerunconfiguration.html,
 *   https://docs.aws.amazon.com/ja_jp/AWSCloudFormation/latest/UserGuide/aws-properties-arczonalshift-zonalautoshiftconfiguration-controlcondition.html).
 *   The schema (lib/model/config/zonal-settings.ts) checks counts and formats at synth.
 * - Practice runs shift real traffic away from one AZ for about 30 minutes, about weekly
 *   (https://docs.amazonaws.cn/en_us/r53recovery/latest/dg/arc-zonal-autoshift.how-it-works.about.html):
 *   environment rule EC-25 keeps them to fleets sized to lose an AZ (invariant AZ-1).
 * - Control condition alarms do not apply to autoshifts themselves, only to practice runs.
 *
 * The Auto Scaling group is registered for zonal shift but gets no autoshift here: CloudFormation
 * gives no ARN for a group (its ARN holds a generated ID that only the API returns), and ARC
 * identifies a managed resource by its ARN.
 */
export class ZonalAutoshift extends Construct {
  public readonly configuration: arczonalshift.CfnZonalAutoshiftConfiguration;

  constructor(scope: Construct, id: string, props: ZonalAutoshiftProps) {
    super(scope, id);
    const condition = (alarm: cloudwatch.IAlarm) => ({ alarmIdentifier: alarm.alarmArn, type: 'CLOUDWATCH' });
    const { settings } = props;
    this.configuration = new arczonalshift.CfnZonalAutoshiftConfiguration(this, 'Resource', {
      resourceIdentifier: props.resourceArn,
      zonalAutoshiftStatus: 'ENABLED',
      practiceRunConfiguration: {
        outcomeAlarms: props.outcomeAlarms.map(condition),
        ...(props.blockingAlarms.length > 0 ? { blockingAlarms: props.blockingAlarms.map(condition) } : {}),
        ...(settings.blockedDates.length > 0 ? { blockedDates: [...settings.blockedDates] } : {}),
        ...(settings.blockedWindows.length > 0 ? { blockedWindows: [...settings.blockedWindows] } : {}),
      },
    });
  }
}

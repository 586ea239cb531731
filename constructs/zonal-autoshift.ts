import * as arczonalshift from 'aws-cdk-lib/aws-arczonalshift';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct } from 'constructs';
import type { AutoshiftSettings } from '../lib/model/config/zonal-settings';
import { acknowledge } from './acknowledge';
import type { AlarmFactory } from './alarm-factory';
import type { LoadBalancer } from './load-balancer';

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
 *   environment rule EC-29 keeps them to fleets sized to lose an AZ (invariant AZ-1).
 * - Control condition alarms do not apply to autoshifts themselves, only to practice runs.
 *
 * The Auto Scaling group is registered for zonal shift but gets no autoshift here: CloudFormation
 * gives no ARN for a group (its ARN holds a generated ID that only the API returns), and ARC
 * identifies a managed resource by its ARN.
 */
export class ZonalAutoshift extends Construct {
  public readonly configuration: arczonalshift.CfnZonalAutoshiftConfiguration;

  /**
   * `alb-practice-run-outcome`: what users see, in one alarm, because the practice run
   * configuration takes one outcome alarm in CloudFormation (PRACTICE_RUN_LIMITS). 1 when the
   * 5xx of the balancer and the app reach alarms.http5xxRatePercent of the requests, or the p99
   * target response time reaches alarms.latencyP99Seconds; only the documented operators of
   * metric math (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html),
   * a missing 5xx count reading 0. It notifies no one: the regional alarms page for the same signals.
   */
  public static outcomeAlarm(lb: LoadBalancer, factory: AlarmFactory): cloudwatch.Alarm {
    const s = factory.settings;
    const alb = lb.loadBalancer;
    const alarm = factory.alarm(lb, 'PracticeRunOutcomeAlarm', {
      component: 'alb',
      signal: 'practice-run-outcome',
      severity: 'warning',
      metric: new cloudwatch.MathExpression({
        // The ALB publishes its 5xx counts only when they are not zero: FILL makes a missing
        // count 0, so one kind of 5xx is judged without the other
        // (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html, FILL).
        expression: `((FILL(e, 0) + FILL(t, 0)) >= (${s.http5xxRatePercent / 100} * r)) OR (l >= ${s.latencyP99Seconds})`,
        usingMetrics: {
          e: alb.metrics.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, { statistic: 'Sum' }),
          t: lb.targetGroup.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { statistic: 'Sum' }),
          r: alb.metrics.requestCount({ statistic: 'Sum' }),
          l: lb.targetGroup.metrics.targetResponseTime({ statistic: 'p99' }),
        },
        label: 'users see 5xx or p99 above the thresholds',
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      notify: false,
      description: `Practice-run outcome of zonal autoshift: 5xx of the load balancer and the app at or above ${s.http5xxRatePercent}% of requests, or p99 at or above ${s.latencyP99Seconds} s. In ALARM during a practice run, ARC ends it and marks it FAILED: the other AZs could not carry the load.`,
      recommendation: 'none (zonal autoshift practice-run outcome alarm)',
    });
    acknowledge(
      alarm,
      'The outcome alarm of the zonal autoshift practice runs: ARC acts on it. The regional ALB alarms page for the same signals, once.',
      'NIST.800.53.R5::NIST.800.53.R5-CloudWatchAlarmAction',
      'cdk-validator-cfnguard::cloudwatch_alarm_action_check',
    );
    return alarm;
  }

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

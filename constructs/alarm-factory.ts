import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import type { AlarmSettings } from '../lib/config/alarm-settings';
import type { AlarmSeverity, IAlarmActionStrategy } from './alarm-actions';
import type { AlarmComponent, IAlarmNamingStrategy } from './alarm-naming';

export interface PlatformAlarmProps {
  readonly component: AlarmComponent;
  /** Kebab-case signal, e.g. `writer-cpu`. With the component it forms the alarm key. */
  readonly signal: string;
  readonly severity: AlarmSeverity;
  readonly metric: cloudwatch.IMetric;
  readonly threshold: number;
  readonly comparisonOperator: cloudwatch.ComparisonOperator;
  /** What missing data means for this signal; chosen per alarm, never left to the default. */
  readonly treatMissingData: cloudwatch.TreatMissingData;
  /** What firing means, and where the threshold comes from. */
  readonly description: string;
  /**
   * The AWS "recommended alarms" entry this alarm implements, or why there is none.
   * Kept in the description so the reasoning travels with the alarm.
   */
  readonly recommendation?: string;
  /** Evaluation for this alarm when config gives none. @default - the config's defaults */
  readonly evaluationPeriods?: number;
  readonly datapointsToAlarm?: number;
}

/** A created alarm with its place in the platform's scheme. */
export interface PlatformAlarm {
  readonly alarm: cloudwatch.Alarm;
  readonly key: string;
  readonly component: AlarmComponent;
  readonly severity: AlarmSeverity;
}

export interface AlarmFactoryProps {
  readonly settings: AlarmSettings;
  readonly naming: IAlarmNamingStrategy;
  readonly actions: IAlarmActionStrategy;
}

/**
 * Creates every alarm of the platform the same way: one naming strategy, one action strategy,
 * evaluation from config (with per-alarm overrides), severity in the description.
 *
 * Components call it from their `createAlarms` hook; the factory remembers every alarm so the
 * composite alarm and the dashboard can use them.
 */
export class AlarmFactory {
  public readonly settings: AlarmSettings;
  public readonly naming: IAlarmNamingStrategy;
  public readonly actions: IAlarmActionStrategy;
  private readonly created: PlatformAlarm[] = [];

  constructor(props: AlarmFactoryProps) {
    this.settings = props.settings;
    this.naming = props.naming;
    this.actions = props.actions;
  }

  /** Every alarm created so far. */
  public get alarms(): readonly PlatformAlarm[] {
    return this.created;
  }

  public alarm(scope: Construct, id: string, props: PlatformAlarmProps): cloudwatch.Alarm {
    const key = `${props.component}-${props.signal}`;
    if (this.created.some((a) => a.key === key)) throw new Error(`duplicate alarm key "${key}"`);
    const override = this.settings.overrides[key] ?? {};
    const evaluationPeriods = override.evaluationPeriods ?? props.evaluationPeriods ?? this.settings.evaluationPeriods;
    const datapointsToAlarm = Math.min(override.datapointsToAlarm ?? props.datapointsToAlarm ?? this.settings.datapointsToAlarm, evaluationPeriods);
    const period = Duration.seconds(override.periodSeconds ?? this.settings.periodSeconds);
    const metric =
      props.metric instanceof cloudwatch.Metric || props.metric instanceof cloudwatch.MathExpression ? props.metric.with({ period }) : props.metric;
    const recommendation = props.recommendation ? ` AWS recommendation: ${props.recommendation}.` : '';
    const alarm = new cloudwatch.Alarm(scope, id, {
      alarmName: this.naming.alarmName(props.component, props.signal),
      alarmDescription: `[${props.severity}] ${props.description}${recommendation}`,
      metric,
      threshold: props.threshold,
      comparisonOperator: props.comparisonOperator,
      evaluationPeriods,
      datapointsToAlarm,
      treatMissingData: props.treatMissingData,
    });
    alarm.addAlarmAction(...this.actions.alarmActions(props.severity));
    alarm.addOkAction(...this.actions.okActions(props.severity));
    this.created.push({ alarm, key, component: props.component, severity: props.severity });
    return alarm;
  }

  /**
   * Keys in `alarms.overrides` that match no alarm: a typo there would otherwise silently do
   * nothing. Check once every component has created its alarms.
   */
  public unknownOverrideKeys(): string[] {
    return Object.keys(this.settings.overrides).filter((key) => !this.created.some((a) => a.key === key));
  }

  /** Keys of all alarms created so far, e.g. `db-writer-cpu`. */
  public get keys(): string[] {
    return this.created.map((a) => a.key);
  }
}

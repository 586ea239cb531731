import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import type { AlarmSettings } from '../lib/model/config/alarm-settings';
import { evaluationWindowProblem } from '../lib/model/config/aws-limits';
import { ConfigError, extensionError } from '../lib/model/config/config-error';
import type { AlarmSeverity, IAlarmActionStrategy } from './alarm-actions';
import type { AlarmComponent, IAlarmNamingStrategy } from './alarm-naming';

interface AlarmPropsBase {
  readonly component: AlarmComponent;
  /** Kebab-case signal, e.g. `writer-cpu`. With the component it forms the alarm key. */
  readonly signal: string;
  readonly severity: AlarmSeverity;
  readonly metric: cloudwatch.IMetric;
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
  /** Metric period for this alarm when config gives none. @default - alarms.periodSeconds */
  readonly periodSeconds?: number;
  /**
   * Whether the alarm acts (notifies) itself. False for the members of a composite that
   * notifies on their behalf, so one event sends one message. @default true
   */
  readonly notify?: boolean;
}

export interface PlatformAlarmProps extends AlarmPropsBase {
  readonly threshold: number;
  readonly comparisonOperator: cloudwatch.ComparisonOperator;
}

export interface AnomalyAlarmProps extends AlarmPropsBase {
  /** Band width in standard deviations. @default alarms.anomalyStdDevs */
  readonly stdDevs?: number;
  /** @default GREATER_THAN_UPPER_THRESHOLD */
  readonly comparisonOperator?: cloudwatch.ComparisonOperator;
}

export interface CompositeAlarmProps {
  readonly component: AlarmComponent;
  readonly signal: string;
  readonly severity: AlarmSeverity;
  readonly rule: cloudwatch.IAlarmRule;
  readonly description: string;
}

/** A created alarm with its place in the platform's scheme. */
export interface PlatformAlarm {
  readonly alarm: cloudwatch.AlarmBase;
  readonly key: string;
  readonly component: AlarmComponent;
  readonly severity: AlarmSeverity;
}

export interface AlarmFactoryProps {
  readonly settings: AlarmSettings;
  /** Where the settings live in the config, for error messages. @default 'alarms' */
  readonly configPath?: string;
  readonly naming: IAlarmNamingStrategy;
  readonly actions: IAlarmActionStrategy;
}

/**
 * Creates every alarm of the platform the same way: one naming strategy, one action strategy,
 * evaluation from config (with per-alarm overrides), severity in the description, and actions
 * off for keys listed in `alarms.disabled` (the alarm stays visible on the dashboard).
 *
 * Components call it from their `createAlarms` hook; the factory remembers every alarm so the
 * composite alarms and the dashboard can use them.
 */
export class AlarmFactory {
  public readonly settings: AlarmSettings;
  public readonly naming: IAlarmNamingStrategy;
  public readonly actions: IAlarmActionStrategy;
  private readonly configPath: string;
  private readonly created: PlatformAlarm[] = [];

  constructor(props: AlarmFactoryProps) {
    this.settings = props.settings;
    this.naming = props.naming;
    this.actions = props.actions;
    this.configPath = props.configPath ?? 'alarms';
  }

  /** Every alarm created so far, in creation order. */
  public get alarms(): readonly PlatformAlarm[] {
    return this.created;
  }

  /** Keys of all alarms created so far, e.g. `db-writer-cpu`. */
  public get keys(): string[] {
    return this.created.map((a) => a.key);
  }

  /** A static-threshold alarm. */
  public alarm(scope: Construct, id: string, props: PlatformAlarmProps): cloudwatch.Alarm {
    const { period, ...common } = this.commonProps(props, scope, id, 'alarm');
    const alarm = new cloudwatch.Alarm(scope, id, {
      ...common,
      metric: this.withPeriod(props.metric, period),
      threshold: props.threshold,
      comparisonOperator: props.comparisonOperator,
    });
    return this.register(alarm, props);
  }

  /** An alarm on the metric's anomaly-detection band (learned from its history). */
  public anomalyAlarm(scope: Construct, id: string, props: AnomalyAlarmProps): cloudwatch.Alarm {
    const { period, ...common } = this.commonProps(props, scope, id, 'anomalyAlarm');
    const alarm = new cloudwatch.AnomalyDetectionAlarm(scope, id, {
      ...common,
      metric: this.withPeriod(props.metric, period),
      stdDevs: props.stdDevs ?? this.settings.anomalyStdDevs,
      comparisonOperator: props.comparisonOperator ?? cloudwatch.ComparisonOperator.GREATER_THAN_UPPER_THRESHOLD,
    });
    return this.register(alarm, props);
  }

  /** A composite alarm, named and actioned like every other alarm. */
  public compositeAlarm(scope: Construct, id: string, props: CompositeAlarmProps): cloudwatch.CompositeAlarm {
    const key = `${props.component}-${props.signal}`;
    this.assertNewKey(key, scope, id, 'compositeAlarm');
    const alarm = new cloudwatch.CompositeAlarm(scope, id, {
      compositeAlarmName: this.naming.alarmName(props.component, props.signal),
      alarmDescription: `[${props.severity}] ${props.description}`,
      alarmRule: props.rule,
      actionsEnabled: !this.settings.disabled.includes(key),
    });
    alarm.addAlarmAction(...this.actions.alarmActions(props.severity));
    alarm.addOkAction(...this.actions.okActions(props.severity));
    this.created.push({ alarm, key, component: props.component, severity: props.severity });
    return alarm;
  }

  /** The created alarm with this key (`<component>-<signal>`), if any. */
  public find(key: string): PlatformAlarm | undefined {
    return this.created.find((a) => a.key === key);
  }

  /**
   * Keys in `alarms.overrides` and `alarms.disabled` that match no alarm: a typo there would
   * otherwise silently do nothing. Check once every component has created its alarms.
   */
  public unknownKeys(): { field: 'overrides' | 'disabled'; key: string }[] {
    const known = new Set(this.keys);
    return [
      ...Object.keys(this.settings.overrides).map((key) => ({ field: 'overrides' as const, key })),
      ...this.settings.disabled.map((key) => ({ field: 'disabled' as const, key })),
    ].filter((k) => !known.has(k.key));
  }

  /**
   * Refuses a key already in use: two alarms with one name would fail the deploy (CloudWatch
   * alarm names are unique per account and region), and overrides could not tell them apart.
   */
  private assertNewKey(key: string, scope: Construct, id: string, method: string): void {
    const existing = this.created.find((a) => a.key === key);
    if (!existing) return;
    const component = existing.component;
    const taken = this.created.filter((a) => a.component === component).map((a) => a.key);
    throw extensionError(
      `AlarmFactory.${method}(scope ${scope.node.path}, id "${id}")`,
      key,
      `the alarm key "${key}" is already used by ${existing.alarm.node.path} (keys are unique: they name the alarm and its alarms.overrides entry)`,
      `give the new alarm another signal; the keys of ${component} so far: ${taken.join(', ')}.`,
    );
  }

  private commonProps(props: AlarmPropsBase, scope: Construct, id: string, method: string) {
    const key = `${props.component}-${props.signal}`;
    this.assertNewKey(key, scope, id, method);
    const override = this.settings.overrides[key] ?? {};
    const evaluationPeriods = override.evaluationPeriods ?? props.evaluationPeriods ?? this.settings.evaluationPeriods;
    const datapointsToAlarm = override.datapointsToAlarm ?? props.datapointsToAlarm ?? this.settings.datapointsToAlarm;
    const periodSeconds = override.periodSeconds ?? props.periodSeconds ?? this.settings.periodSeconds;
    // The alarm's own defaults meet the config's overrides here: refuse what PutMetricAlarm would
    // (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html), never cap it silently.
    const problem = evaluationWindowProblem(periodSeconds, evaluationPeriods, datapointsToAlarm);
    if (problem) {
      throw new ConfigError(
        [
          {
            path: `${this.configPath}.overrides.${key}`,
            value: JSON.stringify(override),
            rule: `${problem} for alarm ${key} (its defaults: ${props.evaluationPeriods ?? this.settings.evaluationPeriods} periods, ${props.datapointsToAlarm ?? this.settings.datapointsToAlarm} datapoints, ${props.periodSeconds ?? this.settings.periodSeconds} s)`,
            fix: `set alarms.overrides.${key} so that datapointsToAlarm <= evaluationPeriods and period x evaluationPeriods stays within a day.`,
          },
        ],
        'the alarm settings',
      );
    }
    const disabled = this.settings.disabled.includes(key);
    const recommendation = props.recommendation ? ` AWS recommendation: ${props.recommendation}.` : '';
    return {
      alarmName: this.naming.alarmName(props.component, props.signal),
      alarmDescription: `[${props.severity}] ${disabled ? '(actions disabled by alarms.disabled) ' : ''}${props.description}${recommendation}`,
      evaluationPeriods,
      datapointsToAlarm,
      treatMissingData: props.treatMissingData,
      actionsEnabled: !disabled,
      period: Duration.seconds(periodSeconds),
    };
  }

  private withPeriod(metric: cloudwatch.IMetric, period: Duration): cloudwatch.IMetric {
    return metric instanceof cloudwatch.Metric || metric instanceof cloudwatch.MathExpression ? metric.with({ period }) : metric;
  }

  private register(alarm: cloudwatch.Alarm, props: AlarmPropsBase): cloudwatch.Alarm {
    if (props.notify !== false) {
      alarm.addAlarmAction(...this.actions.alarmActions(props.severity));
      alarm.addOkAction(...this.actions.okActions(props.severity));
    }
    this.created.push({ alarm, key: `${props.component}-${props.signal}`, component: props.component, severity: props.severity });
    return alarm;
  }
}

/**
 * What a `createAlarms` hook returned, checked: the array of alarms it created (the dashboard and
 * the composites read it). An override that forgot its `return` is an extension error.
 */
export function checkedAlarms<T extends cloudwatch.AlarmBase>(alarms: T[] | undefined, hook: string): T[] {
  if (Array.isArray(alarms) && alarms.every((a) => a instanceof cloudwatch.AlarmBase)) return alarms;
  throw extensionError(
    hook,
    Array.isArray(alarms) ? alarms.map((a) => typeof a) : alarms,
    'must return the array of alarms it created (the dashboard and the health composites read it)',
    'return [...super.createAlarms(...), ...yourAlarms] from the override.',
  );
}

import { extensionError } from '../lib/model/config/config-error';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import type { AlarmFactory } from './alarm-factory';
import type { AlarmComponent } from './alarm-naming';

/** Alarms that mean users are affected right now. */
export const USER_FACING_ALARM_KEYS = [
  'cdn-5xx-rate',
  'cdn-origin-latency',
  'alb-elb-5xx-rate',
  'alb-target-5xx-rate',
  'alb-latency-p99',
  'alb-healthy-hosts-low',
  'canary-failures',
];

/** Components whose alarms explain a user-facing problem, in the order to look at them. */
export const CAUSE_COMPONENTS: readonly AlarmComponent[] = ['db', 'cache', 'fleet'];

export interface ServiceHealthProps {
  /** The factory that made the component alarms; the composites are named and actioned by it too. */
  readonly factory: AlarmFactory;
  /**
   * Keys of the alarms that mean users are affected.
   * @default USER_FACING_ALARM_KEYS (those that exist)
   */
  readonly userFacingKeys?: readonly string[];
}

/**
 * Composite alarms that answer "is the service healthy, and if not, why?":
 *
 * - `<stack>-<component>-health` for the database, the cache and the fleet: any of that
 *   component's alarms is in ALARM (a warning: a likely cause, not yet an outage);
 * - `<stack>-service-health`: any user-facing signal (5xx rate, p99 latency, healthy hosts
 *   below the AZ-loss floor) is in ALARM. It pages, and its description names the cause
 *   composites to look at first.
 */
export class ServiceHealth extends Construct {
  public readonly serviceHealth: cloudwatch.CompositeAlarm;
  /** Cause composites by component. */
  public readonly causes: Partial<Record<AlarmComponent, cloudwatch.CompositeAlarm>> = {};

  constructor(scope: Construct, id: string, props: ServiceHealthProps) {
    super(scope, id);
    const { factory } = props;
    const state = (a: cloudwatch.IAlarm) => cloudwatch.AlarmRule.fromAlarm(a, cloudwatch.AlarmState.ALARM);

    for (const component of CAUSE_COMPONENTS) {
      const members = factory.alarms.filter((a) => a.component === component).map((a) => a.alarm);
      if (members.length === 0) continue;
      this.causes[component] = factory.compositeAlarm(this, `${component[0].toUpperCase()}${component.slice(1)}Health`, {
        component,
        signal: 'health',
        severity: 'warning',
        rule: cloudwatch.AlarmRule.anyOf(...members.map(state)),
        description: `Some ${component} alarm is in ALARM (${members.length} watched): a likely cause when ${factory.naming.prefix}service-health fires.`,
      });
    }

    const keys = props.userFacingKeys ?? USER_FACING_ALARM_KEYS;
    const userFacing = keys.map((k) => factory.find(k)).filter((a) => a !== undefined);
    if (userFacing.length === 0) {
      // A createAlarms override that dropped the platform's alarms leaves nothing that says users are affected.
      throw extensionError(
        'createAlarms() of the LoadBalancer or Edge (or ServiceHealth userFacingKeys)',
        keys,
        'none of these user-facing alarms exists, so service-health (the alarm that pages) could watch nothing',
        'call super.createAlarms(...) in your override and add your alarms to its result, or pass userFacingKeys that exist.',
      );
    }
    const causeNames = Object.values(this.causes).map((c) => c.alarmName);
    this.serviceHealth = factory.compositeAlarm(this, 'Resource', {
      component: 'service',
      signal: 'health',
      severity: 'critical',
      rule: cloudwatch.AlarmRule.anyOf(...userFacing.map((a) => state(a.alarm))),
      description: `Users are affected: ${userFacing.map((a) => a.key).join(', ')}. Look at the causes first: ${causeNames.join(', ')}.`,
    });
  }
}

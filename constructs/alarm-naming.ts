import { extensionError } from '../lib/model/config/config-error';

/**
 * Components in request-path order (`canary` first: the synthetic client at its start), then `drill`: the stop alarms of the failure drills (their
 * impact budgets, not a part of the request path); see docs/adr/0001-alarm-naming-and-severity.md.
 */
export const ALARM_COMPONENTS = ['canary', 'cdn', 'alb', 'fleet', 'app', 'db', 'cache', 'service', 'drill'] as const;
export type AlarmComponent = (typeof ALARM_COMPONENTS)[number];

/** Decides alarm names. Replace it to fit an existing naming scheme. */
export interface IAlarmNamingStrategy {
  /** The alarm name for a signal of a component. */
  alarmName(component: AlarmComponent, signal: string): string;
  /** The prefix every alarm name of the stack starts with (how tools find them). */
  readonly prefix: string;
}

/** `<stack>-<component>-<signal>`, e.g. `loadbearing-prod-db-replica-1-lag`. */
export class StackPrefixAlarmNaming implements IAlarmNamingStrategy {
  public readonly prefix: string;

  constructor(stackName: string) {
    this.prefix = `${stackName}-`;
  }

  public alarmName(component: AlarmComponent, signal: string): string {
    if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(signal)) {
      throw extensionError(
        `the alarm name of component ${component}`,
        signal,
        'an alarm signal is lower-case kebab-case (letters, digits, single "-"): it becomes part of the alarm name and the key alarms.overrides uses',
        `rename the signal, e.g. "${
          signal
            .toLowerCase()
            .replace(/[^a-z0-9]+/g, '-')
            .replace(/^-|-$/g, '') || 'writer-deadlocks'
        }".`,
      );
    }
    return `${this.prefix}${component}-${signal}`;
  }
}

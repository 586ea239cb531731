import type { EnvironmentConfig } from '../config/environment-schema';

/**
 * The failure modes the platform claims to survive. Each ID names the same thing everywhere:
 * the failure-mode catalogue in docs/failure-modes.md, the proving-ground scenario that
 * rehearses it locally and the AWS FIS drill that rehearses it in a real environment.
 */
export const FAILURE_MODE_IDS = [
  'traffic-spike',
  'instance-loss',
  'worker-crash',
  'az-loss',
  'gray-az',
  'capacity-shortage-in-an-az',
  'spot-interruption',
  'cpu-stress',
  'db-failover',
  'replica-loss',
  'replica-lag',
  'dependency-latency',
  'cache-loss',
  'client-retries',
  'bad-release',
  'slow-release',
] as const;
export type FailureModeId = (typeof FAILURE_MODE_IDS)[number];

/** Whether a mode applies to an environment, and why (or why not), in words a reviewer can check. */
export interface Applicability {
  readonly applies: boolean;
  readonly reason: string;
}

/**
 * What customers may see while the failure lasts, at most: beyond this, the platform did not
 * keep its promise for the mode (a drill's stop condition fires, a proving-ground scenario fails).
 */
export interface ImpactBudget {
  /** 5xx responses as % of requests (ELB and target together) the mode may cause. */
  readonly max5xxRatePercent: number;
  /** How long errors above the steady-state level may last, from the fault to recovery. */
  readonly recoverySeconds: number;
  /** Healthy targets never fall below this while the mode lasts. @default - not at stake */
  readonly minHealthyHosts?: number;
  /** p99 target response time, seconds, while the mode lasts. @default - not bounded beyond the request timeout */
  readonly maxP99Seconds?: number;
  /** The config key to change when maxP99Seconds is out of reach (at or above the request timeout). @default 'alarms.latencyP99Seconds' */
  readonly maxP99Key?: string;
  /** Where each number comes from (config keys, AWS behaviour), in one or two sentences. */
  readonly derivation: string;
}

/** A failure mode: what fails, what protects the service, and what proves it. */
export interface FailureMode {
  readonly id: FailureModeId;
  /** Short name, e.g. "One Availability Zone lost". */
  readonly title: string;
  /** What fails, as an operator would describe it. */
  readonly failure: string;
  /** The built-in mitigation, and the config keys that tune it (paths in the environment config). */
  readonly mitigation: { readonly summary: string; readonly configKeys: readonly string[] };
  /** Invariant rule IDs (lib/model/invariants) that prove at synth that the capacity for this mode exists. */
  readonly invariants: readonly string[];
  /**
   * Alarm keys (`<component>-<signal>`, ADR 0001) expected to fire when this happens: they
   * detect the cause. `*` matches within one key segment, e.g. `db-replica-*-lag`.
   */
  readonly expectedAlarms: readonly string[];
  /** Which config makes the mode apply. */
  applies(config: EnvironmentConfig): Applicability;
  /** The impact budget for this environment, derived from its config. */
  impactBudget(config: EnvironmentConfig): ImpactBudget;
  /** What an operator does when it happens for real, in order. */
  readonly runbook: readonly string[];
}

/** `true` when `key` matches the alarm-key pattern (`*` stands for one segment without dashes, or a number). */
export function alarmKeyMatches(pattern: string, key: string): boolean {
  const regex = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('[^-]+')}$`,
  );
  return regex.test(key);
}

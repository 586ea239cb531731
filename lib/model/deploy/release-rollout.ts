import { createHash } from 'node:crypto';
import type { FleetSettings } from '../config/fleet-settings';

/**
 * The arithmetic of a release's rollout, shared by the fleet construct (the instance refresh's
 * update policy) and the proving ground (the local rollout): checkpoints from the AZ count, the
 * delay at each, the final bake, and the healthy percentages
 * (docs/adr/0007-releases-roll-back-on-their-own-alarms.md).
 */
export interface RefreshPlan {
  /** Ascending, ending at 100. */
  readonly checkpointPercentages: readonly number[];
  readonly checkpointDelaySeconds: number;
  readonly bakeSeconds: number;
  readonly minHealthyPercentage: number;
  readonly maxHealthyPercentage: number;
}

/** One AZ's share of the fleet at a time: floor(100 x k / AZs) for k = 1 .. AZs-1, then 100. */
export function defaultCheckpoints(azCount: number): number[] {
  const n = Math.max(1, Math.floor(azCount));
  return [...Array.from({ length: n - 1 }, (_, i) => Math.floor((100 * (i + 1)) / n)), 100];
}

/** One AZ's share of the fleet, in whole percent, rounded up. */
export function azSharePercent(azCount: number): number {
  return Math.ceil(100 / Math.max(1, azCount));
}

/** The refresh of a fleet spread over `azCount` AZs, from its settings (explicit values win). */
export function refreshPlan(fleet: Pick<FleetSettings, 'instanceRefresh'>, azCount: number): RefreshPlan {
  const r = fleet.instanceRefresh;
  return {
    checkpointPercentages: r.checkpointPercentages ?? defaultCheckpoints(azCount),
    checkpointDelaySeconds: r.checkpointDelaySeconds,
    bakeSeconds: r.bakeSeconds,
    minHealthyPercentage: r.minHealthyPercentage,
    maxHealthyPercentage:
      r.maxHealthyPercentage ?? Math.min(200, r.minHealthyPercentage + azSharePercent(azCount), r.minHealthyPercentage + 100),
  };
}

/**
 * Instances replaced when the refresh reaches checkpoint `percent` of `desired`: "The percentage
 * of instances replaced can be equal to or higher than the percentage threshold ... but not lower"
 * (https://docs.aws.amazon.com/autoscaling/ec2/userguide/asg-adding-checkpoints-instance-refresh.html),
 * and instances are whole: ceil(percent x desired / 100).
 */
export function instancesAtCheckpoint(percent: number, desired: number): number {
  return Math.min(desired, Math.ceil((percent * desired) / 100 - 1e-9));
}

/**
 * Instances a refresh keeps in service and healthy: the minimum healthy percentage of the desired
 * capacity, "rounded up to the nearest integer"
 * (https://docs.amazonaws.cn/sdk-for-ruby/v2/api/Aws/AutoScaling/Types/RefreshPreferences.html).
 */
export function healthyDuringRefresh(minHealthyPercentage: number, desired: number): number {
  return Math.ceil((minHealthyPercentage * desired) / 100 - 1e-9);
}

/** Instances a refresh may launch above the desired capacity: (max% - 100) of it, whole instances (a ceiling is not exceeded). */
export function extraDuringRefresh(maxHealthyPercentage: number, desired: number): number {
  return Math.max(0, Math.floor(((maxHealthyPercentage - 100) * desired) / 100 + 1e-9));
}

/**
 * The release ID: a hash of the launch template's data as the template holds it (user data,
 * instance type, volumes, the image as the template names it): `r` and 12 hex digits. The same data gives
 * the same ID in every synth; any change of the launch template gives a new one, and with it new
 * release alarms (an image resolved from a parameter at deploy time is a known gap: ADR 0007).
 */
export function releaseId(launchTemplateData: unknown): string {
  return `r${createHash('sha256').update(stableJson(launchTemplateData)).digest('hex').slice(0, 12)}`;
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value) ?? 'null';
}

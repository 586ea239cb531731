import { describe, expect, it } from 'vitest';
import { isConfigError } from '../../../lib/model/config/config-error';
import { fleetTargetCount } from '../../../lib/model/config/failure-drill-settings';
import { environment } from '../../support/platform-variants';

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (isConfigError(e)) return e.problems.map((p) => `${p.path}: ${p.rule}`);
    throw e;
  }
  return [];
}

describe('failureDrills config', () => {
  it('is on in staging by the stage preset, off in dev and prod unless set', () => {
    expect(environment('staging').failureDrills.enabled).toBe(true);
    expect(environment('dev').failureDrills.enabled).toBe(false);
    expect(environment('prod').failureDrills.enabled).toBe(false);
    expect(environment('staging').failureDrills).toMatchObject({
      faultMinutes: 10,
      cpuLoadPercent: 90,
      dependencyLatencyMs: 200,
      maxTargetsPerAction: 5,
      logRetentionDays: 365,
    });
  });

  it('bounds the durations and values', () => {
    expect(problems(() => environment('staging', { failureDrills: { faultMinutes: 2 } }))).toEqual([
      'environments.staging.failureDrills.faultMinutes: the value must be >= 5',
    ]);
    expect(problems(() => environment('staging', { failureDrills: { faultMinutes: 61 } }))).toEqual([
      'environments.staging.failureDrills.faultMinutes: the value must be <= 60',
    ]);
    expect(problems(() => environment('staging', { failureDrills: { logRetentionDays: 30 } }))[0]).toMatch(
      /logRetentionDays: must be a CloudWatch Logs retention of a year or more/,
    );
  });

  it('refuses AZs the environment does not have', () => {
    expect(problems(() => environment('staging', { failureDrills: { zones: ['us-east-1d'] } }))).toEqual([
      "environments.staging.failureDrills.zones[0]: must be one of the environment's availability zones (us-east-1a, us-east-1b, us-east-1c)",
    ]);
  });

  it('refuses a cpu-stress drill that could never be detected, and an az-loss beyond the FIS target quota', () => {
    // prod: 24 instances at most > 5, so 5 of 6 stressed to 90% average 75%, under the 80% alarm.
    expect(problems(() => environment('prod', { failureDrills: { enabled: true } }))[0]).toMatch(
      /failureDrills.cpuLoadPercent: the cpu-stress drill loads 5 of 6 instances to 90%, an average of 75%/,
    );
    expect(problems(() => environment('prod', { failureDrills: { enabled: true, cpuLoadPercent: 100 } }))).toEqual([]);
    // Off, nothing is checked: prod's default config stays valid.
    expect(problems(() => environment('prod'))).toEqual([]);
    expect(
      problems(() =>
        environment('staging', {
          fleet: { minCapacity: 18, maxCapacity: 24, baselineInstances: 2 },
          failureDrills: { cpuLoadPercent: 100 },
        }),
      )[0],
    ).toMatch(/failureDrills.maxTargetsPerAction: the az-loss drill stops up to 6 instances of one AZ/);
  });

  it('selects all instances when the group never exceeds the quota, else those that always run', () => {
    expect(fleetTargetCount({ minCapacity: 2, maxCapacity: 4 }, 5)).toEqual({ selectionMode: 'ALL', count: 2 });
    expect(fleetTargetCount({ minCapacity: 3, maxCapacity: 6 }, 5)).toEqual({ selectionMode: 'COUNT(3)', count: 3 });
    expect(fleetTargetCount({ minCapacity: 6, maxCapacity: 24 }, 5)).toEqual({ selectionMode: 'COUNT(5)', count: 5 });
  });
});

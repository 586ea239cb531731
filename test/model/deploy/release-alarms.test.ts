import { describe, expect, it } from 'vitest';
import { builtinEnvironments } from '../../../lib/model/config/load-config';
import {
  alarmState,
  breaches,
  datapoint,
  detectionBoundSeconds,
  releaseAlarmDefinitions,
  releaseAlarmName,
} from '../../../lib/model/deploy/release-alarms';
import {
  defaultCheckpoints,
  extraDuringRefresh,
  healthyDuringRefresh,
  instancesAtCheckpoint,
  refreshPlan,
  releaseId,
} from '../../../lib/model/deploy/release-rollout';

const staging = builtinEnvironments().find((e) => e.name === 'staging')!;
const defs = releaseAlarmDefinitions({
  prefix: 'loadbearing-staging-',
  stackName: 'loadbearing-staging',
  releaseId: 'r0123456789ab',
  settings: staging.delivery.releaseAlarms,
});
const [errors, p99] = defs as [(typeof defs)[0], (typeof defs)[0]];

describe('the release alarms (one definition for the stack and the proving ground)', () => {
  it('watch the release of their name only, with the thresholds and evaluation of delivery.releaseAlarms', () => {
    expect(defs.map((d) => d.alarmName)).toEqual([
      'loadbearing-staging-release-r0123456789ab-errors',
      'loadbearing-staging-release-r0123456789ab-latency-p99',
    ]);
    expect(releaseAlarmName('p-', 'rx', 'errors')).toBe('p-release-rx-errors');
    for (const d of defs) {
      expect(d.dimensions).toEqual({ Stack: 'loadbearing-staging', Release: 'r0123456789ab' });
      expect(d).toMatchObject({ periodSeconds: 60, evaluationPeriods: 3, datapointsToAlarm: 2, treatMissingData: 'notBreaching' });
    }
    expect(errors).toMatchObject({ kind: 'ratio', numerator: 'ServerErrors', denominator: 'Requests', threshold: 1 });
    expect(p99).toMatchObject({ kind: 'percentile', metric: 'RequestLatency', statistic: 'p99', threshold: 250 });
  });

  it('turn a period into a datapoint: a rate of the requests, the p99, nothing without requests', () => {
    expect(datapoint(errors, { requests: 200, errors: 6 })).toBe(3);
    expect(datapoint(p99, { requests: 200, errors: 0, p99Ms: 310 })).toBe(310);
    expect(datapoint(errors, { requests: 0, errors: 0 })).toBeUndefined();
    expect(breaches(errors, undefined)).toBe(false);
    expect(breaches(errors, 1)).toBe(false);
    expect(breaches(errors, 1.01)).toBe(true);
  });

  it('go into ALARM at datapointsToAlarm breaching of the last evaluationPeriods, missing data not breaching', () => {
    expect(alarmState(errors, [5])).toBe('OK');
    expect(alarmState(errors, [5, undefined, 5])).toBe('ALARM');
    expect(alarmState(errors, [5, 0, 0, 5])).toBe('OK');
    expect(alarmState(errors, [undefined, undefined, 5, 5])).toBe('ALARM');
    expect(detectionBoundSeconds(errors)).toBe(180);
  });
});

describe('the rollout arithmetic', () => {
  it('checkpoints one AZ share at a time, ending at 100', () => {
    expect(defaultCheckpoints(2)).toEqual([50, 100]);
    expect(defaultCheckpoints(3)).toEqual([33, 66, 100]);
    expect(defaultCheckpoints(6)).toEqual([16, 33, 50, 66, 83, 100]);
    expect(refreshPlan(staging.fleet, 3)).toEqual({
      checkpointPercentages: [33, 66, 100],
      checkpointDelaySeconds: 300,
      bakeSeconds: 300,
      minHealthyPercentage: 100,
      maxHealthyPercentage: 134,
    });
  });

  it('counts whole instances: at least the checkpoint share, the healthy floor rounded up, the extra rounded down', () => {
    expect(instancesAtCheckpoint(33, 3)).toBe(1);
    expect(instancesAtCheckpoint(33, 6)).toBe(2);
    expect(instancesAtCheckpoint(66, 6)).toBe(4);
    expect(instancesAtCheckpoint(100, 6)).toBe(6);
    expect(healthyDuringRefresh(90, 6)).toBe(6);
    expect(healthyDuringRefresh(50, 6)).toBe(3);
    expect(extraDuringRefresh(134, 6)).toBe(2);
    expect(extraDuringRefresh(100, 6)).toBe(0);
  });

  it('names a release by its launch template data: the same data, the same ID, key order aside', () => {
    const a = releaseId({ UserData: 'x', ImageId: { Ref: 'P' } });
    expect(a).toMatch(/^r[0-9a-f]{12}$/);
    expect(releaseId({ ImageId: { Ref: 'P' }, UserData: 'x' })).toBe(a);
    expect(releaseId({ ImageId: { Ref: 'P' }, UserData: 'y' })).not.toBe(a);
  });
});

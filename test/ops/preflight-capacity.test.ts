import { describe, expect, it } from 'vitest';
import {
  elasticIpsNeeded,
  fleetVcpuDemand,
  onDemandInstancesAt,
  quotaFit,
  spotInstancesAt,
  updatePeakInstances,
  warmPoolExtraInstances,
  type FleetShape,
} from '../../lib/ops/preflight-capacity.js';

const VCPUS = { 'm7g.large': 2, 'm7gd.large': 2, 'r7g.xlarge': 4, 't4g.medium': 2, 'm7g.medium': 1 };

const fleet = (overrides: Partial<FleetShape> = {}): FleetShape => ({
  name: 'FleetASG',
  minSize: 6,
  maxSize: 24,
  instanceTypes: ['m7g.large', 'm7gd.large'],
  distribution: { onDemandBaseCapacity: 6, onDemandPercentageAboveBaseCapacity: 100 },
  update: { kind: 'rolling-update', maxBatchSize: 2, minInstancesInService: 6 },
  ...overrides,
});

describe('updatePeakInstances', () => {
  it('rolling update: the group never exceeds MaxSize when MinInstancesInService + MaxBatchSize fits under it', () => {
    expect(updatePeakInstances(24, { kind: 'rolling-update', maxBatchSize: 2, minInstancesInService: 6 })).toMatchObject({
      peakInstances: 24,
      headroom: 0,
    });
  });

  it('rolling update: MinInstancesInService + MaxBatchSize above MaxSize is the headroom (the new batch starts before the old stops)', () => {
    const peak = updatePeakInstances(4, { kind: 'rolling-update', maxBatchSize: 3, minInstancesInService: 3 });
    expect(peak).toMatchObject({ peakInstances: 6, headroom: 2 });
    expect(peak.explanation).toBe('rolling update (MaxBatchSize 3, MinInstancesInService 3): peak max(4, 3+3) = 6 instances');
  });

  it('instance refresh: MaxHealthyPercentage of MaxSize, rounded up', () => {
    expect(updatePeakInstances(24, { kind: 'instance-refresh', maxHealthyPercentage: 110, source: 'the Rolling default' })).toMatchObject({
      peakInstances: 27,
      headroom: 3,
    });
    expect(
      updatePeakInstances(24, { kind: 'instance-refresh', maxHealthyPercentage: 200, source: 'from the update policy' }),
    ).toMatchObject({ peakInstances: 48, headroom: 24 });
    expect(updatePeakInstances(5, { kind: 'instance-refresh', maxHealthyPercentage: 101, source: 'x' })).toMatchObject({
      peakInstances: 6,
      headroom: 1,
    });
    expect(updatePeakInstances(24, { kind: 'instance-refresh', maxHealthyPercentage: 100, source: 'x' })).toMatchObject({
      peakInstances: 24,
      headroom: 0,
    });
    expect(
      updatePeakInstances(24, { kind: 'instance-refresh', maxHealthyPercentage: 110, source: 'the Rolling default' }).explanation,
    ).toBe('instance refresh (MaxHealthyPercentage 110%, the Rolling default): peak ceil(24 x 110%) = 27 instances');
  });

  it('a replacing update doubles MaxSize; no update policy adds nothing', () => {
    expect(updatePeakInstances(12, { kind: 'replacing-update' })).toMatchObject({ peakInstances: 24, headroom: 12 });
    expect(updatePeakInstances(12, { kind: 'none' })).toMatchObject({ peakInstances: 12, headroom: 0 });
  });
});

describe('warmPoolExtraInstances', () => {
  it("counts the pool's MinSize beyond MaxSize, or MaxGroupPreparedCapacity above MaxSize, in any pool state", () => {
    expect(warmPoolExtraInstances(24, undefined).extra).toBe(0);
    expect(warmPoolExtraInstances(24, { minSize: 0, poolState: 'Stopped' }).extra).toBe(0);
    expect(warmPoolExtraInstances(24, { minSize: 3, poolState: 'Stopped' })).toEqual({
      extra: 3,
      explanation: 'warm pool: +3 instances running while they initialize (pool state Stopped)',
    });
    expect(warmPoolExtraInstances(24, { minSize: 2, maxGroupPreparedCapacity: 30, poolState: 'Running' })).toEqual({
      extra: 6,
      explanation: 'warm pool: +6 instances running',
    });
    expect(warmPoolExtraInstances(24, { minSize: 2, maxGroupPreparedCapacity: 10, poolState: 'Running' }).extra).toBe(2);
  });
});

describe('On-Demand and Spot split', () => {
  it('the base is On-Demand, the rest splits by the percentage, each side rounded up', () => {
    const d = { onDemandBaseCapacity: 2, onDemandPercentageAboveBaseCapacity: 50 };
    expect([onDemandInstancesAt(1, d), spotInstancesAt(1, d)]).toEqual([1, 0]);
    expect([onDemandInstancesAt(2, d), spotInstancesAt(2, d)]).toEqual([2, 0]);
    expect([onDemandInstancesAt(5, d), spotInstancesAt(5, d)]).toEqual([4, 2]);
    expect([onDemandInstancesAt(6, d), spotInstancesAt(6, d)]).toEqual([4, 2]);
    const allSpot = { onDemandBaseCapacity: 2, onDemandPercentageAboveBaseCapacity: 0 };
    expect([onDemandInstancesAt(4, allSpot), spotInstancesAt(4, allSpot)]).toEqual([2, 2]);
  });

  it('a plain launch template is all On-Demand', () => {
    expect([onDemandInstancesAt(7, undefined), spotInstancesAt(7, undefined)]).toEqual([7, 0]);
  });
});

describe('fleetVcpuDemand', () => {
  it('prod: MaxSize 24 of 2-vCPU types, rolling update within MaxSize, all On-Demand = 48 vCPUs', () => {
    const demand = fleetVcpuDemand(fleet(), VCPUS);
    expect(demand).toMatchObject({
      peakInstances: 24,
      onDemandInstances: 24,
      spotInstances: 0,
      onDemandVcpus: 48,
      spotVcpus: 0,
      vcpusPerInstance: 2,
      largestType: 'm7g.large',
    });
    expect(demand.explanation).toBe(
      'MaxSize 24; rolling update (MaxBatchSize 2, MinInstancesInService 6): peak max(24, 6+2) = 24 instances; On-Demand base 6 + 100% above it: 24 On-Demand, 0 Spot; 2 vCPUs each (largest of m7g.large, m7gd.large: m7g.large)',
    );
  });

  it('uses the largest vCPU count among the overrides', () => {
    const demand = fleetVcpuDemand(fleet({ instanceTypes: ['m7g.large', 'r7g.xlarge'] }), VCPUS);
    expect(demand).toMatchObject({ vcpusPerInstance: 4, largestType: 'r7g.xlarge', onDemandVcpus: 96 });
  });

  it('dev: 2 On-Demand base and Spot above it, with the instance-refresh headroom split the same way', () => {
    const demand = fleetVcpuDemand(
      fleet({
        minSize: 2,
        maxSize: 4,
        instanceTypes: ['t4g.medium', 'm7g.medium'],
        distribution: { onDemandBaseCapacity: 2, onDemandPercentageAboveBaseCapacity: 0 },
        update: { kind: 'instance-refresh', maxHealthyPercentage: 150, source: 'from the update policy' },
      }),
      VCPUS,
    );
    // Peak ceil(4 x 1.5) = 6: 2 On-Demand (the base), 4 Spot; 2 vCPUs each (t4g.medium).
    expect(demand).toMatchObject({ peakInstances: 6, onDemandInstances: 2, spotInstances: 4, onDemandVcpus: 4, spotVcpus: 8 });
  });

  it('a warm pool adds On-Demand instances on top of the update peak', () => {
    const demand = fleetVcpuDemand(
      fleet({
        distribution: undefined,
        instanceTypes: ['m7g.large'],
        warmPool: { minSize: 4, poolState: 'Stopped' },
        update: { kind: 'rolling-update', maxBatchSize: 2, minInstancesInService: 6 },
      }),
      VCPUS,
    );
    expect(demand).toMatchObject({ peakInstances: 28, onDemandInstances: 28, onDemandVcpus: 56, spotVcpus: 0 });
    expect(demand.explanation).toContain('warm pool: +4 instances running while they initialize (pool state Stopped)');
    expect(demand.explanation).toContain('launch template: all On-Demand');
  });

  it('refuses a type without a vCPU count, or a group without types', () => {
    expect(() => fleetVcpuDemand(fleet({ instanceTypes: ['x9.large'] }), VCPUS)).toThrow('no vCPU count for x9.large');
    expect(() => fleetVcpuDemand(fleet({ instanceTypes: [] }), VCPUS)).toThrow('FleetASG names no instance type');
  });
});

describe('quotaFit and elasticIpsNeeded', () => {
  it('usage plus demand must not exceed the quota; equal fits', () => {
    expect(quotaFit(64, 16, 48)).toEqual({ fits: true, total: 64, short: 0 });
    expect(quotaFit(32, 16, 48)).toEqual({ fits: false, total: 64, short: 32 });
  });

  it('one Elastic IP per EIP resource, at least one per public NAT gateway', () => {
    expect(elasticIpsNeeded(3, 3)).toBe(3);
    expect(elasticIpsNeeded(0, 2)).toBe(2);
    expect(elasticIpsNeeded(4, 1)).toBe(4);
  });
});

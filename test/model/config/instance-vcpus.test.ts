import { describe, expect, it } from 'vitest';
import {
  instanceTypesFor,
  WORKLOAD_PROFILES,
  type Architecture,
  type WorkloadProfileName,
} from '../../../lib/model/config/workload-profiles';
import { fleetVcpus, INSTANCE_VCPUS, knownInstanceVcpus } from '../../../lib/model/config/instance-vcpus';

describe('INSTANCE_VCPUS', () => {
  it('has every type the workload profiles can produce', () => {
    const produced = (Object.keys(WORKLOAD_PROFILES) as WorkloadProfileName[]).flatMap((profile) =>
      (['arm64', 'x86_64'] as Architecture[]).flatMap((arch) =>
        WORKLOAD_PROFILES[profile].sizes.flatMap((size) => instanceTypesFor(profile, arch, size)),
      ),
    );
    expect(produced.length).toBeGreaterThan(60);
    expect(produced.filter((t) => knownInstanceVcpus(t) === undefined)).toEqual([]);
  });

  it('follows the sizes: large 2, xlarge 4, 2xlarge 8, 4xlarge 16; a Graviton medium 1, a T medium 2', () => {
    for (const [type, vcpus] of Object.entries(INSTANCE_VCPUS)) {
      const size = type.split('.')[1]!;
      const expected = { large: 2, xlarge: 4, '2xlarge': 8, '4xlarge': 16 }[size] ?? (type.startsWith('t') ? 2 : 1);
      expect(vcpus, type).toBe(expected);
    }
    expect(INSTANCE_VCPUS['m7g.medium']).toBe(1);
    expect(INSTANCE_VCPUS['t4g.medium']).toBe(2);
    expect(knownInstanceVcpus('p5.48xlarge')).toBeUndefined();
  });
});

describe('fleetVcpus', () => {
  it("names the fewest and most vCPUs over a fleet's types: the burstable arm64 medium mixes t4g (2) and m7g (1)", () => {
    expect(fleetVcpus({ workloadProfile: 'burstable', architecture: 'arm64', instanceSize: 'medium' })).toEqual({
      types: [
        { type: 't4g.medium', vcpus: 2 },
        { type: 'm7g.medium', vcpus: 1 },
      ],
      min: 1,
      max: 2,
    });
    expect(fleetVcpus({ workloadProfile: 'general', architecture: 'x86_64', instanceSize: 'xlarge' })).toMatchObject({ min: 4, max: 4 });
  });
});

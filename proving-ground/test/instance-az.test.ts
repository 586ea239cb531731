import { describe, expect, it } from 'vitest';
import { BUILTIN_ENVIRONMENTS } from '../../lib/model/config/builtin-environments';
import { resolveEnvironments } from '../../lib/model/config/load-config';
import { instancesPerAz, localInstanceAz, localInstances } from '../src/scale';

const config = (name: 'dev' | 'staging' | 'prod', availabilityZones?: string[]) =>
  resolveEnvironments({ [name]: { ...BUILTIN_ENVIRONMENTS[name], ...(availabilityZones ? { availabilityZones } : {}) } }, 'az.json')[0]!;

describe('the AZ of each local instance (the per-AZ metrics of the proving ground)', () => {
  it.each(['dev', 'staging', 'prod'] as const)('%s: every AZ gets its share of the instances, the first AZ the first ones', (name) => {
    const c = config(name);
    const azs = Array.from({ length: localInstances(c) }, (_, i) => localInstanceAz(c, i));
    expect(new Set(azs)).toEqual(new Set(c.availabilityZones));
    expect(azs.slice(0, instancesPerAz(c))).toEqual(Array(instancesPerAz(c)).fill(c.availabilityZones[0]));
  });
});

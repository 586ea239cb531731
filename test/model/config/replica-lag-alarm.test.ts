import { describe, expect, it } from 'vitest';
import { replicaLagAlarmSeconds } from '../../../lib/model/config/alarm-settings';
import { BUILTIN_ENVIRONMENTS } from '../../../lib/model/config/builtin-environments';
import { deepMerge, resolveEnvironments } from '../../../lib/model/config/load-config';

const resolve = (change: Record<string, unknown>) =>
  resolveEnvironments({ dev: deepMerge(BUILTIN_ENVIRONMENTS.dev, change) }, 'test.json')[0];

describe('the replica-lag alarm threshold', () => {
  it('is the tightest staleness of a class that may read a replica (classes at 0 read the writer only)', () => {
    expect(replicaLagAlarmSeconds(resolve({}))).toBe(30);
    const base = resolve({});
    const tighter = resolve({
      edge: {
        freshness: base.edge.freshness.map((c) => (c.name === 'api' ? { ...c, maxStalenessSeconds: 12, appCacheTtlSeconds: 10 } : c)),
      },
    });
    expect(replicaLagAlarmSeconds(tighter)).toBe(12);
  });

  it('alarms.replicaLagSeconds, when set, wins', () => {
    expect(replicaLagAlarmSeconds(resolve({ alarms: { replicaLagSeconds: 90 } }))).toBe(90);
  });

  it('with no class reading replicas, falls back to 30 s', () => {
    const base = resolve({});
    const writerOnly = { ...base, edge: { ...base.edge, freshness: base.edge.freshness.map((c) => ({ ...c, maxStalenessSeconds: 0 })) } };
    expect(replicaLagAlarmSeconds(writerOnly)).toBe(30);
  });
});

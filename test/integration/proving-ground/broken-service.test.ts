import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { environmentConfig } from '../../../proving-ground/src/local-stack';
import { calibrationTargetMs } from '../../../proving-ground/src/budgets';
import { runScenario, type RunContext } from '../../../proving-ground/src/run-scenario';
import { startTopology, type Topology } from '../../../proving-ground/src/topology/topology';
import { haproxyUnavailable } from '../../../proving-ground/src/topology/haproxy';
import { serviceTestsUnavailable } from '../support/service-harness';

// The proving ground catches a broken service: the same cache-loss scenario, on the same
// topology, passes with the service as configured and breaks its p99 budget once the cache
// timeout is raised from app.cacheTimeoutMs (250 ms) to 3 s in app.env (a client that waits
// for a frozen cache). Short phases and a fixed, low rate keep it to about half a minute.
const unavailable = serviceTestsUnavailable('proving ground against real processes', [haproxyUnavailable()]);

describe.skipIf(unavailable !== undefined)('a deliberately broken service fails the right scenario', () => {
  const config = environmentConfig('staging');
  let topology: Topology;
  let ctx: RunContext;
  const calibration = { capacityRps: 150, targetP99Ms: calibrationTargetMs(config) };

  beforeAll(async () => {
    topology = await startTopology({ config, dbDelayMs: 25, onDocument: (i, doc) => ctx?.documents.sink?.(doc, i) });
    ctx = {
      topology,
      timings: { beforeMs: 3_000, faultMs: 5_000, afterMs: 4_000, bucketMs: 500, calibrationStepMs: 1_000 },
      documents: {},
      dbDelayMs: 25,
      seed: 7,
      progress: () => undefined,
      signal: new AbortController().signal,
    };
  });
  afterAll(async () => {
    await topology?.destroy();
  });

  it('cache-loss holds its budget with the configured cache timeout, and breaks its p99 budget with a 3 s one', async () => {
    const healthy = await runScenario(ctx, 'cache-loss', 1, calibration);
    const p99 = (r: typeof healthy) => r.checks.find((c) => c.id === 'p99-fault')!;
    expect(p99(healthy).measured, JSON.stringify(healthy.checks)).toBeLessThanOrEqual(p99(healthy).limit);
    expect(healthy.checks.find((c) => c.id === 'cache-fallbacks')!.measured).toBeGreaterThan(0);

    await topology.reconfigure({ CACHE_TIMEOUT_MS: '3000' });
    const broken = await runScenario(ctx, 'cache-loss', 2, calibration);
    expect(p99(broken).measured).toBeGreaterThan(p99(broken).limit);
    expect(p99(broken).measured).toBeGreaterThan(1_500);
    // The right scenario for the right reason: it is slow, not failing or crashing.
    for (const id of ['errors', 'lost-writes', 'duplicated-writes', 'crashes']) {
      const c = broken.checks.find((x) => x.id === id)!;
      expect(c.measured, id).toBe(0);
    }
  });
});

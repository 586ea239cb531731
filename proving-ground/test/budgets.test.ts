import { describe, expect, it } from 'vitest';
import { FAILURE_MODE_IDS, LOCAL_REHEARSALS, rehearsedModes } from '../../lib/model/failure-modes';
import { environmentConfig } from '../src/local-stack/service-stack';
import { budgets, calibrationTargetMs, holds, LATENCY_MARGIN_MS, recoveryBoundSeconds, type BudgetInput } from '../src/budgets';
import { distribution, newHistogram, recordMs } from '../src/load/histogram';
import type { PhaseSummary, RunMeasurement } from '../src/measurement';
import { apiStalenessBoundMs, implementedScenarios, scenario } from '../src/scenarios';
import { QUICK_SCENARIOS, SCENARIO_IDS, STEADY_STATE } from '../src/scenario-ids';
import { judge } from '../src/verdict';

/** A phase whose answers all took `p99` ms, with `errors` of `sent` failed. */
function phase(p99: number, sent = 1000, errors = 0, counters: Record<string, number> = {}): PhaseSummary {
  const h = newHistogram();
  for (let i = 0; i < sent; i++) recordMs(h, p99);
  const d = distribution(h);
  const counts = { sent, ok: sent - errors, shed: 0, rateLimited: 0, error: errors };
  const kind = { counts, errorPercent: (100 * errors) / sent, p99Ms: p99 };
  return {
    counts,
    errorPercent: (100 * errors) / sent,
    shedPercent: 0,
    all: d,
    ok: d,
    shed: distribution(newHistogram()),
    errorKinds: {},
    shedBy: {},
    byKind: { 'cached-read': kind, 'uncached-read': kind, list: kind, write: kind, app: kind },
    service: { counters, poolWaitP99Ms: 0, eventLoopLagMaxMs: 0 },
    minHealthyTargets: 3,
  };
}

function measurement(before: PhaseSummary, fault: PhaseSummary, recovery = 1): RunMeasurement {
  return {
    bucketMs: 1000,
    faultStartMs: 8000,
    faultEndMs: 20000,
    durationMs: 30000,
    phases: { before, fault, after: before },
    run: fault,
    series: [],
    writes: { sent: 100, acknowledged: 100, lost: 0, duplicated: 0, unacknowledged: 0, failed: 0, retries: 0, replays: 0 },
    generator: { planned: 3000, lagP99Ms: 2, lagMaxMs: 5, peakInFlight: 10 },
    cpuPercent: {},
    listenOverflows: 0,
    serviceErrors: [],
    topStatements: [],
    workerCounts: [],
    window: () => ({ counts: fault.counts, errorPercent: fault.errorPercent, p99Ms: fault.all.p99Ms }),
    recoverySeconds: () => recovery,
  };
}

const config = environmentConfig('staging');
const input = (m: RunMeasurement): BudgetInput => ({
  config,
  calibration: { capacityRps: 1000, targetP99Ms: calibrationTargetMs(config) },
  m,
  dbDelayMs: 25,
});
const byId = (checks: ReturnType<typeof budgets>, id: string) => checks.find((c) => c.id === id)!;

describe('proving-ground budgets', () => {
  it('derives the frozen-cache p99 bound from the pre-fault p99 of database reads, app.cacheTimeoutMs, the pool wait bound and the margin', () => {
    const before = phase(40);
    const ok = budgets('cache-loss', input(measurement(before, phase(300, 1000, 0, { CacheFallbacks: 50 }))));
    const p99 = byId(ok, 'p99-fault');
    expect(before.all.p99Ms).toBeCloseTo(40, 0);
    expect(p99.limit).toBeCloseTo(before.all.p99Ms + config.app.cacheTimeoutMs + 2 * config.app.shedPoolWaitMs + LATENCY_MARGIN_MS, 2);
    expect(holds(p99)).toBe(true);
    // A service that waits 3 s for a frozen cache breaks it.
    const broken = budgets('cache-loss', input(measurement(phase(40), phase(3000, 1000, 0, { CacheFallbacks: 50 }))));
    expect(holds(byId(broken, 'p99-fault'))).toBe(false);
    expect(holds(byId(broken, 'errors'))).toBe(true);
  });

  it('bounds errors at 0.1% and writes at zero lost and zero duplicated, in every scenario that has them', () => {
    const checks = budgets('steady-state', input(measurement(phase(40), phase(40, 10000, 11))));
    expect(holds(byId(checks, 'errors'))).toBe(false);
    expect(byId(checks, 'errors').limit).toBe(0.1);
    expect(byId(checks, 'lost-writes')).toMatchObject({ comparison: '=', limit: 0, measured: 0 });
    expect(byId(checks, 'duplicated-writes')).toMatchObject({ comparison: '=', limit: 0 });
  });

  it('calibrates against the lower of the p99 alarm and the shedding bound', () => {
    expect(calibrationTargetMs(config)).toBe(Math.min(config.alarms.latencyP99Seconds * 1000, config.app.shedPoolWaitMs));
    expect(calibrationTargetMs(environmentConfig('staging', { alarms: { latencyP99Seconds: 0.2 } }))).toBe(200);
  });

  it('requires recovery within one scaled request timeout or one health-check detection', () => {
    expect(recoveryBoundSeconds(config)).toBe(3.5);
    const slow = budgets('cache-loss', input(measurement(phase(40), phase(100), Infinity)));
    expect(holds(byId(slow, 'recovery'))).toBe(false);
  });

  it('allows a lost target its share of errors only until the health check takes it out', () => {
    const checks = budgets('instance-loss', input(measurement(phase(40), phase(40, 1000, 300))));
    expect(byId(checks, 'errors-until-detected').limit).toBeCloseTo(100 / 3, 2);
    expect(byId(checks, 'healthy-targets').limit).toBe(2);
    expect(holds(byId(checks, 'errors-after-detection'))).toBe(false);
  });
});

describe('the replica-lag budgets', () => {
  const freshness = { ownReads: 100, ownStale: 0, otherReads: 200, worstAgeMs: 29_000, overBound: 0, boundMs: 30_000, failed: 0 };
  const judged = (f: typeof freshness | undefined, counters = { ReplicaLagFallbacks: 40 }) =>
    budgets('replica-lag', { ...input(measurement(phase(40), phase(40, 1000, 0, counters))), freshness: f, writerConnections: 60 });

  it('judges the bound by the /api/* class: its maxStalenessSeconds, in ms', () => {
    expect(apiStalenessBoundMs(config)).toBe(30_000);
    expect(
      scenario('replica-lag').timings?.({ beforeMs: 1, faultMs: 12_000, afterMs: 1, bucketMs: 1, calibrationStepMs: 1 }, config).faultMs,
    ).toBe(40_000);
  });

  it('passes with no stale read, and fails on one stale read, one own write not read, or no read judged at all', () => {
    expect(judged(freshness).every((c) => holds(c))).toBe(true);
    expect(holds(byId(judged({ ...freshness, overBound: 1 }), 'stale-reads'))).toBe(false);
    expect(holds(byId(judged({ ...freshness, ownStale: 1 }), 'own-writes'))).toBe(false);
    expect(holds(byId(judged({ ...freshness, worstAgeMs: 31_000 + calibrationTargetMs(config) }), 'worst-age'))).toBe(false);
    expect(holds(byId(judged(undefined), 'stale-reads'))).toBe(false);
    expect(holds(byId(judged(freshness, { ReplicaLagFallbacks: 0 }), 'lag-fallbacks'))).toBe(false);
  });
});

describe('verdict over runs', () => {
  it('judges the median and reports the spread', () => {
    const run = (measured: number) => [
      { id: 'p99', label: 'p99', comparison: '<=' as const, limit: 100, measured, unit: 'ms' as const, derivation: '' },
    ];
    const [check] = judge([run(50), run(500), run(90)]);
    expect(check).toMatchObject({ median: 90, min: 50, max: 500, pass: true, runs: [50, 500, 90] });
    expect(judge([run(500), run(90), run(700)])[0].pass).toBe(false);
  });
});

describe('scenarios are the failure modes, defined once', () => {
  it('implements exactly the modes lib/model/failure-modes marks as rehearsed, plus the baseline', () => {
    expect([...SCENARIO_IDS].sort()).toEqual([STEADY_STATE, ...rehearsedModes()].sort());
    expect(implementedScenarios().sort()).toEqual([...SCENARIO_IDS].sort());
    for (const id of QUICK_SCENARIOS) expect(SCENARIO_IDS).toContain(id);
  });

  it('says why a mode has no scenario', () => {
    for (const id of FAILURE_MODE_IDS) {
      const r = LOCAL_REHEARSALS[id];
      if (r.scenario === 'none') expect(r.reason.length).toBeGreaterThan(40);
      else expect(r.scenario).toBe(id);
    }
    expect(rehearsedModes()).not.toContain('capacity-shortage-in-an-az');
    expect(scenario('cache-loss').fault).toBe((LOCAL_REHEARSALS['cache-loss'] as { fault: string }).fault);
  });

  it('has a budget for every scenario', () => {
    for (const id of SCENARIO_IDS) expect(budgets(id, input(measurement(phase(40), phase(40)))).length).toBeGreaterThan(2);
  });
});

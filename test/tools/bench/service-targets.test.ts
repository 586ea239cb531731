import { describe, expect, it } from 'vitest';
import type { ServiceBenchResults, ServiceCase } from '../../../tools/bench/service-bench';
import { serviceTargets } from '../../../tools/bench/service-bench-part';

const s = (median: number) => ({ median, min: median, max: median });
function results(
  cached: { rps: number; p99: number; failures?: number },
  overhead: Partial<Record<ServiceCase, number>> = {},
): ServiceBenchResults {
  const kase = (name: ServiceCase, rps: number, p99: number) => ({
    name,
    service: { requestsPerSecond: s(rps), p50Ms: s(1), p99Ms: s(p99), failures: name === 'cached-read' ? (cached.failures ?? 0) : 0 },
    bare: { requestsPerSecond: s(rps), p50Ms: s(1), p99Ms: s(p99), failures: 0 },
    overheadPercent: overhead[name] ?? 2,
  });
  return {
    measuredAt: '2026-11-28T00:00:00.000Z',
    placement: 'test',
    connections: 16,
    secondsPerPhase: 5,
    rounds: 3,
    environment: 'prod',
    cases: [kase('cached-read', cached.rps, cached.p99), kase('uncached-read', 2000, 9), kase('idempotent-write', 500, 30)],
    servicePeakRssMiB: 100,
    barePeakRssMiB: 80,
  };
}

describe('service bench targets', () => {
  it('are met by a fast cached read with a cheap contract', () => {
    expect(serviceTargets(results({ rps: 6000, p99: 3.2 })).map((t) => t.met)).toEqual([true, true, true]);
  });

  it('hold the contract to 15%: 15% is met, 15.1% is not', () => {
    expect(serviceTargets(results({ rps: 6000, p99: 3.2 }, { 'cached-read': 15 }))[2].met).toBe(true);
    expect(serviceTargets(results({ rps: 6000, p99: 3.2 }, { 'cached-read': 15.1 }))[2].met).toBe(false);
  });

  it('are missed, each on its own number', () => {
    const missed = serviceTargets(results({ rps: 4999, p99: 5 }, { 'idempotent-write': 15.1 }));
    expect(missed.map((t) => t.met)).toEqual([false, false, false]);
    expect(missed[0].measured).toBe('5 ms');
    expect(missed[1].measured).toBe('4999 req/s');
    expect(missed[2].measured).toContain('idempotent-write 15.1%');
  });

  it('count for nothing when the service answered with failures (fast 503s are not served reads)', () => {
    const shed = serviceTargets(results({ rps: 27000, p99: 2.4, failures: 121822 }));
    expect(shed.map((t) => t.met)).toEqual([false, false, false]);
    expect(shed[1].measured).toBe('27000 req/s (INVALID: cached-read 121822 failed responses)');
  });
});

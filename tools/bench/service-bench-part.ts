import type { BenchPart, PartResult } from './bench-part';
import { runServiceBench, type ServiceBenchResults } from './service-bench';
import type { TargetResult } from './targets';

export type ServicePartResult = PartResult & Omit<ServiceBenchResults, 'measuredAt'>;

/** The reference service's targets (issue 11): a cached read on one core, and what the contract costs. */
export function serviceTargets(s: Omit<ServiceBenchResults, 'measuredAt'>): TargetResult[] {
  const cached = s.cases.find((c) => c.name === 'cached-read')!;
  const worst = s.cases.reduce((a, b) => (b.overheadPercent > a.overheadPercent ? b : a));
  // A fast 503 is not a served request: a run with any failed response (a shed, an error, a
  // timeout) measured something else, so no target counts as met and the count says why.
  const failed = s.cases.filter((c) => c.service.failures + c.bare.failures > 0);
  const invalid =
    failed.length > 0
      ? ` (INVALID: ${failed.map((c) => `${c.name} ${c.service.failures + c.bare.failures} failed responses`).join(', ')})`
      : '';
  return [
    {
      target: 'service: cached read p99 < 5 ms on one core',
      measured: `${cached.service.p99Ms.median} ms${invalid}`,
      met: !invalid && cached.service.p99Ms.median < 5,
    },
    {
      target: 'service: cached read >= 5,000 requests/s on one core',
      measured: `${cached.service.requestsPerSecond.median} req/s${invalid}`,
      met: !invalid && cached.service.requestsPerSecond.median >= 5000,
    },
    {
      target: 'service: the contract (deadline, retries, shedding) costs <= 15% against a bare handler doing the same I/O',
      measured:
        s.cases
          .map((c) => `${c.name} ${c.overheadPercent}%${c.cpuOverheadPercent !== undefined ? ` (by CPU ${c.cpuOverheadPercent}%)` : ''}`)
          .join(', ') + invalid,
      met: !invalid && worst.overheadPercent <= 15,
    },
  ];
}

/** The reference service under load beside a bare handler doing the same I/O (tools/bench/service-bench.ts). */
export const serviceBench: BenchPart<ServicePartResult> = {
  name: 'service',
  summary: 'the reference service under load (cached read, uncached read, idempotent write) beside a bare handler',
  async measure(ctx) {
    const { measuredAt: _measuredAt, ...result } = await runServiceBench({
      secondsPerPhase: ctx.options['service-seconds'] ?? 5,
      rounds: ctx.options['service-rounds'] ?? 3,
      connections: ctx.options['service-connections'] ?? 16,
      log: ctx.log,
    });
    return result;
  },
  table(s) {
    const ms = (x: { median: number; min: number; max: number }) => `${x.median} (${x.min}-${x.max})`;
    return [
      `The reference service under load: ${s.placement}; ${s.connections} connections, closed loop (autocannon), ${s.secondsPerPhase} s per phase, median of ${s.rounds} rounds (min-max), ${s.environment}. The bare handler does the same I/O without the contract's deadline, retries, shedding, metrics and logs.`,
      '',
      '| Request | Service req/s | Service p50 ms | Service p99 ms | Bare req/s | Bare p99 ms | Contract overhead | CPU per request, service / bare (us) | Overhead by CPU |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      ...s.cases.map(
        (c) =>
          `| ${c.name} | ${ms(c.service.requestsPerSecond)} | ${ms(c.service.p50Ms)} | ${ms(c.service.p99Ms)} | ${ms(c.bare.requestsPerSecond)} | ${ms(c.bare.p99Ms)} | ${c.overheadPercent}% | ${c.service.cpuUsPerRequest ? `${c.service.cpuUsPerRequest.median} / ${c.bare.cpuUsPerRequest?.median}` : '-'} | ${c.cpuOverheadPercent !== undefined ? `${c.cpuOverheadPercent}%` : '-'} |`,
      ),
      '',
      "Contract overhead: the bare handler's requests/s over the service's, minus one (the target). Overhead by CPU: the service's CPU per request (its processes, from /proc) over the bare handler's, minus one; it still holds when the load generator, not the server, limits the rate (a busy machine).",
      '',
      `Peak RSS: service ${s.servicePeakRssMiB} MiB, bare handler ${s.barePeakRssMiB} MiB.`,
    ];
  },
  targets: serviceTargets,
};

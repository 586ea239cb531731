import type { BenchResults } from './run-bench';
import type { ServiceBenchResults } from './service-bench';

export interface TargetResult {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
}

/** The performance targets of the platform, checked against measured numbers (never in timed tests). */
export function checkTargets(r: BenchResults): TargetResult[] {
  const initRatio = r.synth.cdkInitDefault.wallSeconds.median / r.synth.platform.wallSeconds.median;
  const floorRatio = r.synth.platform.wallSeconds.median / r.synth.floor.wallSeconds.median;
  const biggest = Math.max(...r.templates.map((t) => t.resourcesPercentOfLimit));
  return [
    { target: 'synth >= 1.5x faster than the `cdk init` default app command', measured: `${initRatio.toFixed(2)}x`, met: initRatio >= 1.5 },
    { target: 'synth within 1.5x of the bare floor', measured: `${floorRatio.toFixed(2)}x`, met: floorRatio <= 1.5 },
    { target: 'full `npm test` < 30 s on this machine', measured: `${r.test.wallSeconds.median} s`, met: r.test.wallSeconds.median < 30 },
    { target: 'each stack <= 60% of the 500-resource limit', measured: `${biggest}% (largest)`, met: biggest <= 60 },
    ...(r.service ? serviceTargets(r.service) : []),
  ];
}

/** The reference service's targets (issue 11): a cached read on one core, and what the contract costs. */
export function serviceTargets(s: ServiceBenchResults): TargetResult[] {
  const cached = s.cases.find((c) => c.name === 'cached-read')!;
  const worst = s.cases.reduce((a, b) => (b.overheadPercent > a.overheadPercent ? b : a));
  return [
    { target: 'service: cached read p99 < 5 ms on one core', measured: `${cached.service.p99Ms.median} ms`, met: cached.service.p99Ms.median < 5 },
    { target: 'service: cached read >= 5,000 requests/s on one core', measured: `${cached.service.requestsPerSecond.median} req/s`, met: cached.service.requestsPerSecond.median >= 5000 },
    {
      target: 'service: the contract (deadline, retries, shedding) costs < 10% against a bare handler doing the same I/O',
      measured: s.cases.map((c) => `${c.name} ${c.overheadPercent}%`).join(', '),
      met: worst.overheadPercent < 10,
    },
  ];
}

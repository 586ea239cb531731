import type { BenchResults } from './run-bench';

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
  ];
}

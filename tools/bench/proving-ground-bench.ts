import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchPart, PartResult } from './bench-part';
import type { TargetResult } from './targets';

/** The full proving-ground run must fit in 20 minutes on 2 cores, the quick one (CI) in 3 (issue 14). */
export const PROVING_GROUND_TARGETS = { fullSeconds: 20 * 60, quickSeconds: 3 * 60 } as const;

/** Wall-clock times of one proving-ground run, from its results.json (data: lib does not import the proving ground). */
export interface ProveTimings {
  readonly measuredAt: string;
  readonly environment: string;
  readonly runsPerScenario: number;
  readonly pass: boolean;
  readonly wallSeconds: { readonly setup: number; readonly calibration: number; readonly scenarios: number; readonly total: number };
  readonly scenarios: readonly { readonly id: string; readonly wallSeconds: number }[];
}

export type ProvingGroundPartResult = PartResult & {
  /** `npm run prove -- --quick`, run by the bench. */
  readonly quick?: ProveTimings;
  /** The committed full run (proving-ground/results/results.json): 20 minutes is too long to rerun in every bench. */
  readonly full?: ProveTimings;
};

export function readProveTimings(file: string): ProveTimings | undefined {
  if (!existsSync(file)) return undefined;
  const r = JSON.parse(readFileSync(file, 'utf8')) as ProveTimings;
  return {
    measuredAt: r.measuredAt,
    environment: r.environment,
    runsPerScenario: r.runsPerScenario,
    pass: r.pass,
    wallSeconds: r.wallSeconds,
    scenarios: r.scenarios.map((s) => ({ id: s.id, wallSeconds: s.wallSeconds })),
  };
}

const rows = (label: string, t: ProveTimings) => [
  `| ${label}: setup (moto, PostgreSQL writer + replica, redis-server, service instances, HAProxy) | ${t.wallSeconds.setup} s |`,
  `| ${label}: calibration (open-loop ramp) | ${t.wallSeconds.calibration} s |`,
  ...t.scenarios.map((s) => `| ${label}: \`${s.id}\` (${t.runsPerScenario} run${t.runsPerScenario > 1 ? 's' : ''}) | ${s.wallSeconds} s |`),
  `| ${label}: **total** (${t.environment}, ${t.measuredAt.slice(0, 10)}, budgets ${t.pass ? 'held' : 'broke'}) | ${t.wallSeconds.total} s |`,
];

/** The proving ground's wall times: the quick run measured now, the full run as committed. */
export const provingGroundBench: BenchPart<ProvingGroundPartResult> = {
  name: 'prove',
  summary: "the proving ground: `npm run prove -- --quick` timed now, the committed full run's timings",
  async measure(ctx) {
    const out = join(ctx.scratch, 'prove-quick');
    ctx.log('npm run prove -- --quick (about 2-3 minutes)');
    // Exit code 1 (a budget broke) still has timings; only a run without results is a failure.
    spawnSync('npm', ['run', 'prove', '--silent', '--', '--quick', '--out', out], { cwd: ctx.root, env: ctx.env, stdio: 'ignore' });
    const quick = readProveTimings(join(out, 'results.json'));
    if (!quick) throw new Error('npm run prove -- --quick wrote no results');
    return { quick, full: readProveTimings(join(ctx.root, 'proving-ground', 'results', 'results.json')) };
  },
  table(r) {
    return [
      'The proving ground (`npm run prove`, [Proving ground](proving-ground.md)): wall time per stage.',
      '',
      '| Stage | Wall time |',
      '| --- | --- |',
      ...(r.quick ? rows('quick', r.quick) : []),
      ...(r.full ? rows('full', r.full) : []),
    ];
  },
  targets(r): TargetResult[] {
    const target = (label: string, t: ProveTimings | undefined, limit: number): TargetResult => ({
      target: `proving ground: ${label} run <= ${limit / 60} min`,
      measured: t ? `${Math.round(t.wallSeconds.total)} s` : 'not measured',
      met: t !== undefined && t.wallSeconds.total <= limit,
    });
    return [target('quick', r.quick, PROVING_GROUND_TARGETS.quickSeconds), target('full', r.full, PROVING_GROUND_TARGETS.fullSeconds)];
  },
};

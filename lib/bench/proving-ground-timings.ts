import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The full proving-ground run must fit in 20 minutes on 2 cores (issue 14). */
export const PROVING_GROUND_FULL_RUN_TARGET_SECONDS = 20 * 60;

/** Wall-clock times of the last committed full proving-ground run (read from its results; the bench does not run it). */
export interface ProvingGroundTimings {
  readonly measuredAt: string;
  readonly environment: string;
  readonly runsPerScenario: number;
  readonly wallSeconds: { readonly setup: number; readonly calibration: number; readonly scenarios: number; readonly total: number };
  readonly scenarios: readonly { readonly id: string; readonly wallSeconds: number }[];
}

/** Reads proving-ground/results/results.json (data, not code: lib does not import the proving ground). */
export function provingGroundTimings(root: string): ProvingGroundTimings | undefined {
  const file = join(root, 'proving-ground', 'results', 'results.json');
  if (!existsSync(file)) return undefined;
  const r = JSON.parse(readFileSync(file, 'utf8')) as ProvingGroundTimings & { scenarios: { id: string; wallSeconds: number }[] };
  return { measuredAt: r.measuredAt, environment: r.environment, runsPerScenario: r.runsPerScenario, wallSeconds: r.wallSeconds, scenarios: r.scenarios.map((s) => ({ id: s.id, wallSeconds: s.wallSeconds })) };
}

/** Markdown lines for the bench table. */
export function provingGroundLines(t: ProvingGroundTimings): string[] {
  const met = t.wallSeconds.total <= PROVING_GROUND_FULL_RUN_TARGET_SECONDS;
  return [
    '',
    `Proving ground, last committed full run (\`npm run prove\`, ${t.environment}, ${t.runsPerScenario} runs per scenario, ${t.measuredAt.slice(0, 10)}):`,
    '',
    '| Stage | Wall time |',
    '| --- | --- |',
    `| setup (moto, PostgreSQL writer + replica, redis-server, service instances, HAProxy) | ${t.wallSeconds.setup} s |`,
    `| calibration (open-loop ramp) | ${t.wallSeconds.calibration} s |`,
    ...t.scenarios.map((s) => `| scenario \`${s.id}\` (all runs) | ${s.wallSeconds} s |`),
    `| **total** (target <= ${PROVING_GROUND_FULL_RUN_TARGET_SECONDS / 60} min: ${met ? 'met' : '**missed**'}) | ${t.wallSeconds.total} s |`,
  ];
}

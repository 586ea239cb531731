import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchPart, PartResult } from './bench-part';
import { formatMeasurement, measurement, runOnce, type Command, type Measurement, type Run } from './measure';
import { secondsTarget } from './targets';

export interface TestSuiteResult extends PartResult {
  readonly suite: Measurement;
  /** Syntheses one run performs (unit project; counted through LOADBEARING_SYNTH_LOG). */
  readonly synthsPerRun?: number;
  readonly warmUp: boolean;
}

/**
 * One vitest project (`npm run test:<project>`), `testRuns` times. `warmUp`: one unmeasured run
 * first (the unit target is "warm": vitest's and the validation cache filled).
 */
function testSuiteBench(
  project: 'unit' | 'integration',
  target: { text: string; limitSeconds: number; strict: boolean },
  warmUp: boolean,
): BenchPart<TestSuiteResult> {
  return {
    name: project,
    summary: `npm run test:${project}${warmUp ? ' (warm)' : ''}: ${target.text}`,
    async measure(ctx) {
      const synthLog = join(ctx.scratch, `${project}-synths.log`);
      const cmd: Command = {
        label: `test:${project}`,
        command: 'npm',
        args: ['run', '--silent', `test:${project}`],
        env: { ...ctx.env, LOADBEARING_SYNTH_LOG: synthLog },
      };
      const runs: Run[] = [];
      for (let i = warmUp ? 0 : 1; i <= ctx.testRuns; i++) {
        rmSync(synthLog, { force: true });
        const run = runOnce(ctx.root, cmd);
        if (run.status !== 0)
          throw new Error(`npm run test:${project} failed (exit ${run.status}); run it on its own to see why:\n${run.output.slice(-3000)}`);
        if (i > 0) runs.push(run);
        ctx.log(`${i === 0 ? 'warm-up' : `run ${i}/${ctx.testRuns}`}  test:${project.padEnd(12)} ${run.seconds.toFixed(2)} s`);
      }
      let synthsPerRun: number | undefined;
      try {
        synthsPerRun = readFileSync(synthLog, 'utf8').split('\n').filter(Boolean).length;
      } catch {
        synthsPerRun = undefined;
      }
      return { suite: measurement(cmd, runs), warmUp, ...(synthsPerRun !== undefined ? { synthsPerRun } : {}) };
    },
    table(r) {
      const synths = r.synthsPerRun !== undefined ? `; ${r.synthsPerRun} synths a run` : '';
      return [
        '| Test project | Result |',
        '| --- | --- |',
        `| \`npm run test:${project}\` (${r.suite.runs} runs${r.warmUp ? ' after a warm-up' : ''}${synths}) | ${formatMeasurement(r.suite)} |`,
      ];
    },
    targets: (r) => [secondsTarget(target.text, r.suite.wallSeconds.median, target.limitSeconds, target.strict)],
  };
}

export const unitTestsBench = testSuiteBench('unit', { text: 'unit tests < 30 s (warm)', limitSeconds: 30, strict: true }, true);
// Real servers start in every run anyway: no warm-up, to keep the bench bounded.
export const integrationTestsBench = testSuiteBench(
  'integration',
  { text: 'integration tests <= 120 s', limitSeconds: 120, strict: false },
  false,
);

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { summarizeCpuProfile, type ProfileSummary } from './cpu-profile';
import { runOnce, stats, type Command, type Run, type Stats } from './measure';
import type { ServiceBenchResults } from './service-bench';
import { templateStats, type TemplateStat } from './template-stats';
import { checkTargets, type TargetResult } from './targets';

export interface BenchOptions {
  readonly root: string;
  /** Measured runs per command, after one warm-up. */
  readonly runs: number;
  /** Measured runs of the full test suite. */
  readonly testRuns: number;
  /** Also profile one synth with --cpu-prof. */
  readonly profile: boolean;
  readonly log: (line: string) => void;
}

export interface Measurement {
  readonly command: string;
  readonly wallSeconds: Stats;
  readonly peakRssMiB?: Stats;
  readonly runs: number;
}

export interface BenchResults {
  readonly measuredAt: string;
  readonly machine: { readonly cpus: number; readonly cpuModel: string; readonly node: string };
  readonly synth: { readonly platform: Measurement; readonly cdkInitDefault: Measurement; readonly floor: Measurement };
  readonly test: Measurement & { readonly synthsPerRun: number };
  readonly templates: TemplateStat[];
  readonly profile?: ProfileSummary;
  /** The reference service under load (lib/bench/service-bench.ts). */
  readonly service?: ServiceBenchResults;
  readonly targets: TargetResult[];
}

function measurement(cmd: Command, runs: readonly Run[]): Measurement {
  const rss = runs.map((r) => r.peakRssMiB).filter((v): v is number => v !== undefined);
  return {
    command: [cmd.command, ...cmd.args].join(' '),
    wallSeconds: stats(runs.map((r) => r.seconds)),
    peakRssMiB: rss.length === runs.length ? stats(rss) : undefined,
    runs: runs.length,
  };
}

/**
 * Measures the synth of every environment three ways side by side (this project's app command,
 * the `cdk init` default app command, and the bare floor), the full test suite, the templates,
 * and optionally a CPU profile of one synth.
 */
export function runBench(o: BenchOptions): BenchResults {
  const env = { ...process.env, CDK_DISABLE_VERSION_CHECK: '1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
  const out = mkdtempSync(join(tmpdir(), 'bench-'));
  const synth = (label: string, app?: string): Command => ({
    label,
    command: 'npx',
    args: ['cdk', 'synth', '--quiet', '--output', join(out, label), ...(app ? ['--app', app] : [])],
    env,
  });
  const commands = [
    synth('platform'),
    synth('cdk-init-default', 'npx tsc && npx tsx bin/app.ts'),
    synth('floor', 'node --import tsx lib/bench/floor-app.ts'),
  ];
  const runs = new Map<string, Run[]>(commands.map((c) => [c.label, []]));
  for (let i = 0; i <= o.runs; i++) {
    for (const cmd of commands) {
      const run = runOnce(o.root, cmd);
      if (run.status !== 0) throw new Error(`${cmd.label} synth failed (exit ${run.status})`);
      if (i > 0) runs.get(cmd.label)!.push(run);
      o.log(`${i === 0 ? 'warm-up' : `run ${i}/${o.runs}`}  ${cmd.label.padEnd(17)} ${run.seconds.toFixed(2)} s  ${run.peakRssMiB ?? '?'} MiB`);
    }
  }
  const templates = templateStats(join(out, 'platform'));

  const synthLog = join(out, 'synths.log');
  const testCmd: Command = { label: 'npm test', command: 'npm', args: ['test', '--silent'], env: { ...env, LOADBEARING_SYNTH_LOG: synthLog } };
  const testRuns: Run[] = [];
  for (let i = 0; i <= o.testRuns; i++) {
    rmSync(synthLog, { force: true });
    const run = runOnce(o.root, testCmd);
    if (run.status !== 0) throw new Error(`npm test failed (exit ${run.status}); run it on its own to see why`);
    if (i > 0) testRuns.push(run);
    o.log(`${i === 0 ? 'warm-up' : `run ${i}/${o.testRuns}`}  npm test          ${run.seconds.toFixed(2)} s`);
  }
  const synthsPerRun = readFileSync(synthLog, 'utf8').split('\n').filter(Boolean).length;

  let profile: ProfileSummary | undefined;
  if (o.profile) {
    const dir = join(out, 'cpuprofile');
    runOnce(o.root, synth('profile', `node --cpu-prof --cpu-prof-dir=${dir} --import tsx bin/app.ts`));
    profile = summarizeCpuProfile(dir);
  }
  rmSync(out, { recursive: true, force: true });

  const partial = {
    measuredAt: new Date().toISOString(),
    machine: { cpus: availableParallelism(), cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version },
    synth: {
      platform: measurement(commands[0], runs.get('platform')!),
      cdkInitDefault: measurement(commands[1], runs.get('cdk-init-default')!),
      floor: measurement(commands[2], runs.get('floor')!),
    },
    test: { ...measurement(testCmd, testRuns), synthsPerRun },
    templates,
    profile,
  };
  return { ...partial, targets: checkTargets({ ...partial, targets: [] }) };
}

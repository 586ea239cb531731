import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { BenchPart, PartResult } from './bench-part';
import { formatMeasurement, measurement, runOnce, type Command, type Measurement, type Run } from './measure';
import { secondsTarget, type TargetResult } from './targets';
import { templateStats, type TemplateStat } from './template-stats';

export interface SynthBenchResult extends PartResult {
  /** How `npm run synth` ran the app: compiled (dist) or tsx. */
  readonly runner: string;
  readonly platform: Measurement;
  readonly oneStack: Measurement;
  readonly floor: Measurement;
  readonly structuralFloor: Measurement;
  readonly cdkInitDefault: Measurement;
  readonly templates: TemplateStat[];
}

const LABELS = {
  platform: '`npm run synth`: every environment, every gate (warm cache)',
  oneStack: '`npm run synth -- loadbearing-dev`: one stack',
  floor: 'bare floor: the same runner, aws-cdk-lib, one empty stack, the same gates',
  structuralFloor: 'structural floor: the same runner, the same templates as bare L1 resources, the same gates',
  cdkInitDefault: 'the platform with the `cdk init` default app command (`npx tsc && npx tsx bin/app.ts`)',
} as const;

/**
 * Synth, side by side in one loop: the platform as a user runs it (`npm run synth`), one stack,
 * the bare floor, the structural floor and the `cdk init` default, all through the same
 * `npm run synth` wrapper and CDK CLI, so only the app differs. One warm-up round first (it
 * also fills the validation cache for the floors' templates).
 */
export const synthBench: BenchPart<SynthBenchResult> = {
  name: 'synth',
  summary: 'npm run synth against the bare and structural floors and the cdk init default; template sizes',
  async measure(ctx) {
    const build = spawnSync(process.execPath, ['tools/build.cjs', '--if-stale'], { cwd: ctx.root, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stderr}`);
    const out = (label: string) => join(ctx.scratch, 'synth', label);
    const synth = (label: keyof typeof LABELS, extra: string[] = [], env: NodeJS.ProcessEnv = {}): Command => ({
      label,
      command: 'npm',
      args: ['run', '--silent', 'synth', '--', '--output', out(label), ...extra],
      env: { ...ctx.env, ...env },
    });
    const commands = [
      synth('platform'),
      synth('oneStack', ['loadbearing-dev']),
      synth('floor', ['--app', 'node tools/launch.cjs tools/bench/floor-app']),
      synth('structuralFloor', ['--app', 'node tools/launch.cjs tools/bench/template-floor-app'], {
        LOADBEARING_FLOOR_TEMPLATES: out('platform'),
      }),
      synth('cdkInitDefault', ['--app', 'npx tsc && npx tsx bin/app.ts']),
    ];
    const runs = new Map<string, Run[]>(commands.map((c) => [c.label, []]));
    let runner = 'unknown';
    for (let i = 0; i <= ctx.runs; i++) {
      for (const cmd of commands) {
        const run = runOnce(ctx.root, cmd);
        if (run.status !== 0) throw new Error(`${cmd.label} synth failed (exit ${run.status}):\n${run.output.slice(-3000)}`);
        if (cmd.label === 'platform')
          runner = /running the TypeScript sources with tsx/.test(run.output) ? 'tsx (dist/ stale)' : 'compiled JavaScript (dist/)';
        if (i > 0) runs.get(cmd.label)!.push(run);
        ctx.log(`${i === 0 ? 'warm-up' : `run ${i}/${ctx.runs}`}  ${cmd.label.padEnd(16)} ${run.seconds.toFixed(2)} s`);
      }
    }
    const m = (label: keyof typeof LABELS) => measurement(commands.find((c) => c.label === label)!, runs.get(label)!);
    return {
      runner,
      platform: m('platform'),
      oneStack: m('oneStack'),
      floor: m('floor'),
      structuralFloor: m('structuralFloor'),
      cdkInitDefault: m('cdkInitDefault'),
      templates: templateStats(out('platform')),
    };
  },
  table(r) {
    const ratio = (a: Measurement, b: Measurement) => `${(a.wallSeconds.median / b.wallSeconds.median).toFixed(2)}x`;
    return [
      `Synth (${r.platform.runs} runs after a warm-up; the app ran as ${r.runner}):`,
      '',
      '| Measurement | Result |',
      '| --- | --- |',
      ...(Object.keys(LABELS) as (keyof typeof LABELS)[]).map((k) => `| ${LABELS[k]} | ${formatMeasurement(r[k])} |`),
      `| synth against the bare floor | ${ratio(r.platform, r.floor)} |`,
      `| synth against the structural floor | ${ratio(r.platform, r.structuralFloor)} |`,
      `| speed-up against the \`cdk init\` default | ${ratio(r.cdkInitDefault, r.platform)} |`,
      '',
      '| Stack | Resources (% of 500) | Template bytes (% of 1 MB) |',
      '| --- | --- | --- |',
      ...r.templates.map((t) => `| ${t.stack} | ${t.resources} (${t.resourcesPercentOfLimit}%) | ${t.bytes} (${t.bytesPercentOfLimit}%) |`),
    ];
  },
  targets(r): TargetResult[] {
    const floorRatio = r.platform.wallSeconds.median / r.floor.wallSeconds.median;
    const structural = r.platform.wallSeconds.median / r.structuralFloor.wallSeconds.median;
    const initRatio = r.cdkInitDefault.wallSeconds.median / r.platform.wallSeconds.median;
    const biggest = Math.max(...r.templates.map((t) => t.resourcesPercentOfLimit));
    return [
      { target: 'synth <= 1.5x the bare floor (same runner)', measured: `${floorRatio.toFixed(2)}x`, met: floorRatio <= 1.5 },
      {
        target: 'synth <= 1.5x the structural floor (the same templates as L1 resources)',
        measured: `${structural.toFixed(2)}x`,
        met: structural <= 1.5,
      },
      {
        target: 'synth >= 1.5x faster than the `cdk init` default app command',
        measured: `${initRatio.toFixed(2)}x`,
        met: initRatio >= 1.5,
      },
      { target: 'each stack <= 60% of the 500-resource limit', measured: `${biggest}% (largest)`, met: biggest <= 60 },
      secondsTarget(
        'one stack (`npm run synth -- loadbearing-dev`) faster than every stack',
        r.oneStack.wallSeconds.median,
        r.platform.wallSeconds.median,
        true,
      ),
    ];
  },
};

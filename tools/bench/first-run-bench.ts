import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchPart, PartResult } from './bench-part';
import { freshClone } from './fresh-clone';
import { formatMeasurement, measurement, runOnce, runWatched, type Command, type Measurement, type Run } from './measure';
import { secondsTarget, type TargetResult } from './targets';

export interface FirstRunResult extends PartResult {
  readonly commit: string;
  readonly uncommittedChanges: boolean;
  readonly npmCiSeconds: number;
  readonly firstSynth: Measurement;
  readonly firstHelp: Measurement;
  readonly firstDiff: Measurement;
  readonly warmDiff: Measurement;
  readonly editedDiff: Measurement;
}

const LABELS = {
  firstSynth: 'first `npm run synth` (empty validation cache)',
  firstHelp: 'first `npx loadbearing --help` (empty npx cache)',
  firstDiff: 'first `npm run diff -- --base HEAD`, nothing changed (empty synth cache)',
  warmDiff: 'the same diff again (synth cache filled)',
  editedDiff: 'the diff after an edit (an untracked file: the working tree is synthesized, the baseline comes from the cache)',
} as const;

/**
 * The first commands of a new user, in a fresh clone after `npm ci`: before every round the
 * caches a first run would find empty are emptied (node_modules/.cache, the npm/npx cache, the
 * temp folder where tsx keeps its cache), so each round is a first run again without another
 * install. The commands run in this order, as a user would.
 */
export const firstRunBench: BenchPart<FirstRunResult> = {
  name: 'first-run',
  summary: 'a fresh clone after npm ci: first synth (and its first output), first npx loadbearing --help, npm run diff',
  async measure(ctx) {
    const clone = freshClone(ctx.root, ctx.scratch, ctx.env);
    ctx.log(`fresh clone of ${clone.commit.slice(0, 7)}: npm ci took ${clone.npmCiSeconds.toFixed(1)} s`);
    const runs: Record<keyof typeof LABELS, Run[]> = { firstSynth: [], firstHelp: [], firstDiff: [], warmDiff: [], editedDiff: [] };
    const commands = {} as Record<keyof typeof LABELS, Command>;
    for (let i = 1; i <= ctx.runs; i++) {
      const round = join(ctx.scratch, `first-run-${i}`);
      for (const dir of ['npm-cache', 'tmp']) mkdirSync(join(round, dir), { recursive: true });
      rmSync(join(clone.dir, 'node_modules', '.cache'), { recursive: true, force: true });
      rmSync(join(clone.dir, 'probe.txt'), { force: true });
      const env = { ...ctx.env, npm_config_cache: join(round, 'npm-cache'), TMPDIR: join(round, 'tmp') };
      const cmd = (label: keyof typeof LABELS, command: string, args: string[]): Command =>
        (commands[label] = { label, command, args, env, cwd: clone.dir });
      const check = (label: keyof typeof LABELS, run: Run, expected: RegExp) => {
        if (run.status !== 0 || !expected.test(run.output))
          throw new Error(`${label} failed (exit ${run.status}):\n${run.output.slice(-3000)}`);
        runs[label].push(run);
        ctx.log(
          `run ${i}/${ctx.runs}  ${label.padEnd(11)} ${run.seconds.toFixed(2)} s${run.firstOutputSeconds !== undefined ? ` (first output after ${run.firstOutputSeconds.toFixed(2)} s)` : ''}`,
        );
      };
      check('firstSynth', await runWatched(clone.dir, cmd('firstSynth', 'npm', ['run', '--silent', 'synth'])), /synth: done/);
      check('firstHelp', runOnce(clone.dir, cmd('firstHelp', 'npx', ['loadbearing', '--help'])), /Usage/i);
      const diff = ['run', '--silent', 'diff', '--', '--base', 'HEAD'];
      check('firstDiff', runOnce(clone.dir, cmd('firstDiff', 'npm', diff)), /No changes/);
      check('warmDiff', runOnce(clone.dir, cmd('warmDiff', 'npm', diff)), /No changes/);
      writeFileSync(join(clone.dir, 'probe.txt'), `round ${i}\n`);
      check('editedDiff', runOnce(clone.dir, cmd('editedDiff', 'npm', diff)), /No changes/);
    }
    const m = (label: keyof typeof LABELS) => measurement(commands[label], runs[label]);
    return {
      commit: clone.commit,
      uncommittedChanges: clone.uncommittedChanges,
      npmCiSeconds: clone.npmCiSeconds,
      firstSynth: m('firstSynth'),
      firstHelp: m('firstHelp'),
      firstDiff: m('firstDiff'),
      warmDiff: m('warmDiff'),
      editedDiff: m('editedDiff'),
    };
  },
  table(r) {
    return [
      `First run: a fresh clone of ${r.commit.slice(0, 7)}${r.uncommittedChanges ? ' (the working tree had uncommitted changes, not measured)' : ''} after \`npm ci\` (${r.npmCiSeconds.toFixed(0)} s); ${r.firstSynth.runs} rounds, each with the caches emptied:`,
      '',
      '| Measurement | Result |',
      '| --- | --- |',
      ...(Object.keys(LABELS) as (keyof typeof LABELS)[]).map((k) => `| ${LABELS[k]} | ${formatMeasurement(r[k])} |`),
      `| first output of the first \`npm run synth\` | ${r.firstSynth.firstOutputSeconds ? `${r.firstSynth.firstOutputSeconds.median.toFixed(2)} s` : 'not measured'} |`,
    ];
  },
  targets(r): TargetResult[] {
    return [
      secondsTarget('cold first synth <= 20 s', r.firstSynth.wallSeconds.median, 20),
      secondsTarget('the first synth says what it is doing within 2 s', r.firstSynth.firstOutputSeconds?.median, 2),
      secondsTarget('first `npx loadbearing --help` <= 1.5 s', r.firstHelp.wallSeconds.median, 1.5),
      secondsTarget('`npm run diff` with nothing changed <= 8 s (first run, empty synth cache)', r.firstDiff.wallSeconds.median, 8),
    ];
  },
};

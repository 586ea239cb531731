#!/usr/bin/env node
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchTable } from './bench-table';
import { BENCH_PARTS } from './bench-parts';
import { runBench, type BenchResults } from './run-bench';
import { BENCH_PAGES, renderGeneratedSections } from '../docs/generated-sections';
import { projectRoot } from '../synth/project-root';

// `npm run bench [-- --only synth,unit --runs 5 --test-runs 5]`: measures this machine, prints
// the table, writes bench/results.json and regenerates docs/performance.md and docs/upgrading.md from it.
const USAGE = `usage: npm run bench -- [--only PART[,PART...]] [--runs N (default 5)] [--test-runs N (default 5)] [--list]
                        [--service-seconds S (5)] [--service-rounds N (3)] [--service-connections C (16)]
                        [--no-service] [--service-only (= --only service)]
parts (all by default; --only keeps the other parts' previous results):
${BENCH_PARTS.map((p) => `  ${p.name.padEnd(12)} ${p.summary}`).join('\n')}`;

const { values } = parseArgs({
  options: {
    only: { type: 'string', multiple: true },
    runs: { type: 'string', default: '5' },
    'test-runs': { type: 'string', default: '5' },
    list: { type: 'boolean' },
    'no-service': { type: 'boolean', default: false },
    'service-only': { type: 'boolean', default: false },
    'service-seconds': { type: 'string', default: '5' },
    'service-rounds': { type: 'string', default: '3' },
    'service-connections': { type: 'string', default: '16' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help || values.list) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const count = (name: string, value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    process.stderr.write(`error: --${name} ${value} is not a whole number >= 1\n`);
    process.exit(2);
  }
  return n;
};
const root = projectRoot(__dirname);
const resultsFile = join(root, 'bench', 'results.json');
const previous = existsSync(resultsFile) ? (JSON.parse(readFileSync(resultsFile, 'utf8')) as Partial<BenchResults>) : undefined;
// Results written before the bench had parts are not merged.
const usable = previous?.parts ? (previous as BenchResults) : undefined;

runBench(
  {
    root,
    runs: count('runs', values.runs),
    testRuns: count('test-runs', values['test-runs']),
    only: values['service-only'] ? ['service'] : values.only?.flatMap((o) => o.split(',')).filter(Boolean),
    skip: values['no-service'] ? ['service'] : [],
    options: Object.fromEntries(
      (['service-seconds', 'service-rounds', 'service-connections'] as const).map((k) => [k, count(k, values[k])]),
    ),
    log: (line) => process.stderr.write(`${line}\n`),
  },
  usable,
).then(
  (results) => {
    mkdirSync(join(root, 'bench'), { recursive: true });
    writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
    for (const page of BENCH_PAGES) writeFileSync(join(root, page), renderGeneratedSections(readFileSync(join(root, page), 'utf8'), page));
    process.stdout.write(`\n${benchTable(results)}\nwritten to bench/results.json, ${BENCH_PAGES.join(' and ')}\n`);
  },
  (error: Error) => {
    process.stderr.write(`error: ${error.message}\n`);
    process.exitCode = 1;
  },
);

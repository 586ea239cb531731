#!/usr/bin/env node
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchTable } from '../lib/bench/bench-table';
import { runBench } from '../lib/bench/run-bench';

// `npm run bench [-- --runs 5 --test-runs 5 --profile]`: measures this machine, prints a table,
// writes bench/results.json (docs/performance.md is generated from it).
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    'test-runs': { type: 'string', default: '5' },
    'no-profile': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  process.stdout.write('usage: npm run bench -- [--runs N (default 5)] [--test-runs N (default 5)] [--no-profile]\n');
  process.exit(0);
}
const root = join(__dirname, '..');
const results = runBench({
  root,
  runs: Math.max(1, Number(values.runs)),
  testRuns: Math.max(1, Number(values['test-runs'])),
  profile: !values['no-profile'],
  log: (line) => process.stderr.write(`${line}\n`),
});
mkdirSync(join(root, 'bench'), { recursive: true });
writeFileSync(join(root, 'bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
process.stdout.write(`\n${benchTable(results)}\nwritten to bench/results.json\n`);

#!/usr/bin/env node
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchTable } from '../lib/bench/bench-table';
import { runBench, type BenchResults } from '../lib/bench/run-bench';
import { runServiceBench } from '../lib/bench/service-bench';
import { checkTargets } from '../lib/bench/targets';

// `npm run bench [-- --runs 5 --test-runs 5 --profile]`: measures this machine, prints a table,
// writes bench/results.json (docs/performance.md is generated from it).
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    'test-runs': { type: 'string', default: '5' },
    'no-profile': { type: 'boolean', default: false },
    'no-service': { type: 'boolean', default: false },
    'service-only': { type: 'boolean', default: false },
    'service-seconds': { type: 'string', default: '5' },
    'service-rounds': { type: 'string', default: '3' },
    'service-connections': { type: 'string', default: '16' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  process.stdout.write(
    'usage: npm run bench -- [--runs N (default 5)] [--test-runs N (default 5)] [--no-profile]\n' +
      '                        [--no-service | --service-only] [--service-seconds S (5)] [--service-rounds N (3)] [--service-connections C (16)]\n' +
      '  --service-only measures the reference service alone and keeps the other numbers of bench/results.json\n',
  );
  process.exit(0);
}
const root = join(__dirname, '..');
const file = join(root, 'bench', 'results.json');
const log = (line: string) => process.stderr.write(`${line}\n`);

async function main(): Promise<void> {
  const measured: Omit<BenchResults, 'targets'> = values['service-only']
    ? (JSON.parse(readFileSync(existsSync(file) ? file : '/dev/null', 'utf8') || '{}') as BenchResults)
    : runBench({ root, runs: Math.max(1, Number(values.runs)), testRuns: Math.max(1, Number(values['test-runs'])), profile: !values['no-profile'], log });
  const service = values['no-service']
    ? undefined
    : await runServiceBench({
        secondsPerPhase: Math.max(1, Number(values['service-seconds'])),
        rounds: Math.max(1, Number(values['service-rounds'])),
        connections: Math.max(1, Number(values['service-connections'])),
        log,
      });
  const partial = { ...measured, service };
  const results: BenchResults = { ...partial, targets: checkTargets({ ...partial, targets: [] }) };
  mkdirSync(join(root, 'bench'), { recursive: true });
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`\n${benchTable(results)}\nwritten to bench/results.json\n`);
}

main().catch((error: Error) => {
  process.stderr.write(`bench failed: ${error.message}\n`);
  process.exit(1);
});

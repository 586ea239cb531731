import type { PartResult } from './bench-part';
import { BENCH_PARTS } from './bench-parts';
import type { BenchResults } from './run-bench';

const when = (p: PartResult) =>
  `${p.measuredAt.slice(0, 16).replace('T', ' ')} UTC, load average ${p.loadAverage.before} before, ${p.loadAverage.after} after`;

/** The bench results as Markdown: printed by `npm run bench` and generated into docs/performance.md. */
export function benchTable(r: BenchResults): string {
  const lines = [
    `Measured on ${r.machine.cpus} CPUs (${r.machine.cpuModel}), Node ${r.machine.node}. Each row: the median wall time (min-max), and the median CPU time of the command and its children, which a busy machine disturbs less.`,
    '',
    '| Target | Measured | Met |',
    '| --- | --- | --- |',
    ...r.targets.map((t) => `| ${t.target} | ${t.measured} | ${t.met ? 'yes' : '**no**'} |`),
  ];
  for (const part of BENCH_PARTS) {
    const result = r.parts[part.name];
    if (result) lines.push('', ...part.table(result), '', `_${part.name}: measured ${when(result)}._`);
  }
  return `${lines.join('\n')}\n`;
}

import { provingGroundLines } from './proving-ground-timings';
import type { BenchResults, Measurement } from './run-bench';

const fmt = (m: Measurement) =>
  `${m.wallSeconds.median.toFixed(2)} s (min ${m.wallSeconds.min.toFixed(2)}, max ${m.wallSeconds.max.toFixed(2)})${m.peakRssMiB ? `, peak RSS ${m.peakRssMiB.median} MiB` : ''}`;

/** The bench results as Markdown: printed by `npm run bench` and generated into docs/performance.md. */
export function benchTable(r: BenchResults): string {
  const { platform, cdkInitDefault, floor } = r.synth;
  const lines = [
    `Measured ${r.measuredAt.slice(0, 10)} on ${r.machine.cpus} CPUs (${r.machine.cpuModel}), Node ${r.machine.node}; median of ${platform.runs} runs after a warm-up (min and max in brackets).`,
    '',
    '| Measurement | Result |',
    '| --- | --- |',
    `| \`npx cdk synth\`, all environments (this app: \`${'node --import tsx bin/app.ts'}\`) | ${fmt(platform)} |`,
    `| the same synth with the \`cdk init\` default app command (\`npx tsc && npx tsx bin/app.ts\`) | ${fmt(cdkInitDefault)} |`,
    `| bare floor: node, aws-cdk-lib, one empty stack, the same validators | ${fmt(floor)} |`,
    `| speed-up against the \`cdk init\` default | ${(cdkInitDefault.wallSeconds.median / platform.wallSeconds.median).toFixed(2)}x |`,
    `| synth against the floor | ${(platform.wallSeconds.median / floor.wallSeconds.median).toFixed(2)}x |`,
    `| full \`npm test\` (${r.test.runs} runs) | ${fmt(r.test)} |`,
    `| synths the test suite performs | ${r.test.synthsPerRun} |`,
    '',
    '| Stack | Resources (% of 500) | Template bytes (% of 1 MB) |',
    '| --- | --- | --- |',
    ...r.templates.map((t) => `| ${t.stack} | ${t.resources} (${t.resourcesPercentOfLimit}%) | ${t.bytes} (${t.bytesPercentOfLimit}%) |`),
    '',
    '| Target | Measured | Met |',
    '| --- | --- | --- |',
    ...r.targets.map((t) => `| ${t.target} | ${t.measured} | ${t.met ? 'yes' : '**no**'} |`),
  ];
  if (r.profile) {
    lines.push('', `Where one synth's ${(r.profile.totalMs / 1000).toFixed(1)} s of main-thread CPU goes (inclusive, \`--cpu-prof\`):`, '', '| Package or file | CPU |', '| --- | --- |');
    lines.push(...r.profile.byOwner.map((o) => `| ${o.owner} | ${(o.ms / 1000).toFixed(2)} s |`));
  }
  if (r.provingGround) lines.push(...provingGroundLines(r.provingGround));
  return `${lines.join('\n')}\n`;
}

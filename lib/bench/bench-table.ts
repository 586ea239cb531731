import type { BenchResults, Measurement } from './run-bench';
import type { ServiceBenchResults } from './service-bench';

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
  if (r.service) lines.push('', ...serviceTable(r.service));
  if (r.profile) {
    lines.push('', `Where one synth's ${(r.profile.totalMs / 1000).toFixed(1)} s of main-thread CPU goes (inclusive, \`--cpu-prof\`):`, '', '| Package or file | CPU |', '| --- | --- |');
    lines.push(...r.profile.byOwner.map((o) => `| ${o.owner} | ${(o.ms / 1000).toFixed(2)} s |`));
  }
  return `${lines.join('\n')}\n`;
}

/** The reference service's numbers: each request type, the service beside the bare handler. */
function serviceTable(s: ServiceBenchResults): string[] {
  const ms = (x: { median: number; min: number; max: number }) => `${x.median} (${x.min}-${x.max})`;
  return [
    `The reference service under load (${s.measuredAt.slice(0, 10)}): ${s.placement}; ${s.connections} connections, closed loop (autocannon), ${s.secondsPerPhase} s per phase, median of ${s.rounds} rounds (min-max), ${s.environment}. The bare handler does the same I/O without the contract's deadline, retries, shedding, metrics and logs.`,
    '',
    '| Request | Service req/s | Service p50 ms | Service p99 ms | Bare req/s | Bare p99 ms | Contract overhead |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...s.cases.map(
      (c) =>
        `| ${c.name} | ${ms(c.service.requestsPerSecond)} | ${ms(c.service.p50Ms)} | ${ms(c.service.p99Ms)} | ${ms(c.bare.requestsPerSecond)} | ${ms(c.bare.p99Ms)} | ${c.overheadPercent}% |`,
    ),
    '',
    `Peak RSS: service ${s.servicePeakRssMiB} MiB, bare handler ${s.barePeakRssMiB} MiB.`,
  ];
}

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GeneratedSection } from './generated-sections';
import { FAILURE_MODE_IDS, LOCAL_REHEARSALS } from '../../lib/model';
import { packageRoot } from '../../proving-ground/src/local-stack';
import { scenarioTable, type ProveResults } from '../../proving-ground/src/report/results';
import { HAPROXY_MAPPING } from '../../proving-ground/src/topology/haproxy-config';

const cell = (text: string) => text.replace(/\|/g, '\\|');

/** The committed full run (proving-ground/results/results.json), if there is one. */
export function committedResults(): ProveResults | undefined {
  const file = join(packageRoot(), 'results', 'results.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ProveResults) : undefined;
}

function resultsSection(): string {
  const r = committedResults();
  if (!r) return '_No full run committed yet: run `npm run prove` on a quiet machine and commit proving-ground/results/._';
  const c = r.calibration;
  return [
    `Full run of \`${r.environment}\`, ${r.measuredAt.slice(0, 10)}, ${r.runsPerScenario} runs per scenario (median judged), ${r.machine.cpus} CPUs, load average at start ${r.machine.loadAverageAtStart.join(' ')}; wall time ${Math.round(r.wallSeconds.total)} s. Capacity: **${c.capacityRps} req/s** for ${r.scale.instances} instances. Overall: **${r.pass ? 'PASS' : 'FAIL'}**. Details, bottlenecks and charts: [results.md](../proving-ground/results/results.md).`,
    '',
    scenarioTable(r).replace(/\]\((\w[\w-]*)\.svg\)/g, '](../proving-ground/results/$1.svg)'),
  ].join('\n');
}

/** Sections of docs/proving-ground.md generated from the proving ground's code and committed results (`npm run docs`). */
export const PROVING_GROUND_SECTIONS: Readonly<Record<string, GeneratedSection>> = {
  'haproxy-mapping': {
    file: 'docs/proving-ground.md',
    render: () =>
      [
        '| Setting | HAProxy | Note |',
        '| --- | --- | --- |',
        ...HAPROXY_MAPPING.map((m) => `| ${cell(m.setting)} | ${cell(m.haproxy)} | ${cell(m.note)} |`),
      ].join('\n'),
  },
  rehearsals: {
    file: 'docs/proving-ground.md',
    render: () =>
      [
        '| Failure mode | Scenario | Fault injected, or why none |',
        '| --- | --- | --- |',
        ...FAILURE_MODE_IDS.map((id) => {
          const r = LOCAL_REHEARSALS[id];
          return r.scenario === 'none'
            ? `| \`${id}\` | none | ${cell(r.reason)} |`
            : `| \`${id}\` | \`${r.scenario}\` | ${cell(r.fault)} |`;
        }),
      ].join('\n'),
  },
  'proving-ground-results': { file: 'docs/proving-ground.md', render: resultsSection },
};

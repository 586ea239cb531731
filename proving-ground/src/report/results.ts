import type { CalibrationResult } from '../calibrate';
import type { RunResult } from '../run-scenario';
import type { Timings } from '../scenarios';
import type { ScenarioId } from '../scenario-ids';
import type { FleetCpu } from '../topology/topology';
import type { JudgedCheck } from '../verdict';
import { appLine, formatValue as fmt, windowsLine } from './console';

export interface ScenarioResult {
  readonly id: ScenarioId;
  readonly title: string;
  readonly fault: string;
  readonly applies: boolean;
  readonly reason: string;
  readonly runs: readonly RunResult[];
  readonly checks: readonly JudgedCheck[];
  readonly pass: boolean;
  /** The bottleneck named in the median run. */
  readonly bottleneck: string;
  /** Which run is charted (the one whose fault-phase p99 is the median). */
  readonly chartedRun: number;
  readonly wallSeconds: number;
}

/** The app the run measured: the reference service, or a team's artifact (app.artifact), and the request mix it got. */
export type AppUnderTest =
  | { readonly kind: 'reference-service'; readonly mix: string }
  | {
      readonly kind: 'team-artifact';
      readonly artifact: string;
      readonly runtime: 'nodejs' | 'provided';
      readonly command: string;
      readonly healthPath: string;
      readonly mix: string;
      readonly mixSource: string;
    };

export interface ProveResults {
  readonly schema: 1;
  readonly kind: 'full' | 'quick' | 'partial';
  readonly environment: string;
  /** What was measured (absent from results written before a team's app could be proved: the reference service). */
  readonly app?: AppUnderTest;
  readonly measuredAt: string;
  readonly machine: {
    readonly cpus: number;
    readonly cpuModel: string;
    readonly node: string;
    /** The PostgreSQL server the run used (absent from results written before it was recorded). */
    readonly postgres?: { readonly version: string; readonly bin: string; readonly source: string };
    readonly loadAverageAtStart: readonly number[];
  };
  readonly scale: {
    readonly timeScale: number;
    readonly instances: number;
    readonly azs: number;
    readonly wafWindowSeconds?: number;
    readonly wafLimitPerWindow?: number;
    /** CPU of the fleet: a cgroup quota in cores shared by the instances and the CPU they are pinned to, or why there is no quota. */
    readonly fleetCpu: FleetCpu;
  };
  readonly timings: Timings;
  readonly runsPerScenario: number;
  readonly calibration: CalibrationResult;
  readonly haproxyConfig: string;
  readonly notRehearsed: readonly { readonly id: string; readonly reason: string }[];
  readonly scenarios: readonly ScenarioResult[];
  readonly pass: boolean;
  /** Wall-clock seconds per stage (the bench reads these). */
  readonly wallSeconds: { readonly setup: number; readonly calibration: number; readonly scenarios: number; readonly total: number };
}

/** The results as JSON: every run's measurement, with full latency distributions (HdrHistogram encodings). */
export function resultsJson(r: ProveResults): string {
  return `${JSON.stringify(r, (_key, value) => (typeof value === 'function' ? undefined : typeof value === 'number' && !Number.isFinite(value) ? null : value), 2)}\n`;
}

/** The scenario table (budget, measured median and spread, verdict): in results.md and docs/proving-ground.md. */
export function scenarioTable(r: ProveResults): string {
  const rows: string[] = ['| Scenario | Check | Budget | Measured (median; min-max) | Verdict |', '| --- | --- | --- | --- | --- |'];
  for (const s of r.scenarios) {
    if (!s.applies) {
      rows.push(`| \`${s.id}\` | not run | | ${s.reason} | - |`);
      continue;
    }
    s.checks.forEach((c, i) => {
      const spread = c.runs.length > 1 ? `; ${fmt(c.min, c.unit)}-${fmt(c.max, c.unit)}` : '';
      rows.push(
        `| ${i === 0 ? `\`${s.id}\`` : ''} | ${c.label} | ${c.comparison} ${fmt(c.limit, c.unit)} | ${fmt(c.median, c.unit)}${spread} | ${c.pass ? 'pass' : '**FAIL**'} |`,
      );
    });
  }
  return rows.join('\n');
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export function resultsMarkdown(r: ProveResults): string {
  const c = r.calibration;
  const lines = [
    `# Proving-ground results: ${r.environment} (${r.kind} run)`,
    '',
    `Measured ${r.measuredAt} on ${r.machine.cpus} CPUs (${r.machine.cpuModel}), Node ${r.machine.node}${r.machine.postgres ? `, PostgreSQL ${r.machine.postgres.version}` : ''}, load average at start ${r.machine.loadAverageAtStart.map((v) => v.toFixed(2)).join(' ')}.`,
    `${capitalize(appLine(r.app ?? { kind: 'reference-service', mix: 'the reference mix' }))}.`,
    `${capitalize(windowsLine(r.timings))}.`,
    '',
    `${r.runsPerScenario} run(s) per scenario, judged on the median. Overall: **${r.pass ? 'PASS' : 'FAIL'}**. Wall time ${Math.round(r.wallSeconds.total)} s (setup ${Math.round(r.wallSeconds.setup)} s, calibration ${Math.round(r.wallSeconds.calibration)} s, scenarios ${Math.round(r.wallSeconds.scenarios)} s).`,
    '',
    '## Calibration',
    '',
    `Capacity of the local fleet (${r.scale.instances} instances of ${r.scale.fleetCpu.workersPerInstance} workers, ${r.scale.fleetCpu.cores !== undefined ? `${r.scale.fleetCpu.perWorkerCores} core per worker, ${r.scale.fleetCpu.cores} in all (a cgroup quota per instance)` : `no CPU quota: ${r.scale.fleetCpu.noQuota}`}${r.scale.fleetCpu.pinnedTo !== undefined ? `, pinned to CPU ${r.scale.fleetCpu.pinnedTo}` : ''}): **${c.capacityRps} req/s** (${c.perInstanceRps} per instance), the highest open-loop rate with p99 <= ${c.targetP99Ms} ms and <= ${c.non2xxPercent}% shed or errors.`,
    '',
    '| Rate (req/s) | p99 (ms) | shed or errors | generator lag p99 (ms) | within |',
    '| --- | --- | --- | --- | --- |',
    ...c.steps.map((s) => `| ${s.rps} | ${s.p99Ms} | ${s.non2xxPercent}% | ${s.generatorLagP99Ms} | ${s.within ? 'yes' : 'no'} |`),
    '',
    '## Scenarios',
    '',
    scenarioTable(r),
    '',
    '## Bottlenecks',
    '',
    ...r.scenarios
      .filter((s) => s.applies)
      .map((s) => `- \`${s.id}\` (${s.wallSeconds} s, chart: [${s.id}.svg](${s.id}.svg)): ${s.bottleneck}`),
    '',
    '## Not rehearsed here',
    '',
    ...r.notRehearsed.map((n) => `- \`${n.id}\`: ${n.reason}`),
    '',
  ];
  return lines.join('\n');
}

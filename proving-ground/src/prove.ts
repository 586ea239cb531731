import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { EnvironmentConfig } from 'loadbearing/model';
import { LOCAL_REHEARSALS, FAILURE_MODE_IDS } from 'loadbearing/model';
import {
  motoUnavailable,
  packageRoot,
  postgresInstall,
  postgresUnavailable,
  PREREQUISITES_HINT,
  redisUnavailable,
  SERVICE_BUNDLE_PATH,
  serviceNodeUnavailable,
} from './local-stack';
import { ProveInputError } from './errors';
import { describeMix, prepareTeamApp, teamAppProblem, teamApplicability, type TeamApp } from './team-app';
import { REFERENCE_MIX } from './load/mix';
import { runLine } from './report/console';
import { calibrate, type CalibrationResult } from './calibrate';
import { resultsJson, resultsMarkdown, type ProveResults, type ScenarioResult } from './report/results';
import { scenarioChart } from './report/chart';
import { restore, runScenario, type RunContext, type RunResult } from './run-scenario';
import { localInstances, TIME_SCALE } from './scale';
import { applicability, FULL_TIMINGS, QUICK_TIMINGS, scenario, type Timings } from './scenarios';
import type { ScenarioId } from './scenario-ids';
import { haproxyUnavailable } from './topology/haproxy';
import { localRateRule } from './topology/haproxy-config';
import { startTopology, type Topology } from './topology/topology';
import { judge, median } from './verdict';

/** Where committed results live (in the repository, also when run from dist/): written only by a full run of every scenario. */
export const RESULTS_DIR = join(packageRoot(), 'results');

/** One-way delay of the dependency-latency fault: 25 ms each way, 50 ms per round trip (50x a same-region round trip). */
export const DB_DELAY_MS = 25;

export { ProveInputError };

export interface ProveOptions {
  readonly config: EnvironmentConfig;
  readonly kind: ProveResults['kind'];
  readonly timings: Timings;
  readonly scenarios: readonly ScenarioId[];
  readonly runs: number;
  readonly outDir: string;
  /** HAProxy's port; a free one when undefined. */
  readonly port?: number;
  readonly appEnvOverrides?: Readonly<Record<string, string>>;
  readonly progress: (text: string) => void;
  readonly signal: AbortSignal;
  readonly seed?: number;
}

export function timingsFor(quick: boolean): Timings {
  return quick ? QUICK_TIMINGS : FULL_TIMINGS;
}

async function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(true));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(false)));
  });
}

/** Everything checked before a process is started; throws ProveInputError with one line. */
export async function preflight(o: Pick<ProveOptions, 'port'> & { readonly config?: EnvironmentConfig }): Promise<void> {
  // A team's app (app.artifact) runs instead of the reference service: its own checks, not the bundle's.
  const teamApp = o.config?.app.artifact !== undefined;
  // The config's own problem first: it is the same on every machine.
  const problem = teamApp ? teamAppProblem(o.config!) : undefined;
  if (problem) throw new ProveInputError(problem);
  const missing = [
    haproxyUnavailable(),
    redisUnavailable(),
    postgresUnavailable(),
    motoUnavailable(),
    teamApp ? undefined : serviceNodeUnavailable(),
  ].filter(Boolean);
  if (missing.length > 0) throw new ProveInputError(`cannot run the proving ground: ${missing.join('; ')}; ${PREREQUISITES_HINT}`);
  if (!teamApp && !existsSync(SERVICE_BUNDLE_PATH))
    throw new ProveInputError(`the service bundle ${SERVICE_BUNDLE_PATH} is missing: run npm run build (npm run prove builds it)`);
  if (o.port !== undefined && (await portInUse(o.port)))
    throw new ProveInputError(`--port ${o.port} is in use on 127.0.0.1: pick a free port or leave --port out`);
}

/** The run whose fault-phase p99 is the median: the one charted. */
function medianRun(runs: readonly RunResult[]): number {
  const p99s = runs.map((r) => r.measurement.phases.fault.all.p99Ms);
  const m = median(p99s);
  // With an even number of runs the median is between two: take the closest.
  return p99s.reduce((best, v, i) => (Math.abs(v - m) < Math.abs(p99s[best] - m) ? i : best), 0);
}

/**
 * `npm run prove`: stands up the topology, calibrates, runs each scenario `runs` times,
 * judges the medians against the budgets, and writes JSON, Markdown and one SVG chart per
 * scenario to `outDir`. Tears everything down on success, failure and abort.
 */
export async function prove(o: ProveOptions): Promise<ProveResults> {
  await preflight(o);
  const t0 = performance.now();
  // The PostgreSQL the run uses (preflight() refused a machine without one in 15-17).
  const found = postgresInstall();
  if (!found.ok) throw new ProveInputError(`cannot run the proving ground: ${found.problem}; ${PREREQUISITES_HINT}`);
  const postgres = { version: found.version, bin: found.bin, source: found.source };
  o.progress(`PostgreSQL ${postgres.version} (${postgres.bin}, ${postgres.source})`);
  const seconds = (from: number) => Math.round((performance.now() - from) / 100) / 10;
  const documents: RunContext['documents'] = {};
  // The team's artifact, unpacked and checked; refused in one line before anything starts.
  const teamApp: TeamApp | undefined = o.config.app.artifact ? prepareTeamApp(o.config) : undefined;
  if (teamApp)
    o.progress(
      `your app: ${teamApp.artifact} (runtime ${teamApp.runtime}); request mix: ${describeMix(teamApp.requests)}, from ${teamApp.mixSource}`,
    );
  let topology: Topology | undefined;
  const onAbort = () => void topology?.destroy();
  o.signal.addEventListener('abort', onAbort, { once: true });
  try {
    topology = await startTopology({
      config: o.config,
      dbDelayMs: DB_DELAY_MS,
      haproxyPort: o.port,
      appEnvOverrides: o.appEnvOverrides,
      onDocument: (instance, doc) => documents.sink?.(doc, instance),
      marker: process.env.LOADBEARING_PROVE_MARKER ? { LOADBEARING_PROVE_MARKER: process.env.LOADBEARING_PROVE_MARKER } : undefined,
      progress: (text) => o.progress(`setup: ${text}`),
      teamApp,
    });
    if (o.signal.aborted) throw new Error('interrupted');
    const setup = seconds(t0);
    const ctx: RunContext = {
      topology,
      timings: o.timings,
      documents,
      dbDelayMs: DB_DELAY_MS,
      seed: o.seed ?? 20_261_128,
      progress: o.progress,
      signal: o.signal,
    };
    const tCal = performance.now();
    const calibration: CalibrationResult = await calibrate(ctx);
    if (o.signal.aborted) throw new Error('interrupted');
    await restore(topology);
    const calibrationSeconds = seconds(tCal);
    o.progress(`capacity ${calibration.capacityRps} req/s (${calibration.perInstanceRps} per instance)`);

    const tScen = performance.now();
    const results: ScenarioResult[] = [];
    for (const [index, id] of o.scenarios.entries()) {
      const s = scenario(id);
      const forTeam = teamApp ? teamApplicability(id, teamApp) : { applies: true as const };
      const applies = forTeam.applies ? applicability(id, o.config) : { applies: false, reason: forTeam.reason };
      if (!applies.applies) {
        results.push({
          id,
          title: s.title,
          fault: s.fault,
          applies: false,
          reason: applies.reason,
          runs: [],
          checks: [],
          pass: true,
          bottleneck: '-',
          chartedRun: 0,
          wallSeconds: 0,
        });
        continue;
      }
      const tS = performance.now();
      const runs: RunResult[] = [];
      for (let run = 1; run <= o.runs; run++) {
        if (o.signal.aborted) throw new Error('interrupted');
        o.progress(`scenario ${index + 1}/${o.scenarios.length} ${id}, run ${run}/${o.runs}: ${s.fault}`);
        const result = await runScenario(ctx, id, run, calibration);
        runs.push(result);
        const m = result.measurement;
        o.progress(runLine(id, run, m, { writes: !teamApp }));
      }
      const checks = judge(runs.map((r) => r.checks));
      const chartedRun = medianRun(runs);
      results.push({
        id,
        title: s.title,
        fault: s.fault,
        applies: true,
        reason: applies.reason,
        runs,
        checks,
        pass: checks.every((c) => c.pass),
        bottleneck: runs[chartedRun].bottleneck,
        chartedRun,
        wallSeconds: seconds(tS),
      });
    }
    const rule = localRateRule(o.config);
    const out: ProveResults = {
      schema: 1,
      kind: o.kind,
      environment: o.config.name,
      app: teamApp
        ? {
            kind: 'team-artifact',
            artifact: teamApp.artifact,
            runtime: teamApp.runtime,
            command: [teamApp.command, ...teamApp.args].join(' '),
            healthPath: teamApp.healthPath,
            mix: describeMix(teamApp.requests),
            mixSource: teamApp.mixSource,
          }
        : { kind: 'reference-service', mix: REFERENCE_MIX },
      measuredAt: new Date().toISOString(),
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? 'unknown',
        node: process.version,
        postgres,
        loadAverageAtStart: loadavg().map((v) => Math.round(v * 100) / 100),
      },
      scale: {
        timeScale: TIME_SCALE,
        instances: localInstances(o.config),
        azs: o.config.availabilityZones.length,
        wafWindowSeconds: rule?.windowSeconds,
        wafLimitPerWindow: rule?.limit,
        fleetCpu: topology.fleetCpu,
      },
      timings: o.timings,
      runsPerScenario: o.runs,
      calibration,
      haproxyConfig: topology.haproxy.configText,
      notRehearsed: FAILURE_MODE_IDS.flatMap((id) => {
        const r = LOCAL_REHEARSALS[id];
        return r.scenario === 'none' ? [{ id, reason: r.reason }] : [];
      }),
      scenarios: results,
      pass: results.every((r) => r.pass),
      wallSeconds: { setup, calibration: calibrationSeconds, scenarios: seconds(tScen), total: seconds(t0) },
    };
    await writeResults(o.outDir, out);
    return out;
  } finally {
    o.signal.removeEventListener('abort', onAbort);
    o.progress('tearing down');
    await topology?.destroy();
    teamApp?.cleanup();
  }
}

/** results.json, results.md and one chart per scenario, into `dir`. */
export async function writeResults(dir: string, r: ProveResults): Promise<void> {
  mkdirSync(dir, { recursive: true });
  for (const s of r.scenarios) {
    if (!s.applies || s.runs.length === 0) continue;
    const m = s.runs[s.chartedRun].measurement;
    const fault = m.actualFault ?? { startMs: m.faultStartMs, endMs: m.faultEndMs };
    const svg = await scenarioChart(`${s.id} (${r.environment}, run ${s.chartedRun + 1} of ${s.runs.length}): ${s.title}`, m.series, {
      startS: fault.startMs / 1000,
      endS: fault.endMs / 1000,
    });
    writeFileSync(join(dir, `${s.id}.svg`), svg);
  }
  writeFileSync(join(dir, 'results.json'), resultsJson(r));
  writeFileSync(join(dir, 'results.md'), resultsMarkdown(r));
}

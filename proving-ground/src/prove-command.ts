import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type * as ConfigModule from 'loadbearing/model';
import { APP_ENV_NAMES } from '@loadbearing/contract';
import { systemClock } from 'loadbearing/ops';
import { writeLine, type Command } from 'loadbearing/ops';
import { UsageError } from 'loadbearing/ops';
import { ProgressLine } from 'loadbearing/ops';
import { appLine, scenarioLines, summaryLines, windowsLine } from './report/console';
import { resultsJson } from './report/results';
import { isScenarioId, QUICK_SCENARIOS, SCENARIO_IDS, type ScenarioId } from './scenario-ids';

/** Exit codes of `prove`: every budget held, a budget broke, bad input or a machine that cannot run it, interrupted. */
export const ProveExit = { Pass: 0, BudgetBroken: 1, Error: 2, Interrupted: 130 } as const;

const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : []);

/** `loadbearing prove`: the proving ground (see docs/proving-ground.md). */
export const proveCommand: Command = {
  name: 'prove',
  summary: 'Measure one environment locally under load and injected failures (HAProxy, PostgreSQL, redis-server, the service)',
  usage: '[--env <name>] [-c configFile=<file.json>] [--quick] [--scenario <id>]... [--runs <n>] [--out <dir>] [--json]',
  details: [
    'Stands up a small copy of the environment on loopback (PostgreSQL primary and streaming replica,',
    'redis-server, one reference-service instance per AZ, HAProxy generated from the load-balancer and',
    'WAF settings), calibrates the capacity with an open-loop ramp, then runs each scenario (named by',
    `its failure-mode ID) --runs times and judges the median against budgets derived from the config.`,
    'With app.artifact the instances run your app instead (it must listen on APP_PORT and answer the',
    'health-check path with 200), with app.artifact.proveRequests as the request mix (default: the',
    'health path); scenarios that need the reference service are reported as not applying.',
    `Scenarios: ${SCENARIO_IDS.join(', ')}.`,
    `--quick runs ${QUICK_SCENARIOS.join(', ')} once each, with short phases (CI).`,
    '',
    'Results: JSON (full latency distributions), Markdown and one SVG chart per scenario. Only a full',
    'run of every scenario writes proving-ground/results/; --quick, --scenario and --app-env write to',
    'a new temporary directory unless --out says where (never proving-ground/results/). The path of',
    'results.md is printed last. --json prints results.json on stdout (progress and the summary go to stderr).',
    '',
    'Exit codes: 0 every budget held, 1 a budget broke, 2 bad input or a missing binary or port,',
    '130 interrupted (everything started is stopped first).',
  ].join('\n'),
  verdict: 'a budget broke (the failing bound is named, beside its measured value)',
  options: {
    env: { type: 'string', valueName: '<name>', description: 'environment to stand up (default: staging)' },
    config: { type: 'string', valueName: '<file.json>', description: 'config file (default: the built-in environments)' },
    context: {
      type: 'string',
      short: 'c',
      multiple: true,
      valueName: 'configFile=<file.json>',
      description: 'the same as --config, spelled as for cdk',
    },
    quick: { type: 'boolean', description: 'fewer scenarios, shorter phases, one run each (CI)' },
    scenario: { type: 'string', multiple: true, valueName: '<id>', description: 'run only this scenario (repeatable)' },
    runs: { type: 'string', valueName: '<n>', description: 'runs per scenario, judged on the median (default 3; --quick: 1)' },
    out: { type: 'string', valueName: '<dir>', description: 'where the results go' },
    port: { type: 'string', valueName: '<port>', description: 'HAProxy port on 127.0.0.1 (default: a free one)' },
    'app-env': {
      type: 'string',
      multiple: true,
      valueName: 'NAME=value',
      description: 'replace an app.env value in every instance (to show a budget catches a broken service)',
    },
  },
  async local(values, { stdout, stderr }) {
    const { builtinEnvironments, isConfigError, loadConfigFile }: typeof ConfigModule = await import('loadbearing/model');
    const contexts = list(values.context);
    const configFiles = contexts.map((c) => {
      const m = /^configFile=(.+)$/.exec(c);
      if (!m) throw new UsageError(`-c ${JSON.stringify(c)} is not configFile=<file.json>; the proving ground reads only that context key`);
      return m[1];
    });
    if (typeof values.config === 'string') configFiles.push(values.config);
    if (configFiles.length > 1) throw new UsageError('give one config file (--config or -c configFile=...), not several');
    let environments: ReturnType<typeof builtinEnvironments>;
    try {
      environments = configFiles.length === 1 ? loadConfigFile(configFiles[0]) : builtinEnvironments();
    } catch (e) {
      if (!isConfigError(e)) throw e;
      const [first] = e.problems;
      const more = e.problems.length > 1 ? ` (and ${e.problems.length - 1} more problems)` : '';
      writeLine(
        stderr,
        `loadbearing: error: ${e.message.split('\n')[0].replace(/:$/, '')}: ${first.path} = ${first.value}: ${first.rule}; fix: ${first.fix}${more}`,
      );
      return ProveExit.Error;
    }
    const name = typeof values.env === 'string' ? values.env : 'staging';
    const config = environments.find((e) => e.name === name);
    if (!config) throw new UsageError(`unknown environment "${name}" (known: ${environments.map((e) => e.name).join(', ')})`);
    const quick = values.quick === true;
    const chosen = list(values.scenario);
    for (const id of chosen)
      if (!isScenarioId(id)) throw new UsageError(`unknown scenario "${id}" (scenarios: ${SCENARIO_IDS.join(', ')})`);
    const runs = values.runs === undefined ? (quick ? 1 : 3) : Number(values.runs);
    if (!Number.isInteger(runs) || runs < 1 || runs > 9)
      throw new UsageError(`--runs ${JSON.stringify(values.runs)} must be an integer from 1 to 9`);
    const port = values.port === undefined ? undefined : Number(values.port);
    if (port !== undefined && (!Number.isInteger(port) || port < 1024 || port > 65535))
      throw new UsageError(`--port ${JSON.stringify(values.port)} must be an integer from 1024 to 65535`);
    const overrides: Record<string, string> = {};
    for (const pair of list(values['app-env'])) {
      const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(pair);
      if (!m || !(APP_ENV_NAMES as string[]).includes(m[1]))
        throw new UsageError(
          `--app-env ${JSON.stringify(pair)} is not NAME=value with an app.env variable name (see docs/runtime-contract.md)`,
        );
      overrides[m[1]] = m[2];
    }
    const scenarios: ScenarioId[] = chosen.length > 0 ? (chosen as ScenarioId[]) : quick ? [...QUICK_SCENARIOS] : [...SCENARIO_IDS];
    const full = !quick && chosen.length === 0 && Object.keys(overrides).length === 0 && runs >= 3;
    const kind = full ? 'full' : quick ? 'quick' : 'partial';
    const { prove, ProveInputError, RESULTS_DIR, timingsFor } = await import('./prove.js');
    // Only a full run of the reference service writes the committed results; a team's app never does.
    const committed = full && !config.app.artifact;
    if (!committed && typeof values.out === 'string' && resolve(values.out) === resolve(RESULTS_DIR)) {
      throw new UsageError(
        `--out ${values.out} is where full runs are committed (of the reference service); a ${config.app.artifact ? 'run of your app' : `${kind} run`} writes elsewhere (leave --out out)`,
      );
    }
    // A new directory per run (never a fixed name another user's run may own).
    const temporary = typeof values.out !== 'string' && !committed;
    const outDir = temporary
      ? mkdtempSync(join(tmpdir(), `loadbearing-prove-${kind}-`))
      : committed
        ? RESULTS_DIR
        : resolve(String(values.out));
    const json = values.json === true;
    // With --json, stdout holds the one JSON document; everything for people goes to stderr.
    const human = json ? stderr : stdout;

    const progress = new ProgressLine(stderr, systemClock, 0);
    const abort = new AbortController();
    const interrupt = () => abort.abort();
    process.once('SIGINT', interrupt);
    process.once('SIGTERM', interrupt);
    let status = 'starting';
    const startedAt = Date.now();
    const ticker = setInterval(() => stderr.isTTY && progress.update(`[${Math.round((Date.now() - startedAt) / 1000)} s] ${status}`), 1000);
    try {
      const results = await prove({
        config,
        kind,
        timings: timingsFor(quick),
        scenarios,
        runs,
        outDir,
        port,
        appEnvOverrides: overrides,
        signal: abort.signal,
        progress: (text) => {
          status = text;
          progress.update(`[${Math.round((Date.now() - startedAt) / 1000)} s] ${text}`);
        },
      });
      progress.clear();
      const pg = results.machine.postgres;
      if (results.app) writeLine(human, appLine(results.app));
      if (pg) writeLine(human, `on PostgreSQL ${pg.version} (${pg.bin}, ${pg.source})`);
      writeLine(human, windowsLine(results.timings));
      for (const s of results.scenarios) for (const line of scenarioLines(s)) writeLine(human, line);
      for (const line of summaryLines(results, outDir, join(outDir, 'results.md'))) writeLine(human, line);
      if (json) stdout.write(resultsJson(results));
      return results.pass ? ProveExit.Pass : ProveExit.BudgetBroken;
    } catch (error) {
      progress.clear();
      // Results are written only at the end: a run that did not finish leaves no directory of its own behind.
      if (temporary) rmSync(outDir, { recursive: true, force: true });
      if (abort.signal.aborted) {
        writeLine(stderr, 'loadbearing: prove interrupted; everything it started is stopped');
        return ProveExit.Interrupted;
      }
      if (error instanceof ProveInputError) {
        writeLine(stderr, `loadbearing: error: ${error.message}`);
        return ProveExit.Error;
      }
      writeLine(stderr, `loadbearing: error: prove failed: ${(error as Error).message.split('\n')[0]}`);
      return ProveExit.Error;
    } finally {
      clearInterval(ticker);
      process.removeListener('SIGINT', interrupt);
      process.removeListener('SIGTERM', interrupt);
    }
  },
};

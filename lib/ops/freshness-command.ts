import type * as ConfigModule from '../model/config';
import { ExitCode, writeLine, type Command } from './command.js';
import { ENVIRONMENT_OPTIONS, loadEnvironment } from './environment-option.js';

/** `loadbearing freshness --env <name>`: the freshness model of an environment, from config (no AWS calls). */
export const freshnessCommand: Command = {
  name: 'freshness',
  summary: 'Show the freshness model (edge and app cache TTLs per content class) of an environment',
  usage: '--env <name> [--config <file.json>] [--json]',
  details: [
    'Reads the environment from the built-in environments, or from --config (the same JSON file',
    'as `cdk synth -c configFile=...`), validates it like synth does, and prints one row per',
    'content class: path, edge TTL, app cache TTL, maximum staleness, stale-while-revalidate,',
    'stale-if-error, how new content reaches users, and whether a static page stands in when',
    'the origin fails. Makes no AWS calls.',
    '',
    'Exit codes: 0 printed, 2 unknown environment or invalid config.',
  ].join('\n'),
  options: ENVIRONMENT_OPTIONS,
  async local(values, { stdout, stderr }) {
    const env = await loadEnvironment(values, 'freshness', stderr);
    if (!env) return ExitCode.Error;
    const { freshnessRows, freshnessTable }: typeof ConfigModule = await import('../model/config/index.js');
    if (values.json === true)
      writeLine(stdout, JSON.stringify({ environment: env.name, edgeEnabled: env.edge.enabled, classes: freshnessRows(env) }, null, 2));
    else stdout.write(freshnessTable(env));
    return ExitCode.Ok;
  },
};

import type * as ConfigModule from '../config';
import { ExitCode, writeLine, type Command } from './command.js';
import { UsageError } from './errors.js';

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
  options: {
    env: { type: 'string', valueName: '<name>', description: 'environment name, e.g. prod' },
    config: { type: 'string', valueName: '<file.json>', description: 'config file (default: the built-in environments)' },
  },
  async local(values, { stdout, stderr }) {
    // Loaded on use: the config modules pull in parts of aws-cdk-lib the CloudWatch commands never need.
    const { builtinEnvironments, freshnessRows, freshnessTable, isConfigError, loadConfigFile }: typeof ConfigModule = await import('../config/index.js');
    const name = typeof values.env === 'string' ? values.env : undefined;
    if (!name) throw new UsageError('missing --env <name>; see: loadbearing freshness --help');
    let environments;
    try {
      environments = typeof values.config === 'string' ? loadConfigFile(values.config) : builtinEnvironments();
    } catch (e) {
      if (!isConfigError(e)) throw e;
      writeLine(stderr, e.message);
      return ExitCode.Error;
    }
    const env = environments.find((e) => e.name === name);
    if (!env) throw new UsageError(`unknown environment "${name}" (known: ${environments.map((e) => e.name).join(', ')})`);
    if (values.json === true) writeLine(stdout, JSON.stringify({ environment: env.name, edgeEnabled: env.edge.enabled, classes: freshnessRows(env) }, null, 2));
    else stdout.write(freshnessTable(env));
    return ExitCode.Ok;
  },
};

import type * as ConfigModule from '../model/config';
import type { EnvironmentConfig } from '../model/config/environment-schema';
import { writeLine, type OptionValues, type OutputStream } from './command.js';
import { UsageError } from './errors.js';

/**
 * The options of commands that read an environment from config: `--env <name>`, and the config
 * file as `--config <file>` or, spelled as for cdk, `-c configFile=<file>`.
 */
export const ENVIRONMENT_OPTIONS = {
  env: { type: 'string', valueName: '<name>', description: 'environment name, e.g. staging' },
  config: { type: 'string', valueName: '<file.json>', description: 'config file (default: the built-in environments)' },
  context: {
    type: 'string',
    short: 'c',
    multiple: true,
    valueName: 'configFile=<file.json>',
    description: 'the same as --config, spelled as for cdk',
  },
} as const;

/**
 * The config file named by `--config` or `-c configFile=...`, if any.
 * @throws UsageError for a `-c` that is not `configFile=<file>`, or more than one file.
 */
export function configFileOption(values: OptionValues): string | undefined {
  const contexts = Array.isArray(values.context) ? values.context : typeof values.context === 'string' ? [values.context] : [];
  const files = contexts.map((c) => {
    const m = /^configFile=(.+)$/.exec(c);
    if (!m)
      throw new UsageError(
        `-c ${JSON.stringify(c)} is not configFile=<file.json>; loadbearing reads only that context key (or use --config <file.json>)`,
      );
    return m[1]!;
  });
  if (typeof values.config === 'string') files.push(values.config);
  if (new Set(files).size > 1)
    throw new UsageError(`give one config file (--config or -c configFile=...), not ${files.length}: ${files.join(', ')}`);
  return files[0];
}

/**
 * The environment `--env` names, from the config file or the built-in environments, validated
 * like synth does. A config error is printed (every problem) and `undefined` returned: exit 2.
 * @throws UsageError when --env is missing or names no environment.
 */
export async function loadEnvironment(values: OptionValues, command: string, stderr: OutputStream): Promise<EnvironmentConfig | undefined> {
  // Loaded on use: the config modules pull in parts of aws-cdk-lib the CloudWatch commands never need.
  const { builtinEnvironments, isConfigError, loadConfigFile }: typeof ConfigModule = await import('../model/config/index.js');
  const name = typeof values.env === 'string' ? values.env : undefined;
  if (!name) throw new UsageError(`missing --env <name>; see: loadbearing ${command} --help`);
  const file = configFileOption(values);
  let environments: EnvironmentConfig[];
  try {
    environments = file !== undefined ? loadConfigFile(file) : builtinEnvironments();
  } catch (e) {
    if (!isConfigError(e)) throw e;
    writeLine(stderr, e.message);
    return undefined;
  }
  const env = environments.find((e) => e.name === name);
  if (!env)
    throw new UsageError(
      `unknown environment "${name}" (known: ${environments.map((e) => e.name).join(', ')}); fix: pass one of them to --env${file ? ` or add it to ${file}` : ''}`,
    );
  return env;
}

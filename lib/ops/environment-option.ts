import type * as ConfigModule from '../config';
import type { EnvironmentConfig } from '../config/environment-schema';
import { writeLine, type OptionValues, type OutputStream } from './command.js';
import { UsageError } from './errors.js';

/** The options of commands that read an environment from config instead of a stack's alarms. */
export const ENVIRONMENT_OPTIONS = {
  env: { type: 'string', valueName: '<name>', description: 'environment name, e.g. staging' },
  config: { type: 'string', valueName: '<file.json>', description: 'config file (default: the built-in environments)' },
} as const;

/**
 * The environment `--env` names, from `--config` or the built-in environments, validated like
 * synth does. A config error is printed (every problem) and `undefined` returned: exit 2.
 * @throws UsageError when --env is missing or names no environment.
 */
export async function loadEnvironment(values: OptionValues, command: string, stderr: OutputStream): Promise<EnvironmentConfig | undefined> {
  // Loaded on use: the config modules pull in parts of aws-cdk-lib the CloudWatch commands never need.
  const { builtinEnvironments, isConfigError, loadConfigFile }: typeof ConfigModule = await import('../config/index.js');
  const name = typeof values.env === 'string' ? values.env : undefined;
  if (!name) throw new UsageError(`missing --env <name>; see: loadbearing ${command} --help`);
  let environments;
  try {
    environments = typeof values.config === 'string' ? loadConfigFile(values.config) : builtinEnvironments();
  } catch (e) {
    if (!isConfigError(e)) throw e;
    writeLine(stderr, e.message);
    return undefined;
  }
  const env = environments.find((e) => e.name === name);
  if (!env) throw new UsageError(`unknown environment "${name}" (known: ${environments.map((e) => e.name).join(', ')})`);
  return env;
}

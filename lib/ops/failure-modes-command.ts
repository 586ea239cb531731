import type * as FailureModesModule from '../model/failure-modes';
import { ExitCode, writeLine, type Command } from './command.js';
import { ENVIRONMENT_OPTIONS, loadEnvironment } from './environment-option.js';

/** `loadbearing failure-modes --env <name>`: the failure-mode catalogue of an environment, from config (no AWS calls). */
export const failureModesCommand: Command = {
  name: 'failure-modes',
  summary: 'Show the failure-mode catalogue of an environment: mitigation, budget, rehearsal and drill per mode',
  usage: '--env <name> [--config <file.json>] [--json]',
  details: [
    'Reads the environment from the built-in environments, or from --config, validates it like',
    'synth does, and prints one block per failure mode: what fails, the built-in mitigation and',
    'its config keys, the invariants that prove the capacity at synth, the alarms expected to',
    'detect it, the impact budget in this environment, the proving-ground scenario that rehearses',
    'it locally, the AWS FIS drill that rehearses it in the environment (with its stop alarm and',
    'rules), and the runbook. Makes no AWS calls.',
    '',
    'Exit codes: 0 printed, 2 unknown environment or invalid config.',
  ].join('\n'),
  options: ENVIRONMENT_OPTIONS,
  async local(values, { stdout, stderr }) {
    const env = await loadEnvironment(values, 'failure-modes', stderr);
    if (!env) return ExitCode.Error;
    // Loaded on use, like the config.
    const { catalogueText, failureModeCatalogue }: typeof FailureModesModule = await import('../model/failure-modes/index.js');
    const rows = failureModeCatalogue(env);
    if (values.json === true)
      writeLine(
        stdout,
        JSON.stringify({ environment: env.name, stack: env.stackName, drillsEnabled: env.failureDrills.enabled, modes: rows }, null, 2),
      );
    else stdout.write(catalogueText(env, rows));
    return ExitCode.Ok;
  },
};

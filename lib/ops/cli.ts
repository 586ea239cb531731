import { parseArgs } from 'node:util';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { FisClient } from '@aws-sdk/client-fis';
import { stackPrefix } from './alarm-naming.js';
import { builtinCommands } from './builtin-commands.js';
import { systemClock, type Clock } from './clock.js';
import { CloudWatchGateway, createCloudWatchClient, type CloudWatchClientOptions } from './cloudwatch-gateway.js';
import { ExitCode, writeLine, type Command, type CommandRegistry, type OptionSpec, type OutputStream } from './command.js';
import { startDeadline } from './deadline.js';
import { parseDuration } from './duration.js';
import { DeadlineExceededError, describeEndpoint, describeError, UsageError } from './errors.js';
import { commandHelp, COMMON_OPTIONS, globalHelp, LOCAL_OPTIONS } from './help.js';
import { createFisClient } from './fis-gateway.js';
import { missingSdkClients, missingSdkError } from './optional-sdk.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry.js';
import { missingProfileAdvice, resolveTarget } from './target-options.js';

import { CONNECTION_TIMEOUT_MS, DEFAULT_TIMEOUT_MS, REQUEST_TIMEOUT_MS } from './cli-timeouts.js';

export { CONNECTION_TIMEOUT_MS, DEFAULT_TIMEOUT_MS, REQUEST_TIMEOUT_MS };

/** What the CLI talks to; tests replace the clock, the streams and the retry policy. */
export interface CliEnvironment {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  /** @default process.env (only used to name the endpoint in error messages; the SDK reads process.env) */
  readonly env?: NodeJS.ProcessEnv;
  /** @default systemClock */
  readonly clock?: Clock;
  /** @default DEFAULT_RETRY_POLICY */
  readonly retryPolicy?: RetryPolicy;
  /** @default builtinCommands() */
  readonly registry?: CommandRegistry;
  /** @default createCloudWatchClient */
  readonly createClient?: (options: CloudWatchClientOptions) => CloudWatchClient;
  /** @default createFisClient */
  readonly createFisClient?: (options: CloudWatchClientOptions) => FisClient;
}

/** Runs `loadbearing <argv...>` and resolves to the exit code. Never throws. */
export async function runCli(argv: readonly string[], environment: CliEnvironment): Promise<number> {
  const { stdout, stderr } = environment;
  const registry = environment.registry ?? builtinCommands();
  const debug = argv.includes('--debug');
  const env = environment.env ?? process.env;
  let endpoint = describeEndpoint(env, env.AWS_REGION);
  let profile: string | undefined;
  try {
    const [name, ...args] = argv;
    if (name === undefined || name === '--help' || name === '-h' || (name === 'help' && args.length === 0)) {
      (name === undefined ? stderr : stdout).write(globalHelp(registry));
      return name === undefined ? ExitCode.Error : ExitCode.Ok;
    }
    const command = findCommand(registry, name === 'help' ? args[0]! : name);
    if (name === 'help' || args.includes('--help') || args.includes('-h')) {
      stdout.write(commandHelp(command));
      return ExitCode.Ok;
    }

    const missing = missingSdkClients(command.sdkClients ?? []);
    if (missing.length > 0) throw missingSdkError(`loadbearing ${command.name}`, missing);
    if (command.local) {
      return await command.local(command.acceptsAnyArguments ? {} : parseOptions(command, args, LOCAL_OPTIONS), {
        stdout,
        stderr,
        clock: environment.clock ?? systemClock,
        retryPolicy: environment.retryPolicy ?? DEFAULT_RETRY_POLICY,
        env,
        createCloudWatchClient: environment.createClient ?? createCloudWatchClient,
        createFisClient: environment.createFisClient ?? createFisClient,
      });
    }
    const values = parseOptions(command, args);
    const target = await resolveTarget(values, command.name, stderr, env);
    if (!target) return ExitCode.Error;
    profile = target.profile;
    const stack = target.stack;
    const prefix = str(values.prefix) ?? (stack ? stackPrefix(stack) : undefined);
    if (!prefix)
      throw new UsageError(
        `missing --env <name> (or --stack <name>, or --prefix <alarm-name-prefix>); see: loadbearing ${command.name} --help`,
      );
    const timeoutMs = values.timeout ? parseDuration(str(values.timeout)!, '--timeout') : DEFAULT_TIMEOUT_MS;
    if (!command.prepare) throw new Error(`command "${command.name}" has neither prepare nor local`);
    const prepared = command.prepare(values, timeoutMs);

    const region = target.region;
    endpoint = describeEndpoint(env, region ?? env.AWS_REGION);
    const client = (environment.createClient ?? createCloudWatchClient)({
      region,
      profile,
      connectionTimeoutMs: Math.min(CONNECTION_TIMEOUT_MS, timeoutMs),
      requestTimeoutMs: Math.min(REQUEST_TIMEOUT_MS, timeoutMs),
    });
    const deadlineMs = prepared.deadlineMs ?? timeoutMs;
    const deadline = startDeadline(deadlineMs, () => new DeadlineExceededError(deadlineMs));
    const clock = environment.clock ?? systemClock;
    try {
      return await prepared.run({
        stack: stack ?? prefix,
        prefix,
        json: values.json === true,
        cw: new CloudWatchGateway(client, environment.retryPolicy ?? DEFAULT_RETRY_POLICY, clock, deadline.signal),
        endpoint,
        clock,
        signal: deadline.signal,
        stdout,
        stderr,
      });
    } finally {
      deadline.dispose();
      client.destroy();
    }
  } catch (err) {
    writeLine(stderr, `loadbearing: error: ${missingProfileAdvice(err, profile, env) ?? describeError(err, endpoint)}`);
    if (debug && err instanceof Error && err.stack) writeLine(stderr, err.stack);
    return ExitCode.Error;
  }
}

function findCommand(registry: CommandRegistry, name: string): Command {
  const command = registry.get(name);
  if (!command) {
    const names = registry
      .list()
      .map((c) => c.name)
      .join(', ');
    throw new UsageError(`unknown command "${name}" (commands: ${names}); see: loadbearing --help`);
  }
  return command;
}

function parseOptions(command: Command, args: string[], common = COMMON_OPTIONS): Record<string, string | boolean | string[] | undefined> {
  const specs: Record<string, OptionSpec> = { ...common, ...command.options };
  try {
    const { values, positionals } = parseArgs({
      args,
      options: Object.fromEntries(
        Object.entries(specs).map(([name, spec]) => [
          name,
          { type: spec.type, ...(spec.multiple ? { multiple: true } : {}), ...(spec.short ? { short: spec.short } : {}) },
        ]),
      ),
      strict: true,
      allowPositionals: command.positional !== undefined,
    });
    if (positionals.length > 1)
      throw new Error(`Unexpected argument '${positionals[1]}'. ${command.name} takes one ${command.positional!.name}`);
    const parsed = values as Record<string, string | boolean | string[] | undefined>;
    return positionals.length === 1 ? { ...parsed, _: positionals[0] } : parsed;
  } catch (err) {
    const message = err instanceof Error ? err.message.split('. ')[0]! : String(err);
    throw new UsageError(`${message}; see: loadbearing ${command.name} --help`);
  }
}

function str(value: string | boolean | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

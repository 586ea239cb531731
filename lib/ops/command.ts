import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { FisClient } from '@aws-sdk/client-fis';
import type { Clock } from './clock.js';
import type { CloudWatchClientOptions, CloudWatchGateway } from './cloudwatch-gateway.js';
import type { RetryPolicy } from './retry.js';

/** Exit codes shared by all commands. */
export const ExitCode = {
  /** Success; for status and gate also: no alarm that counts is in ALARM. */
  Ok: 0,
  /** status: an alarm is in ALARM; gate: a critical alarm is in ALARM; preflight: a check failed or is unknown. */
  Alarm: 1,
  /** Usage, credential, access, network or deadline error. */
  Error: 2,
} as const;

/** A stream the CLI writes to; process.stdout and test captures both fit. */
export interface OutputStream {
  write(chunk: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  /** The option may be given more than once (its value is then a list). */
  readonly multiple?: boolean;
  /** One-letter alias, e.g. `c` for `-c`. */
  readonly short?: string;
  /** Placeholder shown in help, e.g. `<duration>`. */
  readonly valueName?: string;
  readonly description: string;
}

export type OptionValues = Readonly<Record<string, string | boolean | string[] | undefined>>;

/** Everything a command needs at run time; built by the CLI after its options are valid. */
export interface CommandContext {
  /** The stack name, or the prefix when only --prefix was given; for display. */
  readonly stack: string;
  /** Alarm name prefix to discover the stack's alarms: `<stack>-` or --prefix. */
  readonly prefix: string;
  readonly json: boolean;
  readonly cw: CloudWatchGateway;
  /** Where CloudWatch requests go, for error messages (see describeError). */
  readonly endpoint: string;
  readonly clock: Clock;
  /** Aborts at the overall deadline. */
  readonly signal: AbortSignal;
  /** Results (tables, verdicts, JSON). */
  readonly stdout: OutputStream;
  /** Progress, notes and warnings. */
  readonly stderr: OutputStream;
}

/** A command whose options passed validation, ready to run. */
export interface PreparedCommand {
  /** Overall deadline for this run. @default - the --timeout value */
  readonly deadlineMs?: number;
  /** Resolves to the process exit code. */
  run(ctx: CommandContext): Promise<number>;
}

/** What a command without --stack gets: the streams, and for one that calls AWS itself, the clients and the clock. */
export interface LocalIo {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly clock: Clock;
  readonly retryPolicy: RetryPolicy;
  /** Environment variables (to name endpoints in errors; the SDK reads process.env itself). */
  readonly env: NodeJS.ProcessEnv;
  readonly createCloudWatchClient: (options: CloudWatchClientOptions) => CloudWatchClient;
  readonly createFisClient: (options: CloudWatchClientOptions) => FisClient;
}

/** One CLI command. Register it in `builtin-commands.ts`; nothing else needs to change. */
export interface Command {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** Arguments after `loadbearing <name>`, e.g. `--stack <name> --bake <duration>`. */
  readonly usage: string;
  /** Help text after the option list: behaviour, output, exit codes. */
  readonly details: string;
  /**
   * What exit code 1 means for this command (the verdict it gives), for the CLI's grammar table
   * (docs/ops-cli.md); `undefined` for a command that only prints and never exits 1.
   */
  readonly verdict?: string;
  /** Options of this command only; the common ones (--stack, --json...) are added by the CLI. */
  readonly options: Readonly<Record<string, OptionSpec>>;
  /**
   * The optional AWS SDK clients the command loads (package names): the CLI checks them before it
   * runs the command and says what to install when one is missing. @default - none
   */
  readonly sdkClients?: readonly string[];
  /** Skip option parsing: the command takes whatever follows its name (a stand-in that only explains). @default false */
  readonly acceptsAnyArguments?: boolean;
  /** The one positional argument the command takes, e.g. the failure mode of `drill`. @default - none */
  readonly positional?: { readonly name: string; readonly description: string };
  /**
   * Validates the command's own options (throw UsageError for a bad value) before any AWS
   * call is made. `timeoutMs` is the parsed --timeout. Not used by local commands.
   */
  prepare?(values: OptionValues, timeoutMs: number): PreparedCommand;
  /**
   * A command without --stack: it reads the platform's config (and, like `drill`, may call AWS
   * with the clients in `io`). It runs instead of prepare/run; the positional argument, if the
   * command takes one, is `values._`. @default - a CloudWatch command
   */
  local?(values: OptionValues, io: LocalIo): Promise<number>;
}

/** Commands by name, in registration order. */
export class CommandRegistry {
  private readonly commands = new Map<string, Command>();

  register(command: Command): this {
    if (this.commands.has(command.name)) throw new Error(`command "${command.name}" is already registered`);
    this.commands.set(command.name, command);
    return this;
  }

  get(name: string): Command | undefined {
    return this.commands.get(name);
  }

  list(): Command[] {
    return [...this.commands.values()];
  }
}

export function writeLine(stream: OutputStream, text = ''): void {
  stream.write(`${text}\n`);
}

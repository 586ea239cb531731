import type { Command, CommandRegistry, OptionSpec } from './command.js';
import { ENVIRONMENT_OPTIONS } from './environment-option.js';
import { TARGET_OPTIONS } from './target-options.js';

/** Options every CloudWatch command accepts, handled by the CLI itself. */
export const COMMON_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  ...ENVIRONMENT_OPTIONS,
  stack: {
    type: 'string',
    valueName: '<name>',
    description: 'stack whose alarms to use, found by the name prefix "<name>-" (ADR 0001); default: the environment\'s',
  },
  prefix: {
    type: 'string',
    valueName: '<prefix>',
    description: 'alarm name prefix for a custom naming strategy (overrides "<stack>-")',
  },
  region: TARGET_OPTIONS.region!,
  profile: TARGET_OPTIONS.profile!,
  timeout: {
    type: 'string',
    valueName: '<duration>',
    description: 'overall deadline for all AWS calls (default 60s; gate: bake time + this)',
  },
  json: { type: 'boolean', description: 'print JSON on stdout instead of text' },
  debug: { type: 'boolean', description: 'print the stack trace of an error' },
  help: { type: 'boolean', description: 'show help' },
};

/** Options of local commands (no AWS): output format and help. */
export const LOCAL_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  json: COMMON_OPTIONS.json!,
  debug: COMMON_OPTIONS.debug!,
  help: COMMON_OPTIONS.help!,
};

export const DURATION_HELP = 'Durations: 30s, 10m, 1h, 2h30m, 1d.';

const EXIT_CODES = 'Exit codes: 0 ok, 1 alarm (see the command), 2 usage, credential, access, network or deadline error.';

function optionLines(options: Readonly<Record<string, OptionSpec>>): string[] {
  const rows = Object.entries(options).map(([name, o]) => [
    `${o.short ? `-${o.short}, ` : ''}--${name}${o.valueName ? ` ${o.valueName}` : ''}`,
    o.description,
  ]);
  const width = Math.max(...rows.map(([flag]) => flag!.length));
  return rows.map(([flag, text]) => `  ${flag!.padEnd(width)}  ${text}`);
}

export function globalHelp(registry: CommandRegistry): string {
  const commands = registry.list();
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'Usage: loadbearing <command> --env <name> [-c configFile=<file.json>] [options]',
    '',
    'Operations CLI for loadbearing stacks, built on their CloudWatch alarms',
    '(names "<stack>-<component>-<signal>", severity "[critical]"/"[warning]", see ADR 0001).',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Common options:',
    ...optionLines(COMMON_OPTIONS),
    '',
    'Run "loadbearing <command> --help" for the options of a command.',
    DURATION_HELP,
    EXIT_CODES,
    '',
  ].join('\n');
}

export function commandHelp(command: Command): string {
  const own = Object.keys(command.options).length > 0 ? ['Options:', ...optionLines(command.options), ''] : [];
  const positional = command.positional ? ['Arguments:', `  <${command.positional.name}>  ${command.positional.description}`, ''] : [];
  return [
    `Usage: loadbearing ${command.name} ${command.usage}`,
    '',
    command.summary,
    '',
    ...positional,
    ...own,
    'Common options:',
    ...optionLines(command.local ? LOCAL_OPTIONS : COMMON_OPTIONS),
    '',
    command.details.trimEnd(),
    '',
  ].join('\n');
}

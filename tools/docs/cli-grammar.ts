import { builtinCommands } from '../../lib/ops/builtin-commands';
import type { Command } from '../../lib/ops/command';
import { COMMON_OPTIONS, LOCAL_OPTIONS } from '../../lib/ops/help';
import { proveCommand } from '../../proving-ground/src/prove-command';

/** Every command of `npx loadbearing`, `prove` (the proving ground's) included, in --help order. */
export function allCommands(): Command[] {
  return [...builtinCommands().list(), proveCommand];
}

/** The options a command accepts: its own plus the common ones the CLI adds. */
export function acceptedOptions(command: Command): Set<string> {
  return new Set([...Object.keys(command.local ? LOCAL_OPTIONS : COMMON_OPTIONS), ...Object.keys(command.options)]);
}

/**
 * The CLI grammar of docs/ops-cli.md, one row per command, read from the commands themselves
 * (their options and the verdict exit 1 stands for), so the table cannot drift from the code.
 */
export function cliGrammarTable(commands: readonly Command[] = allCommands()): string {
  const yes = (c: Command, ...names: string[]) => (names.every((n) => acceptedOptions(c).has(n)) ? 'yes' : '-');
  const rows = commands.map(
    (c) =>
      `| \`${c.name}\` | ${yes(c, 'env', 'config', 'context')} | ${yes(c, 'stack')} | ${yes(c, 'region')} | ${yes(c, 'profile')} | ${yes(c, 'json')} | ${c.verdict ?? 'never: it only prints'} |`,
  );
  return [
    '| Command | `--env`, `-c configFile=`, `--config` | `--stack` | `--region` | `--profile` | `--json` | Exit 1 means |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

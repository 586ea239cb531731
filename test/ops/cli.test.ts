import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { discoverAlarms } from '../../lib/ops/alarm-discovery.js';
import { builtinCommands } from '../../lib/ops/builtin-commands.js';
import { CommandRegistry, writeLine, type Command } from '../../lib/ops/command.js';
import { UsageError } from '../../lib/ops/errors.js';
import { metricAlarm, run } from './support/cli-harness.js';

const cw = mockClient(CloudWatchClient);
// Test files share modules (isolate: false): put the real client back for the next file.
afterAll(() => cw.restore());
beforeEach(() => cw.reset());

describe('loadbearing (dispatch and help)', () => {
  it('lists every registered command in --help', async () => {
    const result = await run(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: loadbearing <command> --stack <name> \[options\]/);
    for (const command of builtinCommands().list()) {
      expect(result.stdout).toMatch(new RegExp(`\\n  ${command.name}\\s+${command.summary.replace(/[()]/g, '\\$&')}`));
    }
  });

  it.each(
    builtinCommands()
      .list()
      .map((c) => c.name),
  )('has --help for %s', async (name) => {
    for (const argv of [
      [name, '--help'],
      [name, '-h'],
      ['help', name],
      [name, '--stack', 'x', '--help'],
    ]) {
      const result = await run(argv);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`Usage: loadbearing ${name} `);
      // Local commands (config only, no AWS) take no --stack.
      if (builtinCommands().get(name)?.local) expect(result.stdout).not.toContain('--stack');
      else expect(result.stdout).toContain('--stack <name>');
      expect(result.stdout).toContain('Exit codes:');
    }
    expect(cw.calls()).toHaveLength(0);
  });

  it('prints help and exits 2 when no command is given', async () => {
    const result = await run([]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Usage: loadbearing <command>');
  });

  it.each([
    [
      ['stats', '--stack', 'x'],
      `loadbearing: error: unknown command "stats" (commands: ${builtinCommands()
        .list()
        .map((c) => c.name)
        .join(', ')}); see: loadbearing --help`,
    ],
    [['status', '--stack', 'x', '--bake', '1m'], "loadbearing: error: Unknown option '--bake'; see: loadbearing status --help"],
    [['status', '--stack'], "loadbearing: error: Option '--stack <value>' argument missing; see: loadbearing status --help"],
    [['status', 'shop'], "loadbearing: error: Unexpected argument 'shop'; see: loadbearing status --help"],
    [['status'], 'loadbearing: error: missing --stack <name> (or --prefix <alarm-name-prefix>); see: loadbearing status --help'],
  ])('exits 2 with one line for %j', async (argv, message) => {
    const result = await run(argv);
    expect(result.code).toBe(2);
    expect(result.stderr.startsWith(message)).toBe(true);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(cw.calls()).toHaveLength(0);
  });

  it('dispatches to a command added to the registry, with the common options already parsed', async () => {
    cw.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [metricAlarm('shop-db-writer-cpu', 'OK'), metricAlarm('shop-db-replica-1-lag', 'ALARM')],
    });
    const staleness: Command = {
      name: 'staleness',
      summary: 'How old the newest datapoint of each alarm is',
      usage: '--stack <name> --max-age <duration>',
      details: 'Exit codes: 0 fresh, 1 stale, 2 error.',
      options: { 'max-age': { type: 'string', valueName: '<duration>', description: 'oldest acceptable datapoint' } },
      prepare(values) {
        if (values['max-age'] === undefined) throw new UsageError('missing --max-age');
        return {
          async run(ctx) {
            const alarms = await discoverAlarms(ctx.cw, ctx.prefix);
            writeLine(ctx.stdout, `${ctx.stack}: ${alarms.length} alarms, max age ${String(values['max-age'])}`);
            return 0;
          },
        };
      },
    };
    const registry = builtinCommands().register(staleness);
    const help = await run(['--help'], { registry });
    expect(help.stdout).toMatch(/\n {2}staleness +How old the newest datapoint of each alarm is/);
    const result = await run(['staleness', '--stack', 'shop', '--max-age', '5m'], { registry });
    expect(result).toEqual({ code: 0, stdout: 'shop: 2 alarms, max age 5m\n', stderr: '' });
    const missing = await run(['staleness', '--stack', 'shop'], { registry });
    expect(missing).toMatchObject({ code: 2, stderr: 'loadbearing: error: missing --max-age\n' });
  });

  it('refuses to register two commands with one name', () => {
    const registry = new CommandRegistry();
    const command = builtinCommands().get('status')!;
    registry.register(command);
    expect(() => registry.register(command)).toThrow('command "status" is already registered');
  });
});

import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BUILTIN_ENVIRONMENTS } from '../../lib/model/config/builtin-environments';
import { discoverAlarms } from '../../lib/ops/alarm-discovery.js';
import { builtinCommands } from '../../lib/ops/builtin-commands.js';
import { CommandRegistry, writeLine, type Command } from '../../lib/ops/command.js';
import { UsageError } from '../../lib/ops/errors.js';
import { metricAlarm, NOW, run } from './support/cli-harness.js';

const cw = mockClient(CloudWatchClient);
// Test files share modules (isolate: false): put the real client back for the next file.
afterAll(() => cw.restore());
beforeEach(() => cw.reset());

describe('loadbearing (dispatch and help)', () => {
  it('lists every registered command in --help', async () => {
    const result = await run(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: loadbearing <command> --env <name> \[-c configFile=<file\.json>\] \[options\]/);
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
      // One grammar: every command names its environment the same way.
      expect(result.stdout).toContain('--env <name>');
      expect(result.stdout).toContain('-c, --context configFile=<file.json>');
      expect(result.stdout).toContain('--config <file.json>');
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
    [
      ['status'],
      'loadbearing: error: missing --env <name> (or --stack <name>, or --prefix <alarm-name-prefix>); see: loadbearing status --help',
    ],
    [
      ['status', '--env', 'dev', '--region', 'eu-west1'],
      'loadbearing: error: --region "eu-west1" is not an AWS region; fix: did you mean "eu-west-1"?',
    ],
    [
      ['status', '--stack', 'x', '--region', 'mars-1'],
      'loadbearing: error: --region "mars-1" is not an AWS region; fix: pass a region code such as',
    ],
    [['status', '--env', 'qa'], 'loadbearing: error: unknown environment "qa" (known: dev, staging, prod); fix: pass one of them to --env'],
    [['status', '-c', 'configFile=x.json'], 'loadbearing: error: a config file was given without --env; fix: add --env <name>'],
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

describe('one grammar: the environment gives the stack and the region', () => {
  /** Runs with a CloudWatch client factory that records where the client was pointed. */
  async function where(argv: string[], env: NodeJS.ProcessEnv = {}) {
    const options: { region?: string; profile?: string }[] = [];
    cw.on(DescribeAlarmsCommand).callsFake((input: { AlarmNamePrefix?: string }) => ({
      MetricAlarms: [metricAlarm(`${input.AlarmNamePrefix}db-writer-cpu`, 'OK')],
    }));
    // Time moves only when a command sleeps (gate waits out its bake).
    let now = NOW;
    const result = await run(argv, {
      env,
      clock: { now: () => now, random: () => 0, sleep: async (ms: number) => void (now += ms) },
      createClient: (o) => {
        options.push({ region: o.region, profile: o.profile });
        return new CloudWatchClient({ region: o.region ?? 'us-east-1' });
      },
    });
    const prefixes = cw.commandCalls(DescribeAlarmsCommand).map((c) => c.args[0].input.AlarmNamePrefix);
    return { ...result, client: options[0], prefixes };
  }

  it.each(['status', 'report', 'gate'])('%s --env staging reads loadbearing-staging in its region from the config', async (name) => {
    const extra = name === 'gate' ? ['--bake', '1s'] : [];
    const r = await where([name, '--env', 'staging', ...extra]);
    expect(r.client).toEqual({ region: 'us-east-1', profile: undefined });
    expect(r.prefixes[0]).toBe('loadbearing-staging-');
  });

  it('takes the environment from -c configFile= (or --config), as synth does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lb-cli-'));
    try {
      const file = join(dir, 'team.json');
      writeFileSync(
        file,
        JSON.stringify({
          environments: {
            qa: { ...BUILTIN_ENVIRONMENTS.dev, region: 'eu-west-1', availabilityZones: ['eu-west-1a', 'eu-west-1b'], stackName: 'team-qa' },
          },
        }),
      );
      for (const flags of [
        ['-c', `configFile=${file}`],
        ['--config', file],
      ]) {
        const r = await where(['status', '--env', 'qa', ...flags]);
        expect(r.code, r.stderr).toBe(0);
        expect(r.client?.region).toBe('eu-west-1');
        expect(r.prefixes[0]).toBe('team-qa-');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lets --stack and --region override the environment', async () => {
    const r = await where(['status', '--env', 'staging', '--stack', 'other', '--region', 'eu-west-1']);
    expect(r.client?.region).toBe('eu-west-1');
    expect(r.prefixes[0]).toBe('other-');
  });

  describe('profiles', () => {
    let dir: string;
    let env: NodeJS.ProcessEnv;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'lb-aws-'));
      writeFileSync(
        join(dir, 'config'),
        '[default]\nregion = us-east-1\n[profile ops]\nregion = eu-west-1\n[sso-session corp]\nsso_region = us-east-1\n',
      );
      writeFileSync(join(dir, 'credentials'), '[ci]\naws_access_key_id = x\naws_secret_access_key = y\n');
      env = { AWS_CONFIG_FILE: join(dir, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials') };
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('refuses a --profile that no file defines, listing the ones that exist, before any AWS call', async () => {
      const r = await where(['status', '--env', 'dev', '--profile', 'prod-admin'], env);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/--profile "prod-admin" is not in .*config or .*credentials; fix: pass one of ci, default, ops/);
      expect(cw.calls()).toHaveLength(0);
    });

    it('accepts a profile of either file', async () => {
      for (const profile of ['ops', 'ci']) {
        const r = await where(['status', '--env', 'dev', '--profile', profile], env);
        expect(r.code, r.stderr).toBe(0);
        expect(r.client?.profile).toBe(profile);
      }
    });

    it('says AWS_PROFILE names a missing profile, not "use --profile", when credentials fail', async () => {
      cw.on(DescribeAlarmsCommand).rejects(
        Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }),
      );
      const r = await run(['status', '--env', 'dev'], { env: { ...env, AWS_PROFILE: 'gone' } });
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(
        'loadbearing: error: no AWS credentials: AWS_PROFILE names profile "gone", which is not in the AWS config or credentials file; fix: set AWS_PROFILE to one of ci, default, ops\n',
      );
    });
  });
});

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BUILTIN_ENVIRONMENTS } from '../../lib/model/config/builtin-environments';
import { CommandRegistry } from '../../lib/ops/command';
import { acceptedOptions, allCommands, cliGrammarTable } from '../../tools/docs/cli-grammar';
import { run } from './support/cli-harness';

const cw = mockClient(CloudWatchClient);
afterAll(() => cw.restore());
beforeEach(() => cw.reset());

/**
 * The grammar table of docs/ops-cli.md, checked command by command: every command reads its
 * environment from `-c configFile=` and `--config`, and refuses a bad `--region` or `--profile`
 * the same way, in one line, before any AWS call.
 */
const registry = allCommands().reduce((r, c) => r.register(c), new CommandRegistry());
let dir: string;
let config: string;
let awsEnv: NodeJS.ProcessEnv;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lb-grammar-'));
  config = join(dir, 'team.json');
  writeFileSync(config, JSON.stringify({ environments: { qa: { ...BUILTIN_ENVIRONMENTS.dev, stackName: 'team-qa' } } }));
  writeFileSync(join(dir, 'config'), '[default]\nregion = us-east-1\n[profile ops]\nregion = eu-west-1\n');
  awsEnv = { AWS_CONFIG_FILE: join(dir, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials') };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The arguments a command needs besides the environment (drill's mode, gate's bake, zonal-shift's action). */
function extra(name: string): string[] {
  if (name === 'drill') return ['az-loss', '--dry-run'];
  if (name === 'gate') return ['--bake', '1m'];
  if (name === 'zonal-shift') return ['status'];
  return [];
}

const commands = allCommands().map((c) => c.name);

describe.each(commands)('loadbearing %s', (name) => {
  const command = allCommands().find((c) => c.name === name)!;
  const accepts = acceptedOptions(command);

  it("reads its environment from -c configFile= and from --config (an environment the file lacks is named with the file's)", async () => {
    for (const flags of [
      ['-c', `configFile=${config}`],
      ['--config', config],
    ]) {
      const r = await run([name, ...extra(name), '--env', 'nope', ...flags], { registry, env: awsEnv });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/^loadbearing: error: unknown environment "nope" \(known: qa\)/);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  // Only the rows of the table that say "yes" (a skipped test would read like a missing one).
  if (accepts.has('region'))
    it('refuses a --region that is not an AWS region, naming the closest', async () => {
      const r = await run([name, ...extra(name), '--env', 'qa', '-c', `configFile=${config}`, '--region', 'eu-west1'], {
        registry,
        env: awsEnv,
      });
      expect(r.code).toBe(2);
      expect(r.stderr).toBe('loadbearing: error: --region "eu-west1" is not an AWS region; fix: did you mean "eu-west-1"?\n');
      expect(cw.calls()).toHaveLength(0);
    });

  if (accepts.has('profile'))
    it('refuses a --profile no AWS file defines, listing the ones there', async () => {
      const r = await run([name, ...extra(name), '--env', 'qa', '-c', `configFile=${config}`, '--profile', 'prod-admin'], {
        registry,
        env: awsEnv,
      });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^loadbearing: error: --profile "prod-admin" is not in .+; fix: pass one of default, ops/);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(cw.calls()).toHaveLength(0);
    });

  if (!accepts.has('stack'))
    it('rejects --stack: it reads no deployed stack', async () => {
      const r = await run([name, ...extra(name), '--env', 'qa', '-c', `configFile=${config}`, '--stack', 'x'], { registry, env: awsEnv });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("Unknown option '--stack'");
    });
});

describe('the stack and the region come from the environment', () => {
  it.each(['status', 'report'])('%s reads the alarms of the stack of the chosen environment', async (name) => {
    cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
    await run([name, '--env', 'qa', '-c', `configFile=${config}`], { registry, env: awsEnv });
    expect(cw.commandCalls(DescribeAlarmsCommand)[0]?.args[0].input.AlarmNamePrefix).toBe('team-qa-');
  });
});

it('docs/ops-cli.md shows the grammar table the commands have', () => {
  expect(readFileSync(join(__dirname, '../../docs/ops-cli.md'), 'utf8')).toContain(cliGrammarTable());
});

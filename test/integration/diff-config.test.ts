import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_ENVIRONMENTS } from '../../lib/model/config/builtin-environments';
import { runDiffCli } from '../../lib/platform/review/diff-cli';

/**
 * `npm run diff -- --base HEAD -c configFile=...` on a config file that is committed, then
 * edited in the working tree, as a team reviews a config change: each side synthesizes its own
 * version of the file. A throwaway git repository holds a copy of this project's code (bin, lib,
 * constructs, cdk.json...) with this repository's node_modules linked in.
 */
const ROOT = join(__dirname, '..', '..');
// service/: the CDK app ships the reference service's bundle, which the synth builds from it.
const PROJECT_FILES = [
  'bin',
  'lib',
  'constructs',
  'contract',
  'service',
  'rotation',
  'tools',
  'cdk.json',
  'package.json',
  'package-lock.json',
  'tsconfig.json',
];
const STACK_TRACE = /\n\s+at .+:\d+:\d+/;

let repo: string;

const staging = (changes: Record<string, unknown> = {}) => ({ ...BUILTIN_ENVIRONMENTS.staging, ...changes });
const file = (environments: Record<string, unknown>) => `${JSON.stringify({ environments }, null, 2)}\n`;

function git(...args: string[]): void {
  const run = spawnSync('git', args, {
    cwd: repo,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'test',
      GIT_AUTHOR_EMAIL: 't@example.com',
      GIT_COMMITTER_NAME: 'test',
      GIT_COMMITTER_EMAIL: 't@example.com',
    },
  });
  if (run.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${run.stderr}`);
}

function write(path: string, content: string): void {
  mkdirSync(dirname(join(repo, path)), { recursive: true });
  writeFileSync(join(repo, path), content);
}

async function diff(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runDiffCli(['--base', 'HEAD', '--allow-list', join(repo, 'allow.json'), ...argv], {
    cwd: repo,
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
  });
  return { code, stdout, stderr };
}

beforeAll(() => {
  repo = mkdtempSync(join(tmpdir(), 'diff-config-'));
  for (const path of PROJECT_FILES) cpSync(join(ROOT, path), join(repo, path), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(repo, 'node_modules'), 'dir');
  writeFileSync(join(repo, '.gitignore'), 'node_modules\ncdk.out\n');
  write('allow.json', JSON.stringify({ allowed: [] }));
  // The committed versions.
  write('config/harmless.json', file({ team: staging() }));
  write(
    'config/dangerous.json',
    file({ net: staging({ stackName: 'team-net', network: { cidr: '10.0.0.0/16' } }), db: staging({ stackName: 'team-db' }) }),
  );
  write('config/upgrade.json', file({ up: staging({ stackName: 'team-up', database: { engineVersion: '17.9' } }) }));
  write('config/broken.json', file({ broken: staging({ stackName: 'team-broken', fleet: { minCapacity: 30, maxCapacity: 10 } }) }));
  git('init', '--quiet', '--initial-branch=main');
  git('add', '-A');
  git('commit', '--quiet', '-m', 'base');
  // The edits in the working tree.
  write('config/harmless.json', file({ team: staging({ alarms: { dbCpuPercent: 70 } }) }));
  write(
    'config/dangerous.json',
    file({
      net: staging({ stackName: 'team-net', network: { cidr: '10.1.0.0/16' } }),
      db: staging({ stackName: 'team-db', database: { engineVersion: '18.3' } }),
    }),
  );
  write(
    'config/upgrade.json',
    file({ up: staging({ stackName: 'team-up', database: { engineVersion: '18.3', allowMajorVersionUpgrade: true } }) }),
  );
  write('config/broken.json', file({ broken: staging({ stackName: 'team-broken' }) }));
  write('config/new.json', file({ fresh: staging({ stackName: 'team-fresh' }) }));
});

afterAll(() => {
  if (repo) rmSync(repo, { recursive: true, force: true });
});

describe('npm run diff on a committed, then edited config file', () => {
  it('a harmless edit shows its property change and passes (exit 0)', async () => {
    const run = await diff('-c', 'configFile=config/harmless.json');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Synth diff: HEAD \([0-9a-f]{7}\) -> working tree$/m);
    expect(run.stdout).toMatch(/modified +AWS::CloudWatch::Alarm .*Threshold 80 -> 70/);
    expect(run.stdout).toContain('Result: no blocking changes (1 stack changed).');
  });

  describe('dangerous edits (one run, two environments)', () => {
    let run: Awaited<ReturnType<typeof diff>>;
    beforeAll(async () => {
      run = await diff('-c', 'configFile=config/dangerous.json');
    }, 180_000);

    it('are blocked (exit 1)', () => {
      expect(run.stderr).toBe('');
      expect(run.code).toBe(1);
    });

    it('a VPC CIDR change: the chain from network.cidr to the database that cannot follow', () => {
      expect(run.stdout).toMatch(
        /team-net: DatabaseWriter7794273E AWS::RDS::DBInstance \(Database\/Writer\)\n +cannot be updated: config network\.cidr "10\.0\.0\.0\/16" -> "10\.1\.0\.0\/16" → Network\/Vpc replaced \(CidrBlock "10\.0\.0\.0\/16" -> "10\.1\.0\.0\/16" requires replacement\) → .* → Database\/Subnets update refused by AWS \(SubnetIds: a DB subnet group cannot move to another VPC\) → Database\/Writer cannot be updated: blocked/,
      );
      expect(run.stdout).toMatch(
        /team-net: Cache18F6EE16 AWS::ElastiCache::ReplicationGroup \(Cache\)\n +cannot be updated: .*Cache\/Subnets update refused by AWS \(SubnetIds: a cache subnet group cannot move to another VPC\)/,
      );
    });

    it('a major version change without the switch: blocked with its real cause', () => {
      expect(run.stdout).toMatch(
        /team-db: DatabaseWriter7794273E AWS::RDS::DBInstance \(Database\/Writer\)\n +cannot be updated: config database\.engineVersion \(none\) -> "18\.3" → EngineVersion "17\.9" -> "18\.3": major version change without `allowMajorVersionUpgrade`/,
      );
      expect(run.stdout).toMatch(/fix: set database\.allowMajorVersionUpgrade to true in the same change/);
    });
  });

  it('a major version change with database.allowMajorVersionUpgrade passes as an in-place upgrade (exit 0)', async () => {
    const run = await diff('-c', 'configFile=config/upgrade.json');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /modified +AWS::RDS::DBInstance +DatabaseWriter7794273E +Database\/Writer +\[stateful\] +.*EngineVersion "17\.9" -> "18\.3", AllowMajorVersionUpgrade \(none\) -> true, in place \(postgres-major-upgrade\)/,
    );
    expect(run.stdout).toMatch(/modified +AWS::RDS::DBInstance +DatabaseReplica1ED560A1F .*in place \(postgres-major-upgrade\)/);
    expect(run.stdout).toMatch(/added +AWS::RDS::DBParameterGroup +DatabaseParametersPostgres18[0-9A-F]{8}/);
    expect(run.stdout).toContain('Result: no blocking changes');
  });

  it('a config file the base does not have holds new environments: each stack is added (exit 0)', async () => {
    const run = await diff('-c', 'configFile=config/new.json');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^team-fresh +new stack: /m);
    expect(run.stdout).toContain('config/new.json does not exist at HEAD');
  });

  it('an invalid config at the base is reported as such (exit 2), not as a review result', async () => {
    const run = await diff('-c', 'configFile=config/broken.json');
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(
      /^error: config\/broken\.json is invalid at HEAD \([0-9a-f]{7}\), so that side cannot be synthesized\. Fix: /,
    );
    expect(run.stderr).toMatch(/\| +- environments\.broken\.fleet\.minCapacity = 30\n/);
    expect(run.stderr).not.toMatch(STACK_TRACE);
  });

  it('a config file at neither side: one line, exit 2, no synth', async () => {
    const run = await diff('-c', 'configFile=config/missing.json');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^error: config file config\/missing\.json exists neither at HEAD \([0-9a-f]{7}\) nor at the working tree\. Fix: [^\n]+\n$/,
    );
  });
});

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commitTree, worktreeTree } from '../../../lib/platform/review/source-tree';
import { SynthCache, synthInputsKey, type SynthInputs } from '../../../lib/platform/review/synth-cache';
import { TempDirs } from '../../../lib/platform/review/temp-dirs';

const scratch = mkdtempSync(join(tmpdir(), 'synth-cache-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('the diff synth cache key', () => {
  const modulesDir = join(scratch, 'node_modules');
  const config = join(scratch, 'envs.json');
  mkdirSync(modulesDir, { recursive: true });
  writeFileSync(join(modulesDir, '.package-lock.json'), '{"packages":{"node_modules/aws-cdk-lib":{"version":"2.276.0"}}}');
  writeFileSync(config, '{"environments":{}}');
  const inputs: SynthInputs = { tree: 'a'.repeat(40), context: [`configFile=${config}`, 'x=1'], modulesDir };
  const key = synthInputsKey(inputs);

  it('is the same for the same inputs, whatever the order of the context', () => {
    expect(synthInputsKey({ ...inputs, context: ['x=1', `configFile=${config}`] })).toBe(key);
  });

  it.each([
    ['another tree', () => synthInputsKey({ ...inputs, tree: 'b'.repeat(40) })],
    ['another context value', () => synthInputsKey({ ...inputs, context: [`configFile=${config}`, 'x=2'] })],
    ['the config file edited', () => (writeFileSync(config, '{"environments":{"qa":{}}}'), synthInputsKey(inputs))],
    [
      'another installed dependency',
      () => (
        writeFileSync(join(modulesDir, '.package-lock.json'), '{"packages":{"node_modules/aws-cdk-lib":{"version":"2.277.0"}}}'),
        synthInputsKey(inputs)
      ),
    ],
    [
      'a default region in the environment',
      () => {
        process.env.CDK_DEFAULT_REGION = 'eu-west-1';
        try {
          return synthInputsKey(inputs);
        } finally {
          delete process.env.CDK_DEFAULT_REGION;
        }
      },
    ],
  ])('changes with %s', (_what, other) => {
    expect(other()).not.toBe(key);
  });
});

describe('the diff synth cache', () => {
  let cache: SynthCache;
  let out: string;
  beforeEach(() => {
    cache = new SynthCache(mkdtempSync(join(scratch, 'cache-')), 2);
    out = mkdtempSync(join(scratch, 'out-'));
    writeFileSync(join(out, 'loadbearing-dev.template.json'), '{"Resources":{}}');
    writeFileSync(join(out, 'manifest.json'), '{}');
    mkdirSync(join(out, 'asset.abc'));
  });

  it('returns what was stored, without the asset folders', () => {
    cache.store('1'.repeat(64), out, true);
    const hit = cache.lookup('1'.repeat(64), true)!;
    expect(readFileSync(join(hit, 'loadbearing-dev.template.json'), 'utf8')).toBe('{"Resources":{}}');
    expect(existsSync(join(hit, 'asset.abc'))).toBe(false);
    expect(cache.lookup('2'.repeat(64), true)).toBeUndefined();
  });

  it('serves a tolerant synth (the baseline) only to tolerant lookups, a strict one to both', () => {
    cache.store('3'.repeat(64), out, false);
    expect(cache.lookup('3'.repeat(64), false)).toBeDefined();
    expect(cache.lookup('3'.repeat(64), true)).toBeUndefined();
    cache.store('3'.repeat(64), out, true);
    expect(cache.lookup('3'.repeat(64), true)).toBeDefined();
  });

  it('keeps the most recently used entries only', () => {
    for (const k of ['4', '5', '6']) cache.store(k.repeat(64), out, true);
    expect(readdirSync(cache.directory).sort()).toEqual(['5'.repeat(64), '6'.repeat(64)]);
  });
});

describe('the working tree as a git tree', () => {
  let repo: string;
  const temp = new TempDirs();
  const git = (...args: string[]) => {
    const r = spawnSync('git', args, {
      cwd: repo,
      encoding: 'utf8',
      env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' },
    });
    expect(r.status, r.stderr).toBe(0);
    return r.stdout.trim();
  };
  beforeEach(() => {
    repo = mkdtempSync(join(scratch, 'repo-'));
    git('init', '-q');
    writeFileSync(join(repo, '.gitignore'), 'cdk.out/\n');
    writeFileSync(join(repo, 'app.ts'), 'one\n');
    git('add', '-A');
    git('commit', '-qm', 'first');
  });
  afterEach(() => temp.removeAll());

  it("equals the commit's tree while the files are the commit's, ignored files aside", async () => {
    mkdirSync(join(repo, 'cdk.out'));
    writeFileSync(join(repo, 'cdk.out', 'x.json'), '{}');
    expect(await worktreeTree(repo, temp)).toBe(await commitTree(repo, git('rev-parse', 'HEAD')));
  });

  it.each([
    ['an edit not yet added', (r: string) => writeFileSync(join(r, 'app.ts'), 'two\n')],
    ['a new untracked file', (r: string) => writeFileSync(join(r, 'new.ts'), '')],
    ['a deleted file', (r: string) => rmSync(join(r, 'app.ts'))],
  ])('differs after %s, and leaves the real index alone', async (_what, change) => {
    change(repo);
    const status = git('status', '--porcelain');
    expect(await worktreeTree(repo, temp)).not.toBe(await commitTree(repo, git('rev-parse', 'HEAD')));
    expect(git('status', '--porcelain')).toBe(status);
  });

  it('is unknown outside a git checkout', async () => {
    expect(await worktreeTree(mkdtempSync(join(scratch, 'plain-')), temp)).toBeUndefined();
  });
});

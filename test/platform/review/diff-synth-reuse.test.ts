import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDiffCli } from '../../../lib/platform/review/diff-cli';

/**
 * When `npm run diff` synthesizes, in a git project whose `cdk` writes one template from a file
 * and logs every run: one synth when nothing changed, none when the same inputs were synthesized
 * before, and a real change is always synthesized and shown.
 */
const repo = mkdtempSync(join(tmpdir(), 'diff-reuse-'));
const log = join(repo, '..', `${repo.split('/').pop()}-synths.log`);
const FAKE_CDK = `#!/bin/sh
# Writes bucket.json as the template of stack "demo" into --output, and logs the run.
out=""
while [ $# -gt 0 ]; do [ "$1" = "--output" ] && out="$2"; shift; done
echo "$PWD" >> "${log}"
cp bucket.json "$out/demo.template.json"
`;

function git(...args: string[]): string {
  const r = spawnSync('git', args, {
    cwd: repo,
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' },
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.trim();
}

const template = (retention: string) =>
  JSON.stringify({ Resources: { Data: { Type: 'AWS::S3::Bucket', DeletionPolicy: retention, UpdateReplacePolicy: retention } } });

async function diff(...argv: string[]): Promise<{ code: number; stdout: string; synths: number }> {
  const before = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).length : 0;
  let stdout = '';
  let stderr = '';
  const code = await runDiffCli(['--base', 'HEAD', ...argv], { cwd: repo, stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  if (stderr) throw new Error(stderr);
  const after = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).length : 0;
  return { code, stdout, synths: after - before };
}

beforeAll(() => {
  git('init', '-q');
  writeFileSync(join(repo, '.gitignore'), 'node_modules/\n');
  writeFileSync(join(repo, 'cdk.json'), '{"app":"unused: the fake cdk writes the template"}');
  writeFileSync(join(repo, 'bucket.json'), template('Retain'));
  mkdirSync(join(repo, 'node_modules', '.bin'), { recursive: true });
  writeFileSync(join(repo, 'node_modules', '.bin', 'cdk'), FAKE_CDK);
  chmodSync(join(repo, 'node_modules', '.bin', 'cdk'), 0o755);
  git('add', '-A');
  git('commit', '-qm', 'baseline');
});
afterAll(() => {
  rmSync(repo, { recursive: true, force: true });
  rmSync(log, { force: true });
});

describe('npm run diff reuses synths of identical inputs, and only those', () => {
  it('synthesizes once when the working tree holds the baseline commit', async () => {
    const run = await diff();
    expect(run.stdout).toContain('No changes: every template matches the baseline.');
    expect(run.synths).toBe(1);
  });

  it('synthesizes nothing the second time', async () => {
    const run = await diff();
    expect(run.stdout).toContain('No changes');
    expect(run.synths).toBe(0);
  });

  it('synthesizes a changed working tree (uncommitted) and shows the change; the baseline comes from the cache', async () => {
    // A same-size edit in the second of the last `git add`: the file's stat data (size, mtime)
    // matches the index entry except that its mtime is not older than the index itself, the
    // case git calls racily clean and rehashes. Pinned here, so it does not depend on timing.
    const second = 1_700_000_000;
    utimesSync(join(repo, 'bucket.json'), second, second);
    git('update-index', '--refresh'); // the index entry records that mtime
    writeFileSync(join(repo, 'bucket.json'), template('Delete'));
    utimesSync(join(repo, 'bucket.json'), second, second);
    utimesSync(join(repo, '.git', 'index'), second, second);
    const run = await diff();
    expect(run.synths).toBe(1);
    expect(run.stdout).toMatch(/DeletionPolicy|Retain -> Delete/);
    writeFileSync(join(repo, 'bucket.json'), template('Retain'));
  });

  it('sees an untracked file as a change of the inputs', async () => {
    writeFileSync(join(repo, 'extra.txt'), 'x');
    expect((await diff()).synths).toBe(1);
    rmSync(join(repo, 'extra.txt'));
  });

  it('synthesizes both sides with --no-cache', async () => {
    writeFileSync(join(repo, 'bucket.json'), template('Snapshot'));
    expect((await diff('--no-cache')).synths).toBe(2);
  });
});

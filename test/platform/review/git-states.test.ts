import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runDiffCli } from '../../../lib/platform/review/diff-cli';
import { exportCommit, resolveRef } from '../../../lib/platform/review/git-refs';
import { dependencyNote } from '../../../lib/platform/review/template-sources';
import { TempDirs } from '../../../lib/platform/review/temp-dirs';

/**
 * The git states a new team project is in when someone first runs `npx loadbearing-diff`: no
 * repository yet, a repository without commits, a --base that does not exist, the project in a
 * folder of its repository. Each answer is one line with the fix that fits that state (exit 2),
 * before any synth runs.
 */
let dir: string;

function git(cwd: string, ...args: string[]): string {
  const run = spawnSync('git', args, {
    cwd,
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
  return run.stdout;
}

async function diff(cwd: string, ...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runDiffCli(argv, { cwd, stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

/** A team project's first files: enough for git, never synthesized here (every case fails before the synth). */
function project(root: string): void {
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, 'cdk.json'), JSON.stringify({ app: 'npx tsx app.ts' }));
  writeFileSync(join(root, 'app.ts'), '// the team app\n');
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'diff-git-states-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const ONE_LINE = /^error: [^\n]+\n$/;

describe('npx loadbearing-diff in a new project', () => {
  it('outside any git repository: says so and how to start one, one line, exit 2', async () => {
    project(dir);
    const run = await diff(dir);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(ONE_LINE);
    expect(run.stderr).toContain(`error: ${dir} is not in a git repository, so there is no baseline to compare with.`);
    expect(run.stderr).toContain('git init, node_modules and cdk.out in .gitignore, git add -A && git commit -m "baseline"');
    expect(run.stderr).toContain('--base-dir <dir>');
  });

  it('in a repository without commits: says to commit first and never suggests --base HEAD (the default, explicit, or another ref)', async () => {
    project(dir);
    git(dir, 'init', '--quiet', '--initial-branch=main');
    for (const argv of [[], ['--base', 'HEAD'], ['--base', 'main'], ['--head', 'HEAD', '--base', 'HEAD']]) {
      const run = await diff(dir, ...argv);
      expect(run.code, argv.join(' ')).toBe(2);
      expect(run.stderr).toMatch(ONE_LINE);
      expect(run.stderr).toContain('has no commits yet, so there is no baseline');
      expect(run.stderr).toContain(
        'Fix: commit the project first (node_modules and cdk.out in .gitignore, git add -A && git commit -m "baseline")',
      );
      expect(run.stderr).not.toContain('--base HEAD');
      expect(run.stdout).toBe('');
    }
  });

  it('a --base that does not exist, in a repository with commits: names it, suggests HEAD and lists the local branches and tags', async () => {
    project(dir);
    git(dir, 'init', '--quiet', '--initial-branch=trunk');
    git(dir, 'add', '-A');
    git(dir, 'commit', '--quiet', '-m', 'baseline');
    git(dir, 'tag', 'v1');
    const run = await diff(dir, '--base', 'main');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(ONE_LINE);
    expect(run.stderr).toContain('error: unknown git ref "main". Fix: pass a branch, tag or commit that exists locally');
    expect(run.stderr).toContain('e.g. --base HEAD (the last commit); local branches and tags: ');
    expect(run.stderr).toMatch(/local branches and tags: (trunk, v1|v1, trunk)\.\n$/);
  });

  it('a project in a folder of its repository: the export of a ref holds that folder, the project, at its root', async () => {
    project(join(dir, 'infra'));
    writeFileSync(join(dir, 'infra', 'package-lock.json'), '{"lockfileVersion": 3}\n');
    writeFileSync(join(dir, 'README.md'), 'the team repository\n');
    git(dir, 'init', '--quiet', '--initial-branch=main');
    git(dir, 'add', '-A');
    git(dir, 'commit', '--quiet', '-m', 'baseline');
    const ref = await resolveRef(join(dir, 'infra'), 'HEAD');
    const out = join(dir, 'export');
    mkdirSync(out);
    await exportCommit(join(dir, 'infra'), ref.commit, out);
    expect(readdirSync(out).sort()).toEqual(['app.ts', 'cdk.json', 'package-lock.json']);
    // The project's own lock file at the ref, not one at the repository's root: no dependency warning.
    const note = await dependencyNote(
      { kind: 'ref', ref },
      { kind: 'worktree' },
      {
        projectDir: join(dir, 'infra'),
        context: [],
        installDependencies: false,
        temp: new TempDirs(),
      },
    );
    expect(note).toBeUndefined();
  });
});

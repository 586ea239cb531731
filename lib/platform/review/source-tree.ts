import { copyFileSync, existsSync, statSync, utimesSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { runProcess } from './run-process';
import type { TempDirs } from './temp-dirs';

/**
 * The git tree of the working tree as it is now, uncommitted and untracked (not ignored) files
 * included: what `git add -A && git write-tree` would record, computed on a copy of the index
 * so neither the real index nor the files are touched. Equal to a commit's tree exactly when the
 * working tree holds that commit's files. Undefined when git cannot tell (not a checkout).
 */
export async function worktreeTree(repoDir: string, temp: TempDirs): Promise<string | undefined> {
  const env = { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };
  const top = await runProcess('git', ['rev-parse', '--show-toplevel', '--git-path', 'index'], { cwd: repoDir, env });
  if (top.status !== 0) return undefined;
  const [toplevel, indexPath] = top.stdout.trim().split('\n');
  const index = join(temp.make('index'), 'index');
  const realIndex = isAbsolute(indexPath) ? indexPath : join(repoDir, indexPath);
  // A copy keeps the stat cache: only files changed since the last `git add` are hashed. It also
  // keeps the index's own mtime: git rehashes a file whose mtime is not older than the index
  // ("racily clean"), which is how it sees a same-size edit made in the second of the last
  // `git add`. A fresh mtime on the copy would hide that edit and reuse a stale synth.
  if (existsSync(realIndex)) {
    copyFileSync(realIndex, index);
    const { atime, mtime } = statSync(realIndex);
    utimesSync(index, atime, mtime);
  }
  const withIndex = { ...env, GIT_INDEX_FILE: index };
  const add = await runProcess('git', ['add', '--all', '--', '.'], { cwd: toplevel, env: withIndex });
  if (add.status !== 0) return undefined;
  const tree = await runProcess('git', ['write-tree'], { cwd: toplevel, env: withIndex });
  return tree.status === 0 ? tree.stdout.trim() : undefined;
}

/** The tree of a commit. */
export async function commitTree(repoDir: string, commit: string): Promise<string | undefined> {
  const r = await runProcess('git', ['rev-parse', '--verify', '--quiet', `${commit}^{tree}`], {
    cwd: repoDir,
    env: { ...process.env, LC_ALL: 'C' },
  });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

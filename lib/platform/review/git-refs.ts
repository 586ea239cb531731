import { ReviewError } from './review-error';
import { runProcess } from './run-process';

export interface ResolvedRef {
  /** The ref as the user named it. */
  readonly ref: string;
  readonly commit: string;
  /** `origin/main (0118c1a)` */
  readonly label: string;
}

/** The default baseline: `origin/main` when the clone has it, else `HEAD`. */
export async function defaultBaseRef(repoDir: string): Promise<string> {
  const r = await git(repoDir, ['rev-parse', '--verify', '--quiet', 'refs/remotes/origin/main']);
  return r.status === 0 ? 'origin/main' : 'HEAD';
}

/** Resolves a ref to a commit, or explains why it cannot. */
export async function resolveRef(repoDir: string, ref: string): Promise<ResolvedRef> {
  const inside = await git(repoDir, ['rev-parse', '--is-inside-work-tree']);
  if (inside.error || inside.status !== 0) {
    throw new ReviewError(
      `${repoDir} is not a git checkout (or git is not installed)`,
      'run from a clone of the repository, or compare against templates with --base-dir <dir>.',
    );
  }
  const r = await git(repoDir, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  const commit = r.stdout.trim();
  if (r.status !== 0 || commit === '') {
    throw new ReviewError(
      `unknown git ref "${ref}"`,
      'pass a branch, tag or commit that exists locally (git fetch first), e.g. --base HEAD.',
    );
  }
  return { ref, commit, label: `${ref} (${commit.slice(0, 7)})` };
}

/** Writes the files of a commit into a directory (no checkout: the working tree is not touched). */
export async function exportCommit(repoDir: string, commit: string, into: string): Promise<void> {
  const archive = await git(repoDir, ['archive', '--format=tar', commit]);
  if (archive.status !== 0)
    throw new ReviewError(`git archive ${commit.slice(0, 7)} failed`, 'check that the commit exists locally.', lines(archive.stderr));
  const tar = await runProcess('tar', ['-x', '-f', '-', '-C', into], { cwd: into, stdin: archive.stdoutBytes });
  if (tar.status !== 0)
    throw new ReviewError(
      `unpacking ${commit.slice(0, 7)} into ${into} failed`,
      'check that tar is installed and the temp directory is writable.',
      lines(tar.stderr),
    );
}

/** The content of a file at a commit, or undefined when the commit does not have it. */
export async function fileAtCommit(repoDir: string, commit: string, path: string): Promise<string | undefined> {
  const r = await git(repoDir, ['show', `${commit}:${path}`]);
  return r.status === 0 ? r.stdout : undefined;
}

function git(cwd: string, args: readonly string[]) {
  return runProcess('git', args, { cwd, env: gitEnv() });
}

function gitEnv(): NodeJS.ProcessEnv {
  return { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };
}

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}

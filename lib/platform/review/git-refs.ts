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

/**
 * Resolves a ref to a commit, or explains why it cannot, with the advice that fits the state of
 * the project's repository: no git at all, no repository, a repository without commits (a new
 * project: commit first; HEAD itself does not exist yet), or a ref that is not there.
 */
export async function resolveRef(repoDir: string, ref: string): Promise<ResolvedRef> {
  const inside = await git(repoDir, ['rev-parse', '--is-inside-work-tree']);
  if (inside.error) {
    throw new ReviewError(
      `git could not be run (${inside.error.message})`,
      'install git (the review compares git refs), or compare against templates you kept with --base-dir <dir>.',
    );
  }
  if (inside.status !== 0 || inside.stdout.trim() !== 'true') {
    throw new ReviewError(
      `${repoDir} is not in a git repository, so there is no baseline to compare with`,
      'put the project under git and commit it (git init, node_modules and cdk.out in .gitignore, git add -A && git commit -m "baseline"), ' +
        'then review your changes against that commit; or compare against templates you kept with --base-dir <dir>.',
    );
  }
  const r = await git(repoDir, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  const commit = r.stdout.trim();
  if (r.status === 0 && commit !== '') return { ref, commit, label: `${ref} (${commit.slice(0, 7)})` };
  const head = await git(repoDir, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}']);
  if (head.status !== 0) {
    throw new ReviewError(
      `the git repository of ${repoDir} has no commits yet, so there is no baseline${ref === 'HEAD' ? '' : ` (${ref})`} to compare with`,
      'commit the project first (node_modules and cdk.out in .gitignore, git add -A && git commit -m "baseline"); the review then shows what your next changes do to it. ' +
        'Or compare against templates you kept with --base-dir <dir>.',
    );
  }
  const known = await git(repoDir, [
    'for-each-ref',
    '--format=%(refname:short)',
    '--count=8',
    '--sort=-committerdate',
    'refs/heads',
    'refs/tags',
  ]);
  const names = known.stdout.split('\n').filter(Boolean);
  throw new ReviewError(
    `unknown git ref "${ref}"`,
    `pass a branch, tag or commit that exists locally (git fetch first for a remote branch), e.g. --base HEAD (the last commit)${
      names.length > 0 ? `; local branches and tags: ${names.join(', ')}` : ''
    }.`,
  );
}

/**
 * Writes the files of a commit into a directory (no checkout: the working tree is not touched).
 * Run from a folder of the repository (a project in `infra/`), `git archive` writes that folder
 * only, at the top of the archive: the directory is then the project root, as the working tree's is.
 */
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

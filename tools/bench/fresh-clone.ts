import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** A clone of the project's HEAD with `npm ci` done: what a new user has before their first command. */
export interface FreshClone {
  readonly dir: string;
  readonly commit: string;
  /** Whether the project had uncommitted changes (the clone has only what is committed). */
  readonly uncommittedChanges: boolean;
  readonly npmCiSeconds: number;
}

function run(cmd: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv): string {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}:\n${r.stderr}`);
  return r.stdout.trim();
}

/**
 * Clones `root` at HEAD into `scratch/clone` and runs `npm ci` there (from npm's local cache
 * where it can: the install is not what is measured, what follows it is).
 */
export function freshClone(root: string, scratch: string, env: NodeJS.ProcessEnv): FreshClone {
  const dir = join(scratch, 'clone');
  const commit = run('git', ['rev-parse', 'HEAD'], root);
  const uncommittedChanges = run('git', ['status', '--porcelain'], root) !== '';
  if (!existsSync(dir)) {
    run('git', ['clone', '--quiet', '--no-hardlinks', root, dir], scratch);
    run('git', ['checkout', '--quiet', '--detach', commit], dir);
  }
  const started = Date.now();
  run('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], dir, env);
  return { dir, commit, uncommittedChanges, npmCiSeconds: (Date.now() - started) / 1000 };
}

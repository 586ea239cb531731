import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PROJECT_ROOT = join(__dirname, '..', '..');

export interface CdkRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly outdir: string;
}

/** Runs the project's CDK CLI (`npx cdk ...`) as a user would, into a fresh output directory. */
export function runCdk(args: readonly string[]): CdkRun {
  const outdir = mkdtempSync(join(tmpdir(), 'loadbearing-cli-'));
  const result = spawnSync(join(PROJECT_ROOT, 'node_modules', '.bin', 'cdk'), [...args, '--output', outdir], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1', CI: 'true', FORCE_COLOR: '0' },
    timeout: 120_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, outdir };
}

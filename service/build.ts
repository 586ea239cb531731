import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { BuildOptions } from 'esbuild';

/**
 * The repository root: the folder holding service/src/main.ts, found from this file whether it
 * runs as TypeScript (service/build.ts) or compiled (dist/service/build.js); undefined where the
 * sources are not there (the published package ships no service sources).
 */
export function serviceRepositoryRoot(): string | undefined {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'service', 'src', 'main.ts'))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

function requireRoot(): string {
  const root = serviceRepositoryRoot();
  if (!root) throw new Error(`the reference service's sources (service/src/main.ts) are not above ${__dirname}`);
  return root;
}

/** esbuild, loaded only when a bundle is built (a development dependency: the package's users pass their own app). */
const esbuild = (): typeof import('esbuild') => require('esbuild') as typeof import('esbuild');

/** Where `npm run build:service` and the synth write the bundle (gitignored). */
export const SERVICE_BUNDLE = join(serviceRepositoryRoot() ?? join(__dirname, '..'), 'service', 'dist', 'loadbearing-service.js');

export interface ServiceBundle {
  readonly path: string;
  /** sha256 of the bundle: the same sources and lock file give the same bytes and hash. */
  readonly sha256: string;
  readonly bytes: number;
}

/**
 * Bundles the reference service (or another entry, e.g. the bench's bare server) into one file with esbuild: Node 20, CommonJS, every runtime
 * dependency inlined (`pg-native` and Cloudflare sockets are optional requires pg never needs
 * here). Deterministic: no timestamps, no absolute paths (the working directory is the
 * repository root), no minification, so two builds of the same sources are byte-identical and
 * the CDK asset hash changes only when the service does.
 */
export async function buildServiceBundle(outfile = SERVICE_BUNDLE, entry = 'service/src/main.ts'): Promise<ServiceBundle> {
  mkdirSync(dirname(outfile), { recursive: true });
  await esbuild().build({ ...options(), entryPoints: [entry], outfile });
  return describe(outfile, readFileSync(outfile));
}

const options = (): BuildOptions => ({
  absWorkingDir: requireRoot(),
  entryPoints: ['service/src/main.ts'],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: ['pg-native', 'cloudflare:sockets'],
  legalComments: 'eof',
  sourcemap: false,
  minify: false,
  keepNames: true,
  logLevel: 'warning',
});

function describe(path: string, content: Buffer): ServiceBundle {
  return { path, sha256: createHash('sha256').update(content).digest('hex'), bytes: content.length };
}

let built: ServiceBundle | undefined;

/**
 * The same bundle, built synchronously for the synth (constructs cannot await), once per process.
 * The file is replaced atomically (written beside it, then renamed), so a test worker or a
 * second synth reading it meanwhile never sees half a file.
 */
export function buildServiceBundleSync(outfile = SERVICE_BUNDLE): ServiceBundle {
  if (built?.path === outfile) return built;
  const result = esbuild().buildSync({ ...options(), outfile, write: false });
  const content = Buffer.from(result.outputFiles![0].contents);
  mkdirSync(dirname(outfile), { recursive: true });
  const current = existsSync(outfile) ? readFileSync(outfile) : undefined;
  if (!current?.equals(content)) {
    const partial = `${outfile}.${process.pid}.tmp`;
    writeFileSync(partial, content);
    renameSync(partial, outfile);
  }
  built = describe(outfile, content);
  return built;
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

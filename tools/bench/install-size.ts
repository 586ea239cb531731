import { spawnSync } from 'node:child_process';
import { copyFileSync, lstatSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { installOffline, packPackages, pinnedVersion, writeOfflineProject } from '../package/offline-project';
import type { BenchPart, PartResult } from './bench-part';
import type { TargetResult } from './targets';

/** What one installed project holds under node_modules. */
export interface Footprint {
  /** Packages installed (entries of npm's hidden lock file, node_modules/.package-lock.json). */
  readonly packages: number;
  /** The sizes of every file, added up (what the tarballs unpack to). */
  readonly bytes: number;
  /** What `du` counts: the blocks the files take on this file system. */
  readonly diskBytes: number;
  /** How long `npm install --offline` took (from the npm cache: no network). */
  readonly installSeconds: number;
}

export interface InstallSizeResult extends PartResult {
  readonly version: string;
  /** aws-cdk-lib and constructs alone: what every CDK app installs anyway. */
  readonly floor: Footprint;
  /** The floor, the library and the runtime contract (the packed tarballs). */
  readonly library: Footprint;
  /** The same with every optional peer dependency installed (the AWS SDK clients of preflight and drill). */
  readonly libraryWithOptionalPeers: Footprint;
  /** For comparison: the floor with the dependencies 0.1.0 declared and the clients preflight needs (0.1.0's own files not counted). */
  readonly release010?: Footprint;
  readonly tarballBytes: { readonly library: number; readonly contract: number };
}

/** The release before the package split, and the clients its preflight needed (then added by hand). */
const RELEASE_010 = '12f051d';
const PREFLIGHT_CLIENTS = [
  '@aws-sdk/client-sts',
  '@aws-sdk/client-acm',
  '@aws-sdk/client-ec2',
  '@aws-sdk/client-service-quotas',
  '@aws-sdk/client-cloudformation',
  '@aws-sdk/client-rds',
];

/** Files of a directory tree, without following links: their sizes and the blocks they take. */
export function treeSize(dir: string): { bytes: number; diskBytes: number } {
  let bytes = 0;
  let diskBytes = 0;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const stat = lstatSync(join(entry.parentPath, entry.name));
    bytes += stat.size;
    diskBytes += stat.blocks * 512;
  }
  return { bytes, diskBytes };
}

function footprint(dir: string, installSeconds: number): Footprint {
  const hidden = JSON.parse(readFileSync(join(dir, 'node_modules', '.package-lock.json'), 'utf8')) as { packages: Record<string, unknown> };
  return { packages: Object.keys(hidden.packages).length, ...treeSize(join(dir, 'node_modules')), installSeconds };
}

const MB = 1e6;
const mb = (bytes: number) => `${(bytes / MB).toFixed(0)} MB`;

/** `+57 MB (62 MB on disk), +61 packages` beyond the floor. */
export function beyond(f: Footprint, floor: Footprint): string {
  return `+${mb(f.bytes - floor.bytes)} (${mb(f.diskBytes - floor.diskBytes)} on disk), +${f.packages - floor.packages} packages`;
}

/** The dependencies 0.1.0 declared, if git has that commit and this repository's lock file holds each at that version. */
function release010Dependencies(root: string): Record<string, string> | undefined {
  const show = spawnSync('git', ['show', `${RELEASE_010}:package.json`], { cwd: root, encoding: 'utf8' });
  if (show.status !== 0) return undefined;
  const deps = (JSON.parse(show.stdout) as { dependencies: Record<string, string> }).dependencies;
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> };
  return Object.entries(deps).every(([name, version]) => lock.packages[`node_modules/${name}`]?.version === version) ? deps : undefined;
}

/**
 * What installing the library costs a team: the library and the contract packed (`npm pack`),
 * installed with aws-cdk-lib and constructs into empty projects offline, from the npm cache
 * `npm ci` filled (the lock file pins every package at this repository's version), and measured
 * beyond aws-cdk-lib and constructs alone.
 */
export const installSizeBench: BenchPart<InstallSizeResult> = {
  name: 'install-size',
  summary: "what a team's install adds beyond aws-cdk-lib and constructs: the library alone, with every optional AWS SDK client",
  async measure(ctx) {
    const build = spawnSync(process.execPath, ['tools/build.cjs', '--if-stale'], { cwd: ctx.root, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`the build failed:\n${build.stderr}`);
    const packDir = join(ctx.scratch, 'install-size', 'packed');
    mkdirSync(packDir, { recursive: true });
    const tarballs = packPackages(packDir);
    const cdk = { 'aws-cdk-lib': pinnedVersion('aws-cdk-lib'), constructs: pinnedVersion('constructs') };
    const ours = { loadbearing: `file:${tarballs.library}`, '@loadbearing/contract': `file:${tarballs.contract}` };
    const manifest = JSON.parse(readFileSync(join(ctx.root, 'package.json'), 'utf8')) as {
      version: string;
      peerDependenciesMeta: Record<string, { optional?: boolean }>;
    };
    const optionalPeers = Object.keys(manifest.peerDependenciesMeta).filter((name) => manifest.peerDependenciesMeta[name]!.optional);
    const pinnedAll = (names: readonly string[]) => Object.fromEntries(names.map((name) => [name, pinnedVersion(name)]));

    const install = (name: string, dependencies: Record<string, string>, withTarballs: boolean): Footprint => {
      const dir = join(ctx.scratch, 'install-size', name);
      mkdirSync(dir, { recursive: true });
      if (withTarballs) for (const file of [tarballs.library, tarballs.contract]) copyFileSync(join(packDir, file), join(dir, file));
      writeOfflineProject(dir, { name: `install-size-${name}`, dependencies, ...(withTarballs ? { tarballs } : {}) });
      const started = Date.now();
      installOffline(dir);
      const result = footprint(dir, (Date.now() - started) / 1000);
      ctx.log(
        `${name.padEnd(20)} ${result.packages} packages, ${mb(result.bytes)} (${mb(result.diskBytes)} on disk), installed in ${result.installSeconds.toFixed(0)} s`,
      );
      return result;
    };
    const floor = install('floor', cdk, false);
    const library = install('library', { ...cdk, ...ours }, true);
    const libraryWithOptionalPeers = install('optional-peers', { ...cdk, ...ours, ...pinnedAll(optionalPeers) }, true);
    const old = release010Dependencies(ctx.root);
    const release010 = old ? install('release-0.1.0', { ...cdk, ...old, ...pinnedAll(PREFLIGHT_CLIENTS) }, false) : undefined;
    const size = (file: string) => lstatSync(join(packDir, file)).size;
    return {
      version: manifest.version,
      floor,
      library,
      libraryWithOptionalPeers,
      ...(release010 ? { release010 } : {}),
      tarballBytes: { library: size(tarballs.library), contract: size(tarballs.contract) },
    };
  },
  table(r) {
    const row = (label: string, f: Footprint, extra: string) =>
      `| ${label} | ${f.packages} | ${mb(f.bytes)} | ${mb(f.diskBytes)} | ${extra} |`;
    return [
      `Install size of ${r.version}: each project installed offline from the npm cache with the tarballs of \`npm pack\` (library ${mb(r.tarballBytes.library)} packed, contract ${(r.tarballBytes.contract / 1e3).toFixed(0)} kB); MB = 10^6 bytes; the file sizes added up, and the blocks they take on disk (what \`du\` counts).`,
      '',
      '| Project | Packages | Files | On disk | Beyond aws-cdk-lib + constructs |',
      '| --- | --- | --- | --- | --- |',
      row('`aws-cdk-lib` and `constructs` alone', r.floor, '(the floor)'),
      row('the floor, `loadbearing` and `@loadbearing/contract`', r.library, beyond(r.library, r.floor)),
      row(
        'the same with every optional AWS SDK client (`preflight`, `drill`)',
        r.libraryWithOptionalPeers,
        beyond(r.libraryWithOptionalPeers, r.floor),
      ),
      ...(r.release010
        ? [row("for comparison: the floor with 0.1.0's dependencies and preflight's clients", r.release010, beyond(r.release010, r.floor))]
        : []),
    ];
  },
  targets(r): TargetResult[] {
    const added = (r.library.bytes - r.floor.bytes) / MB;
    return [
      {
        target: 'the library adds <= 100 MB beyond aws-cdk-lib + constructs (optional AWS SDK clients not installed)',
        measured: `${added.toFixed(0)} MB, ${r.library.packages - r.floor.packages} packages`,
        met: added <= 100,
      },
    ];
  },
};

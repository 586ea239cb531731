import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../synth/project-root';

/**
 * A project outside this repository that installs the packed packages as a team does, offline,
 * from the npm cache that `npm ci` of this repository filled. Used by the consumer test
 * (test/integration/consumer-package.test.ts) and the install-size bench (tools/bench/install-size.ts).
 */

export const ROOT = projectRoot(__dirname);

interface PackageJson {
  name: string;
  version: string;
  license?: string;
  engines?: Record<string, string>;
  bin?: Record<string, string>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  devDependencies?: Record<string, string>;
}

type LockEntry = Record<string, unknown>;
interface LockFile {
  packages: Record<string, LockEntry>;
}

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

export function run(command: string, args: readonly string[], cwd: string, timeout = 300_000): SpawnSyncReturns<string> {
  return spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    timeout,
    maxBuffer: 64 * 1024 * 1024,
    env: {
      ...process.env,
      CDK_DISABLE_VERSION_CHECK: '1',
      CI: 'true',
      FORCE_COLOR: '0',
      NO_COLOR: '1',
      npm_config_update_notifier: 'false',
    },
  });
}

/**
 * `npm pack` of the built library package (dist/ must be built: `node tools/build.cjs --if-stale`)
 * into `dir`, or of one of its workspace packages (`workspace`, e.g. "contract"); the tarball's
 * file name.
 */
export function packPackage(dir: string, workspace?: string): string {
  const pack = run(
    'npm',
    ['pack', '--ignore-scripts', '--json', '--pack-destination', dir, ...(workspace ? ['--workspace', workspace] : [])],
    ROOT,
  );
  if (pack.status !== 0) throw new Error(`npm pack failed:\n${pack.stderr}`);
  return (JSON.parse(pack.stdout) as { filename: string }[])[0]!.filename;
}

/** The tarballs a team installs: the library and the runtime contract it depends on. */
export interface PackedPackages {
  readonly library: string;
  readonly contract: string;
  /** The proving ground (`loadbearing prove`), when packed too. */
  readonly provingGround?: string;
}

export function packPackages(dir: string, options: { provingGround?: boolean } = {}): PackedPackages {
  return {
    library: packPackage(dir),
    contract: packPackage(dir, 'contract'),
    ...(options.provingGround ? { provingGround: packPackage(dir, 'proving-ground') } : {}),
  };
}

/** The version this repository pins for one of its dependencies (development ones included). */
export function pinnedVersion(name: string): string {
  const ours = readJson<PackageJson>(join(ROOT, 'package.json'));
  const version = ours.devDependencies?.[name] ?? ours.dependencies?.[name];
  if (!version) throw new Error(`${name} is not a dependency of this repository`);
  return version;
}

/** What an offline project installs. */
export interface OfflineProject {
  readonly name: string;
  /** Registry packages at a version this repository's lock file holds, and `file:` tarballs. */
  readonly dependencies: Readonly<Record<string, string>>;
  readonly devDependencies?: Readonly<Record<string, string>>;
  /** The packed packages among the dependencies (their lock entries point at the tarballs). */
  readonly tarballs?: PackedPackages;
  /**
   * Aliases (`"typescript-5": "npm:typescript@5.9.3"`), each with the entry of this repository's
   * lock file that holds that package and version (e.g. a workspace's nested copy).
   */
  readonly aliases?: Readonly<Record<string, { readonly spec: string; readonly lockPath: string }>>;
}

const integrityOf = (file: string) => `sha512-${createHash('sha512').update(readFileSync(file)).digest('base64')}`;

/**
 * Writes the project's package.json and a package-lock.json into `dir`. The lock file pins every
 * package at the version this repository's own lock file resolved, so `npm install --offline`
 * needs nothing but the npm cache that `npm ci` of this repository filled (CI runs `npm ci`
 * first): without it, npm would resolve version ranges against registry metadata the cache may
 * not hold, and pick versions it has never downloaded. npm prunes what the project does not need.
 */
export function writeOfflineProject(dir: string, project: OfflineProject): void {
  const lock = readJson<LockFile>(join(ROOT, 'package-lock.json'));
  const aliasSpecs = Object.fromEntries(Object.entries(project.aliases ?? {}).map(([name, a]) => [name, a.spec]));
  const manifest = {
    name: project.name,
    version: '1.0.0',
    private: true,
    dependencies: project.dependencies,
    ...(project.devDependencies || project.aliases ? { devDependencies: { ...project.devDependencies, ...aliasSpecs } } : {}),
  };
  writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest, null, 2));

  const packages: LockFile['packages'] = {
    '': { name: manifest.name, version: manifest.version, dependencies: manifest.dependencies, devDependencies: manifest.devDependencies },
  };
  // The repository's own tree at the top (its workspaces, and the link that stands for the
  // library, left out): each package the project needs is resolved there as Node resolves it.
  const available: LockFile['packages'] = {};
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (
      !path.startsWith('node_modules/') ||
      entry.link === true ||
      path.startsWith('node_modules/@loadbearing/') ||
      path === 'node_modules/loadbearing'
    )
      continue;
    available[path] = entry;
  }
  for (const [name, alias] of Object.entries(project.aliases ?? {})) {
    const entry = lock.packages[alias.lockPath];
    if (!entry) throw new Error(`${alias.lockPath} is not in package-lock.json (run npm install)`);
    const [, real] = /^npm:(.+)@[^@]+$/.exec(alias.spec) ?? [];
    if (!real) throw new Error(`${name}: ${alias.spec} is not an npm: alias`);
    available[`node_modules/${name}`] = { name: real, ...entry };
  }
  // The packed packages: each entry points at its tarball, with the manifest fields npm reads.
  const packed = (workspace: string, tarball: string, fields: readonly (keyof PackageJson)[]) => {
    const manifestOf = readJson<PackageJson>(join(ROOT, workspace, 'package.json'));
    return {
      version: manifestOf.version,
      resolved: `file:${tarball}`,
      integrity: integrityOf(join(dir, tarball)),
      license: manifestOf.license,
      ...Object.fromEntries(fields.map((f) => [f, manifestOf[f]])),
    };
  };
  if (project.tarballs) {
    packages['node_modules/@loadbearing/contract'] = packed('contract', project.tarballs.contract, ['dependencies']);
    packages['node_modules/loadbearing'] = packed('.', project.tarballs.library, [
      'dependencies',
      'peerDependencies',
      'peerDependenciesMeta',
      'bin',
      'engines',
    ]);
    if (project.tarballs.provingGround)
      packages['node_modules/@loadbearing/proving-ground'] = packed('proving-ground', project.tarballs.provingGround, [
        'dependencies',
        'peerDependencies',
        'bin',
        'engines',
      ]);
  }
  // Only what the project's dependencies need: npm keeps a package the lock file holds if it
  // satisfies an optional peer dependency, so copying the whole lock file would install the
  // library's optional AWS SDK clients, which a team's own install does not.
  for (const [path, entry] of Object.entries(packages)) if (path !== '') available[path] = entry;
  for (const path of neededPaths(available, [...Object.keys(manifest.dependencies), ...Object.keys(manifest.devDependencies ?? {})]))
    packages[path] = available[path]!;
  writeFileSync(
    join(dir, 'package-lock.json'),
    JSON.stringify({ name: manifest.name, version: manifest.version, lockfileVersion: 3, requires: true, packages }, null, 2),
  );
}

/** `npm install --offline` in `dir`; throws with npm's output when it fails. */
export function installOffline(dir: string): void {
  const install = run('npm', ['install', '--offline', '--no-audit', '--no-fund'], dir);
  if (install.status !== 0)
    throw new Error(`npm install --offline failed (is the npm cache warm? \`npm ci\` fills it):\n${install.stdout}\n${install.stderr}`);
}

/** Where Node finds `name` from the package at `from` (a lock path, '' for the project): its own node_modules, then each one above. */
export function resolveLockPath(packages: Readonly<Record<string, LockEntry>>, from: string, name: string): string | undefined {
  for (let base = from; ; ) {
    const candidate = base ? `${base}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!base) return undefined;
    const up = base.lastIndexOf('/node_modules/');
    base = up < 0 ? '' : base.slice(0, up);
  }
}

/**
 * The lock paths of `roots` (the project's dependencies) and of everything they need: their
 * dependencies, the optional ones that the lock holds (another platform's are absent), and their
 * peer dependencies unless optional.
 */
export function neededPaths(packages: Readonly<Record<string, LockEntry>>, roots: readonly string[]): Set<string> {
  const needed = new Set<string>();
  const queue: { from: string; name: string; required: boolean }[] = roots.map((name) => ({ from: '', name, required: true }));
  while (queue.length > 0) {
    const { from, name, required } = queue.pop()!;
    const path = resolveLockPath(packages, from, name);
    if (!path) {
      if (required) throw new Error(`${name} (needed by ${from || 'the project'}) is not in this repository's package-lock.json`);
      continue;
    }
    if (needed.has(path)) continue;
    needed.add(path);
    const entry = packages[path]!;
    const deps = (key: string) => Object.keys((entry[key] as Record<string, string> | undefined) ?? {});
    const optionalPeers = (entry.peerDependenciesMeta as Record<string, { optional?: boolean }> | undefined) ?? {};
    for (const dep of deps('dependencies')) queue.push({ from: path, name: dep, required: true });
    for (const dep of deps('optionalDependencies')) queue.push({ from: path, name: dep, required: false });
    for (const dep of deps('peerDependencies')) if (!optionalPeers[dep]?.optional) queue.push({ from: path, name: dep, required: false });
  }
  return needed;
}

import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..', '..');
/** The team project of docs/extending.md: its app and its cdk.json, copied as they are. */
export const TEAM_APP_DIR = join(ROOT, 'test', 'extension', 'team-app');

interface PackageJson {
  name: string;
  version: string;
  license?: string;
  engines?: Record<string, string>;
  bin?: Record<string, string>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

interface LockFile {
  packages: Record<string, Record<string, unknown>>;
}

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

export function run(command: string, args: readonly string[], cwd: string, timeout = 300_000): SpawnSyncReturns<string> {
  return spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    timeout,
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
 * `npm pack` of the built library package (dist/ is built by the integration setup) into `dir`,
 * or of one of its workspace packages (`workspace`, e.g. "contract"); the tarball's file name.
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
}

export function packPackages(dir: string): PackedPackages {
  return { library: packPackage(dir), contract: packPackage(dir, 'contract') };
}

/**
 * Writes a team project into `dir`: package.json (the packed tarball, aws-cdk-lib and constructs
 * as the team's own dependencies, and the CDK CLI, tsx and TypeScript to run and check the app),
 * the team app and its cdk.json, and a package-lock.json.
 *
 * The lock file pins every package at the version this repository's own lock file resolved, so
 * `npm install --offline` needs nothing but the npm cache that `npm ci` of this repository filled
 * (CI runs `npm ci` first): without it, npm would resolve version ranges against registry
 * metadata the cache may not hold, and pick versions it has never downloaded.
 */
export function writeTeamProject(dir: string, tarballs: PackedPackages): void {
  const tarball = tarballs.library;
  const ours = readJson<PackageJson>(join(ROOT, 'package.json'));
  const lock = readJson<LockFile>(join(ROOT, 'package-lock.json'));
  const pinned = (name: string) => {
    const version = ours.devDependencies?.[name] ?? ours.dependencies?.[name];
    if (!version) throw new Error(`${name} is not a dependency of this repository`);
    return version;
  };
  const team = {
    name: 'team-app',
    version: '1.0.0',
    private: true,
    dependencies: {
      loadbearing: `file:${tarball}`,
      '@loadbearing/contract': `file:${tarballs.contract}`,
      'aws-cdk-lib': pinned('aws-cdk-lib'),
      constructs: pinned('constructs'),
    },
    devDependencies: {
      'aws-cdk': pinned('aws-cdk'),
      tsx: pinned('tsx'),
      typescript: pinned('typescript'),
      '@types/node': pinned('@types/node'),
    },
  };
  writeFileSync(join(dir, 'package.json'), JSON.stringify(team, null, 2));
  for (const file of ['app.ts', 'cdk.json']) copyFileSync(join(TEAM_APP_DIR, file), join(dir, file));

  const packages: LockFile['packages'] = {
    '': { name: team.name, version: team.version, dependencies: team.dependencies, devDependencies: team.devDependencies },
  };
  for (const [path, entry] of Object.entries(lock.packages)) {
    // Our own root, our workspaces and our dev-only packages: npm prunes what the team's tree does not need.
    if (
      path === '' ||
      !path.startsWith('node_modules/') ||
      entry.link === true ||
      path.startsWith('node_modules/@loadbearing/') ||
      path === 'node_modules/loadbearing'
    )
      continue;
    packages[path] = entry;
  }
  const contract = readJson<PackageJson>(join(ROOT, 'contract', 'package.json'));
  packages['node_modules/@loadbearing/contract'] = {
    version: contract.version,
    resolved: `file:${tarballs.contract}`,
    integrity: `sha512-${createHash('sha512')
      .update(readFileSync(join(dir, tarballs.contract)))
      .digest('base64')}`,
    license: contract.license,
    dependencies: contract.dependencies,
  };
  const integrity = `sha512-${createHash('sha512')
    .update(readFileSync(join(dir, tarball)))
    .digest('base64')}`;
  packages['node_modules/loadbearing'] = {
    version: ours.version,
    resolved: `file:${tarball}`,
    integrity,
    license: ours.license,
    dependencies: ours.dependencies,
    peerDependencies: ours.peerDependencies,
    bin: ours.bin,
    engines: ours.engines,
  };
  writeFileSync(
    join(dir, 'package-lock.json'),
    JSON.stringify({ name: team.name, version: team.version, lockfileVersion: 3, requires: true, packages }, null, 2),
  );
}

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import * as constructsBarrel from '../../constructs';
import * as platformBarrel from '../../lib';

const ROOT = join(__dirname, '..', '..');

interface PackageJson {
  name: string;
  version: string;
  exports: Record<string, { default?: string; types?: string } | string>;
  bin: Record<string, string>;
  files: string[];
  scripts: Record<string, string>;
  repository?: { type?: string; url?: string; directory?: string };
  homepage?: string;
  bugs?: { url?: string };
  dependencies: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  bundleDependencies?: string[];
  bundledDependencies?: string[];
  peerDependencies: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  devDependencies: Record<string, string>;
}
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as PackageJson;

/** The files a consumer can load: the exports' JavaScript and type declarations, and the commands. */
function entryPoints(): string[] {
  const fromExports = Object.values(pkg.exports).flatMap((e) =>
    typeof e === 'string' ? [e] : [e.default, e.types].filter((f): f is string => f !== undefined),
  );
  return [...fromExports, ...Object.values(pkg.bin)].filter((f) => /\.(js|d\.ts)$/.test(f)).map((f) => join(ROOT, f));
}

/** The package a bare specifier names (`@aws-sdk/client-cloudwatch`, `aws-cdk-lib`), or undefined for Node's own modules. */
function packageOf(spec: string): string | undefined {
  if (spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0]!)) return undefined;
  return spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
}

/** Imports and exports of a type declaration file (line-anchored: a string constant's text is not an import). */
const DECLARATION_IMPORT = /^(?:import|export)\b[^;]*?\bfrom\s+['"]([^'"]+)['"]|\bimport\(['"]([^'"]+)['"]\)/gm;

/**
 * Every file reachable from the entry points, and the packages they import (with one file that
 * imports each). The JavaScript graph comes from esbuild's analysis of the built files (it parses
 * them, so a `require(...)` inside a string, such as a Lambda handler's source, is not an import);
 * the type declarations are followed through their import and export lines.
 */
async function reachable(): Promise<{ files: Set<string>; packages: Map<string, string> }> {
  const files = new Set<string>();
  const packages = new Map<string, string>();
  const note = (spec: string, file: string) => {
    const name = packageOf(spec);
    if (name !== undefined && !packages.has(name)) packages.set(name, relative(ROOT, file));
  };
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: entryPoints().filter((f) => f.endsWith('.js')),
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    packages: 'external',
    // The built files, resolved as an installed package resolves them: not through the repository's tsconfig paths.
    tsconfigRaw: {},
    outdir: join(ROOT, 'node_modules', '.cache', 'loadbearing-package-graph'),
    logLevel: 'silent',
  });
  for (const [path, input] of Object.entries(result.metafile.inputs)) {
    files.add(join(ROOT, path));
    for (const imported of input.imports) if (imported.external) note(imported.path, join(ROOT, path));
  }
  const queue = entryPoints().filter((f) => f.endsWith('.d.ts'));
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    for (const [, from, dynamic] of readFileSync(file, 'utf8').matchAll(DECLARATION_IMPORT)) {
      const spec = (from ?? dynamic)!;
      if (!spec.startsWith('.')) {
        note(spec, file);
        continue;
      }
      const base = join(dirname(file), spec).replace(/\.js$/, '');
      const target = [`${base}.d.ts`, join(base, 'index.d.ts')].find((f) => existsSync(f));
      if (!target) throw new Error(`${relative(ROOT, file)} imports ${spec}, which is not in dist/`);
      queue.push(target);
    }
  }
  return { files, packages };
}

describe('the package another CDK app imports', () => {
  it('exports every construct, and the app helper, flags, stack and config loader, from the built entry points', () => {
    const script = `
      const c = require('loadbearing');
      const p = require('loadbearing/platform');
      console.log(JSON.stringify({ constructs: Object.keys(c).sort(), platform: Object.keys(p).sort() }));
    `;
    const run = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    const { constructs, platform } = JSON.parse(run.stdout) as { constructs: string[]; platform: string[] };
    expect(constructs).toEqual(Object.keys(constructsBarrel).sort());
    expect(platform).toEqual(Object.keys(platformBarrel).sort());
    for (const name of [
      'Network',
      'SecurityGroups',
      'LoadBalancer',
      'AppFleet',
      'Database',
      'Cache',
      'WebAcl',
      'AlarmTopics',
      'AlarmFactory',
      'ServiceHealth',
      'ServiceDashboard',
    ]) {
      expect(constructs).toContain(name);
    }
    expect(platform).toEqual(
      expect.arrayContaining([
        'PlatformApp',
        'PLATFORM_FEATURE_FLAGS',
        'PlatformStack',
        'addPlatform',
        'addPolicyPacks',
        'builtinEnvironments',
        'loadConfigFile',
      ]),
    );
  });

  it('ships type declarations for the props and the settings types the hooks receive', () => {
    for (const file of [
      'constructs/index.d.ts',
      'constructs/app-fleet.d.ts',
      'constructs/settings-types.d.ts',
      'lib/platform/platform-stack.d.ts',
      'lib/platform/platform-app.d.ts',
      'lib/model/index.d.ts',
      'lib/ops/index.d.ts',
    ]) {
      expect(existsSync(join(ROOT, 'dist', file)), file).toBe(true);
    }
    expect(readFileSync(join(ROOT, 'dist', 'constructs', 'index.d.ts'), 'utf8')).toContain("export * from './settings-types'");
  });

  it("declares every package its shipped code imports: a dependency, aws-cdk-lib and constructs as peers, or an optional peer (the ops CLI's AWS SDK clients)", async () => {
    const { packages } = await reachable();
    expect(packages.get('aws-cdk-lib')).toBeDefined();
    const declared = new Set([...Object.keys(pkg.dependencies), ...Object.keys(pkg.peerDependencies)]);
    // @types/node: the declarations use Node's types, as every CDK app's do.
    const undeclared = [...packages]
      .filter(([name]) => !declared.has(name) && name !== '@types/node')
      .map(([name, file]) => `${name} (imported by ${file})`);
    expect(undeclared).toEqual([]);
    const optional = Object.keys(pkg.peerDependenciesMeta ?? {}).filter((name) => pkg.peerDependenciesMeta![name]!.optional);
    expect(
      Object.keys(pkg.peerDependencies)
        .filter((name) => !optional.includes(name))
        .sort(),
    ).toEqual(['aws-cdk-lib', 'constructs']);
    // The optional peers are only the AWS SDK clients of the commands that call AWS, loaded when a command needs them.
    for (const name of optional) expect(name).toMatch(/^@aws-sdk\/client-/);
    for (const peer of ['aws-cdk-lib', 'constructs']) expect(Object.keys(pkg.dependencies)).not.toContain(peer);
    // Nothing the service or the proving ground needs: those are their own packages.
    for (const name of ['pg', 'ioredis', 'pino', 'undici', 'vega', 'vega-lite', 'hdr-histogram-js'])
      expect(declared.has(name), name).toBe(false);
  });

  it('tests the floor of each peer range: the version installed here for development is its lower bound', () => {
    for (const [name, range] of Object.entries(pkg.peerDependencies)) {
      const m = /^>=(\d+\.\d+\.\d+) <(\d+)\.0\.0$/.exec(range);
      expect(m, `${name}: ${range}`).not.toBeNull();
      expect(pkg.devDependencies[name], name).toBe(m![1]);
      expect(Number(m![2]), `${name}: the range stops before the next major`).toBe(Number(m![1]!.split('.')[0]) + 1);
    }
  });

  it('packs every reachable file (the `files` list leaves out only what no entry point reaches)', async () => {
    const { files } = await reachable();
    expect(files.size).toBeGreaterThan(100);
    const included = pkg.files.filter((f) => !f.startsWith('!'));
    const excluded = pkg.files.filter((f) => f.startsWith('!')).map((f) => f.slice(1));
    const matches = (file: string, pattern: string) =>
      pattern.endsWith('.*') ? file.startsWith(pattern.slice(0, -1)) : file === pattern || file.startsWith(`${pattern}/`);
    const missing = [...files]
      .map((f) => relative(ROOT, f))
      .filter((f) => !included.some((p) => matches(f, p)) || excluded.some((p) => matches(f, p)));
    expect(missing).toEqual([]);
  });
});

/**
 * The scripts npm runs when it installs a package: `npm install` runs preinstall, install,
 * postinstall, prepublish, preprepare, prepare and postprepare
 * (https://docs.npmjs.com/cli/v11/using-npm/scripts, "Life Cycle Operation Order", npm 11.19).
 * `prepack` is not among them: it runs on `npm pack`, `npm publish` and when a git dependency is
 * installed (the same page, "prepack"), never when a registry tarball is.
 */
const INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall', 'prepublish', 'preprepare', 'prepare', 'postprepare'];

let packed: string[] | undefined;
/** The files of `npm pack` (dry run: nothing written; prepack not run, the global setup built dist/). */
function packedFiles(): string[] {
  if (!packed) {
    const pack = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' });
    if (pack.status !== 0) throw new Error(`npm pack --dry-run failed:\n${pack.stderr}`);
    packed = (JSON.parse(pack.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
  }
  return packed;
}

/** Relative link targets of a Markdown text, without anchors (external links and anchors alone skipped). */
function relativeLinks(markdown: string): string[] {
  return [...markdown.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1]!)
    .filter((target) => !/^[a-z]+:/i.test(target) && !target.startsWith('#'))
    .map((target) => target.replace(/#.*$/, ''));
}

describe('the packed tarball (`npm pack --dry-run`)', () => {
  it('runs nothing when a team installs it: no install-time script, no binding.gyp (npm would build it with node-gyp)', () => {
    // The packed package.json is this file as it is (npm pack copies it; the consumer test reads the installed one).
    expect(packedFiles()).toContain('package.json');
    expect(Object.keys(pkg.scripts).filter((name) => INSTALL_SCRIPTS.includes(name))).toEqual([]);
    // The build runs before packing, never in a team's install.
    expect(pkg.scripts.prepack).toBe('node tools/build.cjs --if-stale');
    // "If there is a binding.gyp file in the root of your package and you haven't defined your own
    // install or preinstall scripts, npm will default the install command to ... node-gyp rebuild" (same page).
    expect(packedFiles().filter((f) => f.endsWith('binding.gyp'))).toEqual([]);
  });

  it('depends on nothing of the service, the proving ground or the charts, and declares only packages its shipped code imports', async () => {
    const { packages } = await reachable();
    const declared = {
      ...pkg.dependencies,
      ...pkg.optionalDependencies,
      ...pkg.peerDependencies,
    };
    expect(pkg.bundleDependencies ?? pkg.bundledDependencies ?? []).toEqual([]);
    const workspaceOnly = (dir: string) => {
      const ws = JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) as PackageJson;
      return [ws.name, ...Object.keys(ws.dependencies)].filter((name) => !packages.has(name));
    };
    const foreign = [...workspaceOnly('service'), ...workspaceOnly('proving-ground'), 'vega', 'vega-lite', 'hdr-histogram-js', 'esbuild'];
    expect(Object.keys(declared).filter((name) => foreign.includes(name))).toEqual([]);
    // Every dependency is imported by a file an entry point reaches (peers: the optional SDK clients are loaded on use).
    expect(Object.keys(pkg.dependencies).filter((name) => !packages.has(name))).toEqual([]);
    expect(Object.keys(pkg.peerDependencies).filter((name) => !packages.has(name))).toEqual([]);
  });

  it('names its repository, home page and issue tracker', () => {
    expect(pkg.repository).toEqual({ type: 'git', url: 'git+https://github.com/loadbearing/loadbearing.git' });
    expect(pkg.homepage).toBe('https://github.com/loadbearing/loadbearing#readme');
    expect(pkg.bugs?.url).toBe('https://github.com/loadbearing/loadbearing/issues');
    for (const dir of ['contract', 'proving-ground']) {
      const ws = JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) as PackageJson;
      expect(ws.repository, dir).toEqual({ ...pkg.repository, directory: dir });
      expect(ws.homepage, dir).toMatch(/^https:\/\/github\.com\/loadbearing\/loadbearing\//);
      expect(ws.bugs, dir).toEqual(pkg.bugs);
      expect(ws.files, dir).toContain('README.md');
      expect(existsSync(join(ROOT, dir, 'README.md')), dir).toBe(true);
      expect(ws.version, `${dir} is released with the library`).toBe(pkg.version);
    }
  });

  it('ships the README, the changelog and the docs, and every file a link of the README or the changelog names', () => {
    const files = packedFiles();
    for (const file of ['README.md', 'CHANGELOG.md', 'docs/upgrading.md', 'docs/extending.md', 'docs/adr/README.md'])
      expect(files).toContain(file);
    // The registry shows the README: a relative link there must name a file of the tarball.
    for (const page of ['README.md', 'CHANGELOG.md']) {
      const targets = relativeLinks(readFileSync(join(ROOT, page), 'utf8')).map((target) => join(dirname(page), target));
      expect(targets.length, page).toBeGreaterThan(0);
      expect(targets.filter((target) => !files.includes(target) && !files.some((f) => f.startsWith(`${target}/`)))).toEqual([]);
    }
  });
});

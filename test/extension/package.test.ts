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
  exports: Record<string, { default?: string; types?: string } | string>;
  bin: Record<string, string>;
  files: string[];
  dependencies: Record<string, string>;
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

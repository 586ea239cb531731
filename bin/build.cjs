#!/usr/bin/env node
'use strict';
// The compiled build (dist/) and whether it is fresh. Plain JavaScript on purpose: it runs
// before anything is compiled (`npm ci` -> prepare) and on every synth (bin/launch.cjs), where
// loading a TypeScript runner would cost more than the check itself.
//
//   node bin/build.cjs              build dist/ (tsc -p tsconfig.build.json) and record its inputs
//   node bin/build.cjs --if-stale   the same, unless dist/ was built from the current sources
//
// "Fresh" means: dist/.build-info.json records the hash of exactly the current inputs (every
// .ts file the build compiles, both tsconfig files and the TypeScript version). Content, not
// timestamps: a checkout or a copy changes mtimes but not the sources, and an edit that keeps
// the mtime (or a clock skew) still changes the hash.
const { spawnSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } = require('node:fs');
const { join, relative } = require('node:path');

const ROOT = join(__dirname, '..');
/** The folders tsconfig.build.json compiles. */
const SOURCE_DIRS = ['bin', 'lib', 'constructs'];
const CONFIG_FILES = ['tsconfig.json', 'tsconfig.build.json'];
const BUILD_INFO = join('dist', '.build-info.json');

/** sha256 of the build's inputs under `root`. */
function sourceHash(root = ROOT) {
  const hash = createHash('sha256');
  const files = SOURCE_DIRS.flatMap((dir) =>
    existsSync(join(root, dir))
      ? readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
          .filter((e) => e.isFile() && e.name.endsWith('.ts'))
          .map((e) => relative(root, join(e.parentPath ?? e.path, e.name)))
      : [],
  );
  for (const file of [...files.sort(), ...CONFIG_FILES]) {
    const path = join(root, file);
    hash.update(`${file}\0`).update(existsSync(path) ? readFileSync(path) : '(missing)').update('\0');
  }
  const ts = join(root, 'node_modules', 'typescript', 'package.json');
  hash.update(`typescript@${existsSync(ts) ? JSON.parse(readFileSync(ts, 'utf8')).version : 'missing'}`);
  return hash.digest('hex');
}

/** The hash dist/ was built from, or undefined when there is no recorded build. */
function builtHash(root = ROOT) {
  try {
    return JSON.parse(readFileSync(join(root, BUILD_INFO), 'utf8')).sourceHash;
  } catch {
    return undefined;
  }
}

/** Whether dist/ was compiled from exactly the current sources. */
function isBuildFresh(root = ROOT) {
  const built = builtHash(root);
  return built !== undefined && built === sourceHash(root);
}

/** Compiles dist/ and records the inputs it was compiled from. Throws on a compile error. */
function build(root = ROOT) {
  // Hashed before compiling: an edit made during the build leaves dist/ stale, never falsely fresh.
  const hash = sourceHash(root);
  const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json')], {
    cwd: root,
    stdio: 'inherit',
  });
  if (tsc.status !== 0) throw new Error(`tsc -p tsconfig.build.json failed (exit ${tsc.status})`);
  chmodSync(join(root, 'dist', 'bin', 'loadbearing.js'), 0o755);
  writeFileSync(join(root, BUILD_INFO), `${JSON.stringify({ sourceHash: hash })}\n`);
}

module.exports = { sourceHash, isBuildFresh, build, BUILD_INFO };

if (require.main === module) {
  const ifStale = process.argv.includes('--if-stale');
  if (ifStale && isBuildFresh()) process.exit(0);
  try {
    build();
  } catch (error) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}

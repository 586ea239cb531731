#!/usr/bin/env node
'use strict';
// Runs an entry point of this project: the compiled JavaScript in dist/ when it was built from
// the current sources (tools/build.cjs decides), else the TypeScript sources through tsx.
//
//   node tools/launch.cjs bin/app [args...]    (cdk.json's app, `npm run synth`)
//
// Compiled JavaScript starts faster (no transpiling on every run); tsx is the fallback while
// you edit, so a synth never runs code older than the sources. `npm run build` makes dist/
// fresh again. LOADBEARING_RUNNER=tsx or =dist forces one (dist fails if it is stale).
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const { ensureBundles, isBuildFresh } = require('./build.cjs');

const ROOT = join(__dirname, '..');

/** 'dist' or 'tsx': how `entry` (e.g. `bin/app`) runs now. */
function runnerFor(entry, root = ROOT, forced = process.env.LOADBEARING_RUNNER) {
  // This repository's own tooling is never compiled: only the library's entry points are (dist/).
  if (forced === 'tsx' || entry.startsWith('tools/')) return 'tsx';
  const compiled = existsSync(join(root, 'dist', `${entry}.js`)) && isBuildFresh(root);
  if (forced === 'dist' && !compiled) {
    throw new Error(`LOADBEARING_RUNNER=dist, but dist/${entry}.js is missing or older than the sources: run \`npm run build\``);
  }
  return compiled ? 'dist' : 'tsx';
}

/** Loads `entry` with the runner that fits; process.argv is left as the entry expects it. */
function launch(entry, root = ROOT) {
  // `npm run bench` counts the syntheses of the apps it runs.
  if (process.env.LOADBEARING_SYNTH_LOG) require('./bench/synth-counter.cjs').countSynths(process.env.LOADBEARING_SYNTH_LOG, 'cdk-app');
  // The CDK app ships the reference service's bundle and the rotation function's: never
  // synthesize an outdated one (a hash check of their inputs; a rebuild only after an edit).
  ensureBundles(root);
  const runner = runnerFor(entry, root);
  process.env.LOADBEARING_RUNNER_USED = runner;
  if (runner === 'dist') return require(join(root, 'dist', `${entry}.js`));
  require('tsx/cjs/api').register();
  return require(join(root, `${entry}.ts`));
}

module.exports = { runnerFor, launch };

if (require.main === module) {
  const entry = process.argv[2];
  if (!entry || entry.startsWith('-')) {
    process.stderr.write('usage: node tools/launch.cjs <entry, e.g. bin/app> [args...]\n');
    process.exit(2);
  }
  // The entry sees its own arguments where it expects them: argv[2] onwards.
  process.argv.splice(1, 2, join(ROOT, entry));
  try {
    launch(entry);
  } catch (error) {
    if (!/^LOADBEARING_RUNNER=dist/.test(error.message)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
}

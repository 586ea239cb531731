#!/usr/bin/env node
import { runDiffCli } from '../lib/review/diff-cli';

// `npm run diff`: the synth-diff review. See `npm run diff -- --help` and README "Reviewing changes".
runDiffCli(process.argv.slice(2), {
  cwd: process.cwd(),
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // Not a user mistake: a bug in the review itself. Show it in full.
    console.error(error);
    process.exitCode = 2;
  },
);

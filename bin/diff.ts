#!/usr/bin/env node
import { runDiffCli } from '../lib/platform/review/diff-cli';
import { stopRunningProcesses } from '../lib/platform/review/run-process';
import { TempDirs } from '../lib/platform/review/temp-dirs';

// `npm run diff`: the synth-diff review. See `npm run diff -- --help` and docs/reviewing-changes.md.
const temp = new TempDirs();
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    process.stderr.write('interrupted: stopping the synths and removing temporary directories\n');
    // Stop the synths in flight before removing the directories they write to.
    stopRunningProcesses();
    setTimeout(() => {
      temp.removeAll();
      process.exit(130);
    }, 500);
  });
}

runDiffCli(
  process.argv.slice(2),
  {
    cwd: process.cwd(),
    stdout: (text) => interrupted || process.stdout.write(text),
    stderr: (text) => interrupted || process.stderr.write(text),
  },
  temp,
).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // Not a user mistake: a bug in the review itself. Show it in full.
    console.error(error);
    process.exitCode = 2;
  },
);

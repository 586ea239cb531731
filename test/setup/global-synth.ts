import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { countSynths } from '../../lib/bench/synth-counter';
import { builtinEnvironments } from '../../lib/config/load-config';
import { addPlatform } from '../../lib/platform-app';
import { ensureBuilt } from '../support/ensure-built';
import { testApp } from '../support/test-app';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Assembly of every built-in environment, synthesized once for the whole suite. */
    assemblyDir: string;
  }
}

const ROOT = join(__dirname, '..', '..');

/** `tsc --noEmit` in a child process: the type check runs on the other core while the synth runs. */
function typeCheck(): Promise<void> {
  return new Promise((resolve, reject) => {
    const tsc = spawn(join(ROOT, 'node_modules', '.bin', 'tsc'), ['--noEmit', '-p', ROOT], { cwd: ROOT });
    let output = '';
    tsc.stdout.on('data', (d: Buffer) => (output += d.toString()));
    tsc.stderr.on('data', (d: Buffer) => (output += d.toString()));
    tsc.on('error', reject);
    tsc.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`Type errors (tsc --noEmit -p .):\n${output}`))));
  });
}

/**
 * Before any test file: the type check (in parallel), the package build when sources are newer
 * (the ops CLI and package tests run dist/), and the suite's shared synth: every built-in
 * environment, templates only (the policy gates run in test/policies/policy-packs.test.ts, in a
 * worker, alongside the other files). Test files read templates from this assembly instead of
 * synthesizing.
 */
export default async function setup(project: TestProject): Promise<() => void> {
  if (process.env.LOADBEARING_SYNTH_LOG) countSynths(process.env.LOADBEARING_SYNTH_LOG, 'global-setup');
  const typesChecked = typeCheck();
  ensureBuilt();
  const outdir = mkdtempSync(join(tmpdir(), 'loadbearing-suite-'));
  const app = testApp({ outdir });
  addPlatform(app, builtinEnvironments(), { policies: false });
  app.synth();
  project.provide('assemblyDir', outdir);
  await typesChecked;
  return () => rmSync(outdir, { recursive: true, force: true });
}

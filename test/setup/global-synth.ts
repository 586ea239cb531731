import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
// First: starts the type check before the imports below load aws-cdk-lib.
import { typesChecked } from './type-check-start';
import { countSynths } from '../../tools/bench/synth-counter.cjs';
import { builtinEnvironments } from '../../lib/model/config/load-config';
import { addPlatform } from '../../lib/platform/platform-app';
import { ensureBuilt } from '../support/ensure-built';
import { testApp } from '../support/test-app';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Assembly of every built-in environment, synthesized once for the whole suite. */
    assemblyDir: string;
    /** The examples of docs/extending.md that the global type check compiled with the project. */
    typeCheckedExamples: string[];
  }
}

/**
 * Before any test file: the type check of the project and of the examples of docs/extending.md
 * (one tsc in a child process, in parallel), the package build when sources are newer
 * (the ops CLI and package tests run dist/), and the suite's shared synth: every built-in
 * environment, templates only (the policy gates run in test/platform/policies/policy-packs.test.ts, in a
 * worker, alongside the other files). Test files read templates from this assembly instead of
 * synthesizing.
 */
export default async function setup(project: TestProject): Promise<() => void> {
  if (process.env.LOADBEARING_SYNTH_LOG) countSynths(process.env.LOADBEARING_SYNTH_LOG, 'global-setup');
  ensureBuilt();
  const outdir = mkdtempSync(join(tmpdir(), 'loadbearing-suite-'));
  const app = testApp({ outdir, templatesOnly: true });
  addPlatform(app, builtinEnvironments(), { policies: false });
  app.synth();
  project.provide('assemblyDir', outdir);
  try {
    project.provide('typeCheckedExamples', await typesChecked);
  } catch (error) {
    rmSync(outdir, { recursive: true, force: true });
    throw error;
  }
  return () => rmSync(outdir, { recursive: true, force: true });
}

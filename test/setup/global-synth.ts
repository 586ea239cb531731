import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
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

/**
 * The suite's shared synth: every built-in environment, templates only (the policy gates run in
 * test/policies/policy-packs.test.ts, in a worker, alongside the other files). Test files read
 * templates from this assembly instead of synthesizing.
 */
export default function setup(project: TestProject): () => void {
  ensureBuilt();
  const outdir = mkdtempSync(join(tmpdir(), 'loadbearing-suite-'));
  const app = testApp({ outdir });
  addPlatform(app, builtinEnvironments(), { policies: false });
  app.synth();
  project.provide('assemblyDir', outdir);
  return () => rmSync(outdir, { recursive: true, force: true });
}

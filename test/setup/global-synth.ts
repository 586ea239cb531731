import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { builtinEnvironments } from '../../lib/config/load-config';
import { addPlatform } from '../../lib/platform-app';
import { testApp } from '../support/test-app';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Assembly of every built-in environment, synthesized once for the whole suite. */
    assemblyDir: string;
  }
}

/**
 * The suite's one full synth: every built-in environment, with the cdk-nag packs and CDK's
 * built-in CloudFormation validator on (the only synth in the suite that pays for it). Test
 * files read templates and the validation report from this assembly instead of synthesizing.
 */
export default function setup(project: TestProject): () => void {
  const outdir = mkdtempSync(join(tmpdir(), 'loadbearing-suite-'));
  const app = testApp({ outdir, validation: true });
  addPlatform(app, builtinEnvironments());
  app.synth();
  project.provide('assemblyDir', outdir);
  return () => rmSync(outdir, { recursive: true, force: true });
}

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { defaultValidationCacheDirectory } from '../../lib/policies/validation-cache';

/** The validation cache `cdk synth` uses (bin/app.ts), shared so repeated local runs are fast. */
export const VALIDATION_CACHE = defaultValidationCacheDirectory();

const CDK_JSON_CONTEXT = (JSON.parse(readFileSync(join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;

export interface TestAppOptions {
  /** Run CDK's built-in CloudFormation template validator (about 1.6 s a synth). @default false */
  readonly validation?: boolean;
  /** @default - a fresh temporary directory (a stale validation report must never leak in) */
  readonly outdir?: string;
  /** Extra context on top of cdk.json's, e.g. `{ 'aws:cdk:enable-path-metadata': true }` as `cdk synth` sets it. @default - none */
  readonly context?: Record<string, unknown>;
}

/**
 * An App configured like `cdk synth` (the feature flags of cdk.json), except that validation
 * findings are written to the assembly's report instead of failing synth, so tests can read them.
 */
export function testApp(options: TestAppOptions = {}): App {
  return new App({
    outdir: options.outdir ?? mkdtempSync(join(tmpdir(), 'loadbearing-app-')),
    autoSynth: false,
    builtinCloudFormationValidation: options.validation ?? false,
    context: { ...CDK_JSON_CONTEXT, ...options.context, '@aws-cdk/core:failSynthOnValidationErrors': false },
  });
}

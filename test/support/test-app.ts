import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { PLATFORM_FEATURE_FLAGS } from '../../lib/platform/feature-flags';
import { defaultValidationCacheDirectory } from '../../lib/platform/policies/validation-cache';

/** The validation cache `cdk synth` uses (bin/app.ts), shared so repeated local runs are fast. */
export const VALIDATION_CACHE = defaultValidationCacheDirectory();

export interface TestAppOptions {
  /** Run CDK's built-in CloudFormation template validator (about 1.6 s a synth). @default false */
  readonly validation?: boolean;
  /** @default - a fresh temporary directory (a stale validation report must never leak in) */
  readonly outdir?: string;
  /** Extra context on top of the feature flags, e.g. `{ 'aws:cdk:enable-path-metadata': true }` as `cdk synth` sets it. @default - none */
  readonly context?: Record<string, unknown>;
  /**
   * Only the templates are read: no construct stack traces in the assembly's metadata and no
   * tree.json (together about a fifth of a synth; the templates are byte-identical either way).
   * @default false
   */
  readonly templatesOnly?: boolean;
}

/**
 * An App configured like `cdk synth` (the platform's feature flags, as PlatformApp sets them), except that validation
 * findings are written to the assembly's report instead of failing synth, so tests can read them.
 */
export function testApp(options: TestAppOptions = {}): App {
  return new App({
    outdir: options.outdir ?? mkdtempSync(join(tmpdir(), 'loadbearing-app-')),
    autoSynth: false,
    builtinCloudFormationValidation: options.validation ?? false,
    ...(options.templatesOnly ? { stackTraces: false, treeMetadata: false } : {}),
    context: { ...PLATFORM_FEATURE_FLAGS, ...options.context, '@aws-cdk/core:failSynthOnValidationErrors': false },
  });
}

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ReviewError } from './review-error';
import { runProcess } from './run-process';

export interface SynthOptions {
  /** `key=value` context pairs, passed to the app with `-c` (e.g. `configFile=/abs/envs.json`). */
  readonly context: readonly string[];
  /**
   * Write the templates even if a policy pack has findings. For the baseline: its findings are
   * not this change's business, and the diff needs its templates.
   */
  readonly tolerateFindings: boolean;
  /** The CDK CLI to run. @default - `node_modules/.bin/cdk` of `projectDir` */
  readonly cdkBin?: string;
  /** The config file this synth reads (`-c configFile=...`), as the user named it, for error messages. */
  readonly configFile?: string;
}

/** How the app reports an invalid config or a mistake through an extension point (ConfigError): the first line of its message. */
const INVALID_CONFIG = /Invalid (loadbearing configuration|use of a loadbearing extension point)/;

/**
 * Runs `cdk synth` in a project directory (its own cdk.json and app), offline, into `outDir`.
 *
 * Only templates are needed here: CDK's CloudFormation validator is off (`--no-validation`) and
 * so are the app's policy packs (`-c policies=false`); `npm run synth` and the tests are the
 * policy gate, and running the gates here would only multiply the time.
 * No lookups (`--no-lookups`), no version check, no colours.
 */
export async function synthesize(projectDir: string, outDir: string, label: string, options: SynthOptions): Promise<void> {
  const cdk = options.cdkBin ?? join(projectDir, 'node_modules', '.bin', 'cdk');
  if (!existsSync(join(projectDir, 'cdk.json'))) {
    throw new ReviewError(
      `${label} has no cdk.json (looked in ${projectDir})`,
      'run from the project root, or compare templates with --base-dir.',
    );
  }
  if (!existsSync(cdk)) throw new ReviewError(`the CDK CLI is not installed (${cdk})`, 'run `npm ci` first.');
  const args = ['synth', '--quiet', '--no-validation', '--no-lookups', '--output', outDir, '--context', 'policies=false'];
  for (const c of options.context) args.push('--context', c);
  if (options.tolerateFindings) args.push('--context', '@aws-cdk/core:failSynthOnValidationErrors=false');
  const result = await runProcess(cdk, args, {
    cwd: projectDir,
    env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1', CI: 'true', FORCE_COLOR: '0', NO_COLOR: '1', CDK_VALIDATION: 'false' },
  });
  if (result.error || result.status !== 0) {
    const output = `${result.stdout}\n${result.stderr}`;
    const match = INVALID_CONFIG.exec(output);
    const invalid = match?.index ?? -1;
    if (!result.error && invalid >= 0) {
      // Not a review result: that side's config (or code) does not pass that side's own validation.
      const what = match?.[1] === 'loadbearing configuration' ? (options.configFile ?? 'the built-in configuration') : "the app's code";
      throw new ReviewError(
        `${what} is invalid at ${label}, so that side cannot be synthesized`,
        label === 'the working tree'
          ? `fix ${what} (every problem is listed below)`
          : `review against a ref where ${what} is valid (the one deployed), or against its templates with --base-dir`,
        usefulLines(output.slice(invalid)),
      );
    }
    throw new ReviewError(
      `synthesizing ${label} failed (cdk synth ${result.error ? `could not start: ${result.error.message}` : `exited ${result.status}`})`,
      `fix the error above (\`npx cdk synth\` in ${projectDir} shows it in full), or compare against templates with --base-dir.`,
      usefulLines(`${result.stdout}\n${result.stderr}`),
    );
  }
}

/** The lines of a failed synth worth showing: no stack frames, no progress noise, the last 40. */
export function usefulLines(output: string): string[] {
  return output
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== '' && !/^\s+at .+/.test(l) && !/^Successfully synthesized/.test(l))
    .slice(-40);
}

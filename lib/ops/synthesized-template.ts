import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EnvironmentConfig } from '../model/config/environment-schema';
import type { CfnResource, CfnTemplate } from '../model/deploy/template';
import { UsageError } from './errors.js';

/** A synthesized CloudFormation template (see lib/model/deploy/template.ts). */
export type SynthesizedTemplate = CfnTemplate;
export type SynthesizedResource = CfnResource;

/** The options of commands that read a synthesized template. */
export const TEMPLATE_OPTIONS = {
  'template-dir': { type: 'string', valueName: '<dir>', description: 'where the synthesized templates are (default: cdk.out)' },
} as const;

/**
 * The template `npm run synth` (or `cdk synth`) wrote for an environment's stack:
 * `<dir>/<stackName>.template.json`.
 * @throws UsageError naming the missing file and the synth command that writes it.
 */
export function readSynthesizedTemplate(env: Pick<EnvironmentConfig, 'stackName'>, dir = 'cdk.out', configFile?: string): CfnTemplate {
  const path = join(dir, `${env.stackName}.template.json`);
  const synth = `npx cdk synth ${env.stackName}${configFile ? ` -c configFile=${configFile}` : ''}`;
  if (!existsSync(path))
    throw new UsageError(
      `--template-dir ${dir}: no synthesized template ${path}; fix: run \`${synth}\` first (or pass --template-dir <dir>)`,
    );
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UsageError(
      `--template-dir ${dir}: ${path} is not valid JSON (${(e as Error).message.split('\n')[0]}); fix: run \`${synth}\` again`,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || typeof (parsed as CfnTemplate).Resources !== 'object') {
    throw new UsageError(`--template-dir ${dir}: ${path} is not a CloudFormation template (no Resources); fix: run \`${synth}\` again`);
  }
  return parsed as CfnTemplate;
}

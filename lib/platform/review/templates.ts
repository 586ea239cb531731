import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { assemblyConstructPaths } from './construct-paths';
import { ReviewError } from './review-error';

/** A CloudFormation template, as far as the review reads it. */
export interface Template {
  readonly Resources?: Record<string, TemplateResource>;
  readonly [section: string]: unknown;
}

export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
  readonly Metadata?: Record<string, unknown>;
  readonly [key: string]: unknown;
}

/** The templates of one side of a review, by stack name. */
export interface TemplateSet {
  /** What the templates were synthesized from, for the report: a ref, "working tree" or a directory. */
  readonly label: string;
  readonly templates: ReadonlyMap<string, Template>;
  /** Logical ID -> construct path per stack, from the assembly's metadata (templates may carry their own too). */
  readonly paths?: ReadonlyMap<string, Readonly<Record<string, string>>>;
}

const SUFFIX = '.template.json';

/**
 * Reads every `<stack>.template.json` in a directory (a cloud assembly such as `cdk.out`, or a
 * plain folder of templates). The stack name is the file name without the suffix.
 */
export function readTemplateDir(dir: string, label = dir): TemplateSet {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new ReviewError(
      `template directory ${dir} does not exist`,
      'pass a directory of <stack>.template.json files, e.g. cdk.out after `npm run synth`.',
    );
  }
  const templates = new Map<string, Template>();
  const paths = new Map<string, Readonly<Record<string, string>>>();
  const assemblyPaths = assemblyConstructPaths(dir);
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith(SUFFIX))
    .sort()) {
    const path = join(dir, file);
    let template: unknown;
    try {
      template = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      throw new ReviewError(`${path} is not valid JSON (${(e as Error).message})`, 'pass synthesized CloudFormation templates (JSON).');
    }
    if (typeof template !== 'object' || template === null || Array.isArray(template)) {
      throw new ReviewError(
        `${path} is not a CloudFormation template (expected a JSON object)`,
        'pass synthesized CloudFormation templates (JSON).',
      );
    }
    const stack = file.slice(0, -SUFFIX.length);
    templates.set(stack, template as Template);
    const known = assemblyPaths.get(file);
    if (known) paths.set(stack, known);
  }
  if (templates.size === 0) {
    throw new ReviewError(`no *${SUFFIX} files in ${dir}`, 'pass the output directory of `cdk synth` (e.g. cdk.out).');
  }
  return { label, templates, paths };
}

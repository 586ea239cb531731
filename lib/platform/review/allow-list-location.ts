import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { problemsFromZod } from '../../model/config/config-error';
import { reviewSettingsSchema, SUGGESTED_ALLOW_LIST } from '../../model/config/review-settings';
import { DEFAULT_ALLOW_LIST } from './allow-list';
import { ReviewError } from './review-error';

/** The allow-list a review reads, and where that choice comes from. */
export interface AllowListLocation {
  /** The file, absolute; undefined when there is none (no option, no config field, no file at the default location). */
  readonly path?: string;
  /** Whether a missing file is a mistake: the user named it (`--allow-list`) or the config does. */
  readonly required: boolean;
  /** What to tell a user who needs an entry and has no allow-list yet. */
  readonly setup: string;
}

export interface AllowListSources {
  /** The project root (the working tree). */
  readonly projectDir: string;
  /** `--allow-list <file>`, as given. */
  readonly option?: string;
  /** The config file of the review (`-c configFile=`, else cdk.json's context), as given (relative to the project root). */
  readonly configFile?: string;
  /** Its content at the changed side of the review; read from the working tree when not given. */
  readonly configContent?: string;
}

/**
 * Finds the allow-list of a review, in this order: `--allow-list <file>`; the config file's
 * `review.allowReplacements` (relative to the config file's directory, so the same on every
 * clone), which must exist; `lib/platform/review/allow-replacements.json` (loadbearing's own
 * repository) when that file exists. Otherwise there is none: every loss of data blocks, and
 * the report says how to set one up. A bad field is a ReviewError naming the field, the value,
 * the rule and the fix.
 */
export function locateAllowList(sources: AllowListSources): AllowListLocation {
  const { projectDir } = sources;
  const show = (path: string) => projectRelativePath(path, projectDir);
  if (sources.option !== undefined) return { path: resolve(projectDir, sources.option), required: true, setup: '' };

  const configFile = sources.configFile;
  if (configFile !== undefined) {
    const absolute = resolve(projectDir, configFile);
    const configured = configuredAllowList(sources.configContent ?? readIfExists(absolute), show(absolute));
    if (configured !== undefined) {
      const path = resolve(dirname(absolute), configured);
      if (!existsSync(path)) {
        throw new ReviewError(
          `review.allowReplacements = "${configured}" in ${show(absolute)} names ${show(path)}, which does not exist`,
          `create it with {"allowed": []} (docs/reviewing-changes.md, "The allow-list"), or correct the path: it is relative to the config file's directory (${show(dirname(absolute)) || '.'})`,
        );
      }
      return { path, required: true, setup: '' };
    }
  }
  const builtin = resolve(projectDir, DEFAULT_ALLOW_LIST);
  if (existsSync(builtin)) return { path: builtin, required: false, setup: '' };
  return { required: false, setup: setupAdvice(configFile === undefined ? undefined : show(resolve(projectDir, configFile))) };
}

/** `review.allowReplacements` of a config file's text, validated; undefined when the file, its JSON or the field is absent. */
function configuredAllowList(text: string | undefined, file: string): string | undefined {
  if (text === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // Not this check's business: the synth reports an invalid config file with every problem.
    return undefined;
  }
  const review = typeof json === 'object' && json !== null ? (json as Record<string, unknown>).review : undefined;
  if (review === undefined) return undefined;
  const parsed = reviewSettingsSchema.safeParse(review, { reportInput: true });
  if (!parsed.success) {
    const [first, ...more] = problemsFromZod(parsed.error.issues, ['review'], reviewSettingsSchema);
    throw new ReviewError(
      `${first!.path} = ${first!.value} in ${file}: ${first!.rule}`,
      first!.fix.replace(/\.$/, ''),
      more.map((p) => `${p.path} = ${p.value}: ${p.rule}; fix: ${p.fix}`),
    );
  }
  return parsed.data.allowReplacements;
}

/** How to start an allow-list: in the config file when there is one, else with --allow-list. */
function setupAdvice(configFile: string | undefined): string {
  if (configFile === undefined)
    return 'put these entries in an allow-list file ({"allowed": [...]}) and pass it with --allow-list <file>, or name it in your config file ("review": {"allowReplacements": "<file>"})';
  const file = join(dirname(configFile), SUGGESTED_ALLOW_LIST);
  return `create ${file} holding {"allowed": [...]} with these entries, and set "review": {"allowReplacements": "${SUGGESTED_ALLOW_LIST}"} in ${configFile} (or pass --allow-list <file>)`;
}

/** The config file the synths read when the review is not given `-c configFile=`: cdk.json's context, if it names one. */
export function cdkJsonConfigFile(projectDir: string): string | undefined {
  const text = readIfExists(join(projectDir, 'cdk.json'));
  if (text === undefined) return undefined;
  try {
    const value = (JSON.parse(text) as { context?: Record<string, unknown> }).context?.configFile;
    return typeof value === 'string' && value !== '' ? value : undefined;
  } catch {
    return undefined;
  }
}

function readIfExists(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

/** A path relative to the project when it is inside it. */
export function projectRelativePath(path: string, projectDir: string): string {
  const rel = relative(projectDir, path);
  return rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

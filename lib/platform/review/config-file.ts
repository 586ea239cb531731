import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { configChanges } from './config-changes';
import { fileAtCommit } from './git-refs';
import { ReviewError } from './review-error';
import type { ResolvedSource } from './template-sources';

/** The config file as one side of the review sees it. */
export interface ConfigSide {
  /** Whether this side has the file (a template directory always counts as having its config). */
  readonly present: boolean;
  /** Its content at this side, when it is a file of this side. */
  readonly content?: string;
  /** The `configFile=...` context for this side's synth. */
  readonly context?: string;
}

/** A `-c configFile=...` resolved for both sides of a review. */
export interface VersionedConfig {
  /** The path as the user gave it. */
  readonly file: string;
  readonly base: ConfigSide;
  readonly head: ConfigSide;
  /** What the report should say about it (a new environment, a file outside the project). */
  readonly notes: readonly string[];
  /** Its changes per stack, from the base version to the head version (see `configChanges`). */
  readonly changes: ReadonlyMap<string, string[]>;
}

export function sourceLabel(source: ResolvedSource): string {
  return source.kind === 'ref' ? source.ref.label : source.kind === 'worktree' ? 'the working tree' : source.dir;
}

/**
 * Gives each side of the review its own version of the config file: a git ref reads the file as
 * committed at that ref (its synth runs in the ref's exported tree, where the file is), the
 * working tree reads the working tree's file. A file outside the project is not versioned: both
 * sides read it as it is now. A file the base does not have means its environments are new there.
 */
export async function versionedConfig(
  file: string,
  projectDir: string,
  base: ResolvedSource,
  head: ResolvedSource,
): Promise<VersionedConfig> {
  const absolute = resolve(projectDir, file);
  const inProject = !relative(projectDir, absolute).startsWith('..') && !isAbsolute(relative(projectDir, absolute));
  const path = relative(projectDir, absolute).split(sep).join('/');
  const current = () => (existsSync(absolute) ? readFileSync(absolute, 'utf8') : undefined);

  const side = async (source: ResolvedSource): Promise<ConfigSide> => {
    if (source.kind === 'dir') return { present: true };
    const content = source.kind === 'ref' && inProject ? await fileAtCommit(projectDir, source.ref.commit, `./${path}`) : current();
    if (content === undefined) return { present: false };
    // A ref's synth runs in its exported tree, where the file is at its path in the project; the
    // working tree's reads it where it is (an absolute path also keys the diff's synth cache).
    return { present: true, content, context: `configFile=${source.kind === 'ref' && inProject ? path : absolute}` };
  };
  const [b, h] = await Promise.all([side(base), side(head)]);

  if (!b.present && !h.present) {
    throw new ReviewError(
      `config file ${file} exists neither at ${sourceLabel(base)} nor at ${sourceLabel(head)}`,
      'pass the path of a config file of the project, relative to its root, e.g. -c configFile=config/environments.json',
    );
  }
  if (!h.present) {
    throw new ReviewError(
      `config file ${file} does not exist at ${sourceLabel(head)} (it does at ${sourceLabel(base)})`,
      'restore it, or pass the config file the change uses',
    );
  }
  const notes: string[] = [];
  if (!b.present)
    notes.push(`${file} does not exist at ${sourceLabel(base)}: its environments are new, so each of its stacks is added there`);
  if (!inProject)
    notes.push(
      `${file} is outside the project, so it is not versioned: both sides read it as it is now, and its own edits are not in this diff`,
    );
  return { file, base: b, head: h, notes, changes: inProject && b.content !== undefined ? configChanges(b.content, h.content) : new Map() };
}

import { existsSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { exportCommit, fileAtCommit, resolveRef, type ResolvedRef } from './git-refs';
import { ReviewError } from './review-error';
import { runProcess } from './run-process';
import { commitTree, worktreeTree } from './source-tree';
import { synthInputsKey, type SynthCache } from './synth-cache';
import { synthesize } from './synthesize';
import type { TempDirs } from './temp-dirs';
import { readTemplateDir, type TemplateSet } from './templates';

/** Where one side of the review comes from. */
export type TemplateSource =
  | { readonly kind: 'dir'; readonly dir: string }
  | { readonly kind: 'ref'; readonly ref: string }
  | { readonly kind: 'worktree' };

export interface SourceOptions {
  /** The project root: the working tree, and the git repository the refs come from. */
  readonly projectDir: string;
  /** `key=value` context for both sides' synth. */
  readonly context: readonly string[];
  /** Install each ref's own dependencies (npm ci) instead of linking the working tree's. */
  readonly installDependencies: boolean;
  readonly temp: TempDirs;
  /** Reuse templates synthesized from the same inputs. @default - no cache */
  readonly cache?: SynthCache;
  /** The config file (`-c configFile=...`) as the user named it, for error messages. */
  readonly configFile?: string;
}

/** A source whose git ref, if any, is resolved to a commit. */
export type ResolvedSource =
  | { readonly kind: 'dir'; readonly dir: string }
  | { readonly kind: 'ref'; readonly ref: ResolvedRef }
  | { readonly kind: 'worktree' };

export async function resolveSource(source: TemplateSource, projectDir: string): Promise<ResolvedSource> {
  return source.kind === 'ref' ? { kind: 'ref', ref: await resolveRef(projectDir, source.ref) } : source;
}

/**
 * The git tree a source would be synthesized from (undefined for a template folder, or when git
 * cannot tell). Two sources with the same tree, synthesized with the same node_modules and
 * context, give the same templates (synth is deterministic).
 */
export async function sourceTree(source: ResolvedSource, options: SourceOptions): Promise<string | undefined> {
  if (source.kind === 'dir') return undefined;
  return source.kind === 'ref' ? commitTree(options.projectDir, source.ref.commit) : worktreeTree(options.projectDir, options.temp);
}

/**
 * Synthesizes (or reads) the templates of a source. With a cache and a known tree, templates
 * synthesized before from exactly the same inputs are read instead (see `SynthCache`).
 */
export async function loadTemplates(
  source: ResolvedSource,
  options: SourceOptions,
  tolerateFindings: boolean,
  tree?: string,
): Promise<TemplateSet> {
  if (source.kind === 'dir') return readTemplateDir(source.dir);
  const label = source.kind === 'worktree' ? 'working tree' : source.ref.label;
  // --install-deps gives a ref its own node_modules: not the inputs the key describes.
  const key =
    options.cache && tree && !options.installDependencies
      ? synthInputsKey({ tree, context: options.context, modulesDir: join(options.projectDir, 'node_modules') })
      : undefined;
  const cached = key && options.cache?.lookup(key, !tolerateFindings);
  if (cached) return readTemplateDir(cached, label);
  const out = await synthesizeSource(source, options, tolerateFindings);
  if (key) options.cache?.store(key, out, !tolerateFindings);
  return readTemplateDir(out, label);
}

/** Runs the synth of a working tree or a ref; returns the output folder. */
async function synthesizeSource(
  source: Exclude<ResolvedSource, { kind: 'dir' }>,
  options: SourceOptions,
  tolerateFindings: boolean,
): Promise<string> {
  if (source.kind === 'worktree') {
    const out = options.temp.make('worktree');
    await synthesize(options.projectDir, out, 'the working tree', { context: options.context, tolerateFindings, ...configLabel(options) });
    return out;
  }
  const { ref } = source;
  const tree = options.temp.make(`ref-${ref.commit.slice(0, 7)}`);
  await exportCommit(options.projectDir, ref.commit, tree);
  await provideDependencies(tree, ref, options);
  const out = options.temp.make(`out-${ref.commit.slice(0, 7)}`);
  await synthesize(tree, out, ref.label, { context: options.context, tolerateFindings, ...configLabel(options) });
  return out;
}

function configLabel(options: SourceOptions): { configFile?: string } {
  return options.configFile === undefined ? {} : { configFile: options.configFile };
}

async function provideDependencies(tree: string, ref: ResolvedRef, options: SourceOptions): Promise<void> {
  if (options.installDependencies) {
    const npm = await runProcess('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: tree });
    if (npm.error || npm.status !== 0) {
      throw new ReviewError(
        `installing the dependencies of ${ref.label} failed (npm ci)`,
        "check the npm registry or cache, or drop --install-deps to use the working tree's node_modules.",
        npm.stderr.split('\n').filter(Boolean).slice(-15),
      );
    }
    return;
  }
  const modules = join(options.projectDir, 'node_modules');
  if (!existsSync(modules)) throw new ReviewError(`${modules} does not exist`, 'run `npm ci` first.');
  symlinkSync(modules, join(tree, 'node_modules'), 'dir');
}

/**
 * A warning when base and head pin different dependencies but share the working tree's
 * node_modules: the diff then cannot show what the upgrade itself changes.
 */
export async function dependencyNote(base: ResolvedSource, head: ResolvedSource, options: SourceOptions): Promise<string | undefined> {
  if (options.installDependencies || base.kind !== 'ref') return undefined;
  if (head.kind === 'dir') return undefined;
  const baseLock = await fileAtCommit(options.projectDir, base.ref.commit, './package-lock.json');
  const headLock =
    head.kind === 'ref'
      ? await fileAtCommit(options.projectDir, head.ref.commit, './package-lock.json')
      : existsSync(join(options.projectDir, 'package-lock.json'))
        ? readFileSync(join(options.projectDir, 'package-lock.json'), 'utf8')
        : undefined;
  if (baseLock === headLock) return undefined;
  return (
    `package-lock.json differs between ${base.ref.label} and ${head.kind === 'ref' ? head.ref.label : 'the working tree'}, but both sides ` +
    "were synthesized with the working tree's node_modules: template changes caused by the dependency update itself are NOT in this diff. " +
    'Rerun with --install-deps to synthesize each ref with its own dependencies.'
  );
}

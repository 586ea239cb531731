import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_ALLOW_LIST, isAllowListError, loadAllowList } from './allow-list';
import { cdkJsonConfigFile, locateAllowList, projectRelativePath } from './allow-list-location';
import { sourceLabel, versionedConfig, type ConfigSide, type VersionedConfig } from './config-file';
import { defaultBaseRef } from './git-refs';
import { markdownReport } from './markdown-report';
import { reviewTemplates } from './review';
import { isReviewError, ReviewError } from './review-error';
import { TempDirs } from './temp-dirs';
import { defaultSynthCache } from './synth-cache';
import {
  dependencyNote,
  loadTemplates,
  resolveSource,
  sourceTree,
  type ResolvedSource,
  type SourceOptions,
  type TemplateSource,
} from './template-sources';
import type { TemplateSet } from './templates';
import { staleError } from './report-parts';
import { textReport } from './text-report';

export const USAGE = `Usage: npm run diff -- [options]        (in a team's project: npx loadbearing-diff [options])

Synthesizes every environment and compares each stack's template with a baseline, following
replacements through references. Fails when a stateful resource (database, cache, bucket, key,
secret, log group...) would be destroyed, replaced or orphaned, or could not be updated because
AWS refuses an update it needs, unless the allow-list accepts it. Offline: no AWS credentials.

Baseline (one of):
  --base <ref>          synthesize this git ref (default: origin/main if it exists, else HEAD)
  --base-dir <dir>      use the <stack>.template.json files in <dir> (e.g. a saved cdk.out)

Changed side (default: the working tree, uncommitted changes included):
  --head <ref>          synthesize this git ref instead
  --current-dir <dir>   use templates already synthesized, e.g. cdk.out after \`npm run synth\`

Options:
  -c, --context <k=v>   context for both synths (repeatable). -c configFile=<file> is versioned:
                        each side reads its own version of the file (a git ref as committed
                        there); a file the baseline does not have holds new environments
  --allow-list <file>   deliberate replacements (default: the file the config file's
                        review.allowReplacements names; else ${DEFAULT_ALLOW_LIST}
                        if it exists, as in loadbearing's own repository; else none)
  --markdown <file>     also write the report as Markdown (for a pull-request comment)
  --details             print the full property-level diff of every changed resource
  --install-deps        npm ci each git ref's own dependencies (to see a dependency upgrade's effect)
  --no-cache            synthesize both sides even if templates of the same inputs are cached
  -h, --help            show this help

Exit codes: 0 no blocking change, 1 a stateful resource would be destroyed/replaced/orphaned or
could not be updated, 2 usage, allow-list, config or synth error (also: a --base ref that does
not exist, a config file at neither side, an allow-list entry that matches nothing).`;

export interface CliIo {
  readonly cwd: string;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

export interface DiffOptions {
  readonly base?: TemplateSource;
  readonly head: TemplateSource;
  /** `key=value` context for both synths, except configFile. */
  readonly context: string[];
  /** `-c configFile=<file>`, as given (relative to the project root). */
  readonly configFile?: string;
  /** `--allow-list <file>`, as given. */
  readonly allowList?: string;
  readonly markdown?: string;
  readonly details: boolean;
  readonly installDependencies: boolean;
  /** Reuse templates synthesized from the same inputs (node_modules/.cache/loadbearing-diff). */
  readonly cache: boolean;
}

/** The raw command line of `npm run diff` (node:util's parseArgs, strict). */
function parseDiffArgv(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      base: { type: 'string' },
      'base-dir': { type: 'string' },
      head: { type: 'string' },
      'current-dir': { type: 'string' },
      context: { type: 'string', short: 'c', multiple: true },
      'allow-list': { type: 'string' },
      markdown: { type: 'string' },
      details: { type: 'boolean' },
      'install-deps': { type: 'boolean' },
      'no-cache': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

/** Parses the command line; throws ReviewError for a usage mistake, returns undefined for --help. */
export function parseDiffArgs(argv: readonly string[], cwd: string): DiffOptions | undefined {
  let parsed: ReturnType<typeof parseDiffArgv>;
  try {
    parsed = parseDiffArgv(argv);
  } catch (e) {
    throw new ReviewError((e as Error).message.replace(/\.$/, ''), 'see `npm run diff -- --help`.');
  }
  const v = parsed.values;
  if (v.help) return undefined;
  if (v.base !== undefined && v['base-dir'] !== undefined)
    throw new ReviewError('--base and --base-dir cannot be combined', 'pick one baseline.');
  if (v.head !== undefined && v['current-dir'] !== undefined)
    throw new ReviewError('--head and --current-dir cannot be combined', 'pick one changed side.');
  const pairs = v.context ?? [];
  for (const c of pairs) {
    if (!/^[^=]+=/.test(c))
      throw new ReviewError(`-c ${c} is not key=value`, 'write it as -c key=value, e.g. -c configFile=config/envs.json');
  }
  const configFile = pairs
    .filter((c) => c.startsWith('configFile='))
    .map((c) => c.slice('configFile='.length))
    .pop();
  if (configFile === '') throw new ReviewError('-c configFile= names no file', 'write it as -c configFile=config/envs.json');
  const context = pairs.filter((c) => !c.startsWith('configFile='));
  const base: TemplateSource | undefined =
    v['base-dir'] !== undefined
      ? { kind: 'dir', dir: resolve(cwd, v['base-dir']) }
      : v.base !== undefined
        ? { kind: 'ref', ref: v.base }
        : undefined;
  const head: TemplateSource =
    v['current-dir'] !== undefined
      ? { kind: 'dir', dir: resolve(cwd, v['current-dir']) }
      : v.head !== undefined
        ? { kind: 'ref', ref: v.head }
        : { kind: 'worktree' };
  return {
    ...(base ? { base } : {}),
    head,
    context,
    ...(configFile === undefined ? {} : { configFile }),
    ...(v['allow-list'] === undefined ? {} : { allowList: v['allow-list'] }),
    ...(v.markdown !== undefined ? { markdown: resolve(cwd, v.markdown) } : {}),
    details: v.details ?? false,
    installDependencies: v['install-deps'] ?? false,
    cache: !(v['no-cache'] ?? false),
  };
}

/**
 * `npm run diff`: returns the exit code (0 nothing blocking, 1 blocking, 2 usage or synth
 * error). User mistakes are printed as a message and a fix, never as a stack trace.
 */
export async function runDiffCli(argv: readonly string[], io: CliIo, temp = new TempDirs()): Promise<number> {
  try {
    const options = parseDiffArgs(argv, io.cwd);
    if (!options) {
      io.stdout(`${USAGE}\n`);
      return 0;
    }
    const sourceOptions: SourceOptions = {
      projectDir: io.cwd,
      context: options.context,
      installDependencies: options.installDependencies,
      temp,
      ...(options.cache ? { cache: defaultSynthCache(io.cwd) } : {}),
    };
    const [base, head] = await Promise.all([
      resolveSource(options.base ?? { kind: 'ref', ref: await defaultBaseRef(io.cwd) }, io.cwd),
      resolveSource(options.head, io.cwd),
    ]);
    const config = options.configFile === undefined ? undefined : await versionedConfig(options.configFile, io.cwd, base, head);
    // The allow-list the changed side's config names (or --allow-list, or this repository's own), checked before any synth.
    const configFile = config?.file ?? cdkJsonConfigFile(io.cwd);
    const location = locateAllowList({
      projectDir: io.cwd,
      ...(options.allowList === undefined ? {} : { option: options.allowList }),
      ...(configFile === undefined ? {} : { configFile }),
      ...(config?.head.content === undefined ? {} : { configContent: config.head.content }),
    });
    const allowList = location.path === undefined ? [] : loadAllowList(location.path, location.required);
    const [baseTemplates, headTemplates] = await loadBoth(base, head, sourceOptions, config);
    const note = await dependencyNote(base, head, sourceOptions);
    const review = reviewTemplates(baseTemplates, headTemplates, allowList, { configChanges: config?.changes });
    const allowListPath = location.path === undefined ? undefined : projectRelativePath(location.path, io.cwd);
    const reportOptions = {
      ...(allowListPath === undefined ? {} : { allowListPath }),
      allowListEntries: allowList.length,
      allowListSetup: location.setup,
      notes: [...(config?.notes ?? []), ...(note ? [note] : [])],
      details: options.details,
    };
    io.stdout(textReport(review, reportOptions));
    if (options.markdown) {
      mkdirSync(dirname(options.markdown), { recursive: true });
      writeFileSync(options.markdown, markdownReport(review, reportOptions));
      io.stdout(`Markdown report: ${projectRelativePath(options.markdown, io.cwd)}\n`);
    }
    // An entry that matches nothing is a mistake (a typo) or done (already deployed): either way it must go.
    if (review.stale.length > 0) {
      for (const entry of review.stale) io.stderr(`error: ${staleError(entry, allowListPath ?? '')}\n`);
      return 2;
    }
    return review.exitCode;
  } catch (e) {
    if (isReviewError(e)) {
      io.stderr(`error: ${e.message}. Fix: ${e.fix}\n${e.details.map((l) => `  | ${l}\n`).join('')}`);
      return 2;
    }
    if (isAllowListError(e)) {
      io.stderr(`error: ${e.message}\n`);
      return 2;
    }
    throw e;
  } finally {
    temp.removeAll();
  }
}

/**
 * Both sides, in parallel; one synth when both have the same inputs (the same commit, or a
 * working tree that holds exactly the baseline's files: same tree, same node_modules, same
 * context and config file), since synth is deterministic. The changed side's synth is the one
 * kept: it is the stricter (policy findings fail it). Each side synthesizes with its own version
 * of the config file; a baseline without the file has no stacks of it.
 */
async function loadBoth(
  base: ResolvedSource,
  head: ResolvedSource,
  options: SourceOptions,
  config: VersionedConfig | undefined,
): Promise<[TemplateSet, TemplateSet]> {
  const withConfig = (side: ConfigSide | undefined): SourceOptions => ({
    ...options,
    context: [...options.context, ...(side?.context ? [side.context] : [])],
    ...(config ? { configFile: config.file } : {}),
  });
  const [baseOptions, headOptions] = [withConfig(config?.base), withConfig(config?.head)];
  const [baseTree, headTree] = await Promise.all([sourceTree(base, baseOptions), sourceTree(head, headOptions)]);
  const sameConfig = config === undefined || (config.base.present && config.base.content === config.head.content);
  if (baseTree !== undefined && baseTree === headTree && sameConfig && !options.installDependencies && base.kind !== 'dir') {
    const templates = await loadTemplates(head, headOptions, false, headTree);
    return [{ ...templates, label: base.kind === 'ref' ? base.ref.label : 'working tree' }, templates];
  }
  // The baseline has no such config file: its environments are new (no stack on that side).
  const baseSide =
    config && !config.base.present
      ? Promise.resolve({ label: `${sourceLabel(base)} (without ${config.file})`, templates: new Map() })
      : loadTemplates(base, baseOptions, true, baseTree);
  // allSettled: on a failure, the other synth must finish before its temp dirs are removed.
  const [b, h] = await Promise.allSettled([baseSide, loadTemplates(head, headOptions, false, headTree)]);
  if (b.status === 'rejected') throw b.reason;
  if (h.status === 'rejected') throw h.reason;
  return [b.value, h.value];
}

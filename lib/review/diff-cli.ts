import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_ALLOW_LIST, isAllowListError, loadAllowList } from './allow-list';
import { defaultBaseRef } from './git-refs';
import { markdownReport } from './markdown-report';
import { reviewTemplates } from './review';
import { isReviewError, ReviewError } from './review-error';
import { TempDirs } from './temp-dirs';
import { defaultSynthCache } from './synth-cache';
import { dependencyNote, loadTemplates, resolveSource, sourceTree, type ResolvedSource, type SourceOptions, type TemplateSource } from './template-sources';
import type { TemplateSet } from './templates';
import { textReport } from './text-report';

export const USAGE = `Usage: npm run diff -- [options]

Synthesizes every environment and compares each stack's template with a baseline. Fails when a
stateful resource (database, cache, bucket, key, secret, log group...) would be destroyed,
replaced or orphaned, unless the allow-list accepts it. Offline: no AWS credentials.

Baseline (one of):
  --base <ref>          synthesize this git ref (default: origin/main if it exists, else HEAD)
  --base-dir <dir>      use the <stack>.template.json files in <dir> (e.g. a saved cdk.out)

Changed side (default: the working tree, uncommitted changes included):
  --head <ref>          synthesize this git ref instead
  --current-dir <dir>   use templates already synthesized, e.g. cdk.out after \`npm run synth\`

Options:
  -c, --context <k=v>   context for both synths, e.g. -c configFile=config/envs.json (repeatable)
  --allow-list <file>   deliberate replacements (default: ${DEFAULT_ALLOW_LIST})
  --markdown <file>     also write the report as Markdown (for a pull-request comment)
  --details             print the full property-level diff of every changed resource
  --install-deps        npm ci each git ref's own dependencies (to see a dependency upgrade's effect)
  --no-cache            synthesize both sides even if templates of the same inputs are cached
  -h, --help            show this help

Exit codes: 0 no blocking change, 1 a stateful resource would be destroyed/replaced/orphaned,
2 usage, allow-list or synth error.`;

export interface CliIo {
  readonly cwd: string;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

export interface DiffOptions {
  readonly base?: TemplateSource;
  readonly head: TemplateSource;
  readonly context: string[];
  readonly allowList: string;
  readonly allowListRequired: boolean;
  readonly markdown?: string;
  readonly details: boolean;
  readonly installDependencies: boolean;
  /** Reuse templates synthesized from the same inputs (node_modules/.cache/loadbearing-diff). */
  readonly cache: boolean;
}

/** Parses the command line; throws ReviewError for a usage mistake, returns undefined for --help. */
export function parseDiffArgs(argv: readonly string[], cwd: string): DiffOptions | undefined {
  let parsed;
  try {
    parsed = parseArgs({
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
  } catch (e) {
    throw new ReviewError((e as Error).message.replace(/\.$/, ''), 'see `npm run diff -- --help`.');
  }
  const v = parsed.values;
  if (v.help) return undefined;
  if (v.base !== undefined && v['base-dir'] !== undefined) throw new ReviewError('--base and --base-dir cannot be combined', 'pick one baseline.');
  if (v.head !== undefined && v['current-dir'] !== undefined) throw new ReviewError('--head and --current-dir cannot be combined', 'pick one changed side.');
  const context = (v.context ?? []).map((c) => absoluteConfigFile(c, cwd));
  for (const c of context) {
    if (!/^[^=]+=/.test(c)) throw new ReviewError(`-c ${c} is not key=value`, 'write it as -c key=value, e.g. -c configFile=config/envs.json.');
  }
  const base: TemplateSource | undefined =
    v['base-dir'] !== undefined ? { kind: 'dir', dir: resolve(cwd, v['base-dir']) } : v.base !== undefined ? { kind: 'ref', ref: v.base } : undefined;
  const head: TemplateSource =
    v['current-dir'] !== undefined ? { kind: 'dir', dir: resolve(cwd, v['current-dir']) } : v.head !== undefined ? { kind: 'ref', ref: v.head } : { kind: 'worktree' };
  return {
    ...(base ? { base } : {}),
    head,
    context,
    allowList: resolve(cwd, v['allow-list'] ?? DEFAULT_ALLOW_LIST),
    allowListRequired: v['allow-list'] !== undefined,
    ...(v.markdown !== undefined ? { markdown: resolve(cwd, v.markdown) } : {}),
    details: v.details ?? false,
    installDependencies: v['install-deps'] ?? false,
    cache: !(v['no-cache'] ?? false),
  };
}

/** A config file path is relative to where the user stands; the baseline is synthesized elsewhere. */
function absoluteConfigFile(pair: string, cwd: string): string {
  const m = /^configFile=(.+)$/.exec(pair);
  return m && !isAbsolute(m[1]) ? `configFile=${resolve(cwd, m[1])}` : pair;
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
    const allowList = loadAllowList(options.allowList, options.allowListRequired);
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
    const [baseTemplates, headTemplates] = await loadBoth(base, head, sourceOptions);
    const note = await dependencyNote(base, head, sourceOptions);
    const review = reviewTemplates(baseTemplates, headTemplates, allowList);
    const reportOptions = {
      allowListPath: displayFile(options.allowList, io.cwd),
      allowListEntries: allowList.length,
      notes: note ? [note] : [],
      details: options.details,
    };
    io.stdout(textReport(review, reportOptions));
    if (options.markdown) {
      mkdirSync(dirname(options.markdown), { recursive: true });
      writeFileSync(options.markdown, markdownReport(review, reportOptions));
      io.stdout(`Markdown report: ${displayFile(options.markdown, io.cwd)}\n`);
    }
    return review.exitCode;
  } catch (e) {
    if (isReviewError(e)) {
      io.stderr(`error: ${e.message}\n${e.details.map((l) => `  | ${l}\n`).join('')}fix: ${e.fix}\n`);
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
 * context), since synth is deterministic. The changed side's synth is the one kept: it is the
 * stricter (policy findings fail it).
 */
async function loadBoth(base: ResolvedSource, head: ResolvedSource, options: SourceOptions): Promise<[TemplateSet, TemplateSet]> {
  const [baseTree, headTree] = await Promise.all([sourceTree(base, options), sourceTree(head, options)]);
  if (baseTree !== undefined && baseTree === headTree && !options.installDependencies && base.kind !== 'dir') {
    const templates = await loadTemplates(head, options, false, headTree);
    return [{ ...templates, label: base.kind === 'ref' ? base.ref.label : 'working tree' }, templates];
  }
  // allSettled: on a failure, the other synth must finish before its temp dirs are removed.
  const [b, h] = await Promise.allSettled([loadTemplates(base, options, true, baseTree), loadTemplates(head, options, false, headTree)]);
  if (b.status === 'rejected') throw b.reason;
  if (h.status === 'rejected') throw h.reason;
  return [b.value, h.value];
}

function displayFile(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

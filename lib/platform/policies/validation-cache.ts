import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { IPolicyValidationContext, PolicyValidationPluginReport } from 'aws-cdk-lib';

export interface ValidationCacheOptions {
  /** Where reports are kept, e.g. `node_modules/.cache/loadbearing-validation`. */
  readonly directory: string;
  /**
   * Also key on the construct tree (paths of every construct), for plugins that read
   * constructs rather than templates (cdk-nag). @default false
   */
  readonly constructTree?: boolean;
  /** Told when a validator runs in full (no stored report) and when it is done. @default - silent */
  readonly progress?: (line: string) => void;
}

/**
 * `node_modules/.cache/loadbearing-validation` of the node_modules that holds aws-cdk-lib: the
 * same folder whether the app runs from its TypeScript sources or from dist/, and `npm ci`
 * starts it empty.
 */
export function defaultValidationCacheDirectory(): string {
  return join(dirname(dirname(require.resolve('aws-cdk-lib/package.json'))), '.cache', 'loadbearing-validation');
}

interface PluginLike {
  readonly name: string;
  readonly version?: string;
}

/**
 * A build cache for validation plugins: a plugin's report is a pure function of its version and
 * its input (the templates, and for cdk-nag the construct tree), so an unchanged input reuses the
 * stored report instead of running the validator again. Acknowledgements are applied by CDK after
 * the plugins run, so they are never part of what is cached.
 *
 * Reports refer to templates by path; the synth directory differs between runs, so paths are
 * stored as file names and mapped back to this run's templates.
 */
export function cachedValidate(
  plugin: PluginLike,
  context: IPolicyValidationContext,
  options: ValidationCacheOptions,
  validate: () => PolicyValidationPluginReport,
): PolicyValidationPluginReport {
  const hash = createHash('sha256').update(`${plugin.name}\0${plugin.version ?? ''}\0`);
  for (const path of [...context.templatePaths].sort())
    hash
      .update(`${basename(path)}\0`)
      .update(readFileSync(path))
      .update('\0');
  if (options.constructTree) for (const c of context.appConstruct.node.findAll()) hash.update(`${c.node.path}\0`);
  const file = join(options.directory, plugin.name.replace(/[^\w.-]+/g, '-'), `${hash.digest('hex')}.json`);

  const byName = new Map(context.templatePaths.map((p) => [basename(p), p]));
  if (existsSync(file)) {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as PolicyValidationPluginReport;
    return mapTemplatePaths(stored, (name) => byName.get(name) ?? name);
  }
  const started = Date.now();
  options.progress?.(`${plugin.name}: validating (no stored report for this input yet)...`);
  const report = validate();
  options.progress?.(`${plugin.name}: done in ${((Date.now() - started) / 1000).toFixed(1)} s, stored for the next synth`);
  mkdirSync(join(file, '..'), { recursive: true });
  // Write then rename, so a concurrent synth never reads half a report.
  const partial = `${file}.${process.pid}.tmp`;
  writeFileSync(partial, JSON.stringify(mapTemplatePaths(report, (path) => basename(path))));
  renameSync(partial, file);
  return report;
}

function mapTemplatePaths(report: PolicyValidationPluginReport, map: (path: string) => string): PolicyValidationPluginReport {
  return {
    ...report,
    violations: report.violations.map((v) => ({
      ...v,
      violatingResources: v.violatingResources.map((r) => (r.templatePath ? { ...r, templatePath: map(r.templatePath) } : r)),
    })),
  };
}

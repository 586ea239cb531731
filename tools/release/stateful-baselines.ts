#!/usr/bin/env node
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { isStatefulType } from '../../lib/platform/review/stateful-types';
import { projectRoot } from '../synth/project-root';

/**
 * The stateful logical IDs of each released version, per built-in stack, kept in
 * test/baselines/stateful-ids/<version>.json, and the rule of docs/upgrading.md they enforce: a
 * release replaces or removes a stateful resource (its logical ID disappears or changes type)
 * only in a major, and then with a migration note. In 0.x too: the major is the first number.
 */

/** What a template is, as far as logical IDs and types go. */
export interface TemplateResources {
  readonly Resources?: Readonly<Record<string, { readonly Type: string }>>;
}

/** One released version's stateful resources: stack -> logical ID -> type. */
export interface StatefulBaseline {
  readonly version: string;
  /** Where the templates came from (the snapshots, at which commit). */
  readonly source: string;
  readonly stacks: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

const VERSION = /^(\d+)\.(\d+)\.(\d+)$/;

/** [major, minor, patch] of a release version; pre-releases and build metadata are not used here. */
export function parseVersion(version: string): [number, number, number] {
  const m = VERSION.exec(version);
  if (!m) throw new Error(`"${version}" is not a release version (major.minor.patch)`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

export function compareVersions(a: string, b: string): number {
  const [x, y] = [parseVersion(a), parseVersion(b)];
  return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
}

/** Logical ID -> type of every stateful resource of a template, sorted by ID. */
export function statefulIds(template: TemplateResources): Record<string, string> {
  return Object.fromEntries(
    Object.entries(template.Resources ?? {})
      .filter(([, r]) => isStatefulType(r.Type))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([id, r]) => [id, r.Type]),
  );
}

/** The baseline of `version` from the templates of every stack (sorted by stack name). */
export function baselineOf(version: string, source: string, templates: Readonly<Record<string, TemplateResources>>): StatefulBaseline {
  parseVersion(version);
  const stacks = Object.keys(templates)
    .sort()
    .map((stack) => [stack, statefulIds(templates[stack]!)] as const);
  return { version, source, stacks: Object.fromEntries(stacks) };
}

/** Every stored baseline, oldest first. */
export function readBaselines(dir: string): StatefulBaseline[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => {
      const baseline = JSON.parse(readFileSync(join(dir, f), 'utf8')) as StatefulBaseline;
      if (`${baseline.version}.json` !== f)
        throw new Error(`${f} holds the baseline of ${baseline.version}: the file name must be its version`);
      return baseline;
    })
    .sort((a, b) => compareVersions(a.version, b.version));
}

/**
 * The section of docs/upgrading.md headed `From <from> to <to>` (any heading level), up to the
 * next heading of the same or a higher level; undefined without one.
 */
export function migrationNote(upgrading: string, from: string, to: string): string | undefined {
  const escaped = (s: string) => s.replace(/\./g, '\\.');
  const heading = new RegExp(`^(#{2,4}) From ${escaped(from)} to ${escaped(to)}[ \\t]*$`, 'm').exec(upgrading);
  if (!heading) return undefined;
  const rest = upgrading.slice(heading.index + heading[0].length);
  const next = new RegExp(`^#{2,${heading[1]!.length}} `, 'm').exec(rest);
  return next ? rest.slice(0, next.index) : rest;
}

export interface BaselineCheck {
  /** The version in package.json. */
  readonly version: string;
  /** Every stored baseline. */
  readonly baselines: readonly StatefulBaseline[];
  /** The current templates, by stack name. */
  readonly templates: Readonly<Record<string, TemplateResources>>;
  /** The text of docs/upgrading.md. */
  readonly upgrading: string;
}

/**
 * What the current templates break against the released baselines, one line each naming the
 * stack, the logical ID and the fix. Against every baseline of the same major at or below
 * `version`, every stateful logical ID must still be there with its type. Against the latest
 * baseline of an older major, each one that is not must be named in the migration note
 * `From <that version> to <version>` of docs/upgrading.md.
 */
export function baselineProblems(check: BaselineCheck): string[] {
  const [major] = parseVersion(check.version);
  const released = check.baselines.filter((b) => compareVersions(b.version, check.version) <= 0);
  const sameMajor = released.filter((b) => parseVersion(b.version)[0] === major);
  const olderMajor = released.filter((b) => parseVersion(b.version)[0] < major).at(-1);
  const problems: string[] = [];
  for (const baseline of sameMajor) {
    for (const lost of lostIds(baseline, check.templates)) {
      const successors = lost.successors.length > 0 ? ` (is it now ${lost.successors.join(' or ')}?)` : '';
      problems.push(
        `${lost.stack}: logical ID ${lost.id} (${lost.type}) of ${baseline.version} ${lost.what}${successors}: a deploy of ${check.version} would replace the resource and lose its data, ` +
          `and ${check.version} is not a major release after ${baseline.version} (docs/upgrading.md); restore the construct ID or pin it with overrideLogicalId('${lost.id}'), or release it as ${major + 1}.0.0 with a migration note`,
      );
    }
  }
  if (olderMajor) {
    const note = migrationNote(check.upgrading, olderMajor.version, check.version);
    for (const lost of lostIds(olderMajor, check.templates)) {
      if (note?.includes(lost.id)) continue;
      problems.push(
        `${lost.stack}: logical ID ${lost.id} (${lost.type}) of ${olderMajor.version} ${lost.what}: the major release ${check.version} may replace it, but ` +
          (note === undefined
            ? `docs/upgrading.md has no migration note "From ${olderMajor.version} to ${check.version}"; add it, naming ${lost.id} and how its data survives`
            : `its migration note "From ${olderMajor.version} to ${check.version}" in docs/upgrading.md does not name ${lost.id}; say how its data survives`),
      );
    }
  }
  return problems;
}

interface LostId {
  readonly stack: string;
  readonly id: string;
  readonly type: string;
  readonly what: string;
  /** New stateful IDs of the same type in the same stack: what a rename made of it. */
  readonly successors: string[];
}

function lostIds(baseline: StatefulBaseline, templates: Readonly<Record<string, TemplateResources>>): LostId[] {
  const lost: LostId[] = [];
  for (const [stack, ids] of Object.entries(baseline.stacks)) {
    // Every resource of the current template, not only those the spec calls stateful today: an
    // upgraded service spec that stopped flagging a type must not make its resources look lost.
    const resources = templates[stack]?.Resources ?? {};
    const current = templates[stack] ? statefulIds(templates[stack]!) : {};
    for (const [id, type] of Object.entries(ids)) {
      const now = resources[id];
      if (now?.Type === type) continue;
      const what = !templates[stack] ? 'is gone with its stack' : now ? `changed type to ${now.Type}` : 'disappeared';
      const successors = Object.keys(current).filter((n) => !(n in ids) && current[n] === type);
      lost.push({ stack, id, type, what, successors });
    }
  }
  return lost;
}

/** Every `<stack>.template.json` of a directory, by stack name. */
export function readTemplates(dir: string): Record<string, TemplateResources> {
  const files = readdirSync(dir).filter((f) => f.endsWith('.template.json'));
  if (files.length === 0) throw new Error(`${dir} holds no <stack>.template.json`);
  return Object.fromEntries(
    files.map((f) => [f.slice(0, -'.template.json'.length), JSON.parse(readFileSync(join(dir, f), 'utf8')) as TemplateResources]),
  );
}

const USAGE = `usage: npm run release:baseline -- [--version <x.y.z>] [--templates <dir>] [--source <text>]
Writes test/baselines/stateful-ids/<version>.json: the stateful logical IDs of every stack in
<dir> (default: the built-in environments' snapshots, test/platform/stack/__snapshots__), for
the version being released (default: the version in package.json). Refuses to overwrite a
baseline and to write one that breaks an earlier release's (docs/upgrading.md).`;

/** `npm run release:baseline`: writes the baseline of a release; exit 0 written, 2 refused. */
function main(): number {
  const root = projectRoot(__dirname);
  const { values } = parseArgs({
    options: {
      version: { type: 'string' },
      templates: { type: 'string' },
      source: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const version = values.version ?? (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  if (!VERSION.test(version)) return refuse(`--version ${version} is not a release version (major.minor.patch)`);
  const dir = join(root, 'test', 'baselines', 'stateful-ids');
  const file = join(dir, `${version}.json`);
  if (existsSync(file))
    return refuse(`${relative(root, file)} exists: a released version's baseline never changes (a new release gets its own)`);
  const templatesDir = values.templates ?? join(root, 'test', 'platform', 'stack', '__snapshots__');
  if (!existsSync(templatesDir)) return refuse(`--templates ${templatesDir} does not exist`);
  const templates = readTemplates(templatesDir);
  const problems = baselineProblems({
    version,
    baselines: readBaselines(dir),
    templates,
    upgrading: readFileSync(join(root, 'docs', 'upgrading.md'), 'utf8'),
  });
  if (problems.length > 0) return refuse(`these templates break an earlier release's stateful IDs:\n${problems.join('\n')}`);
  const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).stdout?.trim();
  const source = values.source ?? `${relative(root, templatesDir)}${commit ? ` at ${commit}` : ''}`;
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, `${JSON.stringify(baselineOf(version, source, templates), null, 2)}\n`);
  process.stdout.write(`wrote ${relative(root, file)}\n`);
  return 0;
}

function refuse(message: string): number {
  process.stderr.write(`release:baseline: ${message}\n`);
  return 2;
}

if (require.main === module) {
  try {
    process.exitCode = main();
  } catch (error) {
    process.exitCode = refuse((error as Error).message);
  }
}

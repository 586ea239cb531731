import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import {
  baselineOf,
  baselineProblems,
  compareVersions,
  migrationNote,
  parseVersion,
  readBaselines,
  readTemplates,
  type TemplateResources,
} from '../../../tools/release/stateful-baselines';
import { environment, RenamedWriterStack, synthPlatform } from '../../support/platform-variants';

const ROOT = join(__dirname, '..', '..', '..');
const BASELINES = join(ROOT, 'test', 'baselines', 'stateful-ids');
const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const upgrading = readFileSync(join(ROOT, 'docs', 'upgrading.md'), 'utf8');
const baselines = readBaselines(BASELINES);
/** The built-in environments' templates, synthesized once for the suite. */
const current = readTemplates(inject('assemblyDir'));

let renamedProd: TemplateResources | undefined;
/** The templates with prod's writer renamed (`Database/Writer` -> `Database/Primary`), synthesized once. */
function withRenamedWriter(): Record<string, TemplateResources> {
  renamedProd ??= synthPlatform(environment('prod'), { stackClass: RenamedWriterStack }) as TemplateResources;
  return { ...current, 'loadbearing-prod': renamedProd };
}

describe('the stateful logical IDs of every release (test/baselines/stateful-ids)', () => {
  it('are all in the current templates, with their types, unless a major release and its migration note say otherwise', () => {
    const problems = baselineProblems({ version, baselines, templates: current, upgrading });
    expect(problems, `\n${problems.join('\n')}\n`).toEqual([]);
  });

  it('are stored for 0.1.0, from its release commit, and for no version above package.json', () => {
    expect(baselines.map((b) => b.version)).toContain('0.1.0');
    const first = baselines.find((b) => b.version === '0.1.0')!;
    expect(first.source).toContain('12f051d');
    expect(Object.keys(first.stacks)).toEqual(['loadbearing-dev', 'loadbearing-prod', 'loadbearing-staging']);
    expect(first.stacks['loadbearing-prod']!.DatabaseWriter7794273E).toBe('AWS::RDS::DBInstance');
    // The check above compared the templates with at least one release.
    expect(baselines.filter((b) => parseVersion(b.version)[0] <= parseVersion(version)[0]).length).toBeGreaterThan(0);
    for (const b of baselines) expect(compareVersions(b.version, version), b.version).toBeLessThanOrEqual(0);
  });
});

describe('the check itself', () => {
  const released = [baselineOf('0.1.0', 'test', { 'loadbearing-prod': current['loadbearing-prod']! })];

  it('fails naming the writer, and its likely successor, when its construct ID is renamed in a minor', () => {
    const problems = baselineProblems({ version: '0.2.0', baselines: released, templates: withRenamedWriter(), upgrading: '' });
    const writer = problems.filter((p) => p.includes(' DatabaseWriter7794273E '));
    expect(writer).toHaveLength(1);
    expect(writer[0]).toMatch(
      /^loadbearing-prod: logical ID DatabaseWriter7794273E \(AWS::RDS::DBInstance\) of 0\.1\.0 disappeared \(is it now DatabasePrimary[0-9A-F]{8}\?\): a deploy of 0\.2\.0 would replace the resource and lose its data, and 0\.2\.0 is not a major release after 0\.1\.0 \(docs\/upgrading\.md\); restore the construct ID or pin it with overrideLogicalId\('DatabaseWriter7794273E'\), or release it as 1\.0\.0 with a migration note$/,
    );
    // Only the writer: its log groups are its siblings (Database/WriterPostgresqlLogs), not its children.
    expect(problems).toEqual(writer);
    // A patch is held to the same rule.
    expect(baselineProblems({ version: '0.1.1', baselines: released, templates: withRenamedWriter(), upgrading: '' })).toEqual([
      writer[0]!.replaceAll('0.2.0', '0.1.1'),
    ]);
  });

  it('lets a major release drop it only with a migration note that names every ID it drops', () => {
    const renamed = withRenamedWriter();
    const check = (doc: string) => baselineProblems({ version: '1.0.0', baselines: released, templates: renamed, upgrading: doc });
    expect(check('')[0]).toMatch(/has no migration note "From 0\.1\.0 to 1\.0\.0"; add it, naming DatabaseWriter7794273E/);
    // A note that names it only under another release's heading does not count.
    const elsewhere = '## From 0.1.0 to 1.0.0\n\nThe cache is resized.\n\n## From 0.0.9 to 0.1.0\n\nDatabaseWriter7794273E\n';
    expect(check(elsewhere)).toEqual([
      expect.stringContaining('its migration note "From 0.1.0 to 1.0.0" in docs/upgrading.md does not name DatabaseWriter7794273E'),
    ]);
    const full = '# Upgrading\n\n### From 0.1.0 to 1.0.0\n\nThe writer DatabaseWriter7794273E is restored from its final snapshot first.\n';
    expect(check(full)).toEqual([]);
  });

  it('fails on a stateful ID whose type changed, and on a stack that is no longer synthesized', () => {
    const prod = structuredClone(current['loadbearing-prod']!) as { Resources: Record<string, { Type: string }> };
    prod.Resources.Cache18F6EE16!.Type = 'AWS::ElastiCache::ServerlessCache';
    expect(baselineProblems({ version: '0.1.0', baselines: released, templates: { 'loadbearing-prod': prod }, upgrading: '' })).toEqual([
      expect.stringMatching(
        /^loadbearing-prod: logical ID Cache18F6EE16 \(AWS::ElastiCache::ReplicationGroup\) of 0\.1\.0 changed type to AWS::ElastiCache::ServerlessCache: /,
      ),
    ]);
    const gone = baselineProblems({ version: '0.2.0', baselines: released, templates: {}, upgrading: '' });
    expect(gone.length).toBe(Object.keys(released[0]!.stacks['loadbearing-prod']!).length);
    expect(gone[0]).toContain('is gone with its stack');
  });

  it('reads a migration note up to the next heading of its level', () => {
    const doc = '## From 0.1.0 to 1.0.0\n\na\n\n### detail\n\nb\n\n## From 1.0.0 to 2.0.0\n\nc\n';
    expect(migrationNote(doc, '0.1.0', '1.0.0')).toBe('\n\na\n\n### detail\n\nb\n\n');
    expect(migrationNote(doc, '0.1.0', '2.0.0')).toBeUndefined();
    expect(migrationNote('## From 0x1x0 to 1.0.0\n', '0.1.0', '1.0.0')).toBeUndefined();
  });
});

describe('npm run release:baseline', () => {
  const cli = (...args: string[]) =>
    spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(ROOT, 'tools', 'release', 'stateful-baselines.ts'), ...args],
      {
        cwd: ROOT,
        encoding: 'utf8',
      },
    );

  it("refuses, in one line and with exit 2, to overwrite a released version's baseline or to take a version that is not one", () => {
    const exists = cli('--version', '0.1.0');
    expect(exists.status).toBe(2);
    expect(exists.stderr).toBe(
      "release:baseline: test/baselines/stateful-ids/0.1.0.json exists: a released version's baseline never changes (a new release gets its own)\n",
    );
    const bad = cli('--version', '0.2');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe('release:baseline: --version 0.2 is not a release version (major.minor.patch)\n');
  });
});

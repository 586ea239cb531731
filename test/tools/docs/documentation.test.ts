import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../../lib/model/config/load-config';
import { generatedPages, renderGeneratedSections } from '../../../tools/docs/generated-sections';
import { assertInvariants } from '../../../lib/model/invariants/check-invariants';
import { sdkInstallLine } from '../../../lib/ops/optional-sdk';

const ROOT = join(__dirname, '..', '..', '..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');
const readme = read('README.md');
const ciRun = read('.ci/run');
/** Every Markdown page of the documentation set (docs/, not the decision records' folder index). */
const pages = readdirSync(join(ROOT, 'docs'), { recursive: true, withFileTypes: true })
  .filter((e) => e.isFile() && e.name.endsWith('.md'))
  .map((e) => relative(ROOT, join(e.parentPath, e.name)))
  .sort();

/** Relative link targets of a Markdown page, without anchors (external links and anchors-only skipped). */
function links(markdown: string): string[] {
  return [...markdown.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1])
    .filter((target) => !/^[a-z]+:/i.test(target) && !target.startsWith('#'))
    .map((target) => target.replace(/#.*$/, ''));
}

describe('README', () => {
  it('stays short: at most 250 lines', () => {
    expect(readme.split('\n').length).toBeLessThanOrEqual(250);
  });

  it('gives exactly two quickstart commands: synth everything, test everything', () => {
    const quickstart = /## Quickstart\n([\s\S]*?)\n## /.exec(readme)?.[1] ?? '';
    const block = /```sh\n([\s\S]*?)```/.exec(quickstart)?.[1] ?? '';
    const commands = block
      .split('\n')
      .map((line) => line.replace(/#.*$/, '').trim())
      .filter(Boolean);
    expect(commands).toEqual(['npm ci && npm run synth', 'npm ci && npm test']);
  });

  it("is what CI runs: .ci/run installs the prerequisites with the README's command, then runs exactly the README's two commands, in order", () => {
    expect(readme).toContain('`npm run prereqs -- --install` installs');
    expect(ciRun).toMatch(/^npm run prereqs -- --install$/m);
    expect(ciRun).not.toMatch(/^\s*(sudo )?(apt-get|dnf|brew|pip3?) /m);
    const quickstart = /## Quickstart\n([\s\S]*?)\n## /.exec(readme)?.[1] ?? '';
    const readmeCommands = (/```sh\n([\s\S]*?)```/.exec(quickstart)?.[1] ?? '')
      .split('\n')
      .map((line) => line.replace(/#.*$/, '').trim())
      .filter(Boolean);
    const ciCommands = ciRun
      .split('\n')
      .map((line) => line.replace(/#.*$/, '').trim())
      .filter((line) => line && !/^(set |cd |export |npm run prereqs)/.test(line) && !line.startsWith('#!'));
    expect(ciCommands).toEqual(readmeCommands);
    expect(ciRun.indexOf('\nnpm run prereqs -- --install')).toBeLessThan(ciRun.indexOf(readmeCommands[0]!));
    // "every test" includes the proving ground's quick run.
    expect(JSON.parse(read('package.json')).scripts.test).toMatch(/vitest run && npm run prove -- --quick$/);
  });

  it('reaches every documentation page, directly or through a page it links', () => {
    const reached = new Set<string>();
    const visit = (file: string) => {
      for (const target of links(read(file))) {
        const resolved = relative(ROOT, join(ROOT, dirname(file), target));
        if (!resolved.startsWith('docs') || reached.has(resolved)) continue;
        if (!existsSync(join(ROOT, resolved))) continue;
        reached.add(resolved);
        if (resolved.endsWith('.md')) visit(resolved);
        else if (resolved === 'docs/adr' || resolved === 'docs/adr/') {
          for (const adr of pages.filter((p) => p.startsWith('docs/adr/'))) reached.add(adr);
        }
      }
    };
    visit('README.md');
    expect(pages.filter((p) => !reached.has(p))).toEqual([]);
  });
});

describe.each(pages)('%s', (page) => {
  const text = read(page);

  it('links back to the documentation map in the README', () => {
    if (page.startsWith('docs/adr/')) return expect(text).toContain('README.md#documentation');
    expect(text.split('\n').slice(0, 4).join('\n')).toContain('](../README.md#documentation)');
  });

  it('has no broken relative links', () => {
    const broken = links(text).filter((target) => !existsSync(join(ROOT, dirname(page), target)));
    expect(broken).toEqual([]);
  });
});

/** At most this many characters in a table cell: longer detail goes in a list under the table. */
const MAX_CELL = 200;

/**
 * The cells of the Markdown tables of a page (outside fenced code), each as a reader sees it:
 * link targets, backticks and `<br>` left out, an escaped pipe as one character.
 */
function tableCells(markdown: string): { line: number; text: string }[] {
  const cells: { line: number; text: string }[] = [];
  let fence: string | undefined;
  markdown.split('\n').forEach((row, i) => {
    const marker = /^\s*(```|~~~)/.exec(row)?.[1];
    if (marker) fence = fence === marker ? undefined : (fence ?? marker);
    if (fence || marker || !/^\s*\|/.test(row)) return;
    for (const raw of row
      .trim()
      .replace(/^\|/, '')
      .replace(/(?<!\\)\|$/, '')
      .split(/(?<!\\)\|/)) {
      const text = raw
        .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
        .replace(/`/g, '')
        .replace(/<br\s*\/?>/g, ' ')
        .replace(/\\\|/g, '|')
        .trim();
      cells.push({ line: i + 1, text });
    }
  });
  return cells;
}

describe('tables', () => {
  it('measures cells as a reader sees them, and only in tables', () => {
    const cells = tableCells(
      ['| A | `b` \\| [c](https://example.com/long) |', '| --- | --- |', '```', '| not | a table |', '```', 'text | not a row'].join('\n'),
    );
    expect(cells.map((c) => c.text)).toEqual(['A', 'b | c', '---', '---']);
  });

  it.each(['README.md', ...pages])(`%s: no table cell is over ${MAX_CELL} characters (put the detail in a list)`, (page) => {
    const long = tableCells(read(page))
      .filter((c) => c.text.length > MAX_CELL)
      .map((c) => `${page}:${c.line}: ${c.text.length} characters: ${c.text.slice(0, 60)}...`);
    expect(long).toEqual([]);
  });
});

/** Markdown files outside docs/: the changelog and each package's README (shown on its registry page). */
const PACKAGE_PAGES = ['CHANGELOG.md', 'contract/README.md', 'proving-ground/README.md', 'service/README.md'];

describe.each(PACKAGE_PAGES)('%s', (page) => {
  it('has no broken relative links', () => {
    const text = read(page);
    const broken = links(text).filter((target) => !existsSync(join(ROOT, dirname(page), target)));
    expect(broken).toEqual([]);
  });
});

describe('install lines', () => {
  const version = (JSON.parse(read('package.json')) as { version: string }).version;

  it.each(['docs/extending.md', 'docs/upgrading.md', 'proving-ground/README.md'])(
    '%s installs the packages at the version in package.json',
    (page) => {
      const pinned = [...read(page).matchAll(/(?:^|[\s"])((?:@loadbearing\/[a-z-]+|loadbearing)@(\d+\.\d+\.\d+))/gm)].map((m) => m[1]);
      expect(pinned.length, page).toBeGreaterThan(0);
      expect(pinned.filter((spec) => !spec!.endsWith(`@${version}`))).toEqual([]);
    },
  );

  it('docs/upgrading.md gives the one line that installs every optional AWS SDK client, with the declared ranges', () => {
    const pkg = JSON.parse(read('package.json')) as { peerDependenciesMeta: Record<string, { optional?: boolean }> };
    const optional = Object.keys(pkg.peerDependenciesMeta).filter((name) => pkg.peerDependenciesMeta[name]!.optional);
    expect(optional.length).toBeGreaterThan(0);
    expect(read('docs/upgrading.md')).toContain(`\n  ${sdkInstallLine(optional)}\n`);
  });
});

describe('generated sections', () => {
  it.each(generatedPages())('%s has them as the code renders them (run `npm run docs` to refresh)', (page) => {
    const text = read(page);
    expect(text).toBe(renderGeneratedSections(text, page));
  });
});

describe('docs/configuration.md', () => {
  it('shows a config file that passes the schema and the invariants', () => {
    const configuration = read('docs/configuration.md');
    const example = /```json\n([\s\S]*?)```/.exec(configuration)?.[1];
    expect(example).toBeDefined();
    const file = join(mkdtempSync(join(tmpdir(), 'docs-config-')), 'my-environments.json');
    writeFileSync(file, example!);
    const envs = loadConfigFile(file);
    expect(envs.map((e) => [e.name, e.region, e.edge.enabled])).toEqual([['prod', 'eu-west-1', true]]);
    expect(() => assertInvariants(envs)).not.toThrow();
  });
});

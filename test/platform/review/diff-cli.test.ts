import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runDiffCli } from '../../../lib/platform/review/diff-cli';
import type { Template, TemplateResource } from '../../../lib/platform/review/templates';
import { PROJECT_ROOT } from '../../support/run-cdk';

/**
 * `npm run diff` in-process, on directories of templates (--base-dir / --current-dir): the
 * whole command-line path (arguments, allow-list, review, text and Markdown) without a synth.
 * The baseline is the suite's assembly (construct paths come from its metadata files).
 */
const STACK = 'loadbearing-prod';
const WRITER = 'DatabaseWriter7794273E';
const RENAMED = 'DbWriter9BD1608D';
const REASON = 'prod writer moves to a new construct; restored from the final snapshot before cut-over';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The CLI in-process, with an empty allow-list unless the test names one (the repository's entries belong to its own changes). */
async function diff(...argv: string[]): Promise<Run> {
  return diffWith(argv.includes('--allow-list') || argv.includes('--help') ? argv : [...argv, '--allow-list', emptyAllowList]);
}

async function diffWith(argv: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await runDiffCli(argv, { cwd: PROJECT_ROOT, stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

const baseDir = inject('assemblyDir');
let root: string;
let renamedDir: string;
let emptyAllowList: string;

function writeFile(name: string, content: unknown): string {
  const file = join(root, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'diff-cli-'));
  emptyAllowList = writeFile('empty-allow.json', { allowed: [] });
  // The same templates, except that prod's writer has a new logical ID, as after a construct
  // rename (the mutation suite renames through CDK itself).
  renamedDir = join(root, 'renamed');
  mkdirSync(renamedDir);
  for (const env of ['dev', 'staging'])
    copyFileSync(join(baseDir, `loadbearing-${env}.template.json`), join(renamedDir, `loadbearing-${env}.template.json`));
  const renamed = JSON.parse(readFileSync(join(baseDir, `${STACK}.template.json`), 'utf8')) as Template & {
    Resources: Record<string, TemplateResource>;
  };
  renamed.Resources[RENAMED] = renamed.Resources[WRITER];
  delete renamed.Resources[WRITER];
  writeFileSync(join(renamedDir, `${STACK}.template.json`), JSON.stringify(renamed, null, 1));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('npm run diff --base-dir (templates instead of a synth)', () => {
  it('exits 0 and says "No changes" when the templates are identical', async () => {
    const run = await diff('--base-dir', baseDir, '--current-dir', baseDir);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Synth diff: ${baseDir} -> ${baseDir}`);
    expect(run.stdout).toMatch(new RegExp(`^${STACK} +no changes$`, 'm'));
    expect(run.stdout).toMatch(/No changes: every template matches the baseline\.\n$/);
  });

  it('exits 1 on a logical ID change and names both IDs, the construct path and the fix', async () => {
    const run = await diff('--base-dir', baseDir, '--current-dir', renamedDir);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('BLOCKED: 1 stateful resource would be destroyed, replaced or orphaned');
    expect(run.stdout).toContain(`${STACK}: ${WRITER} AWS::RDS::DBInstance (Database/Writer)`);
    expect(run.stdout).toContain(`logical ID changed: ${WRITER} -> ${RENAMED}, the resource would be replaced: data loss`);
    expect(run.stdout).toContain(
      `fix: restore the construct ID (Database/Writer), or pin the old logical ID with overrideLogicalId('${WRITER}')`,
    );
    expect(run.stdout).toContain(`{"stack":"${STACK}","logicalId":"${WRITER}","impact":"WILL_ORPHAN","reason":`);
    expect(run.stdout).toMatch(/Result: 1 blocking change to stateful resources \(exit 1\)\.\n$/);
  });

  it('reads the default allow-list of the repository (lib/platform/review/allow-replacements.json)', async () => {
    const run = await diffWith(['--base-dir', baseDir, '--current-dir', baseDir]);
    expect(run.stdout).toMatch(/Allow-list: lib\/platform\/review\/allow-replacements\.json \(\d+ (entry|entries)\)/);
  });
});

describe('npm run diff with an allow-list', () => {
  it('passes (exit 0) an allowed replacement and shows it with its reason', async () => {
    const allowList = writeFile('allow.json', { allowed: [{ stack: STACK, logicalId: WRITER, impact: 'WILL_ORPHAN', reason: REASON }] });
    const run = await diff('--base-dir', baseDir, '--current-dir', renamedDir, '--allow-list', allowList);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).not.toContain('BLOCKED');
    expect(run.stdout).toContain(`Allowed by ${allowList}:`);
    expect(run.stdout).toContain(`allowed: ${REASON}`);
    expect(run.stdout).toContain('Result: no blocking changes (1 stack changed, 1 allowed replacement).');
  });

  it('exits 2 on an entry that matches nothing in this diff, one line per entry, after the report', async () => {
    const allowList = writeFile('allow-stale.json', {
      allowed: [
        { stack: STACK, logicalId: WRITER, impact: 'WILL_ORPHAN', reason: REASON },
        { stack: STACK, logicalId: 'CacheGone1234', reason: 'the old cache was removed in the previous release already' },
        // A stack this review does not synthesize: not judged.
        { stack: 'loadbearing-elsewhere', logicalId: 'CacheGone1234', reason: 'another environment, reviewed with its own config file' },
      ],
    });
    const run = await diff('--base-dir', baseDir, '--current-dir', renamedDir, '--allow-list', allowList);
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('Result: no blocking changes');
    expect(run.stderr).toBe(
      `error: allow-list entry ${STACK} / CacheGone1234 in ${allowList} matches nothing in this diff: remove it if its change is deployed, or fix its stack, logicalId or impact\n`,
    );
  });

  it('does not allow another impact than the entry names (the entry then matches nothing: exit 2)', async () => {
    const allowList = writeFile('allow-destroy.json', {
      allowed: [{ stack: STACK, logicalId: WRITER, impact: 'WILL_DESTROY', reason: REASON }],
    });
    const run = await diff('--base-dir', baseDir, '--current-dir', renamedDir, '--allow-list', allowList);
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('BLOCKED: 1 stateful resource would be destroyed, replaced or orphaned');
    expect(run.stderr).toMatch(
      /^error: allow-list entry loadbearing-prod \/ DatabaseWriter7794273E \(WILL_DESTROY\) in .* matches nothing in this diff: .*\n$/,
    );
  });

  it('exits 2 on an invalid allow-list, with the path, rule and fix of each problem and no stack trace', async () => {
    const allowList = writeFile('bad.json', { allowed: [{ stack: STACK, logicalId: WRITER }] });
    const run = await diff('--base-dir', baseDir, '--current-dir', renamedDir, '--allow-list', allowList);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`error: Invalid allow-list (1 problem) in ${allowList}:`);
    expect(run.stderr).toMatch(/allowed\[0\]\.reason = \(missing\)\n +rule: .*\n +fix: /);
    expect(run.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });

  it('exits 2 when a named allow-list does not exist or is not JSON', async () => {
    expect((await diff('--base-dir', baseDir, '--current-dir', baseDir, '--allow-list', join(root, 'missing.json'))).stderr).toMatch(
      /\(file\) = ".*missing\.json"\n +rule: does not exist/,
    );
    const notJson = writeFile('not-json.json', '{ "allowed": [ }');
    const run = await diff('--base-dir', baseDir, '--current-dir', baseDir, '--allow-list', notJson);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/rule: is not valid JSON/);
  });
});

describe('npm run diff --markdown', () => {
  it('writes the same review as Markdown for a pull-request comment', async () => {
    const file = join(root, 'out', 'report.md');
    const run = await diff('--base-dir', baseDir, '--current-dir', renamedDir, '--markdown', file);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`Markdown report: ${file}`);
    expect(existsSync(file)).toBe(true);
    const md = readFileSync(file, 'utf8');
    expect(md).toMatch(
      /^## Synth diff: `.*loadbearing-suite-.*` -> `.*renamed`\n\n\*\*Result: 1 blocking change to stateful resources \(exit 1\)\.\*\*\n/,
    );
    expect(md).toContain('### Blocking: 1 stateful resource would be destroyed, replaced or orphaned');
    expect(md).toContain(`- \`${STACK}\` \`${WRITER}\` (\`AWS::RDS::DBInstance\`, \`Database/Writer\`)`);
    expect(md).toContain(`logical ID changed: ${WRITER} -> ${RENAMED}`);
    expect(md).toContain('```json\n{"stack":"loadbearing-prod"');
    expect(md).toContain('| Change | Type | Logical ID | Construct path | What changed |');
    expect(md).toContain(
      `| removed (stateful) | \`AWS::RDS::DBInstance\` | \`${WRITER}\` | \`Database/Writer\` | orphaned (DeletionPolicy Retain) |`,
    );
    expect(md).toContain(`<details><summary>Full diff of ${STACK}</summary>`);
  });
});

describe('npm run diff usage errors (exit 2, one message, no stack trace)', () => {
  it.each([
    [['--bogus'], /error: Unknown option '--bogus'/],
    [['--base', 'HEAD', '--base-dir', 'x'], /error: --base and --base-dir cannot be combined/],
    [['--head', 'HEAD', '--current-dir', 'x'], /error: --head and --current-dir cannot be combined/],
    [
      ['--base-dir', '/nonexistent/templates', '--current-dir', '/nonexistent/templates'],
      /^error: template directory \/nonexistent\/templates does not exist\. Fix: .+\n$/,
    ],
    [
      ['--base', 'no-such-ref-xyz', '--current-dir', '.'],
      /^error: unknown git ref "no-such-ref-xyz"\. Fix: pass a branch, tag or commit that exists locally .+\n$/,
    ],
    [['-c', 'configFile'], /error: -c configFile is not key=value/],
    [['-c', 'configFile='], /error: -c configFile= names no file/],
    [
      ['--base', 'HEAD', '--head', 'HEAD', '-c', 'configFile=config/no-such-environments.json'],
      /^error: config file config\/no-such-environments\.json exists neither at HEAD \([0-9a-f]{7}\) nor at HEAD \([0-9a-f]{7}\)\. Fix: .+\n$/,
    ],
  ])('%j', async (argv, message) => {
    const run = await diff(...argv);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });

  it('--help prints the usage and the exit codes', async () => {
    const run = await diff('--help');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: npm run diff -- [options]');
    expect(run.stdout).toContain('Exit codes: 0 no blocking change, 1 a stateful resource');
  });
});

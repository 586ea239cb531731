import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runDiffCli } from '../../../lib/platform/review/diff-cli';

/**
 * Where `npx loadbearing-diff` finds the allow-list in a team's project: the config file's
 * `review.allowReplacements` (relative to the config file), `--allow-list` over it, and no
 * allow-list at all when neither names one (loadbearing's own default path does not exist there).
 * In-process, on two folders of templates: a DB whose logical ID changed (a blocking loss).
 */
const STACK = 'team-prod';
const REASON = 'the team database moves to a new construct; restored from the final snapshot first';
let project: string;

function write(path: string, content: unknown): string {
  const file = join(project, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

const db = {
  Type: 'AWS::RDS::DBInstance',
  DeletionPolicy: 'Snapshot',
  Properties: { DBInstanceClass: 'db.t4g.micro', Engine: 'postgres' },
};

async function diff(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runDiffCli(['--base-dir', join(project, 'base'), '--current-dir', join(project, 'head'), ...argv], {
    cwd: project,
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
  });
  return { code, stdout, stderr };
}

beforeEach(() => {
  project = mkdtempSync(join(tmpdir(), 'diff-allow-location-'));
  write(`base/${STACK}.template.json`, { Resources: { Db1: db } });
  write(`head/${STACK}.template.json`, { Resources: { Db2: db } });
  write('config/envs.json', { environments: { prod: { stage: 'prod' } } });
});
afterEach(() => rmSync(project, { recursive: true, force: true }));

const entry = { stack: STACK, logicalId: 'Db1', reason: REASON };

describe('the allow-list of a team project', () => {
  it('none configured, none at the default path: the report mentions no allow-list and says how to start one', async () => {
    const run = await diff();
    expect(run.code).toBe(1);
    expect(run.stdout).not.toContain('Allow-list:');
    expect(run.stdout).not.toContain('lib/platform/review');
    expect(run.stdout).toContain(
      'If a loss is deliberate: snapshot the data or plan the migration first, then allow it with the real reason: put these entries in an allow-list file ({"allowed": [...]}) and pass it with --allow-list <file>',
    );
    expect(run.stdout).toContain(`{"stack":"${STACK}","logicalId":"Db1","impact":"WILL_DESTROY"`);
  });

  it('a config file without the field: the hint names the field, the suggested file next to the config, and the config file', async () => {
    const run = await diff('-c', 'configFile=config/envs.json');
    expect(run.code).toBe(1);
    expect(run.stdout).not.toContain('Allow-list:');
    expect(run.stdout).toContain(
      'create config/review/allow-replacements.json holding {"allowed": [...]} with these entries, and set "review": {"allowReplacements": "review/allow-replacements.json"} in config/envs.json (or pass --allow-list <file>):',
    );
  });

  it('review.allowReplacements, relative to the config file: read, reported with its entries, and its entry allows the loss', async () => {
    write('config/review/allow-replacements.json', { allowed: [entry] });
    write('config/envs.json', {
      environments: { prod: { stage: 'prod' } },
      review: { allowReplacements: 'review/allow-replacements.json' },
    });
    const run = await diff('-c', 'configFile=config/envs.json');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Allow-list: config/review/allow-replacements.json (1 entry)');
    expect(run.stdout).toContain('Allowed by config/review/allow-replacements.json:');
    expect(run.stdout).toContain(`allowed: ${REASON}`);
  });

  it("cdk.json's configFile context counts as the config file when -c configFile= is not given", async () => {
    write('config/review/allow-replacements.json', { allowed: [entry] });
    write('config/envs.json', {
      environments: { prod: { stage: 'prod' } },
      review: { allowReplacements: 'review/allow-replacements.json' },
    });
    write('cdk.json', { app: 'npx tsx app.ts', context: { configFile: 'config/envs.json' } });
    const run = await diff();
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Allow-list: config/review/allow-replacements.json (1 entry)');
  });

  it('a configured allow-list that does not exist: one line naming the field, the value, the path and the fix (exit 2, before the review)', async () => {
    write('config/envs.json', { environments: { prod: { stage: 'prod' } }, review: { allowReplacements: 'review/allow.json' } });
    const run = await diff('-c', 'configFile=config/envs.json');
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      'error: review.allowReplacements = "review/allow.json" in config/envs.json names config/review/allow.json, which does not exist. ' +
        'Fix: create it with {"allowed": []} (docs/reviewing-changes.md, "The allow-list"), or correct the path: it is relative to the config file\'s directory (config)\n',
    );
  });

  it('an invalid field value: one line with the field, the value, the rule and the fix (exit 2)', async () => {
    write('config/envs.json', { environments: { prod: { stage: 'prod' } }, review: { allowReplacements: '/etc/allow.json' } });
    const run = await diff('-c', 'configFile=config/envs.json');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^error: review\.allowReplacements = "\/etc\/allow\.json" in config\/envs\.json: must be the path of a \.json file relative to the config file's directory .*\. Fix: write it like "review\/allow-replacements\.json".*\n$/,
    );
  });

  it('--allow-list overrides the config field', async () => {
    write('config/envs.json', { environments: { prod: { stage: 'prod' } }, review: { allowReplacements: 'review/missing.json' } });
    const other = write('elsewhere/allow.json', { allowed: [entry] });
    const run = await diff('-c', 'configFile=config/envs.json', '--allow-list', other);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Allow-list: elsewhere/allow.json (1 entry)');
  });
});

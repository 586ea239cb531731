import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../support/run-cdk';

/**
 * `npm run synth -- loadbearing-dev` as a user types it: the app builds only that stack (the
 * CDK CLI would build all of them for a stack argument), every policy gate checks it, and the
 * command says what it is doing first and what it wrote at the end.
 */
describe('npm run synth -- <stack>', () => {
  const out = mkdtempSync(join(tmpdir(), 'synth-one-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));
  const run = spawnSync('npm', ['run', '--silent', 'synth', '--', 'loadbearing-dev', '--output', out], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    env: { ...process.env, FORCE_COLOR: '0' },
    timeout: 120_000,
  });

  it('succeeds and writes only that stack', () => {
    expect(run.status, run.stderr).toBe(0);
    expect(readdirSync(out).filter((f) => f.endsWith('.template.json'))).toEqual(['loadbearing-dev.template.json']);
  });

  it('says what it is about to do before anything else, and what it wrote', () => {
    const lines = run.stderr.split('\n');
    expect(lines[0]).toBe('synth: loadbearing-dev, then the policy gates (cdk-nag, Control Tower controls, CloudFormation validator)');
    expect(run.stderr).toMatch(/^wrote .*loadbearing-dev\.template\.json: loadbearing-dev, \d+ resources, \d+ KiB$/m);
    expect(run.stderr).toMatch(/^policy gate report: .*validation-report\.json$/m);
    expect(run.stderr).not.toMatch(/loadbearing-(staging|prod)/);
  });

  it('names an unknown stack and the stacks there are, without a stack trace', () => {
    const bad = spawnSync('npm', ['run', '--silent', 'synth', '--', 'loadbearing-qa', '--output', out], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(
      /context\.stacks = "loadbearing-qa"\n +rule: names no stack of this config \(its stacks: loadbearing-dev, loadbearing-staging, loadbearing-prod\)/,
    );
    expect(bad.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });
});

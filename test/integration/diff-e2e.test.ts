import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUILTIN_ENVIRONMENTS } from '../../lib/model/config/builtin-environments';
import { PROJECT_ROOT } from '../support/run-cdk';

/**
 * `npm run diff` as CI runs it: a subprocess that exports a git ref, links node_modules, runs
 * `cdk synth` there and reviews the result. `--base HEAD --head HEAD` compares HEAD with itself,
 * so the answer is "No changes" in any clone (a fresh CI clone has HEAD, maybe no origin/main),
 * whatever is uncommitted in the working tree. Both refs are one commit, so one synth; a config
 * file with one environment (passed through with -c) keeps it to about 4 s.
 */
describe('npm run diff (end to end)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'diff-e2e-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 0 and says "No changes" when nothing changed, and writes the Markdown report', () => {
    const markdown = join(dir, 'report.md');
    const config = join(dir, 'environments.json');
    // Only the required fields (and the certificates the prod preset's edge needs): the committed
    // HEAD's schema may predate newer optional ones.
    const { stage, account, region, availabilityZones, loadBalancer, edge } = BUILTIN_ENVIRONMENTS.prod;
    writeFileSync(config, JSON.stringify({ environments: { prod: { stage, account, region, availabilityZones, loadBalancer, edge } } }));
    // An empty allow-list: the repository's entries belong to its own changes, not to this comparison.
    const allowList = join(dir, 'allow.json');
    writeFileSync(allowList, JSON.stringify({ allowed: [] }));
    // --no-cache: this test is about the synth itself (test/platform/review/diff-synth-reuse.test.ts covers the cache).
    const args = [
      '--base',
      'HEAD',
      '--head',
      'HEAD',
      '--no-cache',
      '-c',
      `configFile=${config}`,
      '--markdown',
      markdown,
      '--allow-list',
      allowList,
    ];
    const run = spawnSync('npm', ['run', '--silent', 'diff', '--', ...args], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      env: { ...process.env, FORCE_COLOR: '0' },
      timeout: 120_000,
    });
    expect(run.stderr).not.toMatch(/error:/);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^Synth diff: HEAD \([0-9a-f]{7}\) -> HEAD \([0-9a-f]{7}\)$/m);
    expect(run.stdout).toMatch(/^loadbearing-prod +no changes$/m);
    // Only the config file's environment: the -c configFile=... reached the synth.
    expect(run.stdout).not.toContain('loadbearing-dev');
    expect(run.stdout).toContain('No changes: every template matches the baseline.');
    expect(existsSync(markdown)).toBe(true);
    expect(readFileSync(markdown, 'utf8')).toContain('**No changes: every template matches the baseline.**');
  });
});

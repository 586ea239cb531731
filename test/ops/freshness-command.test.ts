import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILTIN_ENVIRONMENTS } from '../../lib/model/config/builtin-environments';
import { deepMerge } from '../../lib/model/config/load-config';
import { runCli } from '../../lib/ops/cli';

function capture() {
  let text = '';
  return { stream: { write: (chunk: string) => (text += chunk) }, text: () => text };
}

async function run(argv: string[]) {
  const out = capture();
  const err = capture();
  // No createClient: a local command must not need AWS at all.
  const code = await runCli(argv, {
    stdout: out.stream,
    stderr: err.stream,
    createClient: () => {
      throw new Error('no AWS for freshness');
    },
  });
  return { code, stdout: out.text(), stderr: err.text() };
}

describe('loadbearing freshness', () => {
  it('prints the freshness model of a built-in environment as a table', async () => {
    const result = await run(['freshness', '--env', 'prod']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('**prod** (CloudFront on)');
    expect(result.stdout).toContain('| pages | `/*` | yes | 1 min | 2 min | 5 min | 30 s | 10 min | explicit-invalidation | static page |');
    expect(result.stdout).toContain('| api | `/api/*` | no | 0 |');
  });

  it('prints, per class, what a client sees while a replica lags', async () => {
    const result = await run(['freshness', '--env', 'prod']);
    expect(result.stdout).toContain('While a replica lags (prod):');
    expect(result.stdout).toContain(
      '| api | a replica while its lag is under 29 s (measured every 1000 ms), then the writer | read at once: writes fence what they change until a replica has it | 30 s | 2 s |',
    );
    expect(result.stdout).toContain('| forms | the writer only | always current | 0 (current) | not cached |');
    const tight = await run(['freshness', '--env', 'prod', '--json']);
    const api = (JSON.parse(tight.stdout) as { classes: { class: string; whileReplicaLags: { notFoundCached: string } }[] }).classes.find(
      (c) => c.class === 'api',
    );
    expect(api?.whileReplicaLags.notFoundCached).toBe('2 s');
  });

  it('prints JSON for scripts', async () => {
    const result = await run(['freshness', '--env', 'dev', '--json']);
    const json = JSON.parse(result.stdout) as { environment: string; edgeEnabled: boolean; classes: { class: string }[] };
    expect(json).toMatchObject({ environment: 'dev', edgeEnabled: false });
    expect(json.classes.map((c) => c.class)).toEqual(['static', 'api', 'forms', 'webhooks', 'pages']);
  });

  it('reads a config file and reports its problems like synth does', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'fresh-')), 'envs.json');
    const bad = deepMerge(BUILTIN_ENVIRONMENTS.prod, {
      edge: { freshness: [{ name: 'all', pathPattern: '/*', edgeTtlSeconds: 600, maxStalenessSeconds: 60 }] },
    });
    writeFileSync(file, JSON.stringify({ environments: { prod: bad } }));
    const result = await run(['freshness', '--env', 'prod', '--config', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('[FR-1] content class "all" (/*) can be 600 s old');
  });

  it('exits 2 with one line for an unknown environment', async () => {
    const result = await run(['freshness', '--env', 'qa']);
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe(
      'loadbearing: error: unknown environment "qa" (known: dev, staging, prod); fix: pass one of them to --env',
    );
  });
});

import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_ENVIRONMENTS } from '../../lib/config/builtin-environments';
import { runCdk, type CdkRun } from '../support/run-cdk';

describe('`cdk synth -c configFile=...` with a bad config', () => {
  let run: CdkRun;
  beforeAll(() => {
    const file = join(mkdtempSync(join(tmpdir(), 'bad-config-')), 'bad.json');
    const environments = {
      prod: { ...BUILTIN_ENVIRONMENTS.prod, fleet: { minCapacity: 30, maxCapacity: 10 }, database: { readReplicas: 16, instanceClass: 'db.m4.large' } },
    };
    writeFileSync(file, JSON.stringify({ environments }));
    run = runCdk(['synth', '--quiet', '-c', `configFile=${file}`]);
  });

  it('exits non-zero', () => {
    expect(run.status).not.toBe(0);
  });

  it('prints every problem with its path, value, rule and fix', () => {
    const output = run.stdout + run.stderr;
    expect(output).toContain('Invalid loadbearing configuration (3 problems)');
    expect(output).toMatch(/environments\.prod\.fleet\.minCapacity = 30\n +rule: must be <= fleet\.maxCapacity \(10\)\n +fix: /);
    expect(output).toMatch(/environments\.prod\.database\.readReplicas = 16/);
    expect(output).toMatch(/environments\.prod\.database\.instanceClass = "db\.m4\.large"/);
  });

  it('prints no stack trace', () => {
    expect(run.stdout + run.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });

  it('writes nothing', () => {
    const written = existsSync(run.outdir) ? readdirSync(run.outdir).filter((f) => f.endsWith('.template.json')) : [];
    expect(written).toEqual([]);
  });
});

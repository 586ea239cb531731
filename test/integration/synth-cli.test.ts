import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_ENVIRONMENTS } from '../../lib/model/config/builtin-environments';
import { deepMerge } from '../../lib/model/config/load-config';
import { runCdk, type CdkRun } from '../support/run-cdk';

/**
 * One `cdk synth -c configFile=...` run, as a user makes it, with a file that breaks the schema
 * in one environment and each invariant group in another: every problem is reported at once.
 */
const ENVIRONMENTS: Record<string, Record<string, unknown>> = {
  prod: { fleet: { minCapacity: 30, maxCapacity: 10 }, database: { readReplicas: 16, instanceClass: 'db.m4.large' } },
  budget: { database: { proxy: { enabled: false } }, app: { dbPoolSize: 100 } },
  timeouts: { app: { keepAliveTimeoutSeconds: 60 } },
  azloss: { fleet: { minCapacity: 5 } },
  scaling: { alarms: { fleetCpuPercent: 50 } },
  cache: { cache: { maxmemoryPolicy: 'noeviction' } },
  freshness: {
    edge: { freshness: [{ name: 'pages', pathPattern: '/*', edgeTtlSeconds: 600, appCacheTtlSeconds: 120, maxStalenessSeconds: 300 }] },
  },
};

describe('`cdk synth -c configFile=...` with a bad config', () => {
  let run: CdkRun;
  let output: string;
  beforeAll(() => {
    const file = join(mkdtempSync(join(tmpdir(), 'bad-config-')), 'environments.json');
    const environments = Object.fromEntries(
      Object.entries(ENVIRONMENTS).map(([name, change]) => [name, deepMerge(BUILTIN_ENVIRONMENTS.prod, change)]),
    );
    writeFileSync(file, JSON.stringify({ environments }, null, 2));
    run = runCdk(['synth', '--quiet', '-c', `configFile=${file}`]);
    output = run.stdout + run.stderr;
  });

  it('exits non-zero, prints no stack trace and writes nothing', () => {
    expect(run.status).not.toBe(0);
    expect(output).not.toMatch(/\n\s+at .+:\d+:\d+/);
    const written = existsSync(run.outdir) ? readdirSync(run.outdir).filter((f) => f.endsWith('.template.json')) : [];
    expect(written).toEqual([]);
  });

  it('prints every schema problem with its path, value, rule and fix', () => {
    expect(output).toMatch(/environments\.prod\.fleet\.minCapacity = 30\n +rule: must be <= fleet\.maxCapacity \(10\)\n +fix: /);
    expect(output).toMatch(/environments\.prod\.database\.readReplicas = 16\n +rule: the value must be <= 15/);
    expect(output).toMatch(
      /environments\.prod\.database\.instanceClass = "db\.m4\.large"\n +rule: RDS does not run PostgreSQL 17 on the db\.m4 family/,
    );
  });

  it.each([
    [
      'connection budget',
      /environments\.budget\.app\.dbPoolSize = 100\n +rule: \[CB-1\] writer connection budget exceeded: fleet\.maxCapacity 24 x 2 workers \(app\.workers "auto": one per vCPU of m7g\.large\) x 100 connections per worker = 4800 at peak/,
    ],
    [
      'timeout chain',
      /environments\.timeouts\.app\.keepAliveTimeoutSeconds = 60\n +rule: \[TC-1\] the app keep-alive timeout \(60000 ms\) must be longer than the ALB idle timeout/,
    ],
    [
      'AZ-loss static stability',
      /environments\.azloss\.fleet\.minCapacity = 5\n +rule: \[AZ-1\] with one of 3 AZs lost, fleet\.minCapacity 5 leaves 3 instance\(s\)/,
    ],
    [
      'scaling vs alarms',
      /environments\.scaling\.alarms\.fleetCpuPercent = 50\n +rule: \[SA-1\] the fleet CPU alarm \(50%\) must be above the CPU scaling target/,
    ],
    ['hard limits (schema-enforced)', /environments\.prod\.database\.readReplicas = 16\n +rule: the value must be <= 15/],
    [
      'cache policy',
      /environments\.cache\.cache\.maxmemoryPolicy = "noeviction"\n +rule: \[CP-1\] "noeviction" turns a full cache into write errors/,
    ],
    [
      'freshness',
      /environments\.freshness\.edge\.freshness\[0\]\.edgeTtlSeconds = 600\n +rule: \[FR-1\] content class "pages" \(\/\*\) can be 720 s old/,
    ],
  ])('rejects a violation of the %s invariants with its message', (_group, pattern) => {
    expect(output).toMatch(pattern);
  });

  it('counts them all in one report', () => {
    expect(output).toMatch(/Invalid loadbearing configuration \(10 problems\)/);
  });
});

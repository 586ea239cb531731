import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_ENVIRONMENTS } from '../../lib/config/builtin-environments';
import { deepMerge } from '../../lib/config/load-config';
import { runCdk, type CdkRun } from '../support/run-cdk';

/** One environment per rule group, each breaking only that group. */
const VIOLATIONS: Record<string, Record<string, unknown>> = {
  budget: { database: { proxy: { enabled: false } }, app: { dbPoolSize: 100 } },
  timeouts: { app: { keepAliveTimeoutSeconds: 60 } },
  azloss: { fleet: { minCapacity: 5 } },
  scaling: { alarms: { fleetCpuPercent: 50 } },
  limits: { database: { readReplicas: 16 } },
  cache: { cache: { maxmemoryPolicy: 'noeviction' } },
};

describe('`cdk synth -c configFile=...` rejects a violation of each invariant group', () => {
  let run: CdkRun;
  let output: string;
  beforeAll(() => {
    const file = join(mkdtempSync(join(tmpdir(), 'invariants-')), 'environments.json');
    const environments = Object.fromEntries(Object.entries(VIOLATIONS).map(([name, change]) => [name, deepMerge(BUILTIN_ENVIRONMENTS.prod, change)]));
    writeFileSync(file, JSON.stringify({ environments }, null, 2));
    run = runCdk(['synth', '--quiet', '-c', `configFile=${file}`]);
    output = run.stdout + run.stderr;
  });

  it('exits non-zero without a stack trace', () => {
    expect(run.status).not.toBe(0);
    expect(output).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });

  it.each([
    ['connection budget', /environments\.budget\.app\.dbPoolSize = 100\n +rule: \[CB-1\] writer connection budget exceeded: fleet\.maxCapacity 24 x 100 connections per instance = 2400 at peak/],
    ['timeout chain', /environments\.timeouts\.app\.keepAliveTimeoutSeconds = 60\n +rule: \[TC-1\] the app keep-alive timeout \(60000 ms\) must be longer than the ALB idle timeout/],
    ['AZ-loss static stability', /environments\.azloss\.fleet\.minCapacity = 5\n +rule: \[AZ-1\] with one of 3 AZs lost, fleet\.minCapacity 5 leaves 3 instance\(s\)/],
    ['scaling vs alarms', /environments\.scaling\.alarms\.fleetCpuPercent = 50\n +rule: \[SA-1\] the fleet CPU alarm \(50%\) must be above the CPU scaling target/],
    ['hard limits', /environments\.limits\.database\.readReplicas = 16\n +rule: the value must be <= 15/],
    ['cache policy', /environments\.cache\.cache\.maxmemoryPolicy = "noeviction"\n +rule: \[CP-1\] "noeviction" turns a full cache into write errors/],
  ])('%s', (_group, pattern) => {
    expect(output).toMatch(pattern);
  });
});

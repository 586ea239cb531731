import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILTIN_ENVIRONMENTS } from '../../lib/model/config/builtin-environments';
import { FAILURE_MODE_IDS } from '../../lib/model/failure-modes/failure-mode';
import type { CatalogueRow } from '../../lib/model/failure-modes/catalogue';
import { run } from './support/cli-harness.js';

// No client factories work here: a local command must not need AWS at all.
const noAws = {
  createClient: () => {
    throw new Error('no AWS for failure-modes');
  },
  createFisClient: () => {
    throw new Error('no AWS for failure-modes');
  },
};

describe('loadbearing failure-modes', () => {
  it('prints the catalogue of an environment: one block per mode with every part', async () => {
    const r = await run(['failure-modes', '--env', 'staging'], noAws);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Failure modes of staging \(loadbearing-staging\), 15 of 16 apply:/);
    for (const mode of FAILURE_MODE_IDS) expect(r.stdout).toContain(`\n${mode}: `);
    for (const part of ['  failure:', '  mitigation:', '  invariants:', '  alarms:', '  budget:', '  proving:', '  drill:', '  runbook:']) {
      expect(r.stdout.split('\n').filter((l) => l.startsWith(part))).toHaveLength(FAILURE_MODE_IDS.length);
    }
    expect(r.stdout).toContain('drill:       cache-primary-failover (1 template, stop alarm loadbearing-staging-drill-cache-loss-stop');
    expect(r.stdout).toContain('drill:       az-loss (3 templates');
    expect(r.stdout).toContain('drill:       none: FIS injects faults into resources');
  });

  it('says where an environment has no drills, and prints JSON for scripts', async () => {
    const r = await run(['failure-modes', '--env', 'dev', '--json'], noAws);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as { environment: string; drillsEnabled: boolean; modes: CatalogueRow[] };
    expect(json).toMatchObject({ environment: 'dev', drillsEnabled: false });
    expect(json.modes.map((m) => m.mode)).toEqual([...FAILURE_MODE_IDS]);
    expect(json.modes.find((m) => m.mode === 'az-loss')!.drill).toMatchObject({
      name: 'az-loss',
      inThisEnvironment: false,
      why: 'failureDrills.enabled is false for dev',
      stopAlarm: null,
    });
  });

  it('reports config problems and unknown environments with exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fm-'));
    try {
      const file = join(dir, 'envs.json');
      writeFileSync(
        file,
        JSON.stringify({ environments: { staging: { ...BUILTIN_ENVIRONMENTS.staging, failureDrills: { zones: ['us-east-1z'] } } } }),
      );
      const bad = await run(['failure-modes', '--env', 'staging', '--config', file], noAws);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('environments.staging.failureDrills.zones[0] = "us-east-1z"');
      const unknown = await run(['failure-modes', '--env', 'qa'], noAws);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr.trim()).toBe(
        'loadbearing: error: unknown environment "qa" (known: dev, staging, prod); fix: pass one of them to --env',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

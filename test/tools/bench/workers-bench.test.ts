import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { summarizeBundleProfile } from '../../../tools/bench/service-profile';
import type { RawPhase, WorkersBenchResults } from '../../../tools/bench/workers-bench';
import { workersBench, workersTargets } from '../../../tools/bench/workers-bench-part';

const s = (median: number) => ({ median, min: median, max: median });
const raw = (statuses: Record<string, number>, cpuUsPerAnswer: number): RawPhase => ({
  answersPerSecond: 100,
  p50Ms: 1,
  p99Ms: 2,
  statuses,
  cpuUsPerAnswer,
  primaryCpuUsPerAnswer: cpuUsPerAnswer,
  errors: 0,
});
function results(one: number, two: number, o: { failures?: number; shed?: RawPhase } = {}): Omit<WorkersBenchResults, 'measuredAt'> {
  const count = (workers: number, rps: number) => ({
    workers,
    quotaCores: workers * 0.15,
    requestsPerSecond: s(rps),
    p99Ms: s(5),
    cpuCores: s(workers * 0.15),
    readsPerCpuSecond: s(rps / (workers * 0.15)),
    loadGeneratorCores: s(0.1),
    failures: workers === 2 ? (o.failures ?? 0) : 0,
  });
  const profile = { busyMs: 100, windowed: true, byOwner: [{ owner: 'ioredis', ms: 10 }], requests: 1000, usPerRequest: 100 };
  return {
    mechanism: 'primary',
    placement: 'test',
    perWorkerCores: 0.15,
    connectionsPerWorker: 4,
    connections: 16,
    secondsPerPhase: 5,
    rounds: 3,
    counts: [count(1, one), count(2, two)],
    ratio2v1: { ofMedians: Math.round((two / one) * 100) / 100, perRound: s(two / one) },
    shed: { shed: o.shed ?? raw({ '503': 500 }, 100), served: raw({ '200': 400 }, 300), keepAliveCpuUsPerRead: 80 },
    profile: { service: profile, bare: profile },
  };
}

describe('workers bench targets', () => {
  it('2 workers at 1.8x of 1 meet the target, 1.79x does not', () => {
    expect(workersTargets(results(1000, 1800))[0]).toMatchObject({ met: true, measured: expect.stringContaining('1.8x') });
    expect(workersTargets(results(1000, 1790))[0].met).toBe(false);
  });

  it("judge the median of the rounds' ratios, not the ratio of the medians", () => {
    const r = results(1000, 1600);
    const paired = { ...r, ratio2v1: { ofMedians: 1.6, perRound: { median: 1.9, min: 1.58, max: 1.91 } } };
    expect(workersTargets(paired)[0]).toMatchObject({ met: true, measured: '1.9x (rounds 1.58-1.91; ratio of the medians 1.6x)' });
    const low = { ...r, ratio2v1: { ofMedians: 1.9, perRound: { median: 1.7, min: 1.6, max: 1.9 } } };
    expect(workersTargets(low)[0].met).toBe(false);
  });

  it('count for nothing when a phase had failed responses (a 503 is not a served read)', () => {
    const t = workersTargets(results(1000, 2000, { failures: 12 }))[0];
    expect(t.met).toBe(false);
    expect(t.measured).toContain('INVALID: 2w 12 failed responses');
  });

  it('a shed must be a 503 from the primary every time, and cheaper than a served read', () => {
    expect(workersTargets(results(1000, 2000))[1].met).toBe(true);
    const leaked = workersTargets(results(1000, 2000, { shed: raw({ '503': 490, '200': 10 }, 100) }))[1];
    expect(leaked.met).toBe(false);
    expect(leaked.measured).toContain('INVALID: 10 of 500 not shed');
    expect(workersTargets(results(1000, 2000, { shed: raw({ '503': 500 }, 300) }))[1].met).toBe(false);
  });

  it('renders one row per worker count with the quota, the CPU used and the ratio', () => {
    const r = { ...results(1000, 1900), measuredAt: 'x', loadAverage: { before: 1, after: 1 } };
    const lines = workersBench.table(r).join('\n');
    expect(lines).toContain('| 1 | 0.15 | 1000 (1000-1000) |');
    expect(lines).toContain('| 2 | 0.3 | 1900 (1900-1900) |');
    expect(lines).toContain('2 workers over 1: 1.9x, the median of the rounds');
    expect(lines).toContain('| shed by the primary (503) |');
  });
});

describe('summarizeBundleProfile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-profile-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('attributes self time to the bundled module by line (a native function to its caller), leaves idle out, and keeps only the window', () => {
    const bundle = join(dir, 'svc.js');
    writeFileSync(
      bundle,
      ['"use strict";', '// node_modules/ioredis/built/Redis.js', 'a();', '// service/src/server.ts', 'b();'].join('\n'),
    );
    const frame = (id: number, functionName: string, url: string, lineNumber: number) => ({
      id,
      callFrame: { functionName, url, lineNumber },
    });
    const profile = {
      nodes: [
        frame(1, '(root)', '', -1),
        frame(2, 'send', `file://${bundle}`, 2),
        frame(3, 'handle', `file://${bundle}`, 4),
        frame(4, '(idle)', '', -1),
        frame(5, 'writev', '', -1),
        { ...frame(6, 'emit', 'node:events', 10), children: [5] },
      ],
      startTime: 1_000_000,
      // Samples at 1.001 s .. 1.006 s; the window keeps 1.002 s to 1.005 s.
      samples: [2, 2, 3, 4, 5, 6],
      timeDeltas: [1000, 1000, 1000, 1000, 1000, 1000],
    };
    const file = join(dir, 'p.cpuprofile');
    writeFileSync(file, JSON.stringify(profile));
    const all = summarizeBundleProfile(file, bundle);
    expect(all.windowed).toBe(false);
    expect(all.busyMs).toBe(5);
    expect(Object.fromEntries(all.byOwner.map((o) => [o.owner, o.ms]))).toEqual({
      ioredis: 2,
      'service/src/server.ts': 1,
      '(native) writev from node:events (Node.js internals)': 1,
      'node:events (Node.js internals)': 1,
    });
    const windowed = summarizeBundleProfile(file, bundle, { fromUs: 1_002_000, toUs: 1_005_000 });
    expect(windowed.windowed).toBe(true);
    expect(Object.fromEntries(windowed.byOwner.map((o) => [o.owner, o.ms]))).toEqual({
      ioredis: 1,
      'service/src/server.ts': 1,
      '(native) writev from node:events (Node.js internals)': 1,
    });
  });
});

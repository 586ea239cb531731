import { describe, expect, it } from 'vitest';
import type { JudgedCheck } from '../src/verdict';
import type { ProveResults, ScenarioResult } from '../src/report/results';
import {
  appLine,
  calibrationIntro,
  calibrationStepLine,
  checkLine,
  runLine,
  scenarioLines,
  summaryLines,
  windowsLine,
} from '../src/report/console';
import { QUICK_TIMINGS } from '../src/scenarios';

const check = (over: Partial<JudgedCheck>): JudgedCheck => ({
  id: 'shed-fast',
  label: 'p99 of shed responses during the spike',
  comparison: '<',
  unit: 'ms',
  derivation: '',
  limit: 50,
  median: 62,
  min: 62,
  max: 62,
  runs: [62],
  pass: false,
  ...over,
});

describe('the proving-ground console', () => {
  it('names the bound that broke, with the budget beside the measured value', () => {
    expect(checkLine(check({}))).toBe('p99 of shed responses during the spike: 62 ms >= 50 ms budget');
    expect(checkLine(check({ comparison: '<=', label: 'p99, whole run', limit: 500, median: 612 }))).toBe(
      'p99, whole run: 612 ms > 500 ms budget',
    );
    expect(checkLine(check({ comparison: '=', label: 'acknowledged writes lost', unit: 'count', limit: 0, median: 2 }))).toBe(
      'acknowledged writes lost: 2 != 0 budget',
    );
    expect(
      checkLine(check({ comparison: '<=', label: 'p99 and errors back to the pre-fault level', unit: 's', limit: 3.5, median: null })),
    ).toBe('p99 and errors back to the pre-fault level: never; budget <= 3.5 s');
  });

  it('shows a held check with its own bound, and the spread over several runs', () => {
    expect(
      checkLine(
        check({
          comparison: '<=',
          label: 'errors (not shed, not 429), whole run',
          unit: '%',
          limit: 0.1,
          median: 0,
          min: 0,
          max: 0.02,
          runs: [0, 0.02, 0],
          pass: true,
        }),
      ),
    ).toBe('errors (not shed, not 429), whole run: 0% <= 0.1% budget (median of 3 runs; 0%-0.02%)');
  });

  it('lists the failing checks of a scenario first, and says how many broke', () => {
    const s = {
      id: 'traffic-spike',
      title: 'Spike to 3x capacity',
      applies: true,
      pass: false,
      checks: [check({ id: 'errors', label: 'errors', comparison: '<=', unit: '%', limit: 0.1, median: 0, pass: true }), check({})],
    } as unknown as ScenarioResult;
    expect(scenarioLines(s)).toEqual([
      'FAIL  traffic-spike: Spike to 3x capacity (1 of 2 checks broke)',
      '        FAIL  p99 of shed responses during the spike: 62 ms >= 50 ms budget',
      '        ok    errors: 0% <= 0.1% budget',
    ]);
    expect(
      scenarioLines({ id: 'worker-crash', applies: false, reason: 'does not apply to a team artifact: x' } as unknown as ScenarioResult),
    ).toEqual(['skip  worker-crash: does not apply to a team artifact: x']);
  });

  it('explains calibration: what it looks for, a warm-up that is not judged, and a step over the target that ends the search', () => {
    expect(calibrationIntro(500, 0.1, 0.7, 3)).toMatch(
      /^calibration: finding the fleet's capacity, the highest open-loop rate with p99 <= 500 ms and <= 0\.1% shed or errors.*at 70% of it \(the spike at 3x\)\. A step over the target \(twice in a row\) ends the search: that is not a failure$/,
    );
    const o = { targetP99Ms: 500, non2xxPercent: 0.1 };
    const warm = calibrationStepLine({ rps: 120, p99Ms: 900, non2xxPercent: 2, within: false }, { ...o, warmUp: true });
    expect(warm).toBe(
      'calibration warm-up (not judged: opens connections, fills caches, warms the JIT) at 120 req/s: p99 900 ms, 2% shed or errors',
    );
    expect(warm).not.toMatch(/OVER|over the target/);
    expect(
      calibrationStepLine({ rps: 180, p99Ms: 20, non2xxPercent: 0, within: true }, { ...o, warmUp: false, next: 'next step 270 req/s' }),
    ).toBe(
      'calibration step at 180 req/s: p99 20 ms, 0% shed or errors: within the target (p99 20 ms <= 500 ms, 0% <= 0.1% shed or errors); next step 270 req/s',
    );
    expect(
      calibrationStepLine(
        { rps: 405, p99Ms: 612, non2xxPercent: 0.5, within: false },
        { ...o, warmUp: false, next: 'the capacity is below this rate' },
      ),
    ).toBe(
      'calibration step at 405 req/s: p99 612 ms, 0.5% shed or errors: over the target (p99 612 ms > 500 ms target, 0.5% > 0.1% shed or errors); the capacity is below this rate',
    );
  });

  it('puts every number of a run in a named window; steady-state has no fault window', () => {
    const m = {
      phases: { before: { all: { p99Ms: 12 } }, fault: { all: { p99Ms: 40 } } },
      run: { all: { p99Ms: 30 }, errorPercent: 0.02, shedPercent: 0, counts: { rateLimited: 0 } },
      writes: { lost: 0, duplicated: 0 },
    } as unknown as Parameters<typeof runLine>[2];
    expect(runLine('steady-state', 1, m, { writes: true })).toBe(
      'scenario steady-state run 1: p99 30 ms (whole run); errors 0.02%, shed 0%, 429s 0 (whole run); writes lost 0, duplicated 0',
    );
    expect(runLine('steady-state', 1, m, { writes: false })).not.toMatch(/fault/);
    expect(runLine('instance-loss', 2, m, { writes: false })).toBe(
      'scenario instance-loss run 2: p99 40 ms (fault window), 12 ms (before the fault); errors 0.02%, shed 0%, 429s 0 (whole run)',
    );
    expect(windowsLine(QUICK_TIMINGS)).toMatch(
      /^windows of each run, by planned send time: before the fault 0-4 s, fault window 4-10 s, after the fault 10-15 s, whole run 0-15 s/,
    );
  });

  it('names the app and its mix, and ends with the path of results.md', () => {
    expect(appLine({ kind: 'reference-service', mix: 'the mix' })).toBe('app: the reference service; request mix: the mix');
    expect(
      appLine({
        kind: 'team-artifact',
        artifact: '/a',
        runtime: 'nodejs',
        command: 'node server.js',
        healthPath: '/healthz',
        mix: 'GET /healthz (100%)',
        mixSource: 'x',
      }),
    ).toBe('app: your app /a (runtime nodejs, health path /healthz); request mix: GET /healthz (100%), from x');
    const r = {
      pass: false,
      calibration: { capacityRps: 300, perInstanceRps: 150 },
      wallSeconds: { total: 61.4 },
      scenarios: [
        { id: 'steady-state', applies: true, pass: true },
        { id: 'traffic-spike', applies: true, pass: false },
        { id: 'worker-crash', applies: false, pass: true },
      ],
    } as unknown as ProveResults;
    expect(summaryLines(r, '/tmp/loadbearing-prove-quick-abc', '/tmp/loadbearing-prove-quick-abc/results.md')).toEqual([
      'capacity 300 req/s (150 per instance); a budget broke in traffic-spike; 1 scenario did not apply (61 s)',
      'results: /tmp/loadbearing-prove-quick-abc/results.md (charts and results.json in /tmp/loadbearing-prove-quick-abc)',
    ]);
  });
});

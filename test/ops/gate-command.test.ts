import { CloudWatchClient, DescribeAlarmsCommand, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../lib/ops/clock.js';
import { capture, metricAlarm, NOW, pagedAlarms, run, type CliRun } from './support/cli-harness.js';
import { runCli } from '../../lib/ops/cli.js';

const cw = mockClient(CloudWatchClient);
// Test files share modules (isolate: false): put the real client back for the next file.
afterAll(() => cw.restore());

beforeEach(() => {
  cw.reset();
  vi.useFakeTimers({ now: NOW });
});
afterEach(() => {
  vi.useRealTimers();
});

const critical = (name: string, state: 'OK' | 'ALARM', reason?: string) =>
  metricAlarm(name, state, { description: '[critical] pages', ...(reason ? { reason } : {}), agoMs: 0 });
const warning = (name: string, state: 'OK' | 'ALARM') => metricAlarm(name, state, { description: '[warning] notifies', agoMs: 0 });

const healthy = [critical('shop-alb-5xx-rate', 'OK'), critical('shop-db-writer-cpu', 'OK'), warning('shop-cache-evictions', 'OK')];

/** Answers check k (1-based) with `polls[k-1]`, the last one repeating. */
function pollSequence(...polls: MetricAlarm[][]) {
  let k = 0;
  cw.on(DescribeAlarmsCommand).callsFake(() => ({ MetricAlarms: polls[Math.min(k++, polls.length - 1)] }));
}

/** Starts the gate with the real clock on fake timers; `settledAt` is the fake time it ended at. */
function startGate(args: string[]) {
  let settledAt: number | undefined;
  const pending = run(['gate', '--stack', 'shop', ...args], { clock: systemClock }).then((result) => {
    settledAt = Date.now() - NOW;
    return result;
  });
  return { pending, settledAt: () => settledAt };
}

describe('gate', () => {
  it('passes a clean bake after ceil(bake / interval) + 1 checks', async () => {
    pollSequence(healthy);
    const gate = startGate(['--bake', '2m', '--interval', '30s']);
    await vi.advanceTimersByTimeAsync(119_999);
    expect(gate.settledAt()).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    const result = await gate.pending;
    expect(gate.settledAt()).toBe(120_000);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('gate shop: baking 2m, checking alarms every 30s');
    expect(result.stdout).toContain(
      'PASS: shop baked 2m with no critical alarm in ALARM (5 checks of 3 alarms, 0 warning alarm(s) seen in ALARM)',
    );
    expect(cw.commandCalls(DescribeAlarmsCommand)).toHaveLength(5);
  });

  it('pages each check: 250 alarms over 5 checks cost 5 x 3 DescribeAlarms calls', async () => {
    const many = Array.from({ length: 250 }, (_, i) => critical(`shop-fleet-cpu-${i}`, 'OK'));
    cw.on(DescribeAlarmsCommand).callsFake(pagedAlarms(many));
    const gate = startGate(['--bake', '2m', '--interval', '30s']);
    await vi.advanceTimersByTimeAsync(120_000);
    expect((await gate.pending).code).toBe(0);
    expect(cw.commandCalls(DescribeAlarmsCommand)).toHaveLength(15);
  });

  it('fails at once when a critical alarm is already in ALARM at the start', async () => {
    pollSequence([critical('shop-alb-5xx-rate', 'ALARM', 'Threshold Crossed: 5xx rate 7.5% > 1%'), ...healthy.slice(1)]);
    const gate = startGate(['--bake', '10m']);
    await vi.advanceTimersByTimeAsync(0);
    const result = await gate.pending;
    expect(gate.settledAt()).toBe(0);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      'FAIL: critical alarm shop-alb-5xx-rate is in ALARM since 0s ago: Threshold Crossed: 5xx rate 7.5% > 1%',
    );
    expect(result.stdout).toContain('gate failed after 0s of 10m (check 1)');
    expect(cw.commandCalls(DescribeAlarmsCommand)).toHaveLength(1);
  });

  it('fails fast mid-bake, at the first check that sees the critical alarm', async () => {
    const flipped = [
      critical('shop-db-writer-cpu', 'ALARM', 'Threshold Crossed: CPU 93% > 80%'),
      ...healthy.filter((a) => a.AlarmName !== 'shop-db-writer-cpu'),
    ];
    pollSequence(healthy, healthy, flipped);
    const gate = startGate(['--bake', '10m', '--interval', '30s']);
    await vi.advanceTimersByTimeAsync(60_000);
    const result = await gate.pending;
    expect(gate.settledAt()).toBe(60_000);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('FAIL: critical alarm shop-db-writer-cpu is in ALARM');
    expect(result.stdout).toContain('Threshold Crossed: CPU 93% > 80%');
    expect(result.stdout).toContain('gate failed after 1m of 10m (check 3)');
    expect(cw.commandCalls(DescribeAlarmsCommand)).toHaveLength(3);
  });

  it('reports a warning alarm in ALARM once and still passes', async () => {
    const warned = [...healthy.slice(0, 2), warning('shop-cache-evictions', 'ALARM')];
    pollSequence(healthy, warned, warned, warned);
    const gate = startGate(['--bake', '1m', '--interval', '20s']);
    await vi.advanceTimersByTimeAsync(60_000);
    const result = await gate.pending;
    expect(result.code).toBe(0);
    const warnings = result.stdout.split('\n').filter((l) => l.startsWith('warning:'));
    expect(warnings).toEqual([
      'warning: shop-cache-evictions is in ALARM (warning alarm: reported, does not fail the gate): reason of shop-cache-evictions',
    ]);
    expect(result.stdout).toContain('1 warning alarm(s) seen in ALARM');
  });

  it('rides out throttling during the bake', async () => {
    const throttling = Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } });
    cw.on(DescribeAlarmsCommand).resolvesOnce({ MetricAlarms: healthy }).rejectsOnce(throttling).resolves({ MetricAlarms: healthy });
    const gate = startGate(['--bake', '1m', '--interval', '30s']);
    await vi.advanceTimersByTimeAsync(70_000);
    const result = await gate.pending;
    expect(result.code).toBe(0);
    expect(cw.commandCalls(DescribeAlarmsCommand)).toHaveLength(4);
  });

  it('exits 2 when access is denied mid-bake, without retrying', async () => {
    cw.on(DescribeAlarmsCommand)
      .resolvesOnce({ MetricAlarms: healthy })
      .rejects(Object.assign(new Error('not authorized'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));
    const gate = startGate(['--bake', '5m', '--interval', '30s']);
    await vi.advanceTimersByTimeAsync(30_000);
    const result = await gate.pending;
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('loadbearing: error: access denied by CloudWatch (AccessDenied): not authorized');
    expect(cw.commandCalls(DescribeAlarmsCommand)).toHaveLength(2);
  });

  it('exits 2 at bake + --timeout when the last check never answers', async () => {
    let k = 0;
    cw.on(DescribeAlarmsCommand).callsFake(() => (k++ < 2 ? { MetricAlarms: healthy } : new Promise(() => undefined)));
    const gate = startGate(['--bake', '1m', '--interval', '30s', '--timeout', '20s']);
    await vi.advanceTimersByTimeAsync(79_999);
    expect(gate.settledAt()).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    const result = await gate.pending;
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('gave up after 80s without a complete answer from CloudWatch');
  });

  it('exits 2 for an unknown stack', async () => {
    cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
    const gate = startGate(['--bake', '1m']);
    await vi.advanceTimersByTimeAsync(0);
    const result = await gate.pending;
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no alarms found with prefix "shop-"');
  });

  it.each([
    [[], 'loadbearing: error: missing --bake <duration>, e.g. --bake 10m; see: loadbearing gate --help'],
    [['--bake', '10 minutes'], 'loadbearing: error: invalid duration "10 minutes" for --bake: use e.g. 30s, 10m, 1h, 2h30m, 1d'],
    [
      ['--bake', '10m', '--interval', 'often'],
      'loadbearing: error: invalid duration "often" for --interval: use e.g. 30s, 10m, 1h, 2h30m, 1d',
    ],
    [['--bake', '10m', '--interval', '0s'], 'loadbearing: error: invalid duration "0s" for --interval: must be greater than zero'],
    [['--bake', '1m', '--interval', '2m'], 'loadbearing: error: --interval (2m) must not be longer than --bake (1m)'],
  ])('rejects %j with exit 2 before any call', async (args, message) => {
    const result = await run(['gate', '--stack', 'shop', ...args], { clock: systemClock });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`${message}\n`);
    expect(cw.calls()).toHaveLength(0);
  });

  it('prints plain progress lines at most every 30s off a terminal', async () => {
    pollSequence(healthy);
    const gate = startGate(['--bake', '2m', '--interval', '10s']);
    await vi.advanceTimersByTimeAsync(120_000);
    const result: CliRun = await gate.pending;
    const lines = result.stderr.trim().split('\n');
    expect(lines.map((l) => /^gate shop: (\S+) of 2m baked/.exec(l)?.[1])).toEqual(['0s', '30s', '1m', '1m30s']);
    expect(lines[0]).toBe(
      'gate shop: 0s of 2m baked, 3 alarms (3 OK, 0 ALARM, 0 INSUFFICIENT_DATA), no critical in ALARM; next check in 10s',
    );
    expect(result.stderr).not.toContain('\r');
  });

  it('rewrites one progress line on a terminal and clears it before the verdict', async () => {
    pollSequence(healthy);
    const stdout = capture(true, 200);
    const stderr = capture(true, 200);
    const pending = runCli(['gate', '--stack', 'shop', '--bake', '30s', '--interval', '10s'], {
      stdout,
      stderr,
      clock: systemClock,
      env: {},
    });
    await vi.advanceTimersByTimeAsync(30_000);
    expect(await pending).toBe(0);
    expect(stderr.text).not.toContain('\n');
    expect(
      stderr.text
        .split('\r\x1b[2K')
        .filter(Boolean)
        .map((l) => l.slice(0, 25)),
    ).toEqual(['gate shop: 0s of 30s bake', 'gate shop: 10s of 30s bak', 'gate shop: 20s of 30s bak']);
    expect(stderr.text.endsWith('\r\x1b[2K')).toBe(true);
  });

  it('prints one JSON document with --json', async () => {
    pollSequence(healthy, [critical('shop-alb-5xx-rate', 'ALARM'), warning('shop-cache-evictions', 'ALARM')]);
    const gate = startGate(['--bake', '5m', '--interval', '1m', '--json']);
    await vi.advanceTimersByTimeAsync(60_000);
    const result = await gate.pending;
    expect(result.code).toBe(1);
    const json = JSON.parse(result.stdout);
    expect(json).toMatchObject({
      stack: 'shop',
      prefix: 'shop-',
      result: 'fail',
      exitCode: 1,
      bakeSeconds: 300,
      intervalSeconds: 60,
      elapsedSeconds: 60,
      checks: 2,
      failedOn: [{ name: 'shop-alb-5xx-rate', severity: 'critical', state: 'ALARM' }],
      warnings: [{ name: 'shop-cache-evictions', severity: 'warning' }],
    });
    expect(result.stderr).toContain('FAIL: critical alarm shop-alb-5xx-rate');
  });
});

import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { REASON_WIDTH } from '../../lib/ops/status-command.js';
import { capture, compositeAlarm, fastRetry, frozenClock, metricAlarm, pagedAlarms, run } from './support/cli-harness.js';
import { runCli } from '../../lib/ops/cli.js';

const cw = mockClient(CloudWatchClient);
// Test files share modules (isolate: false): put the real client back for the next file.
afterAll(() => cw.restore());
beforeEach(() => cw.reset());

const healthy = [
  metricAlarm('shop-db-writer-cpu', 'OK', { description: '[critical] writer CPU above 80%' }),
  metricAlarm('shop-alb-5xx-rate', 'OK', { description: '[critical] 5xx above 1%' }),
  metricAlarm('shop-cache-evictions', 'OK'),
  metricAlarm('shop-fleet-cpu', 'OK'),
  metricAlarm('shop-cdn-5xx-rate', 'OK'),
];

function describeAlarms(metric = healthy, composite = [compositeAlarm('shop-service-health', 'OK')]) {
  cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: metric, CompositeAlarms: composite });
}

describe('status', () => {
  it('prints every alarm grouped by component in request-path order and exits 0 when all are OK', async () => {
    describeAlarms();
    const result = await run(['status', '--stack', 'shop']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('shop: 6 alarms: 0 ALARM, 6 OK, 0 INSUFFICIENT_DATA');
    const headers = result.stdout.split('\n').filter((line) => /^[a-z]+$/.test(line));
    expect(headers).toEqual(['cdn', 'alb', 'fleet', 'db', 'cache', 'service']);
    expect(result.stdout).toMatch(/OK\s+critical\s+shop-db-writer-cpu\s+3m ago \(2026-11-25T07:57:00Z\)\s+reason of shop-db-writer-cpu/);
    expect(cw.commandCalls(DescribeAlarmsCommand)).toHaveLength(1);
    expect(cw.commandCalls(DescribeAlarmsCommand)[0]!.args[0].input).toEqual({
      AlarmNamePrefix: 'shop-',
      AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
      MaxRecords: 100,
      NextToken: undefined,
    });
  });

  it('exits 1 when one alarm is in ALARM and shows it with its reason', async () => {
    describeAlarms([
      ...healthy.slice(1),
      metricAlarm('shop-db-writer-cpu', 'ALARM', {
        description: '[critical] writer CPU above 80%',
        reason: 'Threshold Crossed: 3 datapoints [91.2, 88.0, 85.5] were greater than the threshold (80.0).',
        agoMs: 7 * 60_000,
      }),
    ]);
    const result = await run(['status', '--stack', 'shop']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('shop: 6 alarms: 1 ALARM, 5 OK, 0 INSUFFICIENT_DATA');
    expect(result.stdout).toMatch(
      /ALARM\s+critical\s+shop-db-writer-cpu\s+7m ago \(2026-11-25T07:53:00Z\)\s+Threshold Crossed: 3 datapoints \[91.2/,
    );
  });

  it('exits 1 for a warning alarm in ALARM too (gate is the command that weighs severity)', async () => {
    describeAlarms([metricAlarm('shop-cache-evictions', 'ALARM')]);
    expect((await run(['status', '--stack', 'shop'])).code).toBe(1);
  });

  it('exits 0 with a note when alarms are only INSUFFICIENT_DATA', async () => {
    describeAlarms([metricAlarm('shop-db-replica-1-lag', 'INSUFFICIENT_DATA'), ...healthy]);
    const result = await run(['status', '--stack', 'shop']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('1 INSUFFICIENT_DATA');
    expect(result.stdout).toContain('note: 1 alarm(s) in INSUFFICIENT_DATA');
  });

  it('shortens long reasons on a pipe, and to the terminal width on a TTY', async () => {
    describeAlarms([metricAlarm('shop-alb-5xx-rate', 'ALARM', { reason: 'x'.repeat(500) })], []);
    const piped = await run(['status', '--stack', 'shop']);
    const line = piped.stdout.split('\n').find((l) => l.includes('shop-alb-5xx-rate'))!;
    expect(line).toContain(`${'x'.repeat(REASON_WIDTH - 1)}…`);
    expect(line).not.toContain('x'.repeat(REASON_WIDTH));

    const tty = capture(true, 120);
    await runCli(['status', '--stack', 'shop'], { stdout: tty, stderr: capture(), clock: frozenClock, env: {} });
    const ttyLine = tty.text.split('\n').find((l) => l.includes('shop-alb-5xx-rate'))!;
    expect(ttyLine.length).toBeLessThanOrEqual(120);
    expect(ttyLine.endsWith('…')).toBe(true);
  });

  it('pages through DescribeAlarms with NextToken: 250 alarms cost 3 calls', async () => {
    const many = Array.from({ length: 250 }, (_, i) => metricAlarm(`shop-fleet-cpu-${String(i).padStart(3, '0')}`, 'OK'));
    cw.on(DescribeAlarmsCommand).callsFake(pagedAlarms(many));
    const result = await run(['status', '--stack', 'shop']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('shop: 250 alarms');
    expect(result.stdout).toContain('shop-fleet-cpu-249');
    const tokens = cw.commandCalls(DescribeAlarmsCommand).map((c) => c.args[0].input.NextToken);
    expect(tokens).toEqual([undefined, '100', '200']);
  });

  it('costs ceil(N / 100) DescribeAlarms calls for N alarms', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 450 }), async (n) => {
        cw.reset();
        cw.on(DescribeAlarmsCommand).callsFake(pagedAlarms(Array.from({ length: n }, (_, i) => metricAlarm(`shop-db-writer-${i}`, 'OK'))));
        const result = await run(['status', '--stack', 'shop', '--json']);
        expect(result.code).toBe(0);
        expect(cw.commandCalls(DescribeAlarmsCommand)).toHaveLength(Math.ceil(n / 100));
      }),
      { numRuns: 15 },
    );
  });

  it('retries throttling and then succeeds', async () => {
    cw.on(DescribeAlarmsCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } }))
      .rejectsOnce(Object.assign(new Error('Slow down'), { name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } }))
      .resolves({ MetricAlarms: healthy });
    const result = await run(['status', '--stack', 'shop']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('5 alarms');
    expect(cw.commandCalls(DescribeAlarmsCommand)).toHaveLength(3);
  });

  it("gives up on persistent throttling with exit 2 after the policy's attempts", async () => {
    cw.on(DescribeAlarmsCommand).rejects(
      Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } }),
    );
    const result = await run(['status', '--stack', 'shop']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('loadbearing: error: Throttling: Rate exceeded (gave up after 5 attempts)\n');
    expect(cw.commandCalls(DescribeAlarmsCommand)).toHaveLength(fastRetry.maxAttempts);
  });

  it('exits 2 on access denied after a single call, with one line and no stack trace', async () => {
    cw.on(DescribeAlarmsCommand).rejects(
      Object.assign(new Error('User: arn:aws:iam::123456789012:user/ci is not authorized to perform: cloudwatch:DescribeAlarms'), {
        name: 'AccessDenied',
        $metadata: { httpStatusCode: 403 },
      }),
    );
    const result = await run(['status', '--stack', 'shop']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^loadbearing: error: access denied by CloudWatch \(AccessDenied\): User: .* cloudwatch:DescribeAlarms/);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(cw.commandCalls(DescribeAlarmsCommand)).toHaveLength(1);
  });

  it('prints the stack trace with --debug', async () => {
    cw.on(DescribeAlarmsCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied' }));
    const result = await run(['status', '--stack', 'shop', '--debug']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/\n\s+at /);
  });

  it('exits 2 without credentials, saying how to provide them', async () => {
    cw.on(DescribeAlarmsCommand).rejects(
      Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }),
    );
    const result = await run(['status', '--stack', 'shop']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no AWS credentials found: use --profile / AWS_PROFILE');
    expect(cw.commandCalls(DescribeAlarmsCommand)).toHaveLength(1);
  });

  it('names the endpoint when it is unreachable', async () => {
    cw.on(DescribeAlarmsCommand).rejects(
      Object.assign(new Error('getaddrinfo ENOTFOUND cw.internal'), { code: 'ENOTFOUND', hostname: 'cw.internal' }),
    );
    const result = await run(['status', '--stack', 'shop'], { env: { AWS_ENDPOINT_URL: 'https://cw.internal' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'loadbearing: error: cannot reach CloudWatch endpoint https://cw.internal: host cw.internal not found (ENOTFOUND); check --region and AWS_ENDPOINT_URL\n',
    );
  });

  it('exits 2 for an unknown stack and suggests --prefix and the region', async () => {
    cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [], CompositeAlarms: [] });
    const result = await run(['status', '--stack', 'nope']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'loadbearing: error: no alarms found with prefix "nope-": check the stack name and region (--region / AWS_REGION), or pass --prefix if your alarms use a custom naming strategy\n',
    );
  });

  it('uses --prefix instead of "<stack>-" for a custom naming strategy', async () => {
    cw.on(DescribeAlarmsCommand).callsFake(pagedAlarms([metricAlarm('team/shop/db-writer-cpu', 'OK'), metricAlarm('shop-alb-x', 'ALARM')]));
    const result = await run(['status', '--prefix', 'team/shop/', '--json']);
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json.alarms).toMatchObject([{ name: 'team/shop/db-writer-cpu', component: 'db', signal: 'writer-cpu' }]);
    expect(cw.commandCalls(DescribeAlarmsCommand)[0]!.args[0].input.AlarmNamePrefix).toBe('team/shop/');
  });

  describe('--timeout', () => {
    beforeEach(() => vi.useFakeTimers());
    afterEach(() => vi.useRealTimers());

    it('ends a call that never answers at the deadline with exit 2', async () => {
      cw.on(DescribeAlarmsCommand).callsFake(() => new Promise(() => undefined));
      const pending = run(['status', '--stack', 'shop', '--timeout', '5s']);
      await vi.advanceTimersByTimeAsync(4_999);
      let settled = false;
      void pending.then(() => (settled = true));
      await vi.advanceTimersByTimeAsync(0);
      expect(settled).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      const result = await pending;
      expect(result.code).toBe(2);
      expect(result.stderr).toBe(
        'loadbearing: error: gave up after 5s without a complete answer from CloudWatch (overall deadline; raise it with --timeout)\n',
      );
    });
  });

  it('rejects a bad --timeout before calling AWS', async () => {
    const result = await run(['status', '--stack', 'shop', '--timeout', 'soon']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('loadbearing: error: invalid duration "soon" for --timeout: use e.g. 30s, 10m, 1h, 2h30m, 1d\n');
    expect(cw.calls()).toHaveLength(0);
  });

  it('prints a stable JSON document with --json', async () => {
    describeAlarms([metricAlarm('shop-db-writer-cpu', 'ALARM', { description: '[critical] cpu' }), metricAlarm('shop-x-y', 'OK')], []);
    const result = await run(['status', '--stack', 'shop', '--json']);
    expect(result.code).toBe(1);
    const alarm = z.strictObject({
      name: z.string(),
      type: z.enum(['MetricAlarm', 'CompositeAlarm']),
      component: z.enum(['cdn', 'alb', 'fleet', 'app', 'db', 'cache', 'service', 'other']),
      signal: z.string(),
      severity: z.enum(['critical', 'warning']),
      state: z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']),
      stateReason: z.string(),
      stateUpdatedAt: z.iso.datetime().nullable(),
    });
    const doc = z
      .strictObject({
        stack: z.literal('shop'),
        prefix: z.literal('shop-'),
        generatedAt: z.iso.datetime(),
        exitCode: z.literal(1),
        summary: z.strictObject({ total: z.number(), ok: z.number(), alarm: z.number(), insufficientData: z.number() }),
        alarms: z.array(alarm),
      })
      .parse(JSON.parse(result.stdout));
    expect(doc.summary).toEqual({ total: 2, ok: 1, alarm: 1, insufficientData: 0 });
    expect(doc.alarms.map((a) => [a.name, a.component, a.severity])).toEqual([
      ['shop-db-writer-cpu', 'db', 'critical'],
      ['shop-x-y', 'other', 'warning'],
    ]);
  });
});

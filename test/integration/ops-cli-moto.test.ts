import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CloudWatchClient,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
  SetAlarmStateCommand,
  type PutMetricAlarmCommandInput,
} from '@aws-sdk/client-cloudwatch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort } from '../ops/support/http-stub.js';
import { motoUnavailable, startMoto, type MotoServer } from './support/moto-server.js';
import { suiteUnavailable } from './support/prerequisites.js';

// End to end: the BUILT CLI (dist/bin/loadbearing.js) as a subprocess against moto, a
// CloudWatch-compatible server on 127.0.0.1, seeded through the SDK. Only AWS_ENDPOINT_URL
// and dummy credentials point the CLI at it, exactly as an operator would.

const root = path.resolve(__dirname, '../..');
const cliPath = path.join(root, 'dist/bin/loadbearing.js');
const unavailable = suiteUnavailable('E2E TESTS AGAINST MOTO', [motoUnavailable()]);

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

describe.skipIf(unavailable !== undefined)('e2e: built CLI against moto', () => {
  let moto: MotoServer;
  let cw: CloudWatchClient;
  const isolated = mkdtempSync(path.join(tmpdir(), 'lb-e2e-'));

  /** The environment of an operator's shell pointed at moto, with nothing inherited from AWS config. */
  const operatorEnv = (extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const key of Object.keys(env)) if (key.startsWith('AWS_')) delete env[key];
    return {
      ...env,
      AWS_ENDPOINT_URL: moto.url,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_REGION: 'us-east-1',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: path.join(isolated, 'none'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(isolated, 'none'),
      ...extra,
    };
  };

  function cli(args: string[], env = operatorEnv(), onStderr?: (text: string) => void): Promise<CliResult> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [cliPath, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
        onStderr?.(stderr);
      });
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - started }));
    });
  }

  const alarm = (
    name: string,
    description: string,
    namespace: string,
    metric: string,
    dimensions: Record<string, string>,
  ): PutMetricAlarmCommandInput => ({
    AlarmName: name,
    AlarmDescription: description,
    Namespace: namespace,
    MetricName: metric,
    Dimensions: Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value })),
    Statistic: 'Average',
    Period: 60,
    EvaluationPeriods: 3,
    Threshold: 80,
    ComparisonOperator: 'GreaterThanOrEqualToThreshold',
  });

  /** A small loadbearing stack: ALB, DB writer and replica, cache; all OK. */
  async function seedStack(stack: string): Promise<void> {
    const alarms = [
      alarm(`${stack}-alb-5xx-rate`, '[critical] ELB 5xx above 1% for 3 minutes', 'AWS/ApplicationELB', 'HTTPCode_Target_5XX_Count', {
        LoadBalancer: `app/${stack}/50dc6c495c0c9188`,
      }),
      alarm(`${stack}-db-writer-cpu`, '[critical] writer CPU above 80% for 15 minutes', 'AWS/RDS', 'CPUUtilization', {
        DBInstanceIdentifier: `${stack}-db`,
      }),
      alarm(`${stack}-db-replica-1-lag`, '[warning] replica lag above 30 s', 'AWS/RDS', 'ReplicaLag', {
        DBInstanceIdentifier: `${stack}-db-replica-1`,
      }),
      alarm(`${stack}-cache-evictions`, '[warning] evictions above 100/min', 'AWS/ElastiCache', 'Evictions', {
        CacheClusterId: `${stack}-cache-001`,
      }),
    ];
    for (const input of alarms) {
      await cw.send(new PutMetricAlarmCommand(input));
      await cw.send(
        new SetAlarmStateCommand({
          AlarmName: input.AlarmName,
          StateValue: 'OK',
          StateReason: 'Threshold Crossed: no datapoints were above the threshold',
        }),
      );
    }
  }

  // dist/ is built by the global setup (test/support/ensure-built.ts).
  beforeAll(async () => {
    moto = await startMoto();
    cw = new CloudWatchClient({ region: 'us-east-1', endpoint: moto.url, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    await seedStack('e2e-ok');
    await seedStack('e2e-bad');
    await cw.send(
      new SetAlarmStateCommand({
        AlarmName: 'e2e-bad-db-writer-cpu',
        StateValue: 'ALARM',
        StateReason: 'Threshold Crossed: 3 datapoints [91.0, 88.5, 86.2] were greater than or equal to the threshold (80.0).',
      }),
    );
  });

  afterAll(async () => {
    cw?.destroy();
    await moto?.stop();
    if (moto) expect(() => process.kill(moto.pid, 0)).toThrow();
  });

  it('status: all OK exits 0, grouped in request-path order, without the SDK Node warning', async () => {
    const result = await cli(['status', '--stack', 'e2e-ok']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('e2e-ok: 4 alarms: 0 ALARM, 4 OK, 0 INSUFFICIENT_DATA');
    expect(result.stdout.split('\n').filter((l) => /^[a-z]+$/.test(l))).toEqual(['alb', 'db', 'cache']);
    expect(result.stdout).toMatch(/OK\s+critical\s+e2e-ok-db-writer-cpu\s+\d+s ago/);
  });

  it('status: one alarm in ALARM exits 1 and shows its reason; --json agrees', async () => {
    const result = await cli(['status', '--stack', 'e2e-bad']);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/ALARM\s+critical\s+e2e-bad-db-writer-cpu\s+.*Threshold Crossed: 3 datapoints \[91\.0, 88\.5, 86\.2\]/);
    const json = await cli(['status', '--stack', 'e2e-bad', '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout).summary).toEqual({ total: 4, ok: 3, alarm: 1, insufficientData: 0 });
  });

  it('status: an unknown stack exits 2 with one line', async () => {
    const result = await cli(['status', '--stack', 'e2e-nope']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'loadbearing: error: no alarms found with prefix "e2e-nope-": check the stack name and region (--region / AWS_REGION), or pass --prefix if your alarms use a custom naming strategy\n',
    );
  });

  it('honours AWS_ENDPOINT_URL_CLOUDWATCH over AWS_ENDPOINT_URL, and --profile from the AWS config files', async () => {
    const viaServiceVariable = await cli(
      ['status', '--stack', 'e2e-ok'],
      operatorEnv({ AWS_ENDPOINT_URL: `http://127.0.0.1:${await closedPort()}`, AWS_ENDPOINT_URL_CLOUDWATCH: moto.url }),
    );
    expect(viaServiceVariable.code).toBe(0);

    writeFileSync(path.join(isolated, 'config'), '[profile ops]\nregion = us-east-1\n');
    writeFileSync(path.join(isolated, 'credentials'), '[ops]\naws_access_key_id = test\naws_secret_access_key = test\n');
    const viaProfile = await cli(
      ['status', '--stack', 'e2e-ok', '--profile', 'ops'],
      operatorEnv({
        AWS_REGION: undefined,
        AWS_ACCESS_KEY_ID: undefined,
        AWS_SECRET_ACCESS_KEY: undefined,
        AWS_CONFIG_FILE: path.join(isolated, 'config'),
        AWS_SHARED_CREDENTIALS_FILE: path.join(isolated, 'credentials'),
      }),
    );
    expect(viaProfile.stderr).toBe('');
    expect(viaProfile.code).toBe(0);
  });

  it('exits 2 with one line without credentials, or when the endpoint refuses connections', async () => {
    const noCredentials = await cli(
      ['status', '--stack', 'e2e-ok'],
      operatorEnv({ AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined }),
    );
    expect(noCredentials.code).toBe(2);
    expect(noCredentials.stderr).toBe(
      'loadbearing: error: no AWS credentials found: use --profile / AWS_PROFILE, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY\n',
    );

    const port = await closedPort();
    const refused = await cli(['status', '--stack', 'e2e-ok'], operatorEnv({ AWS_ENDPOINT_URL: `http://127.0.0.1:${port}` }));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(
      `loadbearing: error: cannot reach CloudWatch endpoint http://127.0.0.1:${port}: connection refused at 127.0.0.1:${port}\n`,
    );
  });

  it('gate: passes a short clean bake', async () => {
    const result = await cli(['gate', '--stack', 'e2e-ok', '--bake', '1s', '--interval', '1s']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('PASS: e2e-ok baked 1s with no critical alarm in ALARM (2 checks of 4 alarms');
  });

  it('gate: fails fast when a critical alarm flips to ALARM during the bake', async () => {
    await seedStack('e2e-gate');
    let flippedAt = 0;
    let flip: Promise<unknown> | undefined;
    const result = await cli(['gate', '--stack', 'e2e-gate', '--bake', '60s', '--interval', '1s'], operatorEnv(), (stderr) => {
      // The first progress line means the first check found everything OK: flip an alarm now.
      if (!flip && stderr.includes('of 1m baked')) {
        flippedAt = Date.now();
        flip = cw.send(
          new SetAlarmStateCommand({
            AlarmName: 'e2e-gate-alb-5xx-rate',
            StateValue: 'ALARM',
            StateReason: 'Threshold Crossed: 5xx rate 7.5% >= 1%',
          }),
        );
      }
    });
    await flip;
    expect(flippedAt).toBeGreaterThan(0);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      'FAIL: critical alarm e2e-gate-alb-5xx-rate is in ALARM since 0s ago: Threshold Crossed: 5xx rate 7.5% >= 1%',
    );
    expect(result.stdout).toMatch(/gate failed after \d+s of 1m \(check [2-5]\)/);
    // Caught at the next 1 s check, far from the 60 s bake.
    expect(Date.now() - flippedAt).toBeLessThan(5_000);
    expect(result.ms).toBeLessThan(10_000);
  });

  it('report: prints what moto returns, with verdicts from real numbers', async () => {
    await seedStack('e2e-report');
    const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000);
    const put = (namespace: string, metric: string, dimensions: Record<string, string>, values: number[]) =>
      cw.send(
        new PutMetricDataCommand({
          Namespace: namespace,
          MetricData: values.map((Value, i) => ({
            MetricName: metric,
            Dimensions: Object.entries(dimensions).map(([Name, V]) => ({ Name, Value: V })),
            Value,
            Timestamp: at(5 + i),
          })),
        }),
      );
    await put('AWS/ApplicationELB', 'RequestCount', { LoadBalancer: 'app/e2e-report/50dc6c495c0c9188' }, [1_000, 2_000]);
    await put('AWS/RDS', 'ReplicaLag', { DBInstanceIdentifier: 'e2e-report-db-replica-1' }, [45, 12]);
    await put('AWS/ElastiCache', 'Evictions', { CacheClusterId: 'e2e-report-cache-001' }, [20_000, 40_000]);
    await put('AWS/ElastiCache', 'CacheHits', { CacheClusterId: 'e2e-report-cache-001' }, [600]);

    const result = await cli(['report', '--stack', 'e2e-report', '--since', '1h']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('report e2e-report: last 1h');
    expect(result.stdout).toMatch(/requests\s+3k\n/);
    expect(result.stdout).toMatch(/replica lag max\s+45 s\n/);
    expect(result.stdout).toMatch(/evictions\s+1k\/min\n/);
    expect(result.stdout).toContain('  ! replica 1 e2e-report-db-replica-1 lag 45 s: reads from the replica are stale');
    expect(result.stdout).toContain('  ! cache e2e-report-cache-001 evictions 1k/min');
    expect(result.stdout).toContain('API calls: DescribeAlarms 1, GetMetricData 1 (');

    const json = JSON.parse((await cli(['report', '--stack', 'e2e-report', '--json'])).stdout);
    expect(json.calls).toEqual({ describeAlarms: 1, getMetricData: 1 });
    expect(json.resources.map((r: { kind: string }) => r.kind)).toEqual(['alb', 'dbWriter', 'dbReplica', 'cache']);
  });

  it('report: says it could not read the metrics when the server fails the call (exit 2), and summarizes the HTML error page', async () => {
    // moto answers 500 when a percentile statistic (p95) has datapoints: a real failed call.
    await cw.send(
      new PutMetricAlarmCommand(
        alarm('e2e-cpu-fleet-cpu', '[warning] fleet CPU', 'AWS/EC2', 'CPUUtilization', { AutoScalingGroupName: 'e2e-cpu-asg' }),
      ),
    );
    await cw.send(
      new PutMetricDataCommand({
        Namespace: 'AWS/EC2',
        MetricData: [
          {
            MetricName: 'CPUUtilization',
            Dimensions: [{ Name: 'AutoScalingGroupName', Value: 'e2e-cpu-asg' }],
            Value: 40,
            Timestamp: new Date(Date.now() - 300_000),
          },
        ],
      }),
    );
    const result = await cli(['report', '--stack', 'e2e-cpu', '--since', '1h']);
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(
      /\ncould not read 2 of 2 metrics: CloudWatch endpoint http:\/\/127\.0\.0\.1:\d+ answered HTTP 500 with an HTML page, not a CloudWatch API response .*\(gave up after \d attempts\)\n/,
    );
    expect(result.stdout).toContain('Where the pressure is: unknown; no metric could be read.');
    expect(result.stdout).not.toMatch(/SyntaxError|<!doctype|no metric had data/);
    expect(result.stdout).toMatch(/CPU p95\s+n\/a: CloudWatch endpoint .* answered HTTP 500/);
  });
});

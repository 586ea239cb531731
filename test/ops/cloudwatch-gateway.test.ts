import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Clock } from '../../lib/ops/clock.js';
import { CloudWatchGateway, createCloudWatchClient } from '../../lib/ops/cloudwatch-gateway.js';
import { DEFAULT_RETRY_POLICY } from '../../lib/ops/retry.js';
import { closedPort, startSilentServer, startStubServer } from './support/http-stub.js';

// These tests talk HTTP to servers on 127.0.0.1: they check what the SDK itself does with
// our settings (timeouts, endpoint variables, profiles), which a mocked `send` cannot show.

const instantClock: Clock = { now: () => 0, random: () => 0, sleep: async () => undefined };
const timeouts = { connectionTimeoutMs: 1_000, requestTimeoutMs: 300 };
const throttled = { status: 400, queryError: 'Throttling;Sender', body: { __type: 'Throttling', message: 'Rate exceeded' } };
const oneAlarm = { status: 200, body: { MetricAlarms: [{ AlarmName: 'shop-alb-5xx', StateValue: 'OK' }] } };

beforeEach(() => {
  const dir = mkdtempSync(path.join(tmpdir(), 'lb-aws-'));
  vi.stubEnv('AWS_CONFIG_FILE', path.join(dir, 'config'));
  vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', path.join(dir, 'credentials'));
  vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'test');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test');
  vi.stubEnv('AWS_REGION', 'us-east-1');
  vi.stubEnv('AWS_PROFILE', undefined);
  vi.stubEnv('AWS_ENDPOINT_URL', undefined);
  vi.stubEnv('AWS_ENDPOINT_URL_CLOUDWATCH', undefined);
});
afterEach(() => {
  vi.unstubAllEnvs();
});

function gatewayFor(signal = new AbortController().signal) {
  const client = createCloudWatchClient(timeouts);
  return { client, gateway: new CloudWatchGateway(client, DEFAULT_RETRY_POLICY, instantClock, signal) };
}

describe('createCloudWatchClient', () => {
  it('times out a call to an endpoint that never answers (the SDK default would wait forever)', async () => {
    const silent = await startSilentServer();
    vi.stubEnv('AWS_ENDPOINT_URL', silent.url);
    const client = createCloudWatchClient(timeouts);
    try {
      await expect(client.send(new DescribeAlarmsCommand({}))).rejects.toMatchObject({ name: 'TimeoutError' });
    } finally {
      client.destroy();
      await silent.close();
    }
  });

  it('sends to AWS_ENDPOINT_URL_CLOUDWATCH before AWS_ENDPOINT_URL', async () => {
    const stub = await startStubServer([oneAlarm]);
    vi.stubEnv('AWS_ENDPOINT_URL', `http://127.0.0.1:${await closedPort()}`);
    vi.stubEnv('AWS_ENDPOINT_URL_CLOUDWATCH', stub.url);
    const { client, gateway } = gatewayFor();
    try {
      const page = await gateway.describeAlarms({ AlarmNamePrefix: 'shop-' });
      expect(page.MetricAlarms?.map((a) => a.AlarmName)).toEqual(['shop-alb-5xx']);
      expect(stub.targets).toEqual(['GraniteServiceVersion20100801.DescribeAlarms']);
    } finally {
      client.destroy();
      await stub.close();
    }
  });

  it('takes the region from --region over AWS_REGION', async () => {
    const fromFlag = createCloudWatchClient({ ...timeouts, region: 'eu-west-1' });
    const fromEnv = createCloudWatchClient(timeouts);
    expect(await fromFlag.config.region()).toBe('eu-west-1');
    expect(await fromEnv.config.region()).toBe('us-east-1');
  });

  it('reads region and credentials of --profile or AWS_PROFILE from the AWS config files', async () => {
    vi.stubEnv('AWS_REGION', undefined);
    vi.stubEnv('AWS_ACCESS_KEY_ID', undefined);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', undefined);
    writeFileSync(process.env.AWS_CONFIG_FILE!, '[profile ops]\nregion = ap-southeast-2\n');
    writeFileSync(process.env.AWS_SHARED_CREDENTIALS_FILE!, '[ops]\naws_access_key_id = AKIAOPSPROFILE\naws_secret_access_key = s\n');
    const fromFlag = createCloudWatchClient({ ...timeouts, profile: 'ops' });
    expect(await fromFlag.config.region()).toBe('ap-southeast-2');
    expect((await fromFlag.config.credentials()).accessKeyId).toBe('AKIAOPSPROFILE');
    vi.stubEnv('AWS_PROFILE', 'ops');
    const fromEnv = createCloudWatchClient(timeouts);
    expect(await fromEnv.config.region()).toBe('ap-southeast-2');
  });

  it('leaves retries to the gateway: the SDK itself sends one request', async () => {
    const stub = await startStubServer([throttled, oneAlarm]);
    vi.stubEnv('AWS_ENDPOINT_URL', stub.url);
    const client = createCloudWatchClient(timeouts);
    try {
      await expect(client.send(new DescribeAlarmsCommand({}))).rejects.toMatchObject({ name: 'Throttling' });
      expect(stub.targets).toHaveLength(1);
    } finally {
      client.destroy();
      await stub.close();
    }
  });
});

describe('CloudWatchGateway', () => {
  it('retries a throttled call over real HTTP and counts every request', async () => {
    const stub = await startStubServer([throttled, throttled, oneAlarm]);
    vi.stubEnv('AWS_ENDPOINT_URL', stub.url);
    const { client, gateway } = gatewayFor();
    try {
      const page = await gateway.describeAlarms({ AlarmNamePrefix: 'shop-' });
      expect(page.MetricAlarms).toHaveLength(1);
      expect(stub.targets).toHaveLength(3);
      expect(gateway.calls).toEqual({ DescribeAlarms: 3, GetMetricData: 0 });
    } finally {
      client.destroy();
      await stub.close();
    }
  });

  it('does not retry a refused connection', async () => {
    vi.stubEnv('AWS_ENDPOINT_URL', `http://127.0.0.1:${await closedPort()}`);
    const { client, gateway } = gatewayFor();
    try {
      await expect(gateway.describeAlarms({})).rejects.toMatchObject({ code: 'ECONNREFUSED' });
      expect(gateway.calls.DescribeAlarms).toBe(1);
    } finally {
      client.destroy();
    }
  });

  it('stops a call in flight when the overall deadline fires', async () => {
    const silent = await startSilentServer();
    vi.stubEnv('AWS_ENDPOINT_URL', silent.url);
    const controller = new AbortController();
    const client = createCloudWatchClient({ connectionTimeoutMs: 1_000, requestTimeoutMs: 60_000 });
    const gateway = new CloudWatchGateway(client, DEFAULT_RETRY_POLICY, instantClock, controller.signal);
    try {
      const call = gateway.describeAlarms({});
      setTimeout(() => controller.abort(new Error('deadline passed')), 50);
      await expect(call).rejects.toThrow('deadline passed');
      expect(gateway.calls.DescribeAlarms).toBe(1);
    } finally {
      client.destroy();
      await silent.close();
    }
  });
});

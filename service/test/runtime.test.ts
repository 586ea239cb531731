import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appEnvironment } from '../../lib/model/app-environment';
import { builtinEnvironments } from '../../lib/model/config/load-config';
import { APP_ENV_NAMES, parseAppEnv } from '@loadbearing/contract';
import { isErrorBody } from '@loadbearing/contract';
import { buildServiceBundle } from '../build';
import { SingleFlight, splitCacheConnections } from '../src/cache';
import { Database, isTransientDbError, splitPool } from '../src/db';
import { createLogger } from '../src/log';
import type { Secrets } from '../src/secrets';
import { Deadline, DeadlineExceeded } from '../src/deadline';
import { overloaded } from '../src/http-error';
import { AppMetrics as Metrics } from '@loadbearing/contract';
import { backoffDelay, RetryBudget, withRetry } from '../src/retry';
import { describeShed, shedPayloads, shedReason } from '../src/shedding';

const [dev] = builtinEnvironments();
const endpoints = {
  dbWriterHost: 'writer.local',
  dbReaderHosts: ['r1.local', 'r2.local'],
  dbPort: 5432,
  dbReaderPort: 5432,
  dbUser: 'lb_app',
  dbSecretArn: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:app-AbCdEf',
  dbMigrationUser: 'lb_admin',
  dbMigrationSecretArn: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:master-AbCdEf',
  dbIamAuth: true,
  cacheHost: 'cache.local',
  cacheReaderHost: 'cache-ro.local',
  cachePort: 6379,
  cacheAuthSecretArn: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:cache-AbCdEf',
  freshnessParameterPath: '/x/freshness/',
};

describe('the runtime contract, written and read through one module', () => {
  it('parses what appEnvironment writes, for every built-in environment', () => {
    for (const env of builtinEnvironments()) {
      const file = appEnvironment(env, endpoints);
      const parsed = parseAppEnv(file);
      expect(parsed.APP_RUNTIME).toBe('fleet');
      expect(parsed.DB_USER).toBe('lb_app');
      expect(parsed.DB_IDLE_IN_TRANSACTION_TIMEOUT_MS).toBe(env.database.idleInTransactionSessionTimeoutMs);
      expect(parsed.CACHE_CONNECTIONS).toBe(env.app.cacheConnectionsPerInstance);
      expect(parsed.APP_REQUEST_TIMEOUT_MS).toBe(env.app.requestTimeoutSeconds * 1000);
      expect(Object.keys(file).every((k) => (APP_ENV_NAMES as string[]).includes(k))).toBe(true);
    }
  });

  it('stops on a missing or invalid variable with one line naming it', () => {
    const file = appEnvironment(dev, endpoints);
    const { DB_USER: _u, ...missing } = file;
    expect(() => parseAppEnv(missing)).toThrow(/^DB_USER is missing/);
    expect(() => parseAppEnv({ ...file, CACHE_TIMEOUT_MS: '-5' })).toThrow('CACHE_TIMEOUT_MS is "-5", which must be >= 1');
    expect(() => parseAppEnv({ ...file, DB_IAM_AUTH: 'yes' })).toThrow(/DB_IAM_AUTH is "yes", which must be "true" or "false"/);
  });

  it('refuses the local-only flag and the master user on the fleet', () => {
    const file = appEnvironment(dev, endpoints);
    expect(() => parseAppEnv({ ...file, APP_LOCAL_INSECURE: 'true' })).toThrow(/APP_LOCAL_INSECURE is "true" but APP_RUNTIME is "fleet"/);
    expect(() => parseAppEnv({ ...file, DB_USER: 'lb_admin' })).toThrow(/the migration \(master\) user/);
    const local = appEnvironment(dev, endpoints, { runtime: 'local', insecure: true, port: 9000 });
    expect(parseAppEnv(local)).toMatchObject({ APP_LOCAL_INSECURE: true, DB_IAM_AUTH: false, CACHE_TLS: false, APP_PORT: 9000 });
  });
});

describe('service runtime logic', () => {
  it('backs off exponentially with full jitter, capped', () => {
    const policy = { maxAttempts: 5, baseDelayMs: 50, maxDelayMs: 300 };
    expect([1, 2, 3, 4].map((r) => backoffDelay(r, policy, () => 0.999))).toEqual([49, 99, 199, 299]);
    expect(backoffDelay(3, policy, () => 0)).toBe(0);
  });

  it('retries transient errors only, within the budget and the deadline', async () => {
    const policy = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1 };
    const transient = Object.assign(new Error('reset'), { code: 'ECONNRESET' });
    let calls = 0;
    await expect(
      withRetry(async () => (calls++, Promise.reject(transient)), {
        policy,
        budget: new RetryBudget(10),
        deadline: Deadline.after(1000),
        isTransient: isTransientDbError,
        sleep: async () => {},
      }),
    ).rejects.toBe(transient);
    expect(calls).toBe(3);
    calls = 0;
    const timeout = Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' });
    await expect(
      withRetry(async () => (calls++, Promise.reject(timeout)), {
        policy,
        budget: new RetryBudget(10),
        deadline: Deadline.after(1000),
        isTransient: isTransientDbError,
      }),
    ).rejects.toBe(timeout);
    expect(calls).toBe(1);
    const empty = new RetryBudget(0, 0);
    calls = 0;
    await expect(
      withRetry(async () => (calls++, Promise.reject(transient)), {
        policy,
        budget: empty,
        deadline: Deadline.after(1000),
        isTransient: isTransientDbError,
      }),
    ).rejects.toBe(transient);
    expect(calls).toBe(1);
    let now = 0;
    await expect(
      withRetry(async () => Promise.reject(transient), {
        policy: { ...policy, baseDelayMs: 500, maxDelayMs: 500 },
        budget: new RetryBudget(10),
        deadline: Deadline.after(100, () => now),
        isTransient: isTransientDbError,
        random: () => 0.5,
      }),
    ).rejects.toBe(transient);
    now = 200;
    await expect(
      withRetry(async () => 1, { policy, budget: new RetryBudget(10), deadline: Deadline.after(100, () => 300), isTransient: () => true }),
    ).resolves.toBe(1);
    expect(() => Deadline.after(1, () => now).check('x')).not.toThrow();
    expect(() => Deadline.after(0, () => now).check('the query')).toThrow(DeadlineExceeded);
  });

  it('sheds on queue length, queue age, event-loop lag and utilization, with a preserialized 503 in the one error shape', () => {
    const b = { maxPoolWaitMs: 500, maxQueueLength: 10, maxEventLoopLagMs: 200, maxEventLoopUtilization: 0.95 };
    expect(shedReason(b, { length: 9, oldestMs: 499 }, 199, 0.94)).toBeUndefined();
    const why = (d: ReturnType<typeof shedReason>) => (d ? describeShed(b, d) : undefined);
    expect(why(shedReason(b, { length: 10, oldestMs: 0 }, 0))).toMatch(/10 requests wait/);
    expect(why(shedReason(b, { length: 1, oldestMs: 501 }, 0))).toMatch(/has waited 501 ms/);
    expect(why(shedReason(b, { length: 0, oldestMs: 0 }, 201))).toMatch(/event-loop lag 201 ms/);
    expect(why(shedReason(b, { length: 0, oldestMs: 0 }, 50, 0.95))).toMatch(/event loop busy 95% of the last 100 ms \(bound 95%\)/);
    // A saturated loop with short turns serves at full speed: not shed on utilization alone.
    expect(shedReason(b, { length: 0, oldestMs: 0 }, 49, 1)).toBeUndefined();
    // Each kind's answer is serialized once, in the one error shape, and names the bound (not the measurement).
    for (const [kind, payload] of Object.entries(shedPayloads(b))) {
      const body = JSON.parse(payload.toString('utf8'));
      expect(isErrorBody(body), kind).toBe(true);
      expect(body.error).toBe('overloaded');
      expect(body.message).toMatch(/^The service is overloaded \(.+\)\. Retry after a short wait\.$/);
    }
    expect(JSON.parse(shedPayloads(b)['event-loop-utilization'].toString()).message).toMatch(/busy for 95% or more of the last 100 ms/);
    const e = overloaded('x');
    expect([e.status, e.headers['retry-after'], isErrorBody(e.body)]).toEqual([503, '1', true]);
  });

  it('splits pools and cache connections exactly', () => {
    expect(splitPool(10, 3)).toEqual([4, 3, 3]);
    expect(splitPool(2, 3)).toEqual([1, 1, 0]);
    expect(splitCacheConnections(8, true)).toEqual({ primary: 4, reader: 4 });
    expect(splitCacheConnections(3, true)).toEqual({ primary: 2, reader: 1 });
    expect(splitCacheConnections(3, false)).toEqual({ primary: 3, reader: 0 });
  });

  it('coalesces concurrent loads of one key', async () => {
    const flights = new SingleFlight();
    let loads = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const all = Array.from({ length: 20 }, () => flights.run('k', async () => (loads++, await gate, 'v')));
    release();
    expect(await Promise.all(all)).toEqual(Array(20).fill('v'));
    expect(loads).toBe(1);
  });

  it('writes EMF with the contract namespace, the [Stack] dimension set and at most 100 values per metric', () => {
    const m = new Metrics('loadbearing-dev', { properties: { InstanceId: 'i-1' }, random: () => 0.5 });
    for (let i = 0; i < 1000; i++) m.observe('RequestLatency', i);
    m.count('ShedRequests', 3);
    const doc = JSON.parse(m.flush(1_700_000_000_000));
    expect(doc._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'Loadbearing/App', Dimensions: [['Stack']] });
    expect(doc.Stack).toBe('loadbearing-dev');
    expect(doc.RequestLatency).toHaveLength(100);
    expect(doc.ShedRequests).toBe(3);
    expect(doc.CacheFallbacks).toBe(0);
    expect(JSON.parse(m.flush()).ShedRequests).toBe(0);
  });

  it('publishes the request metrics a second time under [Stack, Release] with APP_RELEASE, the same values once, and never without it', () => {
    const m = new Metrics('loadbearing-prod', { properties: { InstanceId: 'i-1' }, random: () => 0.5, release: 'r0123456789ab' });
    m.observe('RequestLatency', 40);
    m.count('Requests', 7);
    m.count('ServerErrors', 2);
    m.count('ShedRequests', 1);
    const doc = JSON.parse(m.flush(0));
    expect(doc._aws.CloudWatchMetrics).toHaveLength(2);
    expect(doc._aws.CloudWatchMetrics[1]).toEqual({
      Namespace: 'Loadbearing/App',
      Dimensions: [['Stack', 'Release']],
      Metrics: [
        { Name: 'RequestLatency', Unit: 'Milliseconds' },
        { Name: 'Requests', Unit: 'Count' },
        { Name: 'ServerErrors', Unit: 'Count' },
      ],
    });
    expect(doc).toMatchObject({ Stack: 'loadbearing-prod', Release: 'r0123456789ab', Requests: 7, ServerErrors: 2, RequestLatency: [40] });
    const without = JSON.parse(new Metrics('loadbearing-prod').flush(0));
    expect(without._aws.CloudWatchMetrics).toHaveLength(1);
    expect(without.Release).toBeUndefined();
  });
});

describe('database credentials on the fleet', () => {
  it("signs IAM tokens for the writer (RDS Proxy) only; the replicas and the migrations get the app role's password", async () => {
    const env = parseAppEnv({ ...appEnvironment(dev, endpoints), DB_CA_FILE: __filename });
    expect(env.DB_IAM_AUTH).toBe(true);
    expect(env.DB_MIGRATION_HOST).toBe('writer.local');
    const signed: string[] = [];
    const secretsRead: string[] = [];
    const secrets = {
      get: async (arn: string) => (secretsRead.push(arn), { username: 'lb_app', password: 'from-the-secret' }),
      invalidate: () => undefined,
    };
    const db = new Database({
      env,
      secrets: secrets as unknown as Secrets,
      metrics: new Metrics('s'),
      log: createLogger('s'),
      signToken: async (host) => (signed.push(host), `token-for-${host}`),
    });
    const password = (pool: { pool: unknown }) => (pool.pool as { options: { password: () => Promise<string> } }).options.password();
    expect(await password(db.writer)).toBe('token-for-writer.local');
    expect(await Promise.all(db.readers.map(password))).toEqual(['from-the-secret', 'from-the-secret']);
    expect(signed).toEqual(['writer.local']);
    expect(secretsRead).toEqual([env.DB_SECRET_ARN, env.DB_SECRET_ARN]);
    await db.close();
  });

  it("creates the app role with its secret's password and never grants rds_iam (a role with it could not log in with a password)", () => {
    const source = readFileSync(join(__dirname, '..', 'src', 'migrations.ts'), 'utf8');
    expect(source).toContain('CREATE ROLE ${role} LOGIN PASSWORD ${pg.escapeLiteral(o.appPassword)}');
    expect(source).not.toMatch(/query\(`GRANT rds_iam/);
  });
});

describe('the service bundle', () => {
  it('is deterministic: two builds of the same sources are byte-identical', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bundle-'));
    const [a, b] = [await buildServiceBundle(join(dir, 'a.js')), await buildServiceBundle(join(dir, 'b.js'))];
    expect(a.sha256).toBe(b.sha256);
    expect(readFileSync(a.path, 'utf8')).not.toMatch(/\/work\/|\d{4}-\d\d-\d\dT\d\d:\d\d/);
  });
});

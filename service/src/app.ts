import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import pg from 'pg';
import { cacheConnectionsOfWorker, type AppEnv } from '@loadbearing/contract';
import { Admission } from './admission';
import { Cache } from './cache';
import { Database, isAuthError } from './db';
import { Deadline } from './deadline';
import { Freshness } from './freshness';
import { expireKeys } from './idempotency';
import { Items, parseId, parseLimit } from './items';
import type { Logger } from './log';
import { AppMetrics as Metrics } from '@loadbearing/contract';
import { migrate } from './migrations';
import { RetryBudget } from './retry';
import { Secrets } from './secrets';
import { HEALTH_PATH, Server, type Route } from './server';
import { describeShed, LagSampler, SATURATED_LAG_SHARE, shedPayloads, shedReason, type ShedBounds, type ShedDecision } from './shedding';

/**
 * A client's `Cache-Control: no-cache` (or `max-age=0`) asks the service to revalidate: the entry
 * is reloaded through the coalesced load once it is older than REVALIDATE_FLOOR_MS. It never
 * skips the coalescing (docs/adr/0010-read-your-writes.md, "Client cache directives").
 */
const revalidate = (headers: Record<string, unknown>) => /no-cache|max-age=0/i.test(String(headers['cache-control'] ?? ''));
const replayHeader = (replayed: boolean): Record<string, string> => (replayed ? { 'idempotent-replayed': 'true' } : {});

/** How often expired idempotency keys are deleted (one small batch each time). */
const KEY_EXPIRY_INTERVAL_MS = 60_000;

/**
 * Pauses before each new read of the migration secret after an authentication failure. A
 * single-user rotation sets the new password in the database (setSecret) before it moves
 * AWSCURRENT to it (finishSecret)
 * (https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_lambda-functions.html),
 * so an instance that starts in between reads the old password while the database already has
 * the new one; re-reading at once would read the old one again. 15 s in all, well inside the
 * boot's health wait (fleet.boot.healthWaitSeconds, 90 s by default).
 */
export const MIGRATION_AUTH_RETRY_DELAYS_MS: readonly number[] = [1_000, 2_000, 4_000, 8_000];

/**
 * Connects as the migration role. On an authentication failure (the password rotated after this
 * process read it), reads the secret again after each pause of {@link MIGRATION_AUTH_RETRY_DELAYS_MS}
 * and tries again; any other failure, or the last authentication failure, is thrown.
 */
export async function connectAsMigrationRole(
  env: AppEnv,
  secrets: Secrets,
  log: Logger,
  options: { delaysMs?: readonly number[]; sleep?: (ms: number) => Promise<void> } = {},
): Promise<pg.Client> {
  const delays = options.delaysMs ?? MIGRATION_AUTH_RETRY_DELAYS_MS;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let retry = 0; ; retry++) {
    const secret = await secrets.get(env.DB_MIGRATION_SECRET_ARN);
    const client = new pg.Client({
      host: env.DB_MIGRATION_HOST,
      port: env.DB_MIGRATION_PORT,
      database: env.DB_NAME,
      user: env.DB_MIGRATION_USER,
      password: secret.password,
      ssl: env.APP_LOCAL_INSECURE
        ? false
        : env.DB_SSLMODE === 'require'
          ? { rejectUnauthorized: false }
          : { ca: readFileSync(env.DB_CA_FILE, 'utf8') },
      application_name: 'loadbearing-migrations',
    });
    try {
      await client.connect();
      return client;
    } catch (error) {
      await client.end().catch(() => undefined);
      if (!isAuthError(error) || retry >= delays.length) throw error;
      secrets.invalidate(env.DB_MIGRATION_SECRET_ARN);
      log.warn(
        { retry: retry + 1, delayMs: delays[retry] },
        'migrations: authentication failed; reading the secret again (a rotation may be moving the password)',
      );
      await sleep(delays[retry]);
    }
  }
}

/**
 * Runs the migrations once, as the migration role, on a connection of its own to the writer
 * instance (`DB_MIGRATION_HOST`, never RDS Proxy). The app role is created with the password of
 * its own secret: the replicas and RDS Proxy log in with it, so it is needed with IAM auth too.
 */
export async function runMigrations(env: AppEnv, secrets: Secrets, log: Logger) {
  const appSecret = await secrets.get(env.DB_SECRET_ARN);
  if (appSecret.username !== undefined && appSecret.username !== env.DB_USER) {
    throw new Error(
      `DB_SECRET_ARN holds the secret of "${appSecret.username}", but DB_USER is "${env.DB_USER}": point DB_SECRET_ARN at the app role's secret`,
    );
  }
  const client = await connectAsMigrationRole(env, secrets, log);
  try {
    const result = await migrate(client, {
      appUser: env.DB_USER,
      appPassword: appSecret.password,
      statementTimeoutMs: env.DB_STATEMENT_TIMEOUT_MS,
      idleInTransactionTimeoutMs: env.DB_IDLE_IN_TRANSACTION_TIMEOUT_MS,
    });
    log.info({ applied: result.applied, lockWaitMs: result.lockWaitMs }, `migrations: applied ${result.applied.length}`);
    return result;
  } finally {
    await client.end();
  }
}

export interface App {
  readonly server: Server;
  readonly db: Database;
  readonly cache: Cache;
  readonly metrics: Metrics;
  stop(): Promise<number>;
}

export interface AppOptions {
  /** Which worker this is: its share of the cache connections; worker 0 expires the idempotency keys. */
  readonly worker: { readonly index: number; readonly count: number };
  /** Run the migrations first. A worker does not: its primary ran them once for the instance. */
  readonly migrate: boolean;
  /** Listen on APP_PORT itself (the measured alternatives to the primary); otherwise the primary hands it connections. */
  readonly listen?: { readonly reusePort?: boolean; readonly exclusive?: boolean };
  /** Every APP_METRICS_FLUSH_MS, and once more at stop: the interval's metrics. */
  readonly publish: (metrics: Metrics) => void;
  /** Every event-loop sample (20 ms): the shed decision a new request would get now. */
  readonly onSample?: (sample: {
    readonly shed?: ShedDecision;
    readonly lagMs: number;
    readonly inFlight: number;
    /** How many requests it runs at once now (its Admission limit). */
    readonly limit: number;
  }) => void;
}

/**
 * Wires one worker of the service: clients from the contract, freshness model, pools, cache,
 * shedding, metrics, routes. Start-up failures (freshness model on the fleet, secrets) throw
 * before it takes a connection.
 */
export async function startApp(env: AppEnv, log: Logger, o: AppOptions): Promise<App> {
  const secrets = new Secrets(new SecretsManagerClient({ region: env.AWS_REGION, maxAttempts: 2 }));
  const metrics = new Metrics(env.APP_STACK_NAME, {
    properties: { InstanceId: process.env.INSTANCE_ID ?? hostname() },
    release: env.APP_RELEASE,
  });

  const freshness = new Freshness(
    new SSMClient({ region: env.AWS_REGION, maxAttempts: 2 }),
    env.FRESHNESS_PARAMETER_PATH,
    env.CACHE_DEFAULT_TTL_SECONDS,
    log,
  );
  try {
    await freshness.load();
  } catch (error) {
    if (env.APP_RUNTIME === 'fleet')
      throw new Error(`cannot read the freshness model from SSM ${env.FRESHNESS_PARAMETER_PATH}: ${(error as Error).message}`);
    log.warn({ err: (error as Error).message }, 'no freshness model (local run): every entry gets CACHE_DEFAULT_TTL_SECONDS');
  }
  freshness.startRefresh(env.APP_FRESHNESS_REFRESH_MS);

  if (o.migrate) await runMigrations(env, secrets, log);
  const db = new Database({ env, secrets, metrics, log });
  // The first sample before the first request: until a replica has one, reads go to the writer.
  await db.startLagSampling(env.APP_REPLICA_LAG_SAMPLE_MS);
  const cache = await Cache.connect(
    env,
    secrets,
    log,
    cacheConnectionsOfWorker(env.CACHE_CONNECTIONS, o.worker.count, o.worker.index, env.CACHE_READER_HOST !== env.CACHE_HOST),
  );
  const budget = new RetryBudget(env.RETRY_BUDGET_PERCENT);
  const items = new Items({ env, db, cache, freshness, metrics, budget });

  let server: Server | undefined;
  // Requests wait for the event loop at most as long as the lag bound; past a quarter of it the
  // worker is over its capacity (its connections close, its primary sheds what it cannot take);
  // the turns stay near a quarter of it too (admission.ts).
  const admission = new Admission({
    maxWaitMs: env.APP_SHED_EVENT_LOOP_LAG_MS,
    overWaitMs: env.APP_SHED_EVENT_LOOP_LAG_MS * SATURATED_LAG_SHARE,
    targetLagMs: env.APP_SHED_EVENT_LOOP_LAG_MS * SATURATED_LAG_SHARE,
    maxExecuting: env.APP_MAX_CONNECTIONS_PER_WORKER,
  });
  let overloaded = false;
  const lag = new LagSampler(20, (ms) => {
    metrics.eventLoopLag(ms);
    admission.adapt(ms);
    const shed: ShedDecision | undefined =
      shedReason(bounds, db.writerQueue(), lag.current, lag.utilization) ??
      (admission.over() ? { kind: 'queue-wait', measured: admission.oldestWaitMs() } : undefined);
    overloaded = shed !== undefined;
    o.onSample?.({ shed, lagMs: ms, inFlight: server?.inFlightCount ?? 0, limit: admission.limit });
  });
  const bounds: ShedBounds = {
    maxPoolWaitMs: env.APP_SHED_POOL_WAIT_MS,
    maxQueueLength: env.APP_SHED_QUEUE_LENGTH,
    maxEventLoopLagMs: env.APP_SHED_EVENT_LOOP_LAG_MS,
    maxEventLoopUtilization: env.APP_SHED_EVENT_LOOP_UTILIZATION_PERCENT / 100,
  };

  const routes: Route[] = [
    { method: 'GET', pattern: HEALTH_PATH, light: true, handler: () => ({ status: 200, body: { status: 'ok' } }) },
    {
      method: 'GET',
      pattern: '/readyz',
      light: true,
      handler: async () => {
        const queue = db.writerQueue();
        const deadline = Deadline.after(Math.min(env.APP_REQUEST_TIMEOUT_MS, 2000));
        const started = performance.now();
        const cacheState = await cache.ping(deadline).then(
          () => ({ ok: true, ms: Math.round(performance.now() - started) }),
          (e: Error) => ({ ok: false, ms: Math.round(performance.now() - started), error: e.message }),
        );
        const dbState = await db.probe(deadline);
        const ready = dbState.writer?.ok === true;
        return {
          status: ready ? 200 : 503,
          body: {
            status: ready ? 'ready' : 'not_ready',
            database: dbState,
            replicaLag: db.lagReport(),
            cache: cacheState,
            freshness: {
              loaded: freshness.loaded,
              ageSeconds: freshness.loaded ? Math.round((Date.now() - freshness.loadedAt) / 1000) : null,
              lastError: freshness.lastError ?? null,
            },
            pool: { writerWaiting: queue.length, oldestWaitMs: Math.round(queue.oldestMs) },
            eventLoopLagMs: Math.round(lag.current),
          },
        };
      },
    },
    {
      method: 'GET',
      pattern: '/api/items/:id',
      handler: async (req, p) => ({ status: 200, body: await items.get(parseId(p.id), req.path, req.deadline, revalidate(req.headers)) }),
    },
    {
      method: 'PUT',
      pattern: '/api/items/:id/price',
      handler: async (req, p) => ({ status: 200, body: await items.updatePrice(parseId(p.id), req.path, req.body, req.deadline) }),
    },
    {
      method: 'GET',
      pattern: '/api/items',
      handler: async (req) => ({
        status: 200,
        body: await items.list(
          req.path,
          req.query.get('cursor') ?? undefined,
          parseLimit(req.query.get('limit')),
          req.deadline,
          revalidate(req.headers),
        ),
      }),
    },
    {
      method: 'POST',
      pattern: '/api/items',
      handler: async (req) => {
        const r = await items.create(req.headers, req.path, req.raw, req.body, req.deadline);
        return { status: r.status, body: r.body, headers: replayHeader(r.replayed) };
      },
    },
    {
      method: 'POST',
      pattern: '/api/orders',
      handler: async (req) => {
        const r = await items.createOrder(req.headers, req.path, req.raw, req.body, req.deadline);
        return { status: r.status, body: r.body, headers: replayHeader(r.replayed) };
      },
    },
    {
      method: 'GET',
      pattern: '/api/orders/:id',
      handler: async (req, p) => ({ status: 200, body: await items.getOrder(parseId(p.id), req.deadline) }),
    },
  ];

  const shedding = {
    // Per request, only what a request would wait for: a database connection. An event loop that
    // is behind is the admission's (the request waits its turn, or is shed once requests have
    // waited too long) and the primary's (it hands the worker no new connection).
    check: () => shedReason(bounds, db.writerQueue(), 0, 0),
    payloads: shedPayloads(bounds),
    describe: (d: Parameters<typeof describeShed>[1]) => describeShed(bounds, d),
  };
  // A worker over its capacity (requests waiting, or its event loop saturated) closes its
  // connections after each answer: the load balancer's next requests come through the primary.
  server = new Server({ env, routes, log, metrics, shedding, admission, closeWhen: () => overloaded });
  if (o.listen) {
    await server.listen(env.APP_PORT, env.APP_RUNTIME === 'fleet' ? '0.0.0.0' : '127.0.0.1', o.listen);
  }
  // Sampled from the moment it takes connections: the start-up work before (migrations,
  // connections) is not load, and must not shed the first requests.
  lag.start();

  const flush = setInterval(() => o.publish(metrics), env.APP_METRICS_FLUSH_MS);
  flush.unref();
  // One worker per instance expires the idempotency keys (every worker would only repeat it).
  const expiry =
    o.worker.index === 0
      ? setInterval(() => {
          void db
            .transaction((query) => expireKeys(query, env.APP_IDEMPOTENCY_RETENTION_HOURS), Deadline.after(env.APP_REQUEST_TIMEOUT_MS))
            .catch((e: Error) => log.warn({ err: e.message }, 'idempotency key expiry failed'));
        }, KEY_EXPIRY_INTERVAL_MS)
      : undefined;
  expiry?.unref();

  log.info(
    {
      worker: o.worker.index,
      runtime: env.APP_RUNTIME,
      writer: env.DB_WRITER_HOST,
      readers: env.DB_READER_HOSTS,
      cacheConnections: cache.connectionCount,
    },
    'worker ready',
  );

  const ready = server;
  return {
    server: ready,
    db,
    cache,
    metrics,
    async stop() {
      const left = await ready.drain(env.APP_SHUTDOWN_DRAIN_MS);
      clearInterval(flush);
      clearInterval(expiry);
      lag.stop();
      freshness.stop();
      o.publish(metrics);
      await Promise.all([db.close(), cache.close()]);
      return left;
    },
  };
}

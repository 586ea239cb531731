import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Signer } from '@aws-sdk/rds-signer';
import pg from 'pg';
import type { AppEnv } from '@loadbearing/contract';
import { Deadline, DeadlineExceeded } from './deadline';
import type { Logger } from './log';
import type { AppMetrics as Metrics } from '@loadbearing/contract';
import { formatLsn, parseLsn, replicaAgeMs, replicaLag, type ReplicaLag, type WriterPosition, type WriterReason } from './replica-lag';
import type { Secrets } from './secrets';

/** A replica that failed is skipped for this long before it is tried again. */
export const READER_RETRY_AFTER_MS = 5_000;
/** IAM auth tokens live 15 minutes; a new one is signed after 10. */
export const IAM_TOKEN_REUSE_MS = 10 * 60_000;

const CONNECTION_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const TRANSIENT_SQLSTATES = new Set(['40001', '40P01', '57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08004', '08006']);
const AUTH_SQLSTATES = new Set(['28P01', '28000']);

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : undefined;
}

/** The connection itself failed (refused, reset, dropped, timed out while connecting). */
export function isConnectionError(error: unknown): boolean {
  const code = errorCode(error);
  if (code && (CONNECTION_ERROR_CODES.has(code) || code.startsWith('08'))) return true;
  const message = error instanceof Error ? error.message : '';
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
    message,
  );
}

/** Worth retrying: connection failures, serialization failures, deadlocks, server restarts. Never a statement timeout. */
export function isTransientDbError(error: unknown): boolean {
  if (error instanceof DeadlineExceeded) return false;
  const code = errorCode(error);
  return (code !== undefined && TRANSIENT_SQLSTATES.has(code)) || isConnectionError(error);
}

/** The server is going or gone: the connection failed, or it is shutting down or starting (57P01, 57P02, 57P03). */
export function isServerGone(error: unknown): boolean {
  const code = errorCode(error);
  return isConnectionError(error) || code === '57P01' || code === '57P02' || code === '57P03';
}

export function isAuthError(error: unknown): boolean {
  const code = errorCode(error);
  return code !== undefined && AUTH_SQLSTATES.has(code);
}

/** The pool could not hand out a connection within the wait bound. */
export class PoolTimeout extends Error {
  constructor(pool: string) {
    super(`no ${pool} connection within the pool wait bound`);
    this.name = 'PoolTimeout';
  }
}

/** Pool sizes for `hosts` sharing `total` connections: sizes add up to `total`, differing by at most one. */
export function splitPool(total: number, hosts: number): number[] {
  return Array.from({ length: hosts }, (_, i) => Math.floor(total / hosts) + (i < total % hosts ? 1 : 0));
}

interface TrackedPool {
  readonly name: string;
  readonly host: string;
  readonly pool: pg.Pool;
  /** Start times of callers waiting for a connection. */
  readonly waiting: Set<{ readonly since: number }>;
  downUntil: number;
  /** The last lag sample (replicas only); undefined: none yet, the replica is not used. */
  lag?: ReplicaLag;
}

/** What a lag-tolerant read may accept. */
export interface ReadNeed {
  /** The oldest data the read may return, in ms (the class's staleness less the cache age it may add); 0: the writer only. */
  readonly maxAgeMs: number;
  /** A write fence: the replica must have replayed this WAL position. */
  readonly fenceLsn?: bigint;
}

/** Where a read's data came from: every commit before `asOf` (local ms) and up to `lsn` is in it. */
export interface ReadSource {
  readonly pool: string;
  readonly asOf: number;
  readonly lsn: bigint;
  /** Why the writer answered a lag-tolerant read. */
  readonly reason?: WriterReason;
}

/** Writer positions kept to date a replica's replay position (about two minutes at 1 s). */
const WRITER_HISTORY = 128;

const REPLICA_LAG_SQL = `SELECT pg_is_in_recovery() AS "inRecovery", pg_last_wal_replay_lsn()::text AS "replayLsn",
  (extract(epoch FROM pg_last_xact_replay_timestamp()) * 1000)::float8 AS "replayMs",
  pg_wal_lsn_diff($1::pg_lsn, pg_last_wal_replay_lsn())::float8 AS "behindBytes"`;

export interface DbOptions {
  readonly env: AppEnv;
  readonly secrets: Secrets;
  readonly metrics: Metrics;
  readonly log: Logger;
  /** IAM token signer (tests inject one); @default @aws-sdk/rds-signer */
  readonly signToken?: (host: string, port: number, user: string) => Promise<string>;
}

export type QueryKind = 'write' | 'read';

/**
 * The database: one writer pool (`DB_POOL_SIZE`) and one pool per replica sharing
 * `DB_READER_POOL_SIZE`, as invariants CB-1 and CB-2 count them.
 *
 * - Reads go round-robin over the replicas that are up; a replica whose connection fails is
 *   skipped for {@link READER_RETRY_AFTER_MS}. With none left, reads borrow from the writer
 *   pool, so no connection beyond the writer budget is ever opened.
 * - Every query carries the request's deadline as its client-side timeout; a query that times
 *   out destroys its connection (the server's role-level `statement_timeout` ends it there).
 * - Passwords come from Secrets Manager per new connection (re-read after an authentication
 *   failure) or, for the writer with `DB_IAM_AUTH` (RDS Proxy), from a cached IAM token renewed
 *   before it expires. Replicas always get the password.
 */
export class Database {
  readonly writer: TrackedPool;
  readonly readers: TrackedPool[];
  private next = 0;
  /** The writer's sampled WAL positions, newest last. */
  private readonly positions: WriterPosition[] = [];
  private lagTimer?: NodeJS.Timeout;
  private sampling?: Promise<void>;
  private token?: { value: string; at: number; host: string };
  /** The error listener of each checked-out client, removed when it is released. */
  private readonly leases = new WeakMap<pg.PoolClient, (error: Error) => void>();

  constructor(private readonly o: DbOptions) {
    const { env } = o;
    // IAM tokens only through RDS Proxy (the writer endpoint): the replicas are reached directly,
    // with the app role's password (a role with rds_iam could not log in with one).
    this.writer = this.createPool('writer', env.DB_WRITER_HOST, env.DB_PORT, env.DB_POOL_SIZE, env.DB_IAM_AUTH);
    const sizes = splitPool(env.DB_READER_POOL_SIZE, env.DB_READER_HOSTS.length);
    this.readers = env.DB_READER_HOSTS.flatMap((host, i) =>
      sizes[i] > 0 ? [this.createPool(`reader-${i + 1}`, host, env.DB_READER_PORT, sizes[i], false)] : [],
    );
  }

  private ssl(): pg.ClientConfig['ssl'] {
    const { env } = this.o;
    if (env.APP_LOCAL_INSECURE) return false;
    if (env.DB_SSLMODE === 'require') return { rejectUnauthorized: false };
    return { ca: readFileSync(env.DB_CA_FILE, 'utf8'), rejectUnauthorized: true };
  }

  private createPool(name: string, host: string, port: number, max: number, iamAuth: boolean): TrackedPool {
    const { env } = this.o;
    const pool = new pg.Pool({
      host,
      port,
      database: env.DB_NAME,
      user: env.DB_USER,
      password: () => this.password(host, port, iamAuth),
      ssl: this.ssl(),
      max,
      // Queued requests wait up to twice the shedding bound (always below the request timeout,
      // TC-8); new arrivals are shed at once as soon as the oldest waiter passes the bound.
      connectionTimeoutMillis: Math.min(2 * env.APP_SHED_POOL_WAIT_MS, env.APP_REQUEST_TIMEOUT_MS),
      idleTimeoutMillis: 60_000,
      application_name: 'loadbearing-service',
      keepAlive: true,
    });
    // An idle connection that drops (failover, restart) must not crash the process.
    pool.on('error', (error) => this.o.log.warn({ pool: name, err: error.message }, 'idle database connection failed'));
    return { name, host, pool, waiting: new Set(), downUntil: 0 };
  }

  private async password(host: string, port: number, iamAuth: boolean): Promise<string> {
    const { env } = this.o;
    if (iamAuth && !env.APP_LOCAL_INSECURE) {
      const now = Date.now();
      if (this.token && this.token.host === host && now - this.token.at < IAM_TOKEN_REUSE_MS) return this.token.value;
      const sign =
        this.o.signToken ??
        ((h: string, p: number, user: string) =>
          new Signer({ hostname: h, port: p, username: user, region: env.AWS_REGION }).getAuthToken());
      const value = await sign(host, port, env.DB_USER);
      this.token = { value, at: now, host };
      return value;
    }
    const secret = await this.o.secrets.get(env.DB_SECRET_ARN);
    if (secret.username !== undefined && secret.username !== env.DB_USER) {
      throw new Error(
        `DB_SECRET_ARN holds the secret of "${secret.username}", but DB_USER is "${env.DB_USER}": point DB_SECRET_ARN at the app role's secret`,
      );
    }
    return secret.password;
  }

  /** Requests waiting for a writer connection, and how long the oldest has waited. */
  writerQueue(now = performance.now()): { length: number; oldestMs: number } {
    let oldest = now;
    for (const w of this.writer.waiting) oldest = Math.min(oldest, w.since);
    return { length: this.writer.waiting.size, oldestMs: now - oldest };
  }

  private async acquire(p: TrackedPool, deadline: Deadline): Promise<pg.PoolClient> {
    deadline.check(`a ${p.name} connection`);
    const started = performance.now();
    const waiter = { since: started };
    p.waiting.add(waiter);
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          const client = await p.pool.connect();
          // The pool listens for errors only on idle clients. A connection that drops while it is
          // checked out (a replica or writer crash) emits 'error' on the client too, and with no
          // listener that event would end the process: listen for the lease, as pg's docs ask.
          const onError = (error: Error) =>
            this.o.log.warn({ pool: p.name, err: error.message }, 'database connection failed while in use');
          client.on('error', onError);
          this.leases.set(client, onError);
          return client;
        } catch (error) {
          if (isAuthError(error) && attempt === 1) {
            // A rotated password: read the secret again, once, and retry at once.
            this.o.secrets.invalidate(this.o.env.DB_SECRET_ARN);
            this.token = undefined;
            this.o.log.warn({ pool: p.name }, 'database authentication failed; re-reading the secret');
            continue;
          }
          if (
            error instanceof Error &&
            /timeout exceeded when trying to connect/i.test(error.message) &&
            p.pool.totalCount >= (p.pool.options.max ?? 10)
          ) {
            throw new PoolTimeout(p.name);
          }
          throw error;
        }
      }
    } finally {
      p.waiting.delete(waiter);
      this.o.metrics.observe('PoolWait', performance.now() - started);
    }
  }

  private async run<T extends pg.QueryResultRow>(
    client: pg.PoolClient,
    text: string,
    values: unknown[],
    deadline: Deadline,
  ): Promise<pg.QueryResult<T>> {
    deadline.check('the query');
    return client.query<T>({ text, values, query_timeout: deadline.cap(this.o.env.APP_REQUEST_TIMEOUT_MS) } as pg.QueryConfig);
  }

  /** Releases a client; a client whose query failed at the connection or timed out is destroyed, never reused. */
  private release(client: pg.PoolClient, error?: unknown): void {
    const broken =
      error !== undefined && (isConnectionError(error) || (error instanceof Error && /Query read timeout/.test(error.message)));
    client.release(broken ? (error as Error) : undefined);
    const onError = this.leases.get(client);
    if (onError) client.removeListener('error', onError);
    this.leases.delete(client);
  }

  /** One statement on the writer (writes and read-your-writes reads). */
  async write<T extends pg.QueryResultRow>(text: string, values: unknown[], deadline: Deadline): Promise<pg.QueryResult<T>> {
    return this.onPool(this.writer, (c) => this.run<T>(c, text, values, deadline), deadline);
  }

  /**
   * One statement on the writer, then the WAL insert position after it committed: a fence that a
   * replica has replayed only once it has the statement's effect.
   */
  async writeWithLsn<T extends pg.QueryResultRow>(
    text: string,
    values: unknown[],
    deadline: Deadline,
  ): Promise<{ result: pg.QueryResult<T>; lsn?: bigint }> {
    return this.onPool(
      this.writer,
      async (c) => {
        const result = await this.run<T>(c, text, values, deadline);
        return { result, lsn: await this.insertLsn(c, deadline) };
      },
      deadline,
    );
  }

  /** The writer's WAL insert position (past every record inserted so far, commit records included). */
  private async insertLsn(c: pg.PoolClient, deadline: Deadline): Promise<bigint | undefined> {
    const { rows } = await this.run<{ lsn: string }>(c, 'SELECT pg_current_wal_insert_lsn()::text AS lsn', [], deadline);
    return parseLsn(rows[0]?.lsn);
  }

  private async onPool<R>(p: TrackedPool, work: (c: pg.PoolClient) => Promise<R>, deadline: Deadline): Promise<R> {
    const client = await this.acquire(p, deadline);
    try {
      const result = await work(client);
      this.release(client);
      return result;
    } catch (error) {
      this.release(client, error);
      throw error;
    }
  }

  /** A transaction on the writer: BEGIN, `work`, COMMIT (ROLLBACK on error). */
  async transaction<R>(
    work: (query: <T extends pg.QueryResultRow>(text: string, values?: unknown[]) => Promise<pg.QueryResult<T>>) => Promise<R>,
    deadline: Deadline,
  ): Promise<R> {
    return (await this.transactionWithLsn(work, deadline, false)).result;
  }

  /** {@link transaction}, and (with `lsn`) the WAL insert position after its COMMIT: the write fence of its effect. */
  async transactionWithLsn<R>(
    work: (query: <T extends pg.QueryResultRow>(text: string, values?: unknown[]) => Promise<pg.QueryResult<T>>) => Promise<R>,
    deadline: Deadline,
    lsn = true,
  ): Promise<{ result: R; lsn?: bigint }> {
    return this.onPool(
      this.writer,
      async (client) => {
        await this.run(client, 'BEGIN', [], deadline);
        try {
          const result = await work((text, values = []) => this.run(client, text, values, deadline));
          await this.run(client, 'COMMIT', [], deadline);
          return { result, lsn: lsn ? await this.insertLsn(client, deadline).catch(() => undefined) : undefined };
        } catch (error) {
          if (!isConnectionError(error) && !(error instanceof Error && /Query read timeout/.test(error.message))) {
            await client.query('ROLLBACK').catch(() => undefined);
          }
          throw error;
        }
      },
      deadline,
    );
  }

  /** Replicas that are not marked down. */
  healthyReaders(now = Date.now()): TrackedPool[] {
    return this.readers.filter((r) => r.downUntil <= now);
  }

  /**
   * A lag-tolerant read, routed by the last lag samples (never a query of its own):
   * - to a replica that is up, whose data is younger than `need.maxAgeMs` (its sampled lag plus the
   *   time since the sample) and that has replayed `need.fenceLsn`; round-robin over those, the
   *   next one when a connection fails;
   * - otherwise to the writer pool (within its budget), counted by reason: ReplicaFallbacks (down),
   *   ReplicaLagFallbacks (lag), ReplicaFenceFallbacks (fence).
   * Returns where the data came from, so a cache can bound the age of what it keeps.
   */
  async read<T extends pg.QueryResultRow>(
    text: string,
    values: unknown[],
    deadline: Deadline,
    need: ReadNeed = { maxAgeMs: Number.POSITIVE_INFINITY },
  ): Promise<{ result: pg.QueryResult<T>; source: ReadSource }> {
    const now = Date.now();
    const up = this.healthyReaders(now);
    const fresh = up.filter((r) => need.maxAgeMs > 0 && replicaAgeMs(r.lag, now) < need.maxAgeMs);
    const usable = fresh.filter((r) => need.fenceLsn === undefined || (r.lag !== undefined && r.lag.replayLsn >= need.fenceLsn));
    for (let i = 0; i < usable.length; i++) {
      const reader = usable[(this.next + i) % usable.length];
      const lag = reader.lag as ReplicaLag;
      try {
        const result = await this.onPool(reader, (c) => this.run<T>(c, text, values, deadline), deadline);
        this.next = (this.next + i + 1) % Math.max(1, usable.length);
        return { result, source: { pool: reader.name, asOf: lag.asOf, lsn: lag.replayLsn } };
      } catch (error) {
        if (!isServerGone(error)) throw error;
        reader.downUntil = Date.now() + READER_RETRY_AFTER_MS;
        this.o.log.warn({ pool: reader.name, err: (error as Error).message }, 'replica unavailable; skipping it');
      }
    }
    let reason: WriterReason | undefined;
    if (this.readers.length > 0 && need.maxAgeMs > 0) {
      reason = this.healthyReaders().length === 0 ? 'down' : fresh.length === 0 ? 'lag' : 'fence';
      this.o.metrics.count(reason === 'down' ? 'ReplicaFallbacks' : reason === 'lag' ? 'ReplicaLagFallbacks' : 'ReplicaFenceFallbacks');
    }
    // The writer's data is as of the moment the query starts: every write committed before it,
    // the fence this read waits for included.
    const started = Date.now();
    const newest = this.positions[this.positions.length - 1]?.lsn ?? 0n;
    const result = await this.write<T>(text, values, deadline);
    const lsn = need.fenceLsn !== undefined && need.fenceLsn > newest ? need.fenceLsn : newest;
    return { result, source: { pool: this.writer.name, asOf: started, lsn, reason } };
  }

  /** The newest writer WAL position this worker sampled. */
  get writerLsn(): bigint | undefined {
    return this.positions[this.positions.length - 1]?.lsn;
  }

  /**
   * Samples every replica's lag once: the writer's WAL position, then each replica's replay
   * position and time (replicaLag). A failed sample keeps the last one, whose age grows with the
   * clock: a replica is used only while that age allows. Concurrent calls share one sample.
   */
  sampleLag(deadline: Deadline): Promise<void> {
    if (this.readers.length === 0) return Promise.resolve();
    this.sampling ??= this.sampleOnce(deadline).finally(() => {
      this.sampling = undefined;
    });
    return this.sampling;
  }

  private async sampleOnce(deadline: Deadline): Promise<void> {
    const at = Date.now();
    let writerLsn: bigint | undefined;
    try {
      const { rows } = await this.write<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn', [], deadline);
      writerLsn = parseLsn(rows[0]?.lsn);
    } catch (error) {
      this.o.log.warn({ err: (error as Error).message }, 'replica lag: cannot read the writer position');
    }
    if (writerLsn === undefined) {
      // Without the writer's position no replica can be dated anew. The last samples stay: their
      // age keeps growing with the clock (replicaAgeMs), so a replica drops out exactly when its
      // data could be too old, and a saturated writer pool (this sample waits for it too) does
      // not push every read onto the writer at once.
      return;
    }
    this.positions.push({ lsn: writerLsn, at });
    if (this.positions.length > WRITER_HISTORY) this.positions.shift();
    await Promise.all(
      this.readers.map(async (r) => {
        try {
          const { rows } = await this.onPool(
            r,
            (c) =>
              this.run<{ inRecovery: boolean; replayLsn: string | null; replayMs: number | null; behindBytes: number | null }>(
                c,
                REPLICA_LAG_SQL,
                [formatLsn(writerLsn)],
                deadline,
              ),
            deadline,
          );
          const row = rows[0];
          const lag = replicaLag(this.positions, {
            inRecovery: row.inRecovery,
            replayLsn: parseLsn(row.replayLsn),
            replayTimestampMs: row.replayMs ?? undefined,
            at: Date.now(),
          });
          r.lag = lag && row.behindBytes !== null ? { ...lag, behindBytes: Math.max(0, row.behindBytes) } : lag;
          if (r.lag && Number.isFinite(r.lag.lagSeconds)) this.o.metrics.replicaLag(r.lag.lagSeconds);
        } catch (error) {
          // The last sample stays and ages (as above); a replica that is gone is marked down.
          if (isServerGone(error)) r.downUntil = Date.now() + READER_RETRY_AFTER_MS;
          this.o.log.warn({ pool: r.name, err: (error as Error).message }, 'replica lag: sample failed');
        }
      }),
    );
  }

  /** Samples the lag now and every `intervalMs` (APP_REPLICA_LAG_SAMPLE_MS), until close(). */
  startLagSampling(intervalMs: number): Promise<void> {
    const first = this.sampleLag(Deadline.after(Math.min(intervalMs, this.o.env.APP_REQUEST_TIMEOUT_MS)));
    this.lagTimer = setInterval(() => {
      void this.sampleLag(Deadline.after(Math.min(intervalMs, this.o.env.APP_REQUEST_TIMEOUT_MS)));
    }, intervalMs);
    this.lagTimer.unref();
    return first;
  }

  /** Each replica's lag as of now, for /readyz. */
  lagReport(
    now = Date.now(),
  ): Record<string, { lagSeconds: number | null; behindBytes: number | null; sampledAgoMs: number | null; up: boolean }> {
    return Object.fromEntries(
      this.readers.map((r) => {
        const age = replicaAgeMs(r.lag, now);
        return [
          r.name,
          {
            lagSeconds: Number.isFinite(age) ? Math.round(age) / 1000 : null,
            behindBytes: r.lag && Number.isFinite(r.lag.behindBytes) ? r.lag.behindBytes : null,
            sampledAgoMs: r.lag ? now - r.lag.sampledAt : null,
            up: r.downUntil <= now,
          },
        ];
      }),
    );
  }

  /** Connectivity and latency of each pool's host (for /readyz). */
  async probe(deadline: Deadline): Promise<Record<string, { ok: boolean; ms: number; error?: string }>> {
    const out: Record<string, { ok: boolean; ms: number; error?: string }> = {};
    await Promise.all(
      [this.writer, ...this.readers].map(async (p) => {
        const started = performance.now();
        try {
          await this.onPool(p, (c) => this.run(c, 'SELECT 1', [], deadline), deadline);
          out[p.name] = { ok: true, ms: Math.round(performance.now() - started) };
        } catch (error) {
          out[p.name] = { ok: false, ms: Math.round(performance.now() - started), error: (error as Error).message };
        }
      }),
    );
    return out;
  }

  async close(): Promise<void> {
    clearInterval(this.lagTimer);
    await Promise.all([this.writer, ...this.readers].map((p) => p.pool.end().catch(() => undefined)));
  }
}

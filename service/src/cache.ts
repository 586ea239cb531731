import { Redis } from 'ioredis';
import type { AppEnv } from '@loadbearing/contract';
import type { Deadline } from './deadline';
import type { Logger } from './log';
import type { Secrets } from './secrets';

/** The cache failed or timed out; the caller falls back to the database. */
export class CacheUnavailable extends Error {
  constructor(cause: string) {
    super(`cache unavailable: ${cause}`);
    this.name = 'CacheUnavailable';
  }
}

/**
 * Sets each key to ARGV[1] for ARGV[2] seconds unless it holds a greater position (then only
 * renews its expiry). A value that is not a position (16 hex digits: "unknown", or the previous
 * release's "1") is replaced, never renewed: renewed by every later write, it would keep every
 * read of the key off the cache and the replicas for as long as writes keep coming.
 */
const RAISE_FENCES = `for _, k in ipairs(KEYS) do
  local cur = redis.call('GET', k)
  if (not cur) or (not string.match(cur, '^%x+$')) or (#cur ~= 16) or cur < ARGV[1] then
    redis.call('SET', k, ARGV[1], 'EX', ARGV[2])
  else
    redis.call('EXPIRE', k, ARGV[2])
  end
end
return 0`;

/** Split of `CACHE_CONNECTIONS` into primary (writes) and reader connections. */
export function splitCacheConnections(total: number, separateReader: boolean): { primary: number; reader: number } {
  if (!separateReader || total < 2) return { primary: total, reader: 0 };
  const reader = Math.floor(total / 2);
  return { primary: total - reader, reader };
}

/**
 * The cache client of one worker: its share of the instance's `CACHE_CONNECTIONS`
 * (`cacheConnectionsOfWorker`; reads on the reader endpoint, writes on the primary), each command
 * bounded by `CACHE_TIMEOUT_MS` or the request's time left.
 * No offline queue and no driver retries: a cache that is down or frozen fails fast and the
 * caller reads the database instead.
 */
export class Cache {
  private readonly primary: Redis[];
  private readonly reader: Redis[];
  private rr = 0;

  constructor(
    private readonly env: AppEnv,
    private readonly secrets: Secrets,
    private readonly log: Logger,
    password: string,
    connections = env.CACHE_CONNECTIONS,
  ) {
    const split = splitCacheConnections(connections, env.CACHE_READER_HOST !== env.CACHE_HOST);
    const make = (host: string) => {
      const client = new Redis({
        host,
        port: env.CACHE_PORT,
        password,
        tls: env.CACHE_TLS && !env.APP_LOCAL_INSECURE ? { servername: host } : undefined,
        commandTimeout: env.CACHE_TIMEOUT_MS,
        connectTimeout: Math.max(env.CACHE_TIMEOUT_MS, 1000),
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2_000),
        lazyConnect: false,
      });
      client.on('error', (error: Error) => {
        if (/WRONGPASS|NOAUTH/.test(error.message)) void this.reauthenticate();
      });
      return client;
    };
    this.primary = Array.from({ length: split.primary }, () => make(env.CACHE_HOST));
    this.reader = Array.from({ length: split.reader }, () => make(env.CACHE_READER_HOST));
  }

  /** Connects `connections` clients (a worker's share of CACHE_CONNECTIONS; all of it by default). */
  static async connect(env: AppEnv, secrets: Secrets, log: Logger, connections = env.CACHE_CONNECTIONS): Promise<Cache> {
    const secret = await secrets.get(env.CACHE_AUTH_SECRET_ARN);
    return new Cache(env, secrets, log, secret.password, connections);
  }

  /** Re-reads a rotated AUTH token; the clients use it from their next reconnect. */
  private async reauthenticate(): Promise<void> {
    this.secrets.invalidate(this.env.CACHE_AUTH_SECRET_ARN);
    try {
      const { password } = await this.secrets.get(this.env.CACHE_AUTH_SECRET_ARN);
      for (const c of [...this.primary, ...this.reader]) c.options.password = password;
    } catch (error) {
      this.log.warn({ err: (error as Error).message }, 'cannot re-read the cache AUTH secret');
    }
  }

  get connectionCount(): number {
    return this.primary.length + this.reader.length;
  }

  private pick(pool: Redis[]): Redis {
    const list = pool.length > 0 ? pool : this.primary;
    this.rr = (this.rr + 1) % list.length;
    return list[this.rr];
  }

  private async bounded<T>(what: string, deadline: Deadline, command: () => Promise<T>): Promise<T> {
    if (deadline.expired()) throw new CacheUnavailable(`no time left for ${what}`);
    const ms = deadline.cap(this.env.CACHE_TIMEOUT_MS);
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        command(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new CacheUnavailable(`${what} took over ${ms} ms`)), ms);
        }),
      ]);
    } catch (error) {
      throw error instanceof CacheUnavailable ? error : new CacheUnavailable(`${what}: ${(error as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }

  get(key: string, deadline: Deadline): Promise<string | null> {
    return this.bounded('GET', deadline, () => this.pick(this.reader).get(key));
  }

  /** Several keys in one round trip. */
  mget(keys: string[], deadline: Deadline): Promise<(string | null)[]> {
    return this.bounded('MGET', deadline, () => this.pick(this.reader).mget(...keys));
  }

  /** Stores `value` for `ttlMs` milliseconds (PX). */
  async set(key: string, value: string, ttlMs: number, deadline: Deadline): Promise<void> {
    await this.bounded('SET', deadline, () => this.pick(this.primary).set(key, value, 'PX', Math.max(1, Math.floor(ttlMs))));
  }

  async del(keys: string[], deadline: Deadline): Promise<void> {
    await this.bounded('DEL', deadline, () => this.pick(this.primary).del(...keys));
  }

  /**
   * Deletes `keys`, increments `incrKey` and raises each fence to `fenceValue` for `fenceSeconds`,
   * in one round trip (MULTI). A fence keeps the higher of its value and `fenceValue` (they
   * compare as strings: fixed-width hex), so a slower write of an older position cannot lower it.
   */
  async invalidate(
    keys: string[],
    incrKey: string,
    fences: string[],
    fenceValue: string,
    fenceSeconds: number,
    deadline: Deadline,
  ): Promise<void> {
    await this.bounded('invalidate', deadline, async () => {
      const m = this.pick(this.primary).multi();
      if (keys.length > 0) m.del(...keys);
      m.incr(incrKey);
      if (fences.length > 0) m.eval(RAISE_FENCES, fences.length, ...fences, fenceValue, fenceSeconds);
      await m.exec();
    });
  }

  incr(key: string, deadline: Deadline): Promise<number> {
    return this.bounded('INCR', deadline, () => this.pick(this.primary).incr(key));
  }

  async ping(deadline: Deadline): Promise<void> {
    await this.bounded('PING', deadline, () => this.pick(this.primary).ping());
  }

  async close(): Promise<void> {
    await Promise.all([...this.primary, ...this.reader].map((c) => c.quit().catch(() => c.disconnect())));
  }
}

/**
 * Coalesces concurrent loads of one key: while a load runs, later callers for the same key
 * share its promise, so a hot key expiring sends one query to the database, not one per request.
 */
export class SingleFlight {
  private readonly inFlight = new Map<string, Promise<unknown>>();

  run<T>(key: string, load: () => Promise<T>): Promise<T> {
    const existing = this.inFlight.get(key);
    if (existing) return existing as Promise<T>;
    const promise = load().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, promise);
    return promise;
  }

  get size(): number {
    return this.inFlight.size;
  }
}

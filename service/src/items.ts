import type { AppEnv } from '@loadbearing/contract';
import { type Cache, CacheUnavailable, SingleFlight } from './cache';
import type { Database, ReadNeed, ReadSource } from './db';
import { isTransientDbError } from './db';
import type { Deadline } from './deadline';
import type { Freshness, ReadPolicy } from './freshness';
import { HttpError } from './http-error';
import { idempotent, requestHash, validateKey } from './idempotency';
import type { AppMetrics as Metrics } from '@loadbearing/contract';
import { formatLsn, parseLsn } from './replica-lag';
import { withRetry, type RetryBudget } from './retry';

/**
 * A cache entry: the value (null: not found), the WAL position its data includes (`l`), the
 * moment its data is as of (`a`: every commit before it is in it) and when it was filled (`f`).
 */
interface Entry<T> {
  readonly e: 1;
  readonly v: T | null;
  readonly l: string;
  readonly a: number;
  readonly f: number;
}

function parseEntry<T>(raw: string): Entry<T> | undefined {
  try {
    const e = JSON.parse(raw) as Partial<Entry<T>>;
    return e && e.e === 1 && typeof e.a === 'number' && typeof e.f === 'number' && typeof e.l === 'string' ? (e as Entry<T>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A write fence as stored: the writer's WAL position after the write committed. Anything else
 * (an older release's marker, a position that could not be read) is `unknown`: only the writer
 * may answer while it stands.
 */
export type Fence = bigint | 'unknown' | undefined;

export function parseFence(raw: string | null | undefined): Fence {
  if (raw === null || raw === undefined) return undefined;
  return /^[0-9a-f]{16}$/.test(raw) ? BigInt(`0x${raw}`) : 'unknown';
}

/**
 * A fence as stored: 16 hex digits, so that positions compare as strings (the cache keeps the
 * highest of concurrent fences: Cache.invalidate). `unknown` sorts above every position.
 */
export function fenceText(lsn: bigint | undefined): string {
  return lsn === undefined ? 'unknown' : lsn.toString(16).padStart(16, '0');
}

/** Whether a cached entry may answer: it has the fenced write, its data is young enough, and (revalidating) it was filled just now. */
export function entryAnswers(
  entry: Pick<Entry<unknown>, 'l' | 'a' | 'f'>,
  fence: Fence,
  policy: Pick<ReadPolicy, 'maxAgeMs'>,
  now: number,
  revalidate: boolean,
): boolean {
  if (fence === 'unknown') return false;
  if (fence !== undefined && (parseLsn(entry.l) ?? -1n) < fence) return false;
  if (now - entry.a > policy.maxAgeMs) return false;
  return !(revalidate && now - entry.f > REVALIDATE_FLOOR_MS);
}

export interface Item {
  readonly id: string;
  readonly sku: string;
  readonly name: string;
  readonly priceCents: number;
  readonly category: string;
  readonly createdAt: string;
}

const ITEM_COLUMNS = `i.id::text AS id, i.sku, i.name, i.price_cents AS "priceCents", c.name AS category, to_char(i.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "createdAt"`;
/** One item by ID (the cache-aside load of `GET /api/items/:id`). */
export const ITEM_BY_ID_SQL = `SELECT ${ITEM_COLUMNS} FROM items i JOIN categories c ON c.id = i.category_id WHERE i.id = $1`;
/** The effect of `POST /api/orders`: an order for an existing item. */
export const ORDER_INSERT_SQL = `INSERT INTO orders (item_id, quantity) SELECT id, $2 FROM items WHERE id = $1 RETURNING id::text AS id, item_id::text AS "itemId", quantity`;
const LIST_VERSION_KEY = 'items:list:version';
/**
 * Entries of this release (an envelope with the data's age and WAL position) live under their own
 * prefix: during an instance refresh the previous release still reads `item:<id>` as a bare item,
 * and must never get an envelope. Invalidation deletes both; the fences keep their names (the
 * previous release reads any fence value as "fenced").
 */
export const ENTRY_PREFIX = 'e2:';
const LIST_FENCE_KEY = 'fence:items:list';
/**
 * The shortest life worth caching an entry for: a read that will be cached goes to a replica only
 * while the replica's lag leaves the entry at least this long within the class's staleness;
 * otherwise the writer answers it (fresh data, the full TTL).
 */
export const MIN_CACHE_LIFE_MS = 1_000;
/**
 * `Cache-Control: no-cache` from a client revalidates: an entry filled longer ago than this is
 * reloaded, through the same coalesced load as every other miss; a younger one is the revalidated
 * answer. So such clients cost the database at most one query per key and this interval (per
 * worker), never one per request (docs/adr/0010-read-your-writes.md).
 */
export const REVALIDATE_FLOOR_MS = 1_000;
export const MAX_PAGE = 100;

export function parseId(raw: string): string {
  if (!/^[1-9]\d{0,17}$/.test(raw))
    throw new HttpError(400, 'bad_request', `Item id ${JSON.stringify(raw.slice(0, 40))} is not a positive integer.`);
  return raw;
}

/**
 * The `limit` query parameter of a page: 20 when absent; otherwise decimal digits only (Number()
 * would take `0x10`, `1e1`, `+5` and blanks around them), from 1 to {@link MAX_PAGE}.
 */
export function parseLimit(raw: string | null): number {
  if (raw === null) return 20;
  const n = /^\d{1,4}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(n >= 1 && n <= MAX_PAGE))
    throw new HttpError(
      400,
      'bad_request',
      `limit must be decimal digits, a number from 1 to ${MAX_PAGE}; got ${JSON.stringify(raw.slice(0, 20))}.`,
    );
  return n;
}

/** Opaque keyset cursor: base64url of `<createdAt>|<id>` of the last item of the page. */
export function encodeCursor(item: Pick<Item, 'createdAt' | 'id'>): string {
  return Buffer.from(`${item.createdAt}|${item.id}`).toString('base64url');
}

/**
 * A cursor back into `{createdAt, id}`, validated completely before it reaches a query: a
 * well-formed cursor with an impossible timestamp (month 13, 30 February, year 0) would make
 * PostgreSQL fail the query, a 500 that a client could cause at will.
 */
export function decodeCursor(raw: string): { createdAt: string; id: string } {
  const text = Buffer.from(raw, 'base64url').toString();
  const m = /^((\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.\d{6}Z)\|([1-9]\d{0,17})$/.exec(text);
  const [year, month, day, hour, minute, second] = (m ?? []).slice(2, 8).map(Number);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const daysInMonth = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
  if (!m || year < 1 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59)
    throw new HttpError(400, 'bad_request', 'The cursor is not one this service returned; start from the first page.');
  return { createdAt: m[1], id: m[8] };
}

/** The keyset query of a page: the `(created_at, id)` index serves both the filter and the order. */
export const LIST_SQL = {
  first: `SELECT ${ITEM_COLUMNS} FROM items i JOIN categories c ON c.id = i.category_id ORDER BY i.created_at DESC, i.id DESC LIMIT $1`,
  after: `SELECT ${ITEM_COLUMNS} FROM items i JOIN categories c ON c.id = i.category_id
           WHERE (i.created_at, i.id) < ($2::timestamptz, $3::bigint) ORDER BY i.created_at DESC, i.id DESC LIMIT $1`,
};

export interface ItemsDeps {
  readonly env: AppEnv;
  readonly db: Database;
  readonly cache: Cache;
  readonly freshness: Freshness;
  readonly metrics: Metrics;
  readonly budget: RetryBudget;
}

/**
 * The reference domain: a catalogue of items in categories, and orders. Reads are cache-aside,
 * bounded by the freshness model: a read's age (its source's lag plus its time in the cache)
 * never exceeds the class's staleness, the TTL is only an upper bound, and not-found answers are
 * cached briefly. Concurrent misses are coalesced, whatever the client's cache directives.
 * Lag-tolerant reads go to a replica fresh enough for the class; writes are idempotent by key and
 * raise write fences (the commit's WAL position) that keep reads of the written data off any
 * replica that has not replayed it (read-your-writes, docs/adr/0010-read-your-writes.md).
 */
export class Items {
  private readonly flights = new SingleFlight();
  /** The newest fence this worker raised: the fence of every read while the cache (which holds the fences) fails. */
  private localFence?: bigint;

  constructor(private readonly d: ItemsDeps) {}

  private retry<T>(deadline: Deadline, op: () => Promise<T>): Promise<T> {
    const { env } = this.d;
    return withRetry(op, {
      policy: { maxAttempts: env.RETRY_MAX_ATTEMPTS, baseDelayMs: env.RETRY_BASE_DELAY_MS, maxDelayMs: env.RETRY_MAX_DELAY_MS },
      budget: this.d.budget,
      deadline,
      isTransient: isTransientDbError,
    });
  }

  /**
   * Cache-aside read of `key`, with its write fence in the same MGET:
   * - a hit answers when it holds the fenced write, its data is within the class's age bound
   *   (and, revalidating, it was filled within {@link REVALIDATE_FLOOR_MS});
   * - a miss loads once for all concurrent callers with the same fence, from a replica fresh
   *   enough and past the fence, else the writer; the entry lives for the TTL at most, and never
   *   past the class's age bound given its source's lag (a not-found answer for
   *   CACHE_NEGATIVE_TTL_SECONDS at most);
   * - a failing cache is skipped and counted; the worker's own newest fence stands in for the
   *   shared ones.
   */
  private async cached<T>(
    key: string,
    fenceKey: string,
    policy: ReadPolicy,
    deadline: Deadline,
    revalidate: boolean,
    load: (need: ReadNeed) => Promise<{ value: T | undefined; source: ReadSource }>,
    cacheFailed = false,
  ): Promise<T | undefined> {
    const { cache, metrics, env } = this.d;
    let cacheUp = !cacheFailed && (policy.ttlSeconds > 0 || policy.maxAgeMs > 0);
    let fence: Fence = cacheFailed ? this.localFence : undefined;
    if (cacheUp) {
      try {
        const [hit, fenceValue] = await cache.mget([key, fenceKey], deadline);
        fence = parseFence(fenceValue);
        const entry = hit !== null && policy.ttlSeconds > 0 ? parseEntry<T>(hit) : undefined;
        if (entry && entryAnswers(entry, fence, policy, Date.now(), revalidate)) {
          metrics.count(entry.v === null ? 'NegativeCacheHits' : 'CacheHits');
          return entry.v ?? undefined;
        }
        if (policy.ttlSeconds > 0) metrics.count('CacheMisses');
      } catch (error) {
        if (!(error instanceof CacheUnavailable)) throw error;
        metrics.count('CacheFallbacks');
        cacheUp = false;
        fence = this.localFence;
      }
    }
    const caching = cacheUp && policy.ttlSeconds > 0;
    const need: ReadNeed =
      fence === 'unknown'
        ? { maxAgeMs: 0 }
        : { maxAgeMs: Math.max(0, policy.maxAgeMs - (caching ? MIN_CACHE_LIFE_MS : 0)), fenceLsn: fence };
    const flight = `${key}@${fence === undefined ? '' : String(fence)}`;
    return this.flights.run(flight, async () => {
      const { value, source } = await load(need);
      if (caching) {
        const ttlMs = (value === undefined ? env.CACHE_NEGATIVE_TTL_SECONDS : policy.ttlSeconds) * 1000;
        const lifeMs = Math.floor(Math.min(ttlMs, policy.maxAgeMs - (Date.now() - source.asOf)));
        if (lifeMs > 0) {
          const entry: Entry<T> = { e: 1, v: value ?? null, l: formatLsn(source.lsn), a: source.asOf, f: Date.now() };
          await cache.set(key, JSON.stringify(entry), lifeMs, deadline).catch(() => metrics.count('CacheFallbacks'));
        }
      }
      return value;
    });
  }

  /** `revalidate`: the client sent `Cache-Control: no-cache` (REVALIDATE_FLOOR_MS). */
  async get(id: string, path: string, deadline: Deadline, revalidate = false): Promise<Item> {
    const item = await this.cached(
      `${ENTRY_PREFIX}item:${id}`,
      `fence:item:${id}`,
      this.d.freshness.policyFor(path),
      deadline,
      revalidate,
      (need) =>
        this.retry(deadline, async () => {
          const { result, source } = await this.d.db.read<Item>(ITEM_BY_ID_SQL, [id], deadline, need);
          return { value: result.rows[0], source };
        }),
    );
    if (!item) throw new HttpError(404, 'not_found', `No item with id ${id}.`);
    return item;
  }

  async list(
    path: string,
    cursor: string | undefined,
    limit: number,
    deadline: Deadline,
    revalidate = false,
  ): Promise<{ items: Item[]; next: string | null }> {
    const after = cursor ? decodeCursor(cursor) : undefined;
    const policy = this.d.freshness.policyFor(path);
    let version = '0';
    let cacheFailed = false;
    try {
      version = policy.ttlSeconds > 0 ? ((await this.d.cache.get(LIST_VERSION_KEY, deadline)) ?? '0') : '0';
    } catch {
      this.d.metrics.count('CacheFallbacks');
      // The cache just failed (or timed out): skip it for this request instead of waiting for it
      // a second time, so a frozen cache costs one cache timeout here too (the proving ground's
      // cache-loss scenario measured twice that before). The worker's own fence still holds.
      cacheFailed = true;
    }
    const key = `${ENTRY_PREFIX}items:list:v${version}:${cursor ?? '-'}:${limit}`;
    const items =
      (await this.cached(
        key,
        LIST_FENCE_KEY,
        policy,
        deadline,
        revalidate,
        (need) =>
          this.retry(deadline, async () => {
            const [sql, values] = [after ? LIST_SQL.after : LIST_SQL.first, after ? [limit, after.createdAt, after.id] : [limit]];
            const { result, source } = await this.d.db.read<Item>(sql, values, deadline, need);
            return { value: result.rows, source };
          }),
        cacheFailed,
      )) ?? [];
    return { items, next: items.length === limit ? encodeCursor(items[items.length - 1]) : null };
  }

  /**
   * Invalidation after a write, in one round trip: delete the entries of `ids` (a created item's
   * negative entry too), move list pages to a new version (old pages are never read again and
   * expire), and raise the write fences at the commit's WAL position for the class's staleness:
   * by then a replica that has not replayed the write lags more than the class allows, and the
   * lag alone keeps reads off it. A position that could not be read raises an `unknown` fence
   * (writer only while it stands).
   */
  private async invalidate(ids: string[], lsn: bigint | undefined, path: string, deadline: Deadline): Promise<void> {
    const { cache, metrics, freshness } = this.d;
    if (lsn !== undefined && (this.localFence === undefined || lsn > this.localFence)) this.localFence = lsn;
    const fenceSeconds = Math.max(1, freshness.policyFor(path).stalenessSeconds);
    try {
      await cache.invalidate(
        ids.flatMap((id) => [`${ENTRY_PREFIX}item:${id}`, `item:${id}`]),
        LIST_VERSION_KEY,
        [LIST_FENCE_KEY, ...ids.map((id) => `fence:item:${id}`)],
        fenceText(lsn),
        fenceSeconds,
        deadline,
      );
    } catch {
      metrics.count('CacheFallbacks');
    }
  }

  async create(headers: Record<string, string | string[] | undefined>, path: string, raw: string, body: unknown, deadline: Deadline) {
    const key = validateKey(headers['idempotency-key']);
    const input = parseItemInput(body);
    const { result, lsn } = await this.retry(deadline, () =>
      this.d.db.transactionWithLsn(
        (query) =>
          idempotent(query, key, requestHash('POST', path, raw), this.d.env.APP_IDEMPOTENCY_RETENTION_HOURS, async () => {
            await query('INSERT INTO categories (name) VALUES ($1) ON CONFLICT (name) DO NOTHING', [input.category]);
            const { rows } = await query<Item>(
              `WITH inserted AS (
                 INSERT INTO items (category_id, sku, name, price_cents)
                 SELECT id, $2, $3, $4 FROM categories WHERE name = $1
                 ON CONFLICT (sku) DO NOTHING RETURNING *)
               SELECT ${ITEM_COLUMNS} FROM inserted i JOIN categories c ON c.id = i.category_id`,
              [input.category, input.sku, input.name, input.priceCents],
            );
            if (rows.length === 0)
              return { status: 409, body: { error: 'conflict', message: `An item with sku ${JSON.stringify(input.sku)} already exists.` } };
            return { status: 201, body: rows[0] };
          }),
        deadline,
      ),
    );
    if (!result.replayed && result.status === 201) await this.invalidate([(result.body as Item).id], lsn, path, deadline);
    return result;
  }

  async updatePrice(id: string, path: string, body: unknown, deadline: Deadline): Promise<Item> {
    const price = (body as { priceCents?: unknown } | null)?.priceCents;
    if (!Number.isInteger(price) || (price as number) < 0 || (price as number) > 2_000_000_000) {
      throw new HttpError(400, 'bad_request', 'priceCents must be an integer from 0 to 2000000000.');
    }
    // Setting a price is idempotent (same request, same result), so it may be retried.
    const { item, lsn } = await this.retry(deadline, async () => {
      const { result, lsn } = await this.d.db.writeWithLsn<Item>(
        `WITH updated AS (UPDATE items SET price_cents = $2, updated_at = now() WHERE id = $1 RETURNING *)
         SELECT ${ITEM_COLUMNS} FROM updated i JOIN categories c ON c.id = i.category_id`,
        [id, price],
        deadline,
      );
      return { item: result.rows[0], lsn };
    });
    if (!item) throw new HttpError(404, 'not_found', `No item with id ${id}.`);
    await this.invalidate([id], lsn, path, deadline);
    return item;
  }

  async createOrder(headers: Record<string, string | string[] | undefined>, path: string, raw: string, body: unknown, deadline: Deadline) {
    const key = validateKey(headers['idempotency-key']);
    const b = body as { itemId?: unknown; quantity?: unknown } | null;
    const itemId = typeof b?.itemId === 'string' || typeof b?.itemId === 'number' ? parseId(String(b.itemId)) : undefined;
    if (!itemId || !Number.isInteger(b?.quantity) || (b!.quantity as number) < 1 || (b!.quantity as number) > 1000) {
      throw new HttpError(400, 'bad_request', 'An order needs itemId (a positive integer) and quantity (an integer from 1 to 1000).');
    }
    return this.retry(deadline, () =>
      this.d.db.transaction(
        (query) =>
          idempotent(query, key, requestHash('POST', path, raw), this.d.env.APP_IDEMPOTENCY_RETENTION_HOURS, async () => {
            const { rows } = await query<{ id: string; itemId: string; quantity: number }>(ORDER_INSERT_SQL, [itemId, b!.quantity]);
            if (rows.length === 0) return { status: 404, body: { error: 'not_found', message: `No item with id ${itemId}.` } };
            return { status: 201, body: rows[0] };
          }),
        deadline,
      ),
    );
  }

  /** Read-your-writes: an order is read from the writer, never a lagging replica. */
  async getOrder(id: string, deadline: Deadline) {
    const { rows } = await this.retry(deadline, () =>
      this.d.db.write<{ id: string; itemId: string; quantity: number }>(
        'SELECT id::text AS id, item_id::text AS "itemId", quantity FROM orders WHERE id = $1',
        [id],
        deadline,
      ),
    );
    if (!rows[0]) throw new HttpError(404, 'not_found', `No order with id ${id}.`);
    return rows[0];
  }
}

export function parseItemInput(body: unknown): { sku: string; name: string; priceCents: number; category: string } {
  const b = body as Record<string, unknown> | null;
  const problems: string[] = [];
  if (typeof b !== 'object' || b === null || Array.isArray(b))
    throw new HttpError(400, 'bad_request', 'The body must be a JSON object with sku, name, priceCents and category.');
  if (typeof b.sku !== 'string' || !/^[A-Za-z0-9-]{1,64}$/.test(b.sku)) problems.push('sku must be 1-64 letters, digits or dashes');
  if (typeof b.name !== 'string' || b.name.length < 1 || b.name.length > 200) problems.push('name must be 1-200 characters');
  if (!Number.isInteger(b.priceCents) || (b.priceCents as number) < 0 || (b.priceCents as number) > 2_000_000_000)
    problems.push('priceCents must be an integer from 0 to 2000000000');
  if (typeof b.category !== 'string' || b.category.length < 1 || b.category.length > 100)
    problems.push('category must be 1-100 characters');
  if (problems.length > 0) throw new HttpError(400, 'bad_request', `Invalid item: ${problems.join('; ')}.`);
  return { sku: b.sku as string, name: b.name as string, priceCents: b.priceCents as number, category: b.category as string };
}

export { CacheUnavailable };

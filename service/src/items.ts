import type { AppEnv } from '@loadbearing/contract';
import { type Cache, CacheUnavailable, SingleFlight } from './cache';
import type { Database } from './db';
import { isTransientDbError } from './db';
import type { Deadline } from './deadline';
import type { Freshness } from './freshness';
import { HttpError } from './http-error';
import { idempotent, requestHash, validateKey } from './idempotency';
import type { AppMetrics as Metrics } from '@loadbearing/contract';
import { withRetry, type RetryBudget } from './retry';

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
const LIST_FENCE_KEY = 'fence:items:list';
/**
 * After a write, misses are loaded from the writer for this long, so a replica that lags behind
 * the write cannot put the old value back into the cache (the replica-lag alarm fires far above).
 */
export const WRITE_FENCE_SECONDS = 5;
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
 * The reference domain: a catalogue of items in categories, and orders. Reads are cache-aside
 * (TTL from the freshness model, concurrent misses coalesced, a failing cache falls back to the
 * database); lag-tolerant reads go to the replicas; writes are idempotent by key and
 * invalidate explicitly (delete the item's key, bump the list version).
 */
export class Items {
  private readonly flights = new SingleFlight();

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
   * Cache-aside read of `key`: a hit answers from the cache; a miss loads once for all
   * concurrent callers and stores the value for `ttl`; a failing cache is skipped and counted.
   * The key and its write fence come in one MGET: while the fence is up (a write just happened),
   * the miss is loaded from the writer, so a lagging replica cannot put pre-write data back.
   */
  private async cached<T>(
    key: string,
    fence: string,
    ttl: number,
    deadline: Deadline,
    load: (fromWriter: boolean) => Promise<T>,
  ): Promise<T> {
    const { cache, metrics } = this.d;
    let cacheUp = ttl > 0;
    let fenced = false;
    if (cacheUp) {
      try {
        const [hit, fenceValue] = await cache.mget([key, fence], deadline);
        if (hit !== null) {
          metrics.count('CacheHits');
          return JSON.parse(hit) as T;
        }
        metrics.count('CacheMisses');
        fenced = fenceValue !== null;
      } catch (error) {
        if (!(error instanceof CacheUnavailable)) throw error;
        metrics.count('CacheFallbacks');
        cacheUp = false;
      }
    }
    return this.flights.run(`${key}${fenced ? ':w' : ''}`, async () => {
      const value = await load(fenced);
      if (cacheUp && value !== undefined) {
        await cache.set(key, JSON.stringify(value), ttl, deadline).catch(() => metrics.count('CacheFallbacks'));
      }
      return value;
    });
  }

  async get(id: string, path: string, deadline: Deadline, useCache: boolean): Promise<Item> {
    const load = (fromWriter: boolean) =>
      this.retry(deadline, async () => {
        const { rows } = fromWriter
          ? await this.d.db.write<Item>(ITEM_BY_ID_SQL, [id], deadline)
          : await this.d.db.read<Item>(ITEM_BY_ID_SQL, [id], deadline);
        return rows[0];
      });
    const item = useCache
      ? await this.cached(`item:${id}`, `fence:item:${id}`, this.d.freshness.ttlFor(path), deadline, load)
      : await load(false);
    if (!item) throw new HttpError(404, 'not_found', `No item with id ${id}.`);
    return item;
  }

  async list(
    path: string,
    cursor: string | undefined,
    limit: number,
    deadline: Deadline,
    useCache = true,
  ): Promise<{ items: Item[]; next: string | null }> {
    const after = cursor ? decodeCursor(cursor) : undefined;
    let ttl = useCache ? this.d.freshness.ttlFor(path) : 0;
    let version = '0';
    try {
      version = ttl > 0 ? ((await this.d.cache.get(LIST_VERSION_KEY, deadline)) ?? '0') : '0';
    } catch {
      this.d.metrics.count('CacheFallbacks');
      // The cache just failed (or timed out): skip it for this request instead of waiting for it
      // a second time, so a frozen cache costs one cache timeout here too (the proving ground's
      // cache-loss scenario measured twice that before).
      ttl = 0;
    }
    const key = `items:list:v${version}:${cursor ?? '-'}:${limit}`;
    const items = await this.cached(key, LIST_FENCE_KEY, ttl, deadline, (fromWriter) =>
      this.retry(deadline, async () => {
        const [sql, values] = [after ? LIST_SQL.after : LIST_SQL.first, after ? [limit, after.createdAt, after.id] : [limit]];
        return (fromWriter ? await this.d.db.write<Item>(sql, values, deadline) : await this.d.db.read<Item>(sql, values, deadline)).rows;
      }),
    );
    return { items, next: items.length === limit ? encodeCursor(items[items.length - 1]) : null };
  }

  /**
   * Invalidation after a write, in one round trip: delete the item's entry, move list pages to
   * a new version (old pages are never read again and expire), and raise the write fences.
   */
  private async invalidate(id: string | undefined, deadline: Deadline): Promise<void> {
    const { cache, metrics } = this.d;
    try {
      await cache.invalidate(
        id ? [`item:${id}`] : [],
        LIST_VERSION_KEY,
        id ? [LIST_FENCE_KEY, `fence:item:${id}`] : [LIST_FENCE_KEY],
        WRITE_FENCE_SECONDS,
        deadline,
      );
    } catch {
      metrics.count('CacheFallbacks');
    }
  }

  async create(headers: Record<string, string | string[] | undefined>, path: string, raw: string, body: unknown, deadline: Deadline) {
    const key = validateKey(headers['idempotency-key']);
    const input = parseItemInput(body);
    const result = await this.retry(deadline, () =>
      this.d.db.transaction(
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
    if (!result.replayed && result.status === 201) await this.invalidate(undefined, deadline);
    return result;
  }

  async updatePrice(id: string, body: unknown, deadline: Deadline): Promise<Item> {
    const price = (body as { priceCents?: unknown } | null)?.priceCents;
    if (!Number.isInteger(price) || (price as number) < 0 || (price as number) > 2_000_000_000) {
      throw new HttpError(400, 'bad_request', 'priceCents must be an integer from 0 to 2000000000.');
    }
    // Setting a price is idempotent (same request, same result), so it may be retried.
    const item = await this.retry(deadline, async () => {
      const { rows } = await this.d.db.write<Item>(
        `WITH updated AS (UPDATE items SET price_cents = $2, updated_at = now() WHERE id = $1 RETURNING *)
         SELECT ${ITEM_COLUMNS} FROM updated i JOIN categories c ON c.id = i.category_id`,
        [id, price],
        deadline,
      );
      return rows[0];
    });
    if (!item) throw new HttpError(404, 'not_found', `No item with id ${id}.`);
    await this.invalidate(id, deadline);
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

import type { WriteRecord } from './load/generator';
import type { Topology } from './topology/topology';

export interface WriteAudit {
  /** Writes the client sent (one per Idempotency-Key). */
  readonly sent: number;
  /** Keys the client got a 201 for. */
  readonly acknowledged: number;
  /** Acknowledged writes whose order is not in PostgreSQL, or whose stored answer names another order. */
  readonly lost: number;
  /** Orders of this run that no key's stored answer names (a second effect), plus keys answered with two different orders. */
  readonly duplicated: number;
  /** Keys never acknowledged after every attempt, and of those, the ones whose last answer was an error (not shed, not 429). */
  readonly unacknowledged: number;
  readonly failed: number;
  /** Attempts beyond the first, and answers replayed from the stored result. */
  readonly retries: number;
  readonly replays: number;
}

/** The audit of a run that sent no writes (a team's app: its mix is GET paths). */
export const NO_WRITES: WriteAudit = {
  sent: 0,
  acknowledged: 0,
  lost: 0,
  duplicated: 0,
  unacknowledged: 0,
  failed: 0,
  retries: 0,
  replays: 0,
};

/**
 * Counts lost and duplicated writes from PostgreSQL rows against the client's log: every key
 * the client saw acknowledged must have its key row, whose stored answer names the order the
 * client was told, and that order must exist; every order created during the run must be named
 * by exactly one key's stored answer. Reads the writer after the load has stopped.
 */
export async function auditWrites(
  topology: Topology,
  keyPrefix: string,
  firstOrderId: number,
  writes: readonly WriteRecord[],
): Promise<WriteAudit> {
  const db = await topology.admin();
  try {
    const keys = await db.query<{ key: string; status_code: number | null; response_body: string | null }>(
      'SELECT key, status_code, response_body FROM idempotency_keys WHERE key LIKE $1',
      [`${keyPrefix}-%`],
    );
    const orders = await db.query<{ id: string }>('SELECT id::text AS id FROM orders WHERE id >= $1', [firstOrderId]);
    const orderIds = new Set(orders.rows.map((r) => r.id));
    const storedOrder = new Map<string, string>();
    for (const k of keys.rows) {
      if (k.status_code === 201 && k.response_body) {
        const id = (JSON.parse(k.response_body) as { id?: string }).id;
        if (id) storedOrder.set(k.key, id);
      }
    }
    let lost = 0;
    let duplicated = 0;
    for (const w of writes) {
      if (w.orderIds.size > 1) duplicated += w.orderIds.size - 1;
      if (!w.acked) continue;
      const told = [...w.orderIds][0];
      if (storedOrder.get(w.key) !== told || !orderIds.has(told)) lost++;
    }
    // Any key may name an order of this range (a late commit of an earlier run's aborted attempt).
    const all = await db.query<{ id: string }>(
      `SELECT response_body::json->>'id' AS id FROM idempotency_keys WHERE status_code = 201 AND (response_body::json->>'id')::bigint >= $1`,
      [firstOrderId],
    );
    const named = new Set(all.rows.map((r) => r.id));
    for (const id of orderIds) if (!named.has(id)) duplicated++;
    const acknowledged = writes.filter((w) => w.acked).length;
    return {
      sent: writes.length,
      acknowledged,
      lost,
      duplicated,
      unacknowledged: writes.length - acknowledged,
      failed: writes.filter((w) => !w.acked && w.last === 'error').length,
      retries: writes.reduce((n, w) => n + w.attempts - 1, 0),
      replays: writes.reduce((n, w) => n + w.replays, 0),
    };
  } finally {
    await db.end();
  }
}

/** The next order id (orders created from now on belong to the run). */
export async function nextOrderId(topology: Topology): Promise<number> {
  const db = await topology.admin();
  try {
    const { rows } = await db.query<{ id: number }>('SELECT coalesce(max(id), 0)::int + 1 AS id FROM orders');
    return rows[0].id;
  } finally {
    await db.end();
  }
}

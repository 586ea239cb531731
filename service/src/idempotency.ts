import { createHash } from 'node:crypto';
import { HttpError } from './http-error';

/** A stored or fresh answer of an idempotent write. */
export interface StoredResponse {
  readonly status: number;
  readonly body: unknown;
  readonly replayed: boolean;
}

export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9_\-:.]{8,128}$/;

/** The fingerprint of a request: method, path and body, so a key reused for another request is caught. */
export function requestHash(method: string, path: string, body: string): string {
  return createHash('sha256').update(`${method}\n${path}\n${body}`).digest('hex');
}

export function validateKey(header: string | string[] | undefined): string {
  const key = Array.isArray(header) ? header[0] : header;
  if (!key)
    throw new HttpError(
      400,
      'idempotency_key_required',
      'POST requests need an Idempotency-Key header (8-128 characters: letters, digits, _ - : .).',
    );
  if (!IDEMPOTENCY_KEY_PATTERN.test(key))
    throw new HttpError(
      400,
      'bad_request',
      `Idempotency-Key ${JSON.stringify(key.slice(0, 40))} is not 8-128 characters of letters, digits, _ - : .`,
    );
  return key;
}

type Query = <T extends Record<string, unknown>>(text: string, values?: unknown[]) => Promise<{ rows: T[]; rowCount: number | null }>;

/**
 * Runs `effect` exactly once per key, in the transaction that stores the key and its answer.
 *
 * The key row is inserted first (`ON CONFLICT DO NOTHING`) under the primary key's unique
 * constraint. A concurrent request with the same key blocks on that insert until the first
 * transaction ends, then finds the committed row and replays its status and body: N concurrent
 * requests get one effect and N identical answers (we chose waiting over 409, so a client
 * never has to retry a duplicate). The same key with another request body gets 422. A key older
 * than the retention period counts as new.
 */
export async function idempotent(
  query: Query,
  key: string,
  hash: string,
  retentionHours: number,
  effect: () => Promise<{ status: number; body: unknown }>,
): Promise<StoredResponse> {
  const inserted = await query(
    'INSERT INTO idempotency_keys (key, request_hash) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING RETURNING key',
    [key, hash],
  );
  if (inserted.rowCount === 0) {
    const { rows } = await query<{ request_hash: string; status_code: number | null; response_body: string | null; expired: boolean }>(
      `SELECT request_hash, status_code, response_body, created_at < now() - make_interval(hours => $2) AS expired
         FROM idempotency_keys WHERE key = $1 FOR UPDATE`,
      [key, retentionHours],
    );
    const row = rows[0];
    if (row && !row.expired) {
      if (row.request_hash !== hash) {
        throw new HttpError(
          422,
          'idempotency_key_reused',
          'This Idempotency-Key was used with a different request; use a new key for a new request.',
        );
      }
      // The key and its answer commit together, so a committed key always has an answer.
      if (row.status_code === null) throw new Error(`idempotency key ${key} has no stored answer`);
      return { status: row.status_code, body: JSON.parse(row.response_body ?? 'null'), replayed: true };
    }
    await query('DELETE FROM idempotency_keys WHERE key = $1', [key]);
    await query('INSERT INTO idempotency_keys (key, request_hash) VALUES ($1, $2)', [key, hash]);
  }
  const result = await effect();
  await query('UPDATE idempotency_keys SET status_code = $2, response_body = $3 WHERE key = $1', [
    key,
    result.status,
    JSON.stringify(result.body),
  ]);
  return { ...result, replayed: false };
}

/** Deletes expired keys in one small batch; returns how many. */
export async function expireKeys(query: Query, retentionHours: number, batch = 1000): Promise<number> {
  const out = await query(
    `DELETE FROM idempotency_keys WHERE key IN (
       SELECT key FROM idempotency_keys WHERE created_at < now() - make_interval(hours => $1) ORDER BY created_at LIMIT $2)`,
    [retentionHours, batch],
  );
  return out.rowCount ?? 0;
}

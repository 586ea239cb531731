import type { RequestKind } from './recorder';

/**
 * The request mix: mostly cached reads of a hot set, some reads that skip the cache (they go
 * to the replica), first list pages (cached per list version), and idempotent writes (orders,
 * each with its own Idempotency-Key). Shares add up to 1.
 */
export const MIX: Readonly<Record<Exclude<RequestKind, 'app'>, number>> = {
  'cached-read': 0.55,
  'uncached-read': 0.15,
  list: 0.2,
  write: 0.1,
};

/** The reference mix in words (the console and results.md name the mix they ran). */
export const REFERENCE_MIX = `the reference service's mix: ${Math.round(MIX['cached-read'] * 100)}% cached item reads, ${Math.round(MIX['uncached-read'] * 100)}% uncached item reads, ${Math.round(MIX.list * 100)}% list pages, ${Math.round(MIX.write * 100)}% idempotent writes (POST /api/orders)`;

/** Items read through the cache (ids 1..HOT_ITEMS); uncached reads and orders use any seeded id. */
export const HOT_ITEMS = 100;

/** mulberry32: a small seeded PRNG, so two runs send the same sequence of requests. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface PlannedRequest {
  readonly kind: RequestKind;
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

/** Picks the next request of the mix. */
export function nextRequest(random: () => number, seedItems: number, key: () => string): PlannedRequest {
  const r = random();
  const id = (n: number) => 1 + Math.floor(random() * n);
  if (r < MIX['cached-read']) return { kind: 'cached-read', method: 'GET', path: `/api/items/${id(HOT_ITEMS)}`, headers: {} };
  if (r < MIX['cached-read'] + MIX['uncached-read'])
    return { kind: 'uncached-read', method: 'GET', path: `/api/items/${id(seedItems)}`, headers: { 'cache-control': 'no-cache' } };
  if (r < 1 - MIX.write) return { kind: 'list', method: 'GET', path: `/api/items?limit=${[10, 20, 50][id(3) - 1]}`, headers: {} };
  return {
    kind: 'write',
    method: 'POST',
    path: '/api/orders',
    headers: { 'content-type': 'application/json', 'idempotency-key': key() },
    body: JSON.stringify({ itemId: id(seedItems), quantity: id(5) }),
  };
}

/** The n-th client source address: 127.10.x.y, never 127.0.0.1 (HAProxy's own). */
export function clientAddress(n: number): string {
  return `127.10.${Math.floor(n / 250) % 250}.${(n % 250) + 1}`;
}

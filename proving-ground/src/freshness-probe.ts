import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import type { Topology } from './topology/topology';

/** Source addresses of the probe: its own, away from the load's clients, each far under the per-client rate. */
const PROBE_ADDRESSES = 16;

/**
 * Observes staleness, never assumes it (the replica-lag scenario). Two kinds of items, created at
 * the start of the run:
 * - **own** items: a client sets the price through the app (PUT, a new version each time), then
 *   reads the item back at once and on a list page: it must see its version or a newer one
 *   (read-your-writes);
 * - **other** items: their price is changed straight on the writer (another service: no fence),
 *   and reads through the app report the version they saw, so the judge computes every read's age:
 *   the time since the first newer version was committed (0 when it saw the newest).
 * Versions are the price in cents, so every answer carries the version it saw.
 */
export interface FreshnessResult {
  readonly ownReads: number;
  /** Own reads that saw an older version than the client had written. */
  readonly ownStale: number;
  readonly otherReads: number;
  /** Highest age of a read of the others' items, ms (an upper bound: commit taken when the write was sent). */
  readonly worstAgeMs: number;
  /** Reads of the others' items older than the bound (plus the read's own time). */
  readonly overBound: number;
  readonly boundMs: number;
  /** Reads that failed (not 200). */
  readonly failed: number;
}

interface Version {
  readonly v: number;
  /** performance.now() when the write was sent (the commit is later). */
  readonly sentAt: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class FreshnessProbe {
  private readonly own: { id: string; v: number }[] = [];
  private readonly other: { id: string; versions: Version[] }[] = [];
  private stopped = false;
  private loops: Promise<void>[] = [];
  private ownReads = 0;
  private ownStale = 0;
  private otherReads = 0;
  private worstAgeMs = 0;
  private overBound = 0;
  private failed = 0;
  private readonly pools: Pool[];
  private next = 0;

  constructor(
    private readonly topology: Topology,
    url: string,
    /** The tightest class's bound for reads of /api/* (ms). */
    private readonly boundMs: number,
    /** What a read may take beyond the bound: the request's own time. */
    private readonly marginMs: number,
    private readonly tag: string,
  ) {
    this.pools = Array.from(
      { length: PROBE_ADDRESSES },
      (_, i) => new Pool(url, { localAddress: `127.11.0.${i + 1}`, connections: 2, keepAliveTimeout: 30_000 }),
    );
  }

  /** One request from the next of the probe's addresses; status 0 when it failed. */
  private async send(method: 'GET' | 'PUT' | 'POST', path: string, json?: unknown, headers: Record<string, string> = {}) {
    const pool = this.pools[this.next++ % this.pools.length];
    try {
      const res = await pool.request({
        method,
        path,
        headers: json === undefined ? headers : { 'content-type': 'application/json', ...headers },
        body: json === undefined ? undefined : JSON.stringify(json),
        headersTimeout: 30_000,
        bodyTimeout: 30_000,
      });
      const text = await res.body.text();
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      return { status: res.statusCode, body };
    } catch {
      return { status: 0, body: undefined };
    }
  }

  private async create(kind: string, n: number): Promise<string> {
    const sku = `probe-${this.tag}-${kind}-${n}`.slice(0, 64).replace(/[^A-Za-z0-9-]/g, '-');
    const r = await this.send(
      'POST',
      '/api/items',
      { sku, name: `probe ${kind} ${n}`, priceCents: 0, category: 'probe' },
      {
        'idempotency-key': sku.slice(0, 128),
      },
    );
    const id = (r.body as { id?: string } | undefined)?.id;
    if (r.status !== 201 || !id) throw new Error(`probe: creating an item answered ${r.status}`);
    return id;
  }

  async start(items = 3): Promise<void> {
    for (let i = 0; i < items; i++) {
      this.own.push({ id: await this.create('own', i), v: 0 });
      this.other.push({ id: await this.create('other', i), versions: [{ v: 0, sentAt: performance.now() }] });
    }
    this.loops = [this.ownLoop(), this.otherWriter(), this.otherReader()];
  }

  private get(path: string): Promise<{ status: number; body: unknown }> {
    return this.send('GET', path);
  }

  /** Writes through the app and reads its own writes back: by id at once, and on the first list page. */
  private async ownLoop(): Promise<void> {
    for (let n = 0; !this.stopped; n++) {
      const item = this.own[n % this.own.length];
      const v = item.v + 1;
      const put = await this.send('PUT', `/api/items/${item.id}/price`, { priceCents: v });
      if (put.status !== 200) {
        await sleep(200);
        continue;
      }
      item.v = v;
      const [byId, list] = await Promise.all([this.get(`/api/items/${item.id}`), this.get('/api/items?limit=100')]);
      for (const [r, seen] of [
        [byId, (byId.body as { priceCents?: number } | undefined)?.priceCents],
        [
          list,
          (list.body as { items?: { id: string; priceCents: number }[] } | undefined)?.items?.find((i) => i.id === item.id)?.priceCents,
        ],
      ] as const) {
        if (r.status !== 200) {
          this.failed++;
          continue;
        }
        this.ownReads++;
        if (seen === undefined || seen < v) this.ownStale++;
      }
      await sleep(150);
    }
  }

  /** Another service: changes the others' prices straight on the writer, a version every 300 ms. */
  private async otherWriter(): Promise<void> {
    const db = await this.topology.admin();
    db.on('error', () => undefined);
    try {
      for (let n = 0; !this.stopped; n++) {
        const item = this.other[n % this.other.length];
        const v = item.versions[item.versions.length - 1].v + 1;
        const sentAt = performance.now();
        // Recorded before the commit: a version counts from the moment it may be visible.
        item.versions.push({ v, sentAt });
        const ok = await db.query('UPDATE items SET price_cents = $2, updated_at = now() WHERE id = $1', [item.id, v]).then(
          () => true,
          () => false,
        );
        // A write that failed never existed (a writer restart, say): no read is judged against it.
        if (!ok) item.versions.pop();
        await sleep(300);
      }
    } finally {
      await db.end().catch(() => undefined);
    }
  }

  /** Reads the others' items through the app and judges each answer's age. */
  private async otherReader(): Promise<void> {
    for (let n = 0; !this.stopped; n++) {
      const item = this.other[n % this.other.length];
      const r = await this.get(`/api/items/${item.id}`);
      const at = performance.now();
      const seen = (r.body as { priceCents?: number } | undefined)?.priceCents;
      if (r.status !== 200 || seen === undefined) this.failed++;
      else {
        this.otherReads++;
        // The first version newer than the one seen that was sent before the answer came back.
        const newer = item.versions.find((x) => x.v > seen && x.sentAt < at);
        const age = newer ? at - newer.sentAt : 0;
        this.worstAgeMs = Math.max(this.worstAgeMs, age);
        if (age > this.boundMs + this.marginMs) this.overBound++;
      }
      await sleep(100);
    }
  }

  async stop(): Promise<FreshnessResult> {
    this.stopped = true;
    await Promise.all(this.loops);
    await Promise.all(this.pools.map((p) => p.close().catch(() => undefined)));
    return {
      ownReads: this.ownReads,
      ownStale: this.ownStale,
      otherReads: this.otherReads,
      worstAgeMs: Math.round(this.worstAgeMs),
      overBound: this.overBound,
      boundMs: this.boundMs,
      failed: this.failed,
    };
  }
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  environmentConfig,
  serviceProcessEnv,
  startLocalStack,
  startService,
  type LocalStack,
  type ServiceProcess,
} from '../../../proving-ground/src/local-stack';
import { isErrorBody } from '@loadbearing/contract';
import { LIST_SQL } from '../../../service/src/items';
import { call, serviceTestsUnavailable } from '../support/service-harness';

// The BUNDLED service (service/dist/loadbearing-service.js) against real PostgreSQL (primary +
// streaming replica), redis-server and moto (Secrets Manager, SSM), with an app.env from the
// same appEnvironment() the stack uses.
const unavailable = serviceTestsUnavailable('service API against real PostgreSQL, cache and moto');

describe.skipIf(unavailable !== undefined)('reference service: API, data, idempotency, rotation', () => {
  let stack: LocalStack;
  let svc: ServiceProcess;
  const config = environmentConfig('dev');

  beforeAll(async () => {
    stack = await startLocalStack({ replica: true });
    svc = await startService(serviceProcessEnv(await stack.appEnv(config), stack.moto.url));
  });
  afterAll(async () => {
    await svc?.stop();
    await stack?.destroy();
  });

  const post = (path: string, json: unknown, key?: string) =>
    call(`${svc.url}${path}`, { method: 'POST', json, headers: key ? { 'idempotency-key': key } : {} });

  it('answers the shallow health check without touching dependencies, and reports each one on /readyz', async () => {
    const health = await call(`${svc.url}/healthz`);
    expect(health).toMatchObject({ status: 200, body: { status: 'ok' } });
    // The app role was just created on the primary; the replica replays it a moment later.
    await expect.poll(async () => (await call(`${svc.url}/readyz`)).body.database['reader-1'].ok, { timeout: 5000 }).toBe(true);
    const ready = await call(`${svc.url}/readyz`);
    expect(ready.status, JSON.stringify(ready.body)).toBe(200);
    expect(ready.body.database.writer.ok).toBe(true);
    expect(ready.body.database['reader-1'].ok, JSON.stringify(ready.body)).toBe(true);
    expect(ready.body.cache.ok).toBe(true);
    expect(ready.body.freshness.loaded).toBe(true);
    expect(typeof ready.body.database.writer.ms).toBe('number');
  });

  it('creates, reads through the cache, invalidates on write', async () => {
    const created = await post('/api/items', { sku: 'cache-1', name: 'Cached', priceCents: 100, category: 'tools' }, 'key-cache-0001');
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    // The replica may lag a moment behind the write.
    await expect.poll(async () => (await call(`${svc.url}/api/items/${id}`)).status, { timeout: 5000 }).toBe(200);
    const admin = await stack.postgres.admin();
    try {
      // Changed behind the service's back: a cached read still shows the old price ...
      await admin.query('UPDATE items SET price_cents = 999 WHERE id = $1', [id]);
      await new Promise((r) => setTimeout(r, 300));
      const hitsBefore = svc.metric('CacheHits');
      expect((await call(`${svc.url}/api/items/${id}`)).body.priceCents).toBe(100);
      // ... and it was the cache that answered, not a replica still behind the UPDATE.
      await expect.poll(() => svc.metric('CacheHits'), { timeout: 3000 }).toBeGreaterThan(hitsBefore);
      // ... a client's no-cache revalidates an entry older than REVALIDATE_FLOOR_MS (1 s: younger
      // ones count as just revalidated), so it shows the new one; a write through the service invalidates.
      await new Promise((r) => setTimeout(r, 1000));
      expect((await call(`${svc.url}/api/items/${id}`, { headers: { 'cache-control': 'no-cache' } })).body.priceCents).toBe(999);
      const updated = await call(`${svc.url}/api/items/${id}/price`, { method: 'PUT', json: { priceCents: 250 } });
      expect(updated).toMatchObject({ status: 200, body: { priceCents: 250 } });
      await expect.poll(async () => (await call(`${svc.url}/api/items/${id}`)).body.priceCents, { timeout: 5000 }).toBe(250);
    } finally {
      await admin.end();
    }
  });

  it('idempotency race: N concurrent POSTs with one key make one row and N identical answers', async () => {
    const n = 8; // below the writer pool (app.dbPoolSize)
    expect(n).toBeLessThan(config.app.dbPoolSize);
    const body = { sku: 'race-1', name: 'Raced', priceCents: 500, category: 'race' };
    const answers = await Promise.all(Array.from({ length: n }, () => post('/api/items', body, 'key-race-000001')));
    expect(answers.map((a) => a.status)).toEqual(Array(n).fill(201));
    expect(new Set(answers.map((a) => JSON.stringify(a.body))).size).toBe(1);
    expect(answers.filter((a) => a.headers.get('idempotent-replayed') === 'true')).toHaveLength(n - 1);
    const admin = await stack.postgres.admin();
    try {
      expect((await admin.query("SELECT count(*)::int AS n FROM items WHERE sku = 'race-1'")).rows[0].n).toBe(1);
      expect((await admin.query("SELECT count(*)::int AS n FROM idempotency_keys WHERE key = 'key-race-000001'")).rows[0].n).toBe(1);
    } finally {
      await admin.end();
    }
    // A replay later returns the original answer; the same key with another body is a 422.
    const replay = await post('/api/items', body, 'key-race-000001');
    expect(replay).toMatchObject({ status: 201, body: answers[0].body });
    const reused = await post('/api/items', { ...body, priceCents: 501 }, 'key-race-000001');
    expect(reused.status).toBe(422);
    expect(reused.body.error).toBe('idempotency_key_reused');
  });

  it('expires idempotency keys after the retention period', async () => {
    const first = await post('/api/orders', { itemId: 1, quantity: 1 }, 'key-expire-0001');
    expect(first.status).toBe(201);
    const admin = await stack.postgres.admin();
    try {
      await admin.query(
        "UPDATE idempotency_keys SET created_at = now() - interval '1 hour' * $1 - interval '1 minute' WHERE key = 'key-expire-0001'",
        [config.app.idempotencyRetentionHours],
      );
    } finally {
      await admin.end();
    }
    const again = await post('/api/orders', { itemId: 1, quantity: 1 }, 'key-expire-0001');
    expect(again.status).toBe(201);
    expect(again.body.id).not.toBe(first.body.id);
    expect(again.headers.get('idempotent-replayed')).toBeNull();
  });

  it('pages with a keyset cursor, and the pagination index serves the query', async () => {
    for (let i = 0; i < 5; i++)
      await post('/api/items', { sku: `page-${i}`, name: `Page ${i}`, priceCents: i, category: 'pages' }, `key-page-${i}-0000`);
    const seen: string[] = [];
    let cursor: string | null = null;
    await expect
      .poll(async () => (await call(`${svc.url}/api/items?limit=100`, { headers: { 'cache-control': 'no-cache' } })).body.items.length, {
        timeout: 5000,
      })
      .toBeGreaterThanOrEqual(7);
    do {
      const page: { status: number; body: { items: { id: string }[]; next: string | null } } = await call(
        `${svc.url}/api/items?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((i) => i.id));
      cursor = page.body.next;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBeGreaterThanOrEqual(7);
    const admin = await stack.postgres.admin();
    try {
      // Enough rows that the planner prefers the index for real, then EXPLAIN the service's own query.
      await admin.query(
        "INSERT INTO items (category_id, sku, name, price_cents) SELECT (SELECT min(id) FROM categories), 'bulk-' || g, 'Bulk', 1 FROM generate_series(1, 5000) g",
      );
      await admin.query('ANALYZE items');
      const plan = (
        await admin.query(`EXPLAIN ${LIST_SQL.after.replace('$1', '20').replace('$2', "'2030-01-01T00:00:00Z'").replace('$3', '1')}`)
      ).rows
        .map((r) => r['QUERY PLAN'])
        .join('\n');
      expect(plan).toMatch(/Index Scan using items_created_at_id_idx/);
      const first = (await admin.query(`EXPLAIN ${LIST_SQL.first.replace('$1', '20')}`)).rows.map((r) => r['QUERY PLAN']).join('\n');
      expect(first).toMatch(/Index Scan using items_created_at_id_idx/);
    } finally {
      await admin.end();
    }
  });

  it('answers bad input with a 4xx in the one error shape', async () => {
    const cases = [
      await call(`${svc.url}/api/items`, {
        method: 'POST',
        body: '{"sku":',
        headers: { 'content-type': 'application/json', 'idempotency-key': 'key-bad-000001' },
      }),
      await call(`${svc.url}/api/items`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': 'key-bad-000002' },
      }),
      await call(`${svc.url}/api/items`, {
        method: 'POST',
        body: JSON.stringify({ name: 'x'.repeat(70_000) }),
        headers: { 'content-type': 'application/json', 'idempotency-key': 'key-bad-000003' },
      }),
      await call(`${svc.url}/api/items/abc`),
      await call(`${svc.url}/api/items/99999999`),
      await call(`${svc.url}/nowhere`),
      await post('/api/items', { sku: 'no-key', name: 'x', priceCents: 1, category: 'c' }),
      await post('/api/items', { sku: '', name: 'x', priceCents: -1, category: 'c' }, 'key-bad-000004'),
      await call(`${svc.url}/api/items?limit=1000`),
      await call(`${svc.url}/api/items?cursor=bm9wZQ`),
      await call(`${svc.url}/api/items`, { method: 'DELETE' }),
    ];
    expect(cases.map((c) => c.status)).toEqual([400, 400, 413, 400, 404, 404, 400, 400, 400, 400, 405]);
    for (const c of cases) expect(isErrorBody(c.body), JSON.stringify(c.body)).toBe(true);
    expect(cases[0].body.error).toBe('invalid_json');
  });

  it('writes structured logs with a request ID and EMF metrics with the [Stack] dimension', async () => {
    await call(`${svc.url}/api/items/1`, { headers: { 'x-request-id': 'trace-me-123' } });
    const missing = await call(`${svc.url}/api/items/987654321`, { headers: { 'x-request-id': 'trace-me-404' } });
    expect(missing.headers.get('x-request-id')).toBe('trace-me-404');
    await expect.poll(() => svc.metric('Requests'), { timeout: 3000 }).toBeGreaterThan(5);
    const emf = svc.lines.find((l) => '_aws' in l && Array.isArray((l as { RequestLatency?: unknown }).RequestLatency)) as Record<
      string,
      any
    >;
    expect(emf._aws.CloudWatchMetrics[0].Namespace).toBe('Loadbearing/App');
    expect(emf._aws.CloudWatchMetrics[0].Dimensions).toEqual([['Stack']]);
    expect(emf.Stack).toBe(config.stackName);
    expect(svc.metric('CacheHits')).toBeGreaterThan(0);
    expect(svc.lines.some((l) => l.message === 'listening')).toBe(true);
  });

  it('secret rotation: a changed password is picked up without a restart', async () => {
    await stack.rotateAppPassword('rotated-password-2');
    const admin = await stack.postgres.admin();
    const replica = await stack.postgres.admin(stack.postgres.replica);
    try {
      // Existing sessions keep working after a rotation; end them so new connections must authenticate.
      for (const c of [admin, replica]) await c.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'lb_app'");
    } finally {
      await admin.end();
      await replica.end();
    }
    const read = await call(`${svc.url}/api/items/1`, { headers: { 'cache-control': 'no-cache' } });
    expect(read.status).toBe(200);
    const write = await post('/api/orders', { itemId: 1, quantity: 2 }, 'key-rotate-0001');
    expect(write.status).toBe(201);
    expect(svc.lines.some((l) => String(l.message).includes('re-reading the secret'))).toBe(true);
  });
});

import http from 'node:http';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Redis } from 'ioredis';
import pg from 'pg';
import { parseAppEnv } from '@loadbearing/contract';
import { splitCacheConnections } from '../src/cache';
import { idempotent, requestHash, validateKey } from '../src/idempotency';
import { ITEM_BY_ID_SQL, ORDER_INSERT_SQL } from '../src/items';
import { Secrets } from '../src/secrets';

/**
 * The bench's baseline: a bare handler doing the same I/O as the reference service for the
 * three measured requests (the same pools and cache connections, the same cache keys, SQL and
 * idempotency transaction), without the contract's machinery: no deadline, no retry wrapper,
 * no load-shedding check, no metrics, no logging. `npm run bench` runs both side by side; the
 * difference is what the contract costs. Not part of the service bundle.
 */
async function main(): Promise<void> {
  const env = parseAppEnv(process.env);
  const secrets = new Secrets(new SecretsManagerClient({ region: env.AWS_REGION, maxAttempts: 2 }));
  const [appSecret, cacheSecret] = await Promise.all([secrets.get(env.DB_SECRET_ARN), secrets.get(env.CACHE_AUTH_SECRET_ARN)]);
  const pool = (host: string, port: number, max: number) =>
    new pg.Pool({ host, port, database: env.DB_NAME, user: env.DB_USER, password: appSecret.password, max, ssl: false });
  const writer = pool(env.DB_WRITER_HOST, env.DB_PORT, env.DB_POOL_SIZE);
  const reader = pool(env.DB_READER_HOSTS[0], env.DB_READER_PORT, Math.max(1, env.DB_READER_POOL_SIZE));
  const split = splitCacheConnections(env.CACHE_CONNECTIONS, env.CACHE_READER_HOST !== env.CACHE_HOST);
  const redis = Array.from(
    { length: split.primary + split.reader },
    () => new Redis({ host: env.CACHE_HOST, port: env.CACHE_PORT, password: cacheSecret.password }),
  );
  let rr = 0;
  const cache = () => redis[(rr = (rr + 1) % redis.length)];

  const send = (res: http.ServerResponse, status: number, body: unknown) => {
    const payload = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload) });
    res.end(payload);
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const item = /^\/api\/items\/(\d+)$/.exec(url.pathname);
    const run = async () => {
      if (req.method === 'GET' && url.pathname === '/healthz') return send(res, 200, { status: 'ok' });
      if (req.method === 'GET' && item) {
        const id = item[1];
        // The service's entry (ENTRY_PREFIX, an envelope: the item is its `v`) and its fence, in one MGET.
        const [hit] = await cache().mget(`e2:item:${id}`, `fence:item:${id}`);
        if (hit !== null && !/no-cache/.test(String(req.headers['cache-control'] ?? ''))) {
          return send(res, 200, (JSON.parse(hit) as { v: unknown }).v);
        }
        // A miss (or a revalidation): the query, then the entry stored again, as the service does.
        const { rows } = await reader.query(ITEM_BY_ID_SQL, [id]);
        const now = Date.now();
        await cache().set(`e2:item:${id}`, JSON.stringify({ e: 1, v: rows[0] ?? null, l: '0/0', a: now, f: now }), 'PX', 30_000);
        return send(res, rows[0] ? 200 : 404, rows[0] ?? { error: 'not_found' });
      }
      if (req.method === 'POST' && url.pathname === '/api/orders') {
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        const raw = Buffer.concat(chunks).toString('utf8');
        const body = JSON.parse(raw) as { itemId: string; quantity: number };
        const key = validateKey(req.headers['idempotency-key']);
        const client = await writer.connect();
        try {
          await client.query('BEGIN');
          const query = (text: string, values: unknown[] = []) => client.query(text, values);
          const result = await idempotent(
            query as never,
            key,
            requestHash('POST', url.pathname, raw),
            env.APP_IDEMPOTENCY_RETENTION_HOURS,
            async () => {
              const { rows } = await client.query(ORDER_INSERT_SQL, [body.itemId, body.quantity]);
              return { status: 201, body: rows[0] };
            },
          );
          await client.query('COMMIT');
          return send(res, result.status, result.body);
        } catch (error) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw error;
        } finally {
          client.release();
        }
      }
      return send(res, 404, { error: 'not_found' });
    };
    run().catch((error: Error) => send(res, 500, { error: 'internal', message: error.message }));
  });
  server.keepAliveTimeout = env.APP_KEEPALIVE_TIMEOUT_MS;
  server.listen(env.APP_PORT, '127.0.0.1');
  process.on('SIGTERM', () => {
    server.close();
    server.closeAllConnections();
    void Promise.all([writer.end(), reader.end(), ...redis.map((r) => r.quit())]).then(() => process.exit(0));
  });
}

main().catch((error: Error) => {
  process.stderr.write(`bare-server: ${error.message}\n`);
  process.exit(1);
});

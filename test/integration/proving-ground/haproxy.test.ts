import { spawnSync } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, waitFor } from '../../../proving-ground/src/local-stack';
import { environmentConfig } from '../../../proving-ground/src/local-stack/service-stack';
import { startHaproxy, haproxyUnavailable, type Haproxy } from '../../../proving-ground/src/topology/haproxy';
import { haproxyConfig, localRateRule } from '../../../proving-ground/src/topology/haproxy-config';
import { suiteUnavailable } from '../support/prerequisites';

// The generated configuration against the real HAProxy 2.6: it passes `haproxy -c` for every
// built-in environment, and the WAF rule answers the configured JSON 429 per source address.
const missing = suiteUnavailable('the generated HAProxy configuration against HAProxy', [haproxyUnavailable()]);

describe.skipIf(missing !== undefined)('the generated HAProxy configuration', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'haproxy-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(['dev', 'staging', 'prod'] as const)('is valid for %s', (name) => {
    const file = path.join(dir, `${name}.cfg`);
    writeFileSync(
      file,
      haproxyConfig(environmentConfig(name), {
        port: 18080,
        servers: [{ name: 'i1', port: 18081 }],
        statsSocket: path.join(dir, `${name}.sock`),
      }),
    );
    const check = spawnSync('haproxy', ['-c', '-f', file], { encoding: 'utf8' });
    expect(check.status, check.stderr).toBe(0);
  });

  describe('serving', () => {
    const config = environmentConfig('staging');
    const rule = localRateRule(config)!;
    let haproxy: Haproxy;
    let backend: http.Server;

    beforeAll(async () => {
      backend = http.createServer((req, res) => res.writeHead(req.url === '/healthz' ? 200 : 204).end());
      const port = await freePort();
      await new Promise<void>((resolve) => backend.listen(port, '127.0.0.1', resolve));
      haproxy = await startHaproxy(config, await freePort(), [{ name: 'i1', port: (backend.address() as net.AddressInfo).port }]);
      await waitFor('the server UP', async () => (await haproxy.servers())[0]?.status === 'UP', 10_000);
    });
    afterAll(async () => {
      await haproxy?.stop();
      backend?.close();
    });

    it("answers the WAF's JSON 429 with Retry-After to one client over the limit, and only to it", async () => {
      const pools = new Map<string, Pool>();
      const send = (localAddress: string) => {
        if (!pools.has(localAddress)) pools.set(localAddress, new Pool(haproxy.url, { localAddress }));
        return pools.get(localAddress)!.request({ method: 'GET', path: '/api/items/1' });
      };
      const statuses: number[] = [];
      for (let i = 0; i < rule.limit + 5; i++) {
        const r = await send('127.20.0.1');
        statuses.push(r.statusCode);
        if (r.statusCode === 429) {
          expect(r.headers['retry-after']).toBe(String(config.waf.blockResponse.retryAfterSeconds));
          expect(r.headers['content-type']).toBe('application/json');
          expect(await r.body.text()).toBe(config.waf.blockResponse.body);
        } else await r.body.dump();
      }
      expect(statuses.slice(0, rule.limit)).toEqual(Array(rule.limit).fill(204));
      expect(statuses.slice(rule.limit)).toEqual(Array(5).fill(429));
      const other = await send('127.20.0.2');
      expect(other.statusCode).toBe(204);
      await other.body.dump();
      await Promise.all([...pools.values()].map((p) => p.close()));
    });

    it('reports server states on the runtime API and drains a server on request', async () => {
      await haproxy.command('set server fleet/i1 state drain');
      expect((await haproxy.servers())[0].status).toBe('DRAIN');
      await haproxy.command('set server fleet/i1 state ready');
      expect((await haproxy.servers())[0].status).toMatch(/^UP/);
    });
  });
});

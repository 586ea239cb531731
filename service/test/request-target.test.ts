import net from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appEnvironment } from '../../lib/model/app-environment';
import { builtinEnvironments } from '../../lib/model/config/load-config';
import { parseAppEnv } from '@loadbearing/contract';
import { AppMetrics as Metrics } from '@loadbearing/contract';
import { Server } from '../src/server';
import { TEST_ENDPOINTS } from './endpoints';

/** Sends raw bytes on one connection and returns the whole answer (the server closes or answers once). */
function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(text));
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString();
      if (/\r\n\r\n/.test(answer) && /content-length: (\d+)/i.test(answer)) {
        const length = Number(/content-length: (\d+)/i.exec(answer)![1]);
        if (answer.length >= answer.indexOf('\r\n\r\n') + 4 + length) socket.end();
      }
    });
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
    socket.setTimeout(5_000, () => reject(new Error(`no answer to ${JSON.stringify(text)}`)));
  });
}

describe('a request-target the URL parser rejects', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    const [dev] = builtinEnvironments();
    const env = parseAppEnv(appEnvironment(dev!, TEST_ENDPOINTS, { runtime: 'local', insecure: true, port: 9000 }));
    server = new Server({
      env,
      routes: [
        { method: 'GET', pattern: '/healthz', light: true, handler: () => ({ status: 200, body: { status: 'ok' } }) },
        { method: 'GET', pattern: '/api/items/:id', handler: (_req, params) => ({ status: 200, body: { id: params.id } }) },
      ],
      log: pino({ level: 'silent' }),
      metrics: new Metrics('test'),
      shedding: { check: () => undefined, payloads: {} as never, describe: () => '' },
    });
    await server.listen(0, '127.0.0.1');
    port = (server.server.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    await server.drain(100);
  });

  it.each([
    ['//x:99999/', 404, 'not_found'],
    ['//[::1/', 404, 'not_found'],
    ['http://x:99999/api/items/1', 400, 'bad_request'],
    ['*', 400, 'bad_request'],
  ])('answers %s with a JSON %i and keeps serving', async (target, status, code) => {
    const answer = await raw(port, `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    expect(answer).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
    expect(answer).toMatch(/content-type: application\/json/i);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({ error: code });
    const health = await raw(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(health).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('still serves an absolute-form target for a known path (HTTP/1.1 servers must accept it)', async () => {
    const answer = await raw(port, `GET http://x/api/items/7?a=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer).toContain('{"id":"7"}');
  });
});

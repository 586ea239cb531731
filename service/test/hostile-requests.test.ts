import net from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appEnvironment } from '../../lib/model/app-environment';
import { builtinEnvironments } from '../../lib/model/config/load-config';
import { parseAppEnv } from '@loadbearing/contract';
import { AppMetrics as Metrics } from '@loadbearing/contract';
import { MAX_BODY_BYTES, Server } from '../src/server';
import { TEST_ENDPOINTS } from './endpoints';

interface Exchange {
  /** What the server sent (the first 2 KB). */
  readonly answer: string;
  /** Whether the server closed the connection within the wait. */
  readonly closed: boolean;
  /** Bytes the client got to send. */
  readonly sent: number;
}

/**
 * Sends `head`, then the body chunks `body()` produces for as long as the socket takes them,
 * and reports what came back within `waitMs` and whether the server closed the connection.
 */
function exchange(port: number, head: string, body: (() => string) | undefined, waitMs: number): Promise<Exchange> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    let sent = 0;
    let closed = false;
    socket.on('connect', () => {
      socket.write(head);
      if (!body) return;
      const pump = () => {
        while (!socket.destroyed && socket.writable) {
          const chunk = body();
          sent += chunk.length;
          if (!socket.write(chunk)) break;
        }
      };
      pump();
      socket.on('drain', pump);
    });
    socket.on('data', (d) => (answer = (answer + d.toString()).slice(0, 2048)));
    socket.on('error', () => undefined);
    socket.on('close', () => (closed = true));
    setTimeout(() => {
      resolve({ answer, closed, sent });
      socket.destroy();
    }, waitMs);
  });
}

describe('hostile requests against the server', () => {
  let server: Server;
  let port: number;
  const metrics = new Metrics('test');
  beforeAll(async () => {
    const [dev] = builtinEnvironments();
    // A 1 s request timeout: a body that does not arrive within it is the client's fault, and quick to test.
    const env = parseAppEnv({
      ...appEnvironment(dev!, TEST_ENDPOINTS, { runtime: 'local', insecure: true, port: 9000 }),
      APP_REQUEST_TIMEOUT_MS: '1000',
    });
    server = new Server({
      env,
      routes: [{ method: 'POST', pattern: '/upload', handler: (req) => ({ status: 200, body: { got: req.raw.length } }) }],
      log: pino({ level: 'silent' }),
      metrics,
      shedding: { check: () => undefined, payloads: {} as never, describe: () => '' },
    });
    await server.listen(0, '127.0.0.1');
    port = (server.server.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    await server.drain(100);
  });

  it('a 413 for an endless chunked body closes the connection instead of draining it', async () => {
    const chunk = `4000\r\n${'x'.repeat(0x4000)}\r\n`;
    const r = await exchange(
      port,
      'POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n',
      () => chunk,
      1500,
    );
    expect(r.answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(r.answer).toMatch(/connection: close/i);
    expect(JSON.parse(r.answer.slice(r.answer.indexOf('\r\n\r\n') + 4))).toMatchObject({ error: 'payload_too_large' });
    expect(r.closed).toBe(true);
  });

  it('a 413 for a declared oversized body answers at once and closes, without reading the body', async () => {
    const r = await exchange(
      port,
      `POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${MAX_BODY_BYTES * 100}\r\n\r\n`,
      () => 'x'.repeat(16 * 1024),
      1500,
    );
    expect(r.answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(r.answer).toMatch(/connection: close/i);
    expect(r.closed).toBe(true);
  });

  it('a body within the limit is still served, and the connection kept', async () => {
    const body = JSON.stringify({ x: 'y'.repeat(1000) });
    const r = await exchange(
      port,
      `POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      undefined,
      300,
    );
    expect(r.answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(r.closed).toBe(false);
  });

  it('a client that hangs up mid-body, or sends it too slowly, is counted as a client abort, never a server error', async () => {
    const before = { server: metrics.counter('ServerErrors'), aborts: metrics.counter('ClientAborts') };
    const head = 'POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"a":';
    // Hangs up after 10 bytes of a 1000-byte body ...
    const hangUp = new Promise<void>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.write(head);
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 100);
      });
    });
    // ... and sends 10 bytes, then nothing, past the request timeout (Node answers 408 and closes).
    const tooSlow = exchange(port, head, undefined, 2500);
    await hangUp;
    expect((await tooSlow).answer).toMatch(/^HTTP\/1\.1 408 /);
    await expect.poll(() => metrics.counter('ClientAborts') - before.aborts, { timeout: 2000 }).toBe(2);
    expect(metrics.counter('ServerErrors') - before.server).toBe(0);
  });

  it.each([
    ['a header line without a colon', 'GET /upload HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n', 400, 'bad_request'],
    ['a control character in a header value', 'GET /upload HTTP/1.1\r\nHost: x\r\nX-A: a\u0001b\r\n\r\n', 400, 'bad_request'],
    ['a bad Content-Length', 'POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n', 400, 'bad_request'],
    ['headers over the size limit', `GET /upload HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'headers_too_large'],
    ['a request line that is not HTTP', 'HELLO\r\n\r\n', 400, 'bad_request'],
    ['headers that never end (the request timeout)', 'GET /upload HTTP/1.1\r\nHost: x\r\n', 408, 'request_timeout'],
    ['an expectation other than 100-continue', 'GET /upload HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\n\r\n', 417, 'expectation_failed'],
  ])(
    '%s: Node refuses it before any handler runs, and the answer is still JSON in the one error shape',
    async (_what, text, status, code) => {
      const r = await exchange(port, text, undefined, status === 408 ? 3000 : 500);
      expect(r.answer).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
      expect(r.answer).toMatch(/content-type: application\/json/i);
      expect(JSON.parse(r.answer.slice(r.answer.indexOf('\r\n\r\n') + 4))).toEqual({ error: code, message: expect.any(String) });
      expect(r.closed).toBe(true);
    },
  );
});

import http from 'node:http';
import { createRequire } from 'node:module';
import type net from 'node:net';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { canaryChecks, type CanaryCheck } from '../../lib/model/config/canary-checks';
import { CANARY_HANDLER } from '../../constructs/canary-handler';

/**
 * The canary's inline handler (the code in the template), run against a real HTTP server on
 * loopback standing in for the ALB, and the real Secrets Manager client with `send` mocked: a
 * run passes only when every check answers as expected, throws naming the checks that did not
 * (the function's Errors metric is the failure metric), and sends the origin secret to the ALB only.
 */
const load = createRequire(__filename);
const smSdk = load('@aws-sdk/client-secrets-manager') as typeof import('@aws-sdk/client-secrets-manager');
const sm = mockClient(smSdk.SecretsManagerClient);

interface Seen {
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
}

let server: http.Server;
let port: number;
const seen: Seen[] = [];
/** What the stand-in ALB answers per path: a status, or `hang` (never answers). */
let answers: Record<string, number | 'hang' | ((headers: http.IncomingHttpHeaders) => number)> = {};

beforeAll(async () => {
  server = http.createServer((req, res) => {
    seen.push({ path: req.url ?? '', headers: req.headers });
    const answer = answers[req.url ?? ''] ?? 404;
    if (answer === 'hang') return;
    const status = typeof answer === 'function' ? answer(req.headers) : answer;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as net.AddressInfo).port;
});
afterAll(async () => {
  // The unit project shares its workers between files (isolate: false): give the SDK back.
  sm.restore();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
afterEach(() => {
  seen.length = 0;
  answers = {};
  sm.reset();
});

/** Runs the handler once with these checks and environment; returns what it logged and threw. */
async function run(
  checks: readonly CanaryCheck[],
  env: Record<string, string> = {},
): Promise<{ error?: Error; log: { failed: number; results: { name: string; status?: number; error?: string; ok: boolean }[] } }> {
  const saved = { ...process.env };
  Object.assign(process.env, {
    STACK_NAME: 'loadbearing-test',
    CHECKS: JSON.stringify(checks),
    TIMEOUT_MS: '500',
    ALB_DNS: '127.0.0.1',
    ALB_HTTPS: 'false',
    ...env,
  });
  // The stand-in ALB listens on a free port, not 80: the handler's `http` gets it added.
  const withPort = {
    request: (options: http.RequestOptions, cb: (res: http.IncomingMessage) => void) => http.request({ ...options, port }, cb),
  };
  const requireForHandler = (name: string): unknown => (name === 'http' ? withPort : load(name));
  const lines: string[] = [];
  const module = { exports: {} as { handler: () => Promise<unknown> } };
  try {
    new Function('exports', 'module', 'require', 'console', 'process', CANARY_HANDLER)(
      module.exports,
      module,
      requireForHandler,
      { log: (line: string) => lines.push(line) },
      process,
    );
    let error: Error | undefined;
    await module.exports.handler().catch((e: Error) => {
      error = e;
    });
    return { ...(error ? { error } : {}), log: JSON.parse(lines[0]!) };
  } finally {
    // Restore in place: process.env must stay Node's own object (the unit project shares its
    // workers between files, and the AWS SDK of later files reads it).
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
}

const albChecks = canaryChecks({ healthPath: '/healthz', readPath: '/api/items?limit=1', edge: false });

describe('the canary handler', () => {
  it('passes when the health check answers 200 and the read path 2xx; one log line with each check', async () => {
    answers = { '/healthz': 200, '/api/items?limit=1': 204 };
    const { error, log } = await run(albChecks);
    expect(error).toBeUndefined();
    expect(log.failed).toBe(0);
    expect(log.results.map((r) => [r.name, r.status, r.ok])).toEqual([
      ['alb-health', 200, true],
      ['alb-read', 204, true],
    ]);
    expect(seen.map((s) => s.headers['user-agent'])).toEqual([
      'loadbearing-canary/1 (loadbearing-test)',
      'loadbearing-canary/1 (loadbearing-test)',
    ]);
  });

  it('throws naming each check that failed, so the run counts in the Errors metric', async () => {
    answers = { '/healthz': 200, '/api/items?limit=1': 503 };
    const { error, log } = await run(albChecks);
    expect(error?.message).toBe('canary: 1 of 2 checks failed: alb-read 503');
    expect(log.failed).toBe(1);
  });

  it('counts a request that does not answer within the timeout as failed', async () => {
    answers = { '/healthz': 'hang', '/api/items?limit=1': 200 };
    const started = Date.now();
    const { error } = await run(albChecks);
    expect(error?.message).toMatch(/^canary: 1 of 2 checks failed: alb-health /);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('expects the maintenance response where the switch covers a path', async () => {
    const checks = canaryChecks({
      healthPath: '/healthz',
      readPath: '/api/items?limit=1',
      edge: false,
      maintenance: { statusCode: 503, pathPatterns: ['/api/*'] },
    });
    answers = { '/healthz': 200, '/api/items?limit=1': 503 };
    expect((await run(checks)).error).toBeUndefined();
    answers = { '/healthz': 200, '/api/items?limit=1': 200 };
    expect((await run(checks)).error?.message).toBe('canary: 1 of 2 checks failed: alb-read 200');
  });

  it('sends the origin secret to the ALB, read once and again after a 403 (the value changed)', async () => {
    sm.on(smSdk.GetSecretValueCommand, { SecretId: 'arn:secret' })
      .resolvesOnce({ SecretString: 'old-value' })
      .resolves({ SecretString: 'new-value' });
    const requireSecret = (headers: http.IncomingHttpHeaders) => (headers['x-origin-verify'] === 'new-value' ? 200 : 403);
    answers = { '/healthz': requireSecret, '/api/items?limit=1': requireSecret };
    const { error, log } = await run(albChecks, { ORIGIN_SECRET_ARN: 'arn:secret', ORIGIN_HEADER: 'x-origin-verify' });
    expect(error).toBeUndefined();
    expect(log.results.map((r) => r.status)).toEqual([200, 200]);
    // Both checks started with the one value read first, were refused, and passed with the value read again.
    expect(seen.map((s) => s.headers['x-origin-verify']).sort()).toEqual(['new-value', 'new-value', 'old-value', 'old-value']);
    const reads = sm.commandCalls(smSdk.GetSecretValueCommand);
    expect(reads.length).toBeLessThanOrEqual(3);
    expect(reads.every((c) => c.args[0].input.SecretId === 'arn:secret')).toBe(true);
  });

  it('sends no origin header without a secret', async () => {
    answers = { '/healthz': 200, '/api/items?limit=1': 200 };
    await run(albChecks);
    expect(seen.some((s) => 'x-origin-verify' in s.headers)).toBe(false);
    expect(sm.commandCalls(smSdk.GetSecretValueCommand)).toEqual([]);
  });

  it('fails the check, not the run, when the secret cannot be read', async () => {
    sm.on(smSdk.GetSecretValueCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    answers = { '/healthz': 200, '/api/items?limit=1': 200 };
    const { error, log } = await run(albChecks, { ORIGIN_SECRET_ARN: 'arn:other', ORIGIN_HEADER: 'x-origin-verify' });
    expect(error?.message).toBe('canary: 2 of 2 checks failed: alb-health AccessDeniedException, alb-read AccessDeniedException');
    expect(log.results.every((r) => r.error === 'AccessDeniedException')).toBe(true);
    expect(seen).toEqual([]);
  });

  it('sets the Host header to the ALB host name when one is configured', async () => {
    answers = { '/healthz': 200, '/api/items?limit=1': 200 };
    await run(albChecks, { ALB_HOST_NAME: 'origin.example.com' });
    expect(seen.map((s) => s.headers.host)).toEqual(['origin.example.com', 'origin.example.com']);
  });
});

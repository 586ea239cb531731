import { readFileSync } from 'node:fs';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  environmentConfig,
  serviceProcessEnv,
  startLocalStack,
  startService,
  type LocalStack,
  type ServiceProcess,
} from '../../../proving-ground/src/local-stack';
import { serviceTestsUnavailable } from '../support/service-harness';

// The process model of an instance: a supervising primary and APP_WORKERS workers (ADR 0006),
// the BUNDLED service against real PostgreSQL, redis-server and moto.
const unavailable = serviceTestsUnavailable('the service with several workers against real PostgreSQL, cache and moto');

/** PIDs of the primary's child processes (its workers). */
function workerPids(primary: number): number[] {
  try {
    return readFileSync(`/proc/${primary}/task/${primary}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** A request on a new connection of its own (what the primary distributes), closed after the answer. */
function fresh(
  url: string,
  init: { method?: string; json?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: any; headers: Headers; ms: number }> {
  const started = performance.now();
  const payload = init.json === undefined ? undefined : JSON.stringify(init.json);
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: init.method ?? 'GET',
        agent: false,
        headers: { connection: 'close', ...(payload ? { 'content-type': 'application/json' } : {}), ...init.headers },
        timeout: 5_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => {
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            /* not JSON */
          }
          const headers = new Headers(Object.entries(res.headers).map(([k, v]) => [k, String(v)] as [string, string]));
          resolve({ status: res.statusCode!, body, headers, ms: performance.now() - started });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 5 s')));
    req.on('error', reject);
    req.end(payload);
  });
}

describe.skipIf(unavailable !== undefined)('an instance of 2 workers under a supervising primary', () => {
  let stack: LocalStack;
  let svc: ServiceProcess;
  const config = environmentConfig('dev');
  let itemId: string;

  beforeAll(async () => {
    stack = await startLocalStack({ replica: false });
    // An AZ and a release, as the fleet has them (metadata and the launch template): the primary's
    // document carries the [Stack, Release] and [Stack, AvailabilityZone] sets with the workers' counts.
    const env = { ...(await stack.appEnv(config, { workers: 2 })), APP_AVAILABILITY_ZONE: 'us-east-1b', APP_RELEASE: 'r0123456789ab' };
    svc = await startService(serviceProcessEnv(env, stack.moto.url));
    const created = await fresh(`${svc.url}/api/items`, {
      method: 'POST',
      json: { sku: 'workers-1', name: 'W', priceCents: 1, category: 'w' },
      headers: { 'idempotency-key': 'key-workers-0001' },
    });
    expect(created.status).toBe(201);
    itemId = created.body.id;
  });
  afterAll(async () => {
    await svc?.stop();
    await stack?.destroy();
  });

  it('starts both workers, spreads new connections over them, and writes one metrics document per instance with exact counts', async () => {
    expect(workerPids(svc.process.pid)).toHaveLength(2);
    const started = svc.lines.filter((l) => l.message === 'worker started');
    expect(started.map((l) => l.worker).sort()).toEqual([0, 1]);
    // Let an interval pass, then count exactly what these requests add.
    await new Promise((r) => setTimeout(r, 1200));
    const before = svc.metric('Requests');
    const readsBefore = svc.metric('ReadRequests');
    const writesBefore = svc.metric('WriteRequests');
    const answers = await Promise.all(Array.from({ length: 40 }, () => fresh(`${svc.url}/api/items/${itemId}`)));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    await new Promise((r) => setTimeout(r, 1500));
    expect(svc.metric('Requests') - before).toBe(40);
    expect(svc.metric('ReadRequests') - readsBefore).toBe(40);
    expect(svc.metric('WriteRequests') - writesBefore).toBe(0);
    const last = svc.lines.filter((l) => '_aws' in l).at(-1)!;
    expect(last.AvailabilityZone).toBe('us-east-1b');
    expect(last.Release).toBe('r0123456789ab');
    const sets = (last._aws as { CloudWatchMetrics: { Dimensions: string[][] }[] }).CloudWatchMetrics.map((d) => d.Dimensions[0]);
    expect(sets).toEqual([['Stack'], ['Stack', 'AvailabilityZone'], ['Stack', 'Release']]);
    // Only the primary writes EMF, and it says how many workers are up.
    const docs = svc.lines.filter((l) => '_aws' in l);
    expect(docs.length).toBeGreaterThan(2);
    expect(docs.every((d) => d.worker === undefined && d.Workers === 2)).toBe(true);
    // ...and publishes the release's request metrics in the same document ([Stack, Release]).
    for (const d of docs) {
      expect(d.Release).toBe('r0123456789ab');
      const sets = (d._aws as { CloudWatchMetrics: { Dimensions: string[][] }[] }).CloudWatchMetrics.map((m) => m.Dimensions);
      expect(sets).toContainEqual([['Stack', 'Release']]);
    }
    // Each worker served some (both log their cache connections: 8 shared out as 4 + 4).
    expect(svc.lines.filter((l) => l.message === 'worker ready').map((l) => l.cacheConnections)).toEqual([4, 4]);
  });

  it('a crashed worker is restarted with backoff while the other serves; the health check never fails twice in a row', async () => {
    const [victim] = workerPids(svc.process.pid);
    // A check that was in flight on the killed worker fails with it (the load balancer counts
    // unhealthyThresholdCount (2+) failures in a row before it takes a target out); no other may.
    let healthFailures = 0;
    let inARow = 0;
    let mostInARow = 0;
    let served = 0;
    let running = true;
    const failures: string[] = [];
    const probe = (async () => {
      while (running) {
        const [h, r] = await Promise.all([
          fresh(`${svc.url}/healthz`).catch((e: Error) => ({ status: 0, body: e.message })),
          fresh(`${svc.url}/api/items/${itemId}`).catch((e: Error) => ({ status: 0, body: e.message })),
        ]);
        if (h.status !== 200) {
          healthFailures++;
          mostInARow = Math.max(mostInARow, ++inARow);
          failures.push(`healthz ${h.status} ${JSON.stringify(h.body)}`);
        } else inARow = 0;
        if (r.status === 200) served++;
        else failures.push(`item ${r.status} ${JSON.stringify(r.body)}`);
        await new Promise((res) => setTimeout(res, 20));
      }
    })();
    await new Promise((r) => setTimeout(r, 200));
    const killedAt = Date.now();
    process.kill(victim!, 'SIGKILL');
    await expect.poll(() => workerPids(svc.process.pid).filter((p) => p !== victim).length, { timeout: 10_000 }).toBe(2);
    await expect.poll(() => svc.lines.filter((l) => l.message === 'worker started').length, { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
    const backMs = Date.now() - killedAt;
    await new Promise((r) => setTimeout(r, 300));
    running = false;
    await probe;
    expect(mostInARow, failures.join('\n')).toBeLessThanOrEqual(1);
    expect(healthFailures, failures.join('\n')).toBeLessThanOrEqual(1);
    expect(served).toBeGreaterThan(5);
    const exited = svc.lines.find((l) => l.message === 'worker exited; restarting it while the others serve');
    expect(exited).toMatchObject({ signal: 'SIGKILL', restartInMs: 100, workersUp: 1 });
    expect(backMs).toBeLessThan(10_000);
    expect(svc.process.running()).toBe(true);
  });

  it('a worker that keeps crashing is restarted with a doubling backoff', async () => {
    const before = svc.lines.filter((l) => l.message === 'worker exited; restarting it while the others serve').length;
    for (let i = 0; i < 3; i++) {
      const pids = workerPids(svc.process.pid);
      process.kill(pids[pids.length - 1]!, 'SIGKILL');
      await expect
        .poll(() => svc.lines.filter((l) => l.message === 'worker started').length, { timeout: 10_000 })
        .toBeGreaterThanOrEqual(4 + i);
    }
    const backoffs = svc.lines
      .filter((l) => l.message === 'worker exited; restarting it while the others serve')
      .slice(before)
      .map((l) => l.restartInMs);
    expect(backoffs).toEqual([200, 400, 800]);
  });

  it('SIGTERM to the primary alone (systemd KillMode=mixed) drains every worker: in-flight requests on both complete, then it exits 0', async () => {
    const admin = await stack.postgres.admin();
    await admin.query('BEGIN');
    await admin.query('LOCK TABLE items IN ACCESS EXCLUSIVE MODE');
    const inFlight = Array.from({ length: 4 }, (_, i) =>
      fresh(`${svc.url}/api/items/${itemId}/price`, { method: 'PUT', json: { priceCents: 100 + i } }),
    );
    await new Promise((r) => setTimeout(r, 300));
    const started = Date.now();
    process.kill(svc.process.pid, 'SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    await expect(fetch(`${svc.url}/healthz`)).rejects.toThrow();
    await admin.query('ROLLBACK');
    await admin.end();
    expect((await Promise.all(inFlight)).map((a) => a.status)).toEqual([200, 200, 200, 200]);
    expect(await svc.process.exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(config.loadBalancer.deregistrationDelaySeconds * 1000);
    expect(svc.lines.filter((l) => l.message === 'worker stopped').map((l) => l.unfinished)).toEqual([0, 0]);
    expect(svc.lines.some((l) => l.message === 'stopped' && l.unfinished === 0)).toBe(true);
  });
});

describe.skipIf(unavailable !== undefined)('connections per worker are capped', () => {
  let stack: LocalStack;
  let svc: ServiceProcess;
  const silent: import('node:net').Socket[] = [];

  beforeAll(async () => {
    stack = await startLocalStack({ replica: false });
    const env = { ...(await stack.appEnv(environmentConfig('dev'), { workers: 1 })), APP_MAX_CONNECTIONS_PER_WORKER: '16' };
    svc = await startService(serviceProcessEnv(env, stack.moto.url));
  });
  afterAll(async () => {
    for (const s of silent) s.destroy();
    await svc?.stop();
    await stack?.destroy();
  });

  it('a worker holding its cap of silent connections gets no more: new requests get a fast JSON 503 and the health check a 200, from the primary', async () => {
    const net = await import('node:net');
    const port = Number(new URL(svc.url).port);
    // One at a time: each reaches the idle worker before the next (a burst could find the worker
    // still taking the previous ones, and the primary would hold some itself).
    for (let i = 0; i < 16; i++) {
      const s = net.connect(port, '127.0.0.1');
      s.on('error', () => undefined);
      silent.push(s);
      await new Promise((r) => s.once('connect', r));
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 300));
    const shed = await fresh(`${svc.url}/api/items/1`);
    expect(shed.status).toBe(503);
    expect(shed.headers.get('retry-after')).toBe('1');
    expect(shed.body).toEqual({
      error: 'overloaded',
      message: 'The service is overloaded (every worker holds its maximum of 16 connections). Retry after a short wait.',
    });
    expect(shed.ms).toBeLessThan(50);
    expect((await fresh(`${svc.url}/healthz`)).status).toBe(200);
    // Closed, the slots are the worker's again.
    for (const s of silent.splice(0)) s.destroy();
    await expect.poll(async () => (await fresh(`${svc.url}/api/items/1`)).status, { timeout: 3000 }).toBe(404);
  });
});

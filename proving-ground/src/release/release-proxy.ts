import { freePort, startProcess, waitFor, type ManagedProcess } from '../local-stack/processes';

/**
 * The new release's behaviour, and its metrics, in front of each instance that runs it: an HTTP
 * proxy process (one for the release, one listener per instance) that fails a share of the
 * requests with 500 before they reach the service, or holds each one for a delay, and counts
 * what that release answered per alarm period: requests, 5xx (not shed), and the p99 of the
 * time it took to answer. That is what the app publishes under `[Stack, Release]` in AWS
 * (contract/src/metrics.ts), and what the release alarms judge. The health path is passed
 * through untouched: a bad release passes its health check.
 *
 * Commands on a control port (loopback HTTP): `/add?listen=&target=` answers once the listener is
 * up, `/remove?listen=`. Lines on stdout: one JSON report per finished period:
 * {"period", "requests", "errors", "p99Ms"}.
 */
const PROXY_SOURCE = `
const http = require('node:http');
const [errorRate, delayMs, epoch, periodMs, healthPath, seed, control] = process.argv.slice(1).map((v, i) => (i === 4 ? v : Number(v)));
let state = seed >>> 0;
const random = () => { state = (state * 1664525 + 1013904223) >>> 0; return state / 4294967296; };
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const periods = new Map();
const at = () => Math.floor((Date.now() - epoch) / periodMs);
const sample = (k) => { let s = periods.get(k); if (!s) periods.set(k, (s = { requests: 0, errors: 0, latencies: [] })); return s; };
const record = (start, status) => {
  if (status === 503) return; // shed: not an error of the release, and not counted as an answer by the app either
  const s = sample(at());
  s.requests++;
  if (status >= 500) s.errors++;
  s.latencies.push(Date.now() - start);
};
setInterval(() => {
  const now = at();
  for (const [k, s] of periods) {
    if (k >= now) continue;
    s.latencies.sort((a, b) => a - b);
    const p99 = s.latencies.length ? s.latencies[Math.min(s.latencies.length - 1, Math.ceil(0.99 * s.latencies.length) - 1)] : null;
    process.stdout.write(JSON.stringify({ period: k, requests: s.requests, errors: s.errors, p99Ms: p99 }) + '\\n');
    periods.delete(k);
  }
}, 100).unref();
const servers = new Map();
function add(listen, target, done) {
  const server = http.createServer((req, res) => {
    const start = Date.now();
    if (server.closing) res.shouldKeepAlive = false;
    server.inflight = (server.inflight || 0) + 1;
    res.on('close', () => { server.inflight--; });
    const health = req.url === healthPath;
    const forward = () => {
      const up = http.request({ host: '127.0.0.1', port: target, method: req.method, path: req.url, headers: req.headers, agent }, (r) => {
        res.writeHead(r.statusCode, r.headers);
        r.pipe(res);
        r.on('end', () => { if (!health) record(start, r.statusCode); });
      });
      up.on('error', () => { if (!res.headersSent) { res.writeHead(502); res.end(); } if (!health) record(start, 502); });
      req.pipe(up);
    };
    if (health) return forward();
    if (random() < errorRate) {
      req.resume();
      req.on('end', () => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end('{"error":"release fault","status":500}');
        record(start, 500);
      });
      return;
    }
    if (delayMs > 0) setTimeout(forward, delayMs); else forward();
  });
  server.keepAliveTimeout = 75000;
  server.listen(listen, '127.0.0.1', done);
  servers.set(listen, server);
}
http.createServer((req, res) => {
  const u = new URL(req.url, 'http://x');
  const listen = Number(u.searchParams.get('listen'));
  if (u.pathname === '/add') return add(listen, Number(u.searchParams.get('target')), () => res.end('ok'));
  if (u.pathname === '/remove') {
    // The load balancer may still hold idle connections here: close them, and every connection
    // once its answer is out (Connection: close), so its requests go to the slot's new address.
    const s = servers.get(listen);
    servers.delete(listen);
    if (!s) return res.end('ok');
    s.closing = true;
    s.close();
    s.closeIdleConnections();
    // Answers only once every request it holds is answered (at most 5 s): then the service behind it may stop.
    const until = Date.now() + 5000;
    const wait = () => (s.inflight > 0 && Date.now() < until ? setTimeout(wait, 20) : (s.closeIdleConnections(), res.end('ok')));
    return wait();
  }
  res.writeHead(404); res.end();
}).listen(control, '127.0.0.1', () => process.stdout.write('control ' + control + '\\n'));
`;

/** What the release does to every request it takes. */
export interface ReleaseFault {
  /** Share of requests answered 500 (0-1). */
  readonly errorRate: number;
  /** Added to every request, ms. */
  readonly addedDelayMs: number;
}

/** One finished alarm period of the release: what its instances answered. */
export interface ReleaseSample {
  readonly period: number;
  readonly requests: number;
  readonly errors: number;
  readonly p99Ms?: number;
}

export interface ReleaseProxy {
  readonly process: ManagedProcess;
  /** Puts the release in front of the service on `target`; resolves to the port that reaches it. */
  add(target: number): Promise<number>;
  remove(listen: number): Promise<void>;
  /** Finished periods so far, in order. */
  readonly samples: ReleaseSample[];
  stop(): Promise<void>;
}

/** Starts the release's proxy process; periods count from `epochMs` (wall clock), `periodMs` long. */
export async function startReleaseProxy(o: {
  readonly fault: ReleaseFault;
  readonly epochMs: number;
  readonly periodMs: number;
  readonly healthPath: string;
  readonly seed: number;
}): Promise<ReleaseProxy> {
  const samples: ReleaseSample[] = [];
  const control = await freePort();
  let ready = false;
  const p = startProcess(
    process.execPath,
    [
      '-e',
      PROXY_SOURCE,
      String(o.fault.errorRate),
      String(o.fault.addedDelayMs),
      String(o.epochMs),
      String(o.periodMs),
      o.healthPath,
      String(o.seed),
      String(control),
    ],
    {
      onLine: (line) => {
        if (line.startsWith('control ')) ready = true;
        else if (line.startsWith('{')) {
          const s = JSON.parse(line) as { period: number; requests: number; errors: number; p99Ms: number | null };
          samples.push({ period: s.period, requests: s.requests, errors: s.errors, ...(s.p99Ms === null ? {} : { p99Ms: s.p99Ms }) });
        }
      },
    },
  );
  await waitFor(
    'the release proxy',
    async () => {
      if (!p.running()) throw new Error(`exited: ${p.output()}`);
      return ready;
    },
    10_000,
    () => p.output(),
  );
  const call = async (path: string) => {
    const r = await fetch(`http://127.0.0.1:${control}${path}`);
    if (!r.ok) throw new Error(`release proxy ${path}: HTTP ${r.status}`);
    await r.text();
  };
  return {
    process: p,
    samples,
    async add(target) {
      const listen = await freePort();
      await call(`/add?listen=${listen}&target=${target}`);
      return listen;
    },
    remove: (listen) => call(`/remove?listen=${listen}`),
    stop: () => p.stop('SIGTERM', 2_000),
  };
}

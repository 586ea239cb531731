import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import { performance } from 'node:perf_hooks';
import type { AppEnv } from '@loadbearing/contract';
import { connectionBounds, errorBody } from '@loadbearing/contract';
import { PoolTimeout } from './db';
import { Deadline, DeadlineExceeded } from './deadline';
import { HttpError, overloaded } from './http-error';
import type { Logger } from './log';
import type { Admission } from './admission';
import type { AppMetrics as Metrics } from '@loadbearing/contract';
import type { ShedDecision, ShedKind } from './shedding';

export const MAX_BODY_BYTES = 64 * 1024;

/** The shallow health check (loadBalancer.healthCheck.path of the built-in environments): answered from the process alone. */
export const HEALTH_PATH = '/healthz';

/**
 * Accept queue of the listening socket (the kernel caps it at net.core.somaxconn, 4096 on
 * current kernels). Node's default, 511, overflowed when the load balancer opened connections
 * for a traffic spike faster than a busy instance accepted them: the kernel dropped the SYNs and
 * the connections waited out TCP retransmits (1, 3, 7 s) before the service could shed anything
 * (the proving ground's traffic-spike scenario, with TcpExtListenOverflows rising).
 */
export const LISTEN_BACKLOG = 4096;

export interface Request {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: http.IncomingHttpHeaders;
  readonly id: string;
  readonly deadline: Deadline;
  /** The raw body and its JSON (POST/PUT/PATCH only). */
  readonly raw: string;
  readonly body: unknown;
}

export interface Response {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export type Handler = (req: Request) => Promise<Response> | Response;

/** A route: method, a path pattern with `:name` segments, and its handler. */
export interface Route {
  readonly method: string;
  readonly pattern: string;
  readonly handler: (req: Request, params: Record<string, string>) => Promise<Response> | Response;
  /** Skips load shedding and body parsing (the health checks). */
  readonly light?: boolean;
}

/** The caller's `X-Request-Id` when it is well-formed, else a new one. */
function requestId(req: http.IncomingMessage): string {
  const header = req.headers['x-request-id'];
  return typeof header === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(header) ? header : randomUUID();
}

function compile(routes: readonly Route[]) {
  return routes.map((r) => ({ ...r, re: new RegExp(`^${r.pattern.replace(/:(\w+)/g, '(?<$1>[^/]+)')}$`) }));
}

export interface ServerOptions {
  readonly env: AppEnv;
  readonly routes: readonly Route[];
  readonly log: Logger;
  readonly metrics: Metrics;
  /** Load shedding: why a request should be shed right now (or undefined), each kind's preserialized answer, and its log text. */
  readonly shedding: {
    check(): ShedDecision | undefined;
    readonly payloads: Readonly<Record<ShedKind, Buffer>>;
    describe(d: ShedDecision): string;
  };
  /** Admission into the event loop (a worker's): requests beyond its limit wait, and are shed once the oldest has waited too long. */
  readonly admission?: Admission;
  /** While true, every answer says `Connection: close` (a worker over its capacity: the next request goes through its primary). */
  readonly closeWhen?: () => boolean;
}

/** At most one log line per this long about shed requests (with their count): a log line per shed would cost more than the shed. */
export const SHED_LOG_INTERVAL_MS = 1000;

/**
 * A body over the limit: answered 413 with `Connection: close`, so Node closes the connection
 * once the answer is written instead of reading (and discarding) the rest of the body to reuse
 * the connection, which a client sending an endless chunked body would make last forever.
 */
function tooLarge(message: string): HttpError {
  return new HttpError(413, 'payload_too_large', message, { connection: 'close' });
}

/**
 * The client gave up on its request before the service had read it: it closed the connection
 * mid-body, or sent the body too slowly and Node closed the connection at the request timeout.
 * Counted as `ClientAborts`, never as a server error (it would trip the 5xx alarms).
 */
export class ClientAbort extends Error {
  constructor(why: string) {
    super(`the client gave up on its request: ${why}`);
    this.name = 'ClientAbort';
  }
}

/** Status logged for a request the client abandoned (nginx's convention; never sent). */
export const CLIENT_ABORT_STATUS = 499;

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_BODY_BYTES) {
      req.pause();
      reject(tooLarge(`The body is ${declared} bytes; the limit is ${MAX_BODY_BYTES}.`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.removeListener('data', onData);
        req.pause();
        reject(tooLarge(`The body is over the limit of ${MAX_BODY_BYTES} bytes.`));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', (error) => reject(new ClientAbort(error.message)));
    req.on('close', () => {
      if (!req.complete) reject(new ClientAbort('the connection closed before the body was complete'));
    });
  });
}

/**
 * The path and query of a request-target, without the URL parser's surprises: origin-form
 * (`/path?query`, the usual one; a path may start with `//`, RFC 9112 section 3.2.1) is split at
 * the first `?`; absolute-form (`http://host/path`, which a server must accept) is parsed, and a
 * host or port the parser rejects is a 400. Anything else (asterisk-form, authority-form, garbage)
 * is a 400 too. Never throws anything but an HttpError.
 */
export function parseTarget(target: string): { path: string; query: URLSearchParams } {
  if (target.startsWith('/')) {
    const q = target.indexOf('?');
    return { path: q < 0 ? target : target.slice(0, q), query: new URLSearchParams(q < 0 ? '' : target.slice(q + 1)) };
  }
  if (/^https?:\/\//i.test(target)) {
    try {
      const url = new URL(target);
      return { path: url.pathname, query: url.searchParams };
    } catch {
      throw new HttpError(400, 'bad_request', 'The request-target is not a valid absolute URL.');
    }
  }
  throw new HttpError(400, 'bad_request', 'The request-target must be a path starting with "/".');
}

function parseJson(raw: string, contentType: string | undefined): unknown {
  if (raw.length === 0) throw new HttpError(400, 'bad_request', 'The request needs a JSON body.');
  if (!/^application\/json\b/i.test(contentType ?? ''))
    throw new HttpError(415, 'unsupported_media_type', 'Send the body as Content-Type: application/json.');
  try {
    return JSON.parse(raw);
  } catch (error) {
    throw new HttpError(400, 'invalid_json', `The body is not valid JSON: ${(error as Error).message}.`);
  }
}

/**
 * A request Node's parser refused, or one whose headers or body did not arrive within the
 * request timeout: a JSON 400, 431 or 408 with `Connection: close`, written only when no answer
 * has started on the connection (as Node's own handler does), then the connection is closed.
 * `onAbort` is called for a timeout of a request no handler runs for (a handler waiting for its
 * body counts its own). None of these is a server error.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex, onAbort: () => void): void {
  const inFlight = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const [status, code, message] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? ([408, 'request_timeout', 'The request did not arrive within the request timeout.'] as const)
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? ([431, 'headers_too_large', 'The request headers are over the size limit.'] as const)
        : ([400, 'bad_request', 'The request is not valid HTTP/1.1.'] as const);
  if (status === 408 && !inFlight) onAbort();
  const payload = JSON.stringify(errorBody(code, message));
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(payload)}\r\nconnection: close\r\n\r\n${payload}`,
    () => socket.destroy(),
  );
}

/**
 * The HTTP server: node:http with a small router. Every answer is JSON; every error has the one
 * shape. Per request: an ID (`X-Request-Id`, taken from the caller when well-formed), a deadline,
 * load shedding before any work, and a 503 when the deadline passes before the handler answers.
 */
export class Server {
  readonly server: http.Server;
  private readonly routes;
  private inFlight = 0;
  private served = 0;
  private draining = false;
  private idleWaiters: (() => void)[] = [];
  private readonly lightRoutes;
  private shedLog = { count: 0, at: -Infinity };
  private tracking = false;

  constructor(private readonly o: ServerOptions) {
    this.routes = compile(o.routes);
    this.lightRoutes = this.routes.filter((r) => r.light);
    // The connection bounds (contract/src/connection-bounds.ts, checked by TC-10): headers and
    // the whole request within the request timeout, counted from each request's first byte (a
    // new connection's from accept, so a silent one is closed too) and checked every second; an
    // idle keep-alive connection after the keep-alive timeout; a connection with no progress at
    // all (a client that stops reading) after the request timeout plus a margin (twice that if
    // a write was still progressing: Node lets the socket timeout pass once then). The checking
    // interval can only be set here, at creation: Node's default is 30 s. Node measures the
    // headers timeout per request since 18 (not across keep-alive requests, as Node 16 did), so
    // it need not exceed the keep-alive timeout; it must not exceed the request timeout, or the
    // larger one applies to both.
    const bounds = connectionBounds(o.env.APP_REQUEST_TIMEOUT_MS, o.env.APP_KEEPALIVE_TIMEOUT_MS);
    // handle() answers every error itself; this catch is the last line: a request must never
    // take the process down (an unhandled rejection ends a Node process).
    this.server = http.createServer(
      { connectionsCheckingInterval: bounds.checkIntervalMs, headersTimeout: bounds.headersMs, requestTimeout: bounds.requestMs },
      (req, res) => {
        this.handle(req, res).catch((error: unknown) => this.escaped(res, error));
      },
    );
    // Requests Node's parser refuses before any handler runs (malformed headers, headers over
    // the size limit, a request line that is not HTTP, the headers or request timeout) get the
    // one JSON error shape too, instead of Node's bodyless default.
    this.server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) =>
      answerClientError(error, socket, () => o.metrics.count('ClientAborts')),
    );
    // An `Expect` header other than 100-continue: Node would answer a bodyless 417 itself.
    this.server.on('checkExpectation', (req: http.IncomingMessage, res: http.ServerResponse) =>
      this.send(res, requestId(req), {
        status: 417,
        body: errorBody('expectation_failed', 'The only expectation this service meets is "Expect: 100-continue".'),
        headers: { connection: 'close' },
      }),
    );
    this.server.keepAliveTimeout = bounds.keepAliveMs;
    // Node 22 closes idle connections this much after the keep-alive timeout (default 1 s): the
    // configured timeout is the bound (the ALB closes its side first anyway, TC-1).
    (this.server as { keepAliveTimeoutBuffer?: number }).keepAliveTimeoutBuffer = 0;
    this.server.timeout = bounds.stalledMs;
  }

  get inFlightCount(): number {
    return this.inFlight;
  }

  /** Requests answered by a handler (not shed) since the start. */
  get servedCount(): number {
    return this.served;
  }

  /**
   * Listens itself: the unit tests, and the measured alternatives to the primary (`reusePort`:
   * one socket per worker, the kernel spreads connections; `exclusive`: not through node:cluster).
   */
  listen(port: number, host: string, options: { reusePort?: boolean; exclusive?: boolean } = {}): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ port, host, backlog: LISTEN_BACKLOG, ...options }, () => resolve());
    });
  }

  /** Serves a connection accepted elsewhere (the primary's, passed over IPC). */
  accept(socket: net.Socket): void {
    if (!this.tracking) {
      // Node tracks connections (the headers and request timeouts, closeIdleConnections) only
      // once a server emits 'listening'; this one never listens itself, so it says it does once.
      this.tracking = true;
      this.server.emit('listening');
    }
    this.server.emit('connection', socket);
    socket.resume();
  }

  /** Whether answers close their connection now: draining, or the owner says so. */
  private closing(): boolean {
    return this.draining || this.o.closeWhen?.() === true;
  }

  /**
   * Graceful stop: no new connections, idle keep-alive connections closed, in-flight requests
   * finished (their responses say `Connection: close`) within `drainMs`; then resolves with the
   * number of requests that were still running (0 unless the drain ran out).
   */
  async drain(drainMs: number): Promise<number> {
    this.draining = true;
    this.server.close();
    this.server.closeIdleConnections();
    if (this.inFlight > 0) {
      await Promise.race([
        new Promise<void>((resolve) => this.idleWaiters.push(resolve)),
        new Promise((resolve) => setTimeout(resolve, drainMs).unref()),
      ]);
    }
    const left = this.inFlight;
    this.server.closeAllConnections();
    return left;
  }

  private send(res: http.ServerResponse, id: string, r: Response): void {
    if (res.headersSent) return;
    const payload = JSON.stringify(r.body);
    res.writeHead(r.status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(payload),
      'x-request-id': id,
      ...(this.closing() ? { connection: 'close' } : {}),
      ...r.headers,
    });
    res.end(payload);
  }

  /** A health check (a light route): never shed. */
  private isLight(method: string, rawUrl: string): boolean {
    if (this.lightRoutes.length === 0) return false;
    const q = rawUrl.indexOf('?');
    const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
    return this.lightRoutes.some((r) => r.method === method && r.re.test(path));
  }

  /**
   * The shed answer, as cheap as an answer can be: decided before the URL is parsed or anything
   * allocated, a body serialized at start-up, no error object, and no log line per request (one
   * line per {@link SHED_LOG_INTERVAL_MS} with the count; the ShedRequests metric counts each).
   * At three times capacity most requests are shed: if a shed cost more than a fraction of a
   * served request, shedding itself would saturate the instance.
   */
  private shed(req: http.IncomingMessage, res: http.ServerResponse, started: number, d: ShedDecision): void {
    const id = requestId(req);
    const payload = this.o.shedding.payloads[d.kind];
    res.writeHead(503, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': payload.length,
      'retry-after': '1',
      'x-request-id': id,
      'x-shed-by': `worker ${d.kind}`,
      ...(this.closing() ? { connection: 'close' } : {}),
    });
    res.end(payload);
    this.o.metrics.count('Requests');
    this.o.metrics.count('ShedRequests');
    this.o.metrics.observe('RequestLatency', performance.now() - started);
    this.o.metrics.operation(req.method ?? 'GET', false, performance.now() - started);
    this.shedLog.count++;
    if (started - this.shedLog.at >= SHED_LOG_INTERVAL_MS) {
      this.o.log.warn({ shed: this.shedLog.count, reason: this.o.shedding.describe(d) }, 'shedding load');
      this.shedLog = { count: 0, at: started };
    }
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = performance.now();
    const method = req.method ?? 'GET';
    let admitted = false;
    if (!this.isLight(method, req.url ?? '/')) {
      const d = this.o.shedding.check();
      if (d) return this.shed(req, res, started, d);
      const admission = this.o.admission;
      if (admission) {
        const entry = admission.enter(started);
        if (entry === 'shed') return this.shed(req, res, started, { kind: 'queue-wait', measured: admission.oldestWaitMs(started) });
        admitted = true;
        if (entry !== 'run') await entry;
      }
    }
    const id = requestId(req);
    let url: { path: string; query: URLSearchParams } = { path: '(unparsed)', query: new URLSearchParams() };
    this.inFlight++;
    let status = 500;
    let shed = false;
    try {
      url = parseTarget(req.url ?? '/');
      const match = this.match(method, url.path);
      const deadline = Deadline.after(this.o.env.APP_REQUEST_TIMEOUT_MS);
      let raw = '';
      let body: unknown;
      if (!match.route.light && (method === 'POST' || method === 'PUT' || method === 'PATCH')) {
        raw = await readBody(req);
        body = parseJson(raw, req.headers['content-type']);
      }
      const request: Request = { method, path: url.path, query: url.query, headers: req.headers, id, deadline, raw, body };
      let timer: NodeJS.Timeout | undefined;
      const response = await Promise.race([
        Promise.resolve(match.route.handler(request, match.params)),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new DeadlineExceeded('the answer')), deadline.remaining());
        }),
      ]).finally(() => clearTimeout(timer));
      status = response.status;
      this.send(res, id, response);
    } catch (error) {
      if (error instanceof ClientAbort) {
        // Nothing to answer: the connection is gone (or Node answered 408 and closed it).
        status = CLIENT_ABORT_STATUS;
        this.o.metrics.count('ClientAborts');
        return;
      }
      const e = this.toHttpError(error);
      status = e.status;
      if (e.code === 'overloaded') {
        shed = true;
        this.o.metrics.count('ShedRequests');
      }
      if (status >= 500 && !shed)
        this.o.log.error({ requestId: id, method, path: url.path, err: (error as Error).message }, 'request failed');
      this.send(res, id, {
        status: e.status,
        body: e.body,
        headers: shed ? { ...e.headers, 'x-shed-by': 'worker pool-timeout' } : e.headers,
      });
    } finally {
      const ms = performance.now() - started;
      this.o.metrics.count('Requests');
      if (status >= 500 && !shed) this.o.metrics.count('ServerErrors');
      this.o.metrics.observe('RequestLatency', ms);
      this.o.metrics.operation(method, status >= 500 && !shed, ms);
      if (ms > 1000 || status >= 500) this.o.log.info({ requestId: id, method, path: url.path, status, ms: Math.round(ms) }, 'request');
      this.inFlight--;
      if (admitted) this.o.admission!.leave();
      if (!shed) this.served++;
      if (this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  /** An error that escaped handle() (a bug): logged, answered with a 500 if nothing was sent, never fatal. */
  private escaped(res: http.ServerResponse, error: unknown): void {
    this.o.log.error({ err: error instanceof Error ? error.message : String(error) }, 'request handling failed outside its error handling');
    try {
      if (!res.headersSent) {
        const payload = JSON.stringify(errorBody('internal', 'Internal error.'));
        res.writeHead(500, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload) });
        res.end(payload);
      } else res.destroy();
    } catch {
      res.destroy();
    }
  }

  private match(method: string, path: string): { route: Route; params: Record<string, string> } {
    let pathMatched = false;
    for (const r of this.routes) {
      const m = r.re.exec(path);
      if (!m) continue;
      pathMatched = true;
      if (r.method === method) return { route: r, params: { ...m.groups } };
    }
    if (pathMatched) throw new HttpError(405, 'method_not_allowed', `${method} is not allowed on ${path}.`);
    throw new HttpError(404, 'not_found', `No route for ${method} ${path}.`);
  }

  private toHttpError(error: unknown): HttpError {
    if (error instanceof HttpError) return error;
    if (error instanceof PoolTimeout) return overloaded('no database connection within the pool wait bound');
    if (error instanceof DeadlineExceeded || (error instanceof Error && /Query read timeout/.test(error.message))) {
      return new HttpError(503, 'deadline_exceeded', 'The request ran out of time. Retry after a short wait.', { 'retry-after': '1' });
    }
    if (error instanceof Error && /timeout exceeded when trying to connect|ECONNREFUSED|Connection terminated/i.test(error.message)) {
      return new HttpError(503, 'unavailable', 'A dependency is unavailable. Retry after a short wait.', { 'retry-after': '1' });
    }
    return new HttpError(500, 'internal', 'Internal error.');
  }
}

export { errorBody };

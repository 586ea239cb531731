import cluster, { type Worker } from 'node:cluster';
import http from 'node:http';
import net from 'node:net';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import { type AppEnv, errorBody } from '@loadbearing/contract';
import { type PrimaryMessage, WORKER_ENV, WORKER_MECHANISM_ENV, type WorkerMechanism, type WorkerMessage } from './ipc';
import type { Logger } from './log';
import { type AppMetrics as Metrics, instanceMetrics } from '@loadbearing/contract';
import { HEALTH_PATH, LISTEN_BACKLOG } from './server';
import { shedPayloads, type ShedBounds, type ShedKind } from './shedding';

/** Headers of the primary's shed answers: when to come back, and who shed it (the worker's sheds say `worker`). */
const SHED_HEADERS = 'retry-after: 1\r\nx-shed-by: primary\r\n';

/** A crashed worker is started again after this, doubled per crash in a row, up to {@link RESTART_MAX_MS}. */
export const RESTART_BASE_MS = 100;
export const RESTART_MAX_MS = 10_000;
/** A worker that ran this long before it crashed starts its backoff afresh. */
export const STABLE_MS = 10_000;
/** A worker takes new connections while it holds fewer requests than this many times its admission limit. */
export const ROOM_FACTOR = 2;

/**
 * A worker whose oldest connection sent to it has waited this long to be taken is busy: a new
 * connection is answered by the primary instead. Taking one takes a turn of the worker's event
 * loop (Node passes one handle at a time and waits for the worker's acknowledgement): an idle
 * worker takes a burst in well under this, a busy one one per turn.
 */
export const MAX_TRANSIT_WAIT_MS = 20;
/** A connection the primary answers itself must send its request within this (the load balancer sends it at once). */
export const SHED_PATH_REQUEST_MS = 2_000;
/** After the drain, this long for the workers to close their pools and exit before they are killed. */
export const EXIT_GRACE_MS = 10_000;

interface Slot {
  readonly index: number;
  worker?: Worker;
  ready: boolean;
  everReady: boolean;
  readyAt: number;
  /** Connections handed to it and not reported closed. */
  open: number;
  /** Why it would shed a new request now (its last report), if it would. */
  shed?: ShedKind;
  lastReport: number;
  inFlight: number;
  /** Requests it runs at once (its last report), and connections handed to it since that report. */
  limit: number;
  handedSinceReport: number;
  backoffMs: number;
  restarts: number;
  restartTimer?: NodeJS.Timeout;
  exitCode?: number | null;
  unfinished?: number;
  /**
   * Connections sent to it that it has not acknowledged: Node passes one handle at a time per
   * worker and queues the rest, and drops the queue (never closing those sockets) when the worker
   * dies. Its exit hands them to another worker or answers them here.
   */
  readonly inTransit: Map<net.Socket, number>;
}

/**
 * The supervising primary of an instance (node:cluster; ADR 0006). It runs the migrations once,
 * starts `APP_WORKERS` workers and restarts one that crashes (with backoff) while the others
 * serve, accepts every connection itself and hands it to the worker with the fewest open
 * connections among those that can take one (below `APP_MAX_CONNECTIONS_PER_WORKER`, not
 * shedding, reporting on time), and when none can, answers the request itself: a preserialized
 * 503 in the one error shape (its accept loop is never busy, so that answer takes milliseconds,
 * where a worker's would wait behind its event loop), or the health check's 200 while any worker
 * is up. It writes the instance's one metrics document (its workers' merged), and on SIGTERM
 * drains every worker within `APP_SHUTDOWN_DRAIN_MS`.
 */
export class Primary {
  private readonly slots: Slot[];
  private readonly metrics: Metrics;
  private listener?: net.Server;
  /** The primary's own answers, serialized once: a shed must cost next to nothing. */
  private readonly raw: {
    readonly healthy: Buffer;
    readonly down: Buffer;
    readonly atCapacity: Buffer;
    readonly busy: Buffer;
    readonly badRequest: Buffer;
    readonly shed: Readonly<Record<ShedKind, Buffer>>;
  };
  private shedOpen = 0;
  private next = 0;
  private starting = true;
  private stopping = false;
  private startFailure?: (error: Error) => void;
  private readyWaiters: (() => void)[] = [];
  private exitWaiters: (() => void)[] = [];
  private flushTimer?: NodeJS.Timeout;
  private readonly payloads: Readonly<Record<ShedKind, Buffer>>;
  private readonly atCapacity: Buffer;
  private readonly unavailable: Buffer;

  constructor(
    private readonly env: AppEnv,
    private readonly log: Logger,
    private readonly count: number,
    private readonly mechanism: WorkerMechanism,
    availabilityZone = '',
  ) {
    this.slots = Array.from({ length: count }, (_, index) => ({
      index,
      ready: false,
      everReady: false,
      readyAt: 0,
      open: 0,
      lastReport: 0,
      inFlight: 0,
      limit: 0,
      handedSinceReport: 0,
      backoffMs: 0,
      restarts: 0,
      inTransit: new Map<net.Socket, number>(),
    }));
    // The release and the AZ too: the primary writes the instance's one EMF document.
    this.metrics = instanceMetrics(env, process.env.INSTANCE_ID ?? hostname(), availabilityZone);
    const bounds: ShedBounds = {
      maxPoolWaitMs: env.APP_SHED_POOL_WAIT_MS,
      maxQueueLength: env.APP_SHED_QUEUE_LENGTH,
      maxEventLoopLagMs: env.APP_SHED_EVENT_LOOP_LAG_MS,
      maxEventLoopUtilization: env.APP_SHED_EVENT_LOOP_UTILIZATION_PERCENT / 100,
    };
    this.payloads = shedPayloads(bounds);
    this.atCapacity = Buffer.from(
      JSON.stringify(
        errorBody(
          'overloaded',
          `The service is overloaded (every worker holds its maximum of ${env.APP_MAX_CONNECTIONS_PER_WORKER} connections). Retry after a short wait.`,
        ),
      ),
    );
    this.unavailable = Buffer.from(JSON.stringify(errorBody('unavailable', 'No worker is up on this instance. Retry after a short wait.')));
    const raw = (status: number, body: Buffer, extra = '') =>
      Buffer.concat([
        Buffer.from(
          `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${body.length}\r\n${extra}connection: close\r\n\r\n`,
          'latin1',
        ),
        body,
      ]);
    this.raw = {
      healthy: raw(200, Buffer.from(JSON.stringify({ status: 'ok' }))),
      down: raw(503, this.unavailable, 'retry-after: 1\r\n'),
      atCapacity: raw(503, this.atCapacity, SHED_HEADERS),
      busy: raw(
        503,
        Buffer.from(
          JSON.stringify(
            errorBody(
              'overloaded',
              'The service is overloaded (every worker is still taking the connections it was sent, or late to report). Retry after a short wait.',
            ),
          ),
        ),
        SHED_HEADERS,
      ),
      badRequest: raw(400, Buffer.from(JSON.stringify(errorBody('bad_request', 'The request is not valid HTTP/1.1.')))),
      shed: Object.fromEntries(Object.entries(this.payloads).map(([k, v]) => [k, raw(503, v, SHED_HEADERS)])) as Record<ShedKind, Buffer>,
    };
  }

  /** Workers that are up and serving. */
  get readyWorkers(): number {
    return this.slots.filter((s) => s.ready).length;
  }

  /** Starts every worker and, once all are ready, takes connections. Throws when a worker fails to start. */
  async start(): Promise<void> {
    cluster.setupPrimary({ exec: process.argv[1], args: process.argv.slice(2), silent: false });
    if (this.mechanism === 'cluster-rr') cluster.schedulingPolicy = cluster.SCHED_RR;
    const failed = new Promise<never>((_, reject) => {
      this.startFailure = reject;
    });
    for (const slot of this.slots) this.fork(slot);
    await Promise.race([new Promise<void>((resolve) => this.readyWaiters.push(resolve)), failed]);
    this.starting = false;
    if (this.mechanism === 'primary') {
      const listener = net.createServer({ pauseOnConnect: true }, (socket) => this.onConnection(socket));
      this.listener = listener;
      await new Promise<void>((resolve, reject) => {
        listener.once('error', reject);
        listener.listen(
          { port: this.env.APP_PORT, host: this.env.APP_RUNTIME === 'fleet' ? '0.0.0.0' : '127.0.0.1', backlog: LISTEN_BACKLOG },
          () => resolve(),
        );
      });
    }
    this.flushTimer = setInterval(() => this.flush(), this.env.APP_METRICS_FLUSH_MS);
    this.flushTimer.unref();
    this.log.info({ port: this.env.APP_PORT, workers: this.count, mechanism: this.mechanism, runtime: this.env.APP_RUNTIME }, 'listening');
  }

  private fork(slot: Slot): void {
    const worker = cluster.fork({ [WORKER_ENV]: `${slot.index}/${this.count}`, [WORKER_MECHANISM_ENV]: this.mechanism });
    Object.assign(slot, {
      worker,
      ready: false,
      open: 0,
      shed: undefined,
      inFlight: 0,
      limit: 0,
      handedSinceReport: 0,
      lastReport: performance.now(),
    });
    worker.on('message', (message: WorkerMessage) => this.onMessage(slot, worker, message));
    worker.on('exit', (code, signal) => this.onExit(slot, worker, code, signal));
    // An IPC write to a worker that just died: its exit is handled above.
    worker.on('error', () => undefined);
  }

  private onMessage(slot: Slot, worker: Worker, m: WorkerMessage): void {
    if (slot.worker !== worker) return;
    switch (m.t) {
      case 'load':
        slot.shed = m.shed;
        slot.lastReport = performance.now();
        slot.inFlight = m.inFlight;
        slot.limit = m.limit;
        slot.handedSinceReport = 0;
        slot.open = Math.max(0, slot.open - m.closed);
        return;
      case 'metrics':
        this.metrics.merge(m.snapshot);
        return;
      case 'ready':
        slot.ready = true;
        slot.everReady = true;
        slot.readyAt = performance.now();
        slot.lastReport = slot.readyAt;
        this.log.info({ worker: slot.index, pid: m.pid, restarts: slot.restarts }, 'worker started');
        if (this.slots.every((s) => s.ready)) for (const w of this.readyWaiters.splice(0)) w();
        return;
      case 'stopped':
        slot.unfinished = m.unfinished;
        return;
    }
  }

  private onExit(slot: Slot, worker: Worker, code: number | null, signal: string | null): void {
    if (slot.worker !== worker) return;
    const ranMs = slot.ready ? performance.now() - slot.readyAt : 0;
    Object.assign(slot, { worker: undefined, ready: false, open: 0, shed: undefined, inFlight: 0, exitCode: code });
    for (const socket of this.reclaim(slot, worker)) this.onConnection(socket);
    if (this.stopping) {
      if (this.slots.every((s) => !s.worker)) for (const w of this.exitWaiters.splice(0)) w();
      return;
    }
    if (this.starting && !slot.everReady) {
      this.startFailure?.(
        new Error(`worker ${slot.index} exited before it was ready (${signal ?? `code ${code}`}); its reason is on stderr above`),
      );
      return;
    }
    // The first crash, or one after a stable run, waits the base; each crash in a row doubles it.
    slot.backoffMs = ranMs >= STABLE_MS || slot.backoffMs === 0 ? RESTART_BASE_MS : Math.min(RESTART_MAX_MS, slot.backoffMs * 2);
    slot.restarts++;
    this.log.error(
      {
        worker: slot.index,
        pid: worker.process.pid,
        code,
        signal,
        ranMs: Math.round(ranMs),
        restartInMs: slot.backoffMs,
        workersUp: this.readyWorkers,
      },
      'worker exited; restarting it while the others serve',
    );
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = undefined;
      if (!this.stopping) this.fork(slot);
    }, slot.backoffMs);
  }

  /**
   * The connections a dead worker never received. Node passes one handle at a time per worker
   * and queues the rest until the worker acknowledges it; when the worker dies first, Node keeps
   * the one it was passing open in `_pendingMessage` and the queue in `_handleQueue`, and closes
   * neither (its disconnect waits for an acknowledgement that never comes): those clients would
   * wait for their own timeout. Nothing was read from them, so they go to another worker (or are
   * answered here) as new connections. `_pendingMessage` and `_handleQueue` are Node internals
   * (lib/internal/child_process.js); where they are absent, the queued sockets are still known.
   */
  private reclaim(slot: Slot, worker: Worker): net.Socket[] {
    const child = worker.process as unknown as {
      _pendingMessage?: { handle?: unknown } | null;
      _handleQueue?: { handle?: unknown }[] | null;
    };
    const out: net.Socket[] = [];
    const pending = child._pendingMessage?.handle;
    if (pending) {
      out.push(new net.Socket({ handle: pending, readable: true, writable: true, pauseOnCreate: true } as net.SocketConstructorOpts));
    }
    for (const socket of slot.inTransit.keys()) if ((socket as { _handle?: unknown })._handle && !socket.destroyed) out.push(socket);
    slot.inTransit.clear();
    if ('_pendingMessage' in child) child._pendingMessage = null;
    if ('_handleQueue' in child) child._handleQueue = null;
    return out;
  }

  /**
   * Whether a worker can take a new connection now: up, reporting on time, not shedding, below
   * its connection cap, with room for one more request ({@link ROOM_FACTOR} x the requests it runs
   * at once, counting the ones it reported and the connections handed to it since), and not behind on taking the connections already sent to it
   * ({@link MAX_TRANSIT_WAIT_MS}: a connection queued behind several for a busy worker would wait
   * as long as in the kernel's accept queue, which the primary is here to avoid).
   */
  private canTake(slot: Slot, now: number): boolean {
    return (
      slot.ready &&
      slot.worker !== undefined &&
      slot.shed === undefined &&
      slot.open < this.env.APP_MAX_CONNECTIONS_PER_WORKER &&
      slot.inFlight + slot.handedSinceReport < ROOM_FACTOR * slot.limit &&
      (slot.inTransit.size === 0 || now - slot.inTransit.values().next().value! < MAX_TRANSIT_WAIT_MS) &&
      now - slot.lastReport <= this.env.APP_SHED_EVENT_LOOP_LAG_MS
    );
  }

  /** A new connection: to the worker with the fewest open connections that can take it (round robin among equals), else answered here. */
  private onConnection(socket: net.Socket): void {
    if (this.stopping) {
      socket.destroy();
      return;
    }
    const now = performance.now();
    let best: Slot | undefined;
    for (let i = 0; i < this.count; i++) {
      const slot = this.slots[(this.next + i) % this.count]!;
      if (this.canTake(slot, now) && (!best || slot.open < best.open)) best = slot;
    }
    if (!best) {
      this.answerHere(socket);
      return;
    }
    this.next = (best.index + 1) % this.count;
    const chosen = best;
    chosen.open++;
    chosen.handedSinceReport++;
    chosen.inTransit.set(socket, now);
    chosen.worker!.send({ t: 'conn' } satisfies PrimaryMessage, socket, { keepOpen: false }, (error: Error | null) => {
      chosen.inTransit.delete(socket);
      if (!error) return;
      chosen.open = Math.max(0, chosen.open - 1);
      if (!socket.destroyed && (socket as { _handle?: unknown })._handle) this.answerHere(socket);
    });
  }

  /**
   * Answers the connection here, without an HTTP server: it reads the request line, writes one
   * preserialized answer with `Connection: close` and closes. A health check (GET of the health
   * path) gets 200 while any worker is up; anything else a 503 with the reason every worker
   * gives (or the connection cap, or no worker up). About a socket's accept, read and write of
   * CPU: at three times capacity most requests end here, and a shed must cost a fraction of a
   * served request. At most one worker's connection cap of these at once; one that sends no
   * request line within SHED_PATH_REQUEST_MS is closed.
   */
  private answerHere(socket: net.Socket): void {
    if (this.shedOpen >= this.env.APP_MAX_CONNECTIONS_PER_WORKER) {
      socket.destroy();
      return;
    }
    this.shedOpen++;
    const acceptedAt = performance.now();
    let head = '';
    let answered = false;
    const timer = setTimeout(() => socket.destroy(), SHED_PATH_REQUEST_MS);
    socket.on('data', (chunk: Buffer) => {
      if (answered) return; // the rest of the request (a body) is read and dropped
      head += chunk.toString('latin1');
      const eol = head.indexOf('\r\n');
      if (eol < 0) {
        if (head.length > 8192) socket.destroy();
        return;
      }
      answered = true;
      socket.end(this.answer(head.slice(0, eol), acceptedAt));
    });
    // The client closes its side once it has the answer.
    socket.on('end', () => socket.destroy());
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.shedOpen--;
      clearTimeout(timer);
    });
    socket.resume();
  }

  /** The primary's answer to a request line, counted in its metrics. */
  private answer(requestLine: string, acceptedAt: number): Buffer {
    const m = /^([A-Z]+) (\S+) HTTP\/1\.[01]$/.exec(requestLine);
    if (!m) return this.raw.badRequest;
    const up = this.readyWorkers > 0;
    const [, method, target] = m;
    if (method === 'GET' && (target === HEALTH_PATH || target!.startsWith(`${HEALTH_PATH}?`))) return up ? this.raw.healthy : this.raw.down;
    const shed = this.slots.find((s) => s.ready && s.shed !== undefined)?.shed;
    this.metrics.count('Requests');
    if (up) this.metrics.count('ShedRequests');
    else this.metrics.count('ServerErrors');
    this.metrics.observe('RequestLatency', performance.now() - acceptedAt);
    const full = this.slots.every((s) => !s.ready || s.open >= this.env.APP_MAX_CONNECTIONS_PER_WORKER);
    return !up ? this.raw.down : shed ? this.raw.shed[shed] : full ? this.raw.atCapacity : this.raw.busy;
  }

  private flush(): void {
    process.stdout.write(`${this.metrics.flush(Date.now(), { Workers: this.readyWorkers })}\n`);
  }

  /** Stops taking connections, drains every worker within the drain, and resolves with the requests still unfinished. */
  async stop(): Promise<number> {
    this.stopping = true;
    this.listener?.close();
    for (const slot of this.slots) {
      clearTimeout(slot.restartTimer);
      slot.worker?.send({ t: 'drain' } satisfies PrimaryMessage);
    }
    if (this.slots.some((s) => s.worker)) {
      const killer = setTimeout(() => {
        for (const slot of this.slots) {
          if (!slot.worker) continue;
          this.log.error({ worker: slot.index, inFlight: slot.inFlight }, 'worker did not exit after the drain; killed');
          slot.unfinished = slot.inFlight || 1;
          slot.worker.process.kill('SIGKILL');
        }
      }, this.env.APP_SHUTDOWN_DRAIN_MS + EXIT_GRACE_MS);
      await new Promise<void>((resolve) => this.exitWaiters.push(resolve));
      clearTimeout(killer);
    }
    clearInterval(this.flushTimer);
    this.flush();
    return this.slots.reduce((n, s) => n + (s.unfinished ?? (s.exitCode === 0 ? 0 : 1)), 0);
  }
}

import type net from 'node:net';
import { getPriority, setPriority } from 'node:os';
import type { AppEnv } from '@loadbearing/contract';
import { startApp } from './app';
import { type PrimaryMessage, WORKER_ENV, type WorkerMessage, type WorkerMechanism } from './ipc';
import type { Logger } from './log';
import { guardProcess } from './process-guards';

/**
 * How much lower a worker's CPU priority is than its primary's (nice steps: CFS weighs a task 1.25
 * times less per step, so +5 gives the primary about three times a worker's share when both
 * want the CPU).
 */
export const WORKER_NICENESS = 5;

function send(message: WorkerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected) return resolve();
    process.send!(message, undefined, {}, () => resolve());
  });
}

/** This worker's index and the instance's worker count, from the primary (`LOADBEARING_WORKER=<index>/<count>`). */
export function workerIdentity(env: NodeJS.ProcessEnv = process.env): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(env[WORKER_ENV] ?? '');
  if (!m) throw new Error(`${WORKER_ENV} is ${JSON.stringify(env[WORKER_ENV])}: a worker is started by its primary with <index>/<count>`);
  return { index: Number(m[1]), count: Number(m[2]) };
}

/**
 * One worker process: its own event loop, pools and cache connections (service/src/app.ts). It
 * serves the connections its primary hands it, reports its load every event-loop sample, sends
 * its metrics to the primary, and drains on the primary's request (or on SIGTERM, or when the
 * primary is gone), then exits: 0 when every request finished.
 */
export async function runWorker(env: AppEnv, log: Logger, mechanism: WorkerMechanism): Promise<void> {
  const worker = workerIdentity();
  // Below its primary's CPU priority: when the workers saturate the instance, the primary still
  // gets the CPU to accept connections and shed what they cannot take within milliseconds
  // (raising one's own niceness needs no privilege).
  if (mechanism === 'primary') {
    try {
      setPriority(Math.min(19, getPriority() + WORKER_NICENESS));
    } catch (error) {
      log.warn({ err: (error as Error).message }, 'could not lower the worker priority');
    }
  }
  let closed = 0;
  const app = await startApp(env, log, {
    worker,
    migrate: false,
    listen: mechanism === 'primary' ? undefined : { reusePort: mechanism === 'reuseport', exclusive: mechanism === 'reuseport' },
    publish: (metrics) => void send({ t: 'metrics', snapshot: metrics.snapshot() }),
    onSample: ({ shed, lagMs, inFlight, limit }) => {
      void send({ t: 'load', shed: shed?.kind, lagMs: Math.round(lagMs), inFlight, limit, closed });
      closed = 0;
    },
  });
  app.server.server.on('connection', (socket: net.Socket) => socket.once('close', () => closed++));
  guardProcess(log);

  let stopping = false;
  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ worker: worker.index, why, inFlight: app.server.inFlightCount }, 'worker draining');
    const unfinished = await app.stop();
    await send({ t: 'stopped', unfinished });
    log.info({ worker: worker.index, unfinished }, 'worker stopped');
    process.exit(unfinished === 0 ? 0 : 1);
  };
  process.on('message', (message: PrimaryMessage, handle?: net.Socket) => {
    if (message.t === 'conn' && handle) {
      if (stopping) handle.destroy();
      else app.server.accept(handle);
    } else if (message.t === 'drain') void stop('the primary drains the instance');
  });
  // Stopped directly (a SIGTERM to the whole process group, Ctrl-C), or orphaned by a primary that died.
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('disconnect', () => void stop('the primary is gone'));
  await send({ t: 'ready', pid: process.pid });
}

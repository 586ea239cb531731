import type { MetricsSnapshot } from '@loadbearing/contract';
import type { ShedKind } from './shedding';

/**
 * What the primary and its workers tell each other over the cluster's IPC channel
 * (service/src/primary.ts, service/src/worker.ts).
 */

/** Worker to primary. */
export type WorkerMessage =
  /** Listening for connections: its pools and cache connections are up. */
  | { readonly t: 'ready'; readonly pid: number }
  /**
   * Every event-loop sample (20 ms): whether it would shed a new request now, and why; its
   * requests in flight and how many it may hold; how many of the connections it was given have
   * closed since the last report. The reports are
   * also the primary's measure of the worker's lag: one that stops coming is a worker whose
   * loop is stuck.
   */
  | {
      readonly t: 'load';
      readonly shed?: ShedKind;
      readonly lagMs: number;
      readonly inFlight: number;
      /** Requests it runs at once now (its Admission limit). */
      readonly limit: number;
      readonly closed: number;
    }
  /** Its metrics of the interval, for the primary's one document per instance. */
  | { readonly t: 'metrics'; readonly snapshot: MetricsSnapshot }
  /** Drained on the primary's request: requests still running when the drain ran out. */
  | { readonly t: 'stopped'; readonly unfinished: number };

/** Primary to worker. */
export type PrimaryMessage =
  /** A connection, passed as the message's handle: serve it. */
  | { readonly t: 'conn' }
  /** Stop taking connections, finish the running requests within the drain, close the pools, exit. */
  | { readonly t: 'drain' };

/** The environment variable that tells a worker which one it is: `<index>/<count>`. */
export const WORKER_ENV = 'LOADBEARING_WORKER';

/**
 * How the workers share the port. `primary` (the default, ADR 0006): the primary accepts every
 * connection and hands it to the least-loaded worker that can take it, or answers 503 itself.
 * The others exist to measure the alternatives (npm run bench, the proving ground with
 * `LOADBEARING_WORKER_MECHANISM` set): `cluster-rr`, node:cluster's own round robin;
 * `reuseport`, every worker listening with SO_REUSEPORT as one systemd unit per worker would.
 */
export const WORKER_MECHANISMS = ['primary', 'cluster-rr', 'reuseport'] as const;
export type WorkerMechanism = (typeof WORKER_MECHANISMS)[number];
export const WORKER_MECHANISM_ENV = 'LOADBEARING_WORKER_MECHANISM';

export function workerMechanism(env: NodeJS.ProcessEnv = process.env): WorkerMechanism {
  const raw = env[WORKER_MECHANISM_ENV] ?? 'primary';
  if (!(WORKER_MECHANISMS as readonly string[]).includes(raw))
    throw new Error(`${WORKER_MECHANISM_ENV} is ${JSON.stringify(raw)}; it must be one of ${WORKER_MECHANISMS.join(', ')}`);
  return raw as WorkerMechanism;
}

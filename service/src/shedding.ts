import { performance } from 'node:perf_hooks';
import { errorBody } from '@loadbearing/contract';

export interface ShedBounds {
  readonly maxPoolWaitMs: number;
  readonly maxQueueLength: number;
  readonly maxEventLoopLagMs: number;
  /** Share (0..1] of the last {@link UTILIZATION_WINDOW_MS} the event loop may be busy. */
  readonly maxEventLoopUtilization: number;
}

/** The window event-loop utilization is measured over. */
export const UTILIZATION_WINDOW_MS = 100;

/**
 * Utilization alone is not overload: a loop that is busy 100% of the time with turns of a
 * millisecond serves at full speed (the service bench drives it there: shedding on utilization
 * alone turned most of a 2 ms-p99 load into 503s). It is overload when the loop is saturated AND
 * its turns have grown long, because that is when connections pile up unseen in the kernel's
 * accept queue (libuv accepts one per turn; docs/proving-ground.md, "What it found"). So the
 * utilization bound applies only while the lag is at least this share of the lag bound.
 */
export const SATURATED_LAG_SHARE = 0.25;

/**
 * Samples the event loop every `intervalMs`: its lag (how late a short timer fires) and its
 * utilization over the last {@link UTILIZATION_WINDOW_MS} (the share of that time it was busy
 * running callbacks rather than waiting for I/O: Node's `performance.eventLoopUtilization()`).
 */
export class LagSampler {
  private timer?: NodeJS.Timeout;
  private expected = 0;
  private readonly history: ReturnType<typeof performance.eventLoopUtilization>[] = [];
  /** Lag of the most recent sample. */
  current = 0;
  /** Milliseconds the event loop was busy since the sample before. */
  activeMs = 0;
  /** Event-loop utilization (0..1) over the last {@link UTILIZATION_WINDOW_MS}; 0 until a whole window has been sampled. */
  utilization = 0;

  constructor(
    private readonly intervalMs = 20,
    private readonly onSample?: (lagMs: number) => void,
  ) {}

  start(): void {
    this.expected = performance.now() + this.intervalMs;
    const window = Math.max(1, Math.round(UTILIZATION_WINDOW_MS / this.intervalMs));
    this.history.push(performance.eventLoopUtilization());
    this.timer = setInterval(() => {
      const now = performance.now();
      this.current = Math.max(0, now - this.expected);
      this.expected = now + this.intervalMs;
      const elu = performance.eventLoopUtilization();
      this.activeMs = performance.eventLoopUtilization(elu, this.history[this.history.length - 1]).active;
      this.history.push(elu);
      if (this.history.length > window + 1) this.history.shift();
      // Judged only over a whole window: one busy 20 ms tick alone (a collection, a burst of
      // JIT work) is not saturation.
      if (this.history.length === window + 1) this.utilization = performance.eventLoopUtilization(elu, this.history[0]).utilization;
      this.onSample?.(this.current);
    }, this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** Which shedding bound a request broke. */
export type ShedKind = 'queue-length' | 'queue-age' | 'event-loop-lag' | 'event-loop-utilization' | 'queue-wait';

/** A request to shed: the bound it broke and what was measured (logged, sampled; never in the answer). */
export interface ShedDecision {
  readonly kind: ShedKind;
  readonly measured: number;
}

/**
 * Decides, before any work is done, whether a request is shed: the writer pool's wait queue is
 * too long or its oldest waiter too old, the event loop lags, or it was busy for too much of the
 * last 100 ms while its turns grew long ({@link SATURATED_LAG_SHARE}). The check is a few comparisons, so a shed request costs almost nothing.
 */
export function shedReason(
  bounds: ShedBounds,
  queue: { length: number; oldestMs: number },
  lagMs: number,
  utilization = 0,
): ShedDecision | undefined {
  if (queue.length >= bounds.maxQueueLength) return { kind: 'queue-length', measured: queue.length };
  if (queue.length > 0 && queue.oldestMs > bounds.maxPoolWaitMs) return { kind: 'queue-age', measured: queue.oldestMs };
  if (lagMs > bounds.maxEventLoopLagMs) return { kind: 'event-loop-lag', measured: lagMs };
  if (utilization >= bounds.maxEventLoopUtilization && lagMs >= bounds.maxEventLoopLagMs * SATURATED_LAG_SHARE) {
    return { kind: 'event-loop-utilization', measured: utilization };
  }
  return undefined;
}

/** The bound each kind broke, in words: the same for every request, so it is in the answer. */
export function shedBoundText(bounds: ShedBounds, kind: ShedKind): string {
  switch (kind) {
    case 'queue-length':
      return `too many requests wait for a database connection (bound ${bounds.maxQueueLength})`;
    case 'queue-age':
      return `requests wait for a database connection longer than the bound (${bounds.maxPoolWaitMs} ms)`;
    case 'event-loop-lag':
      return `event-loop lag over the bound (${bounds.maxEventLoopLagMs} ms)`;
    case 'event-loop-utilization':
      return `event loop busy for ${Math.round(bounds.maxEventLoopUtilization * 100)}% or more of the last ${UTILIZATION_WINDOW_MS} ms, with a lag of ${Math.round(bounds.maxEventLoopLagMs * SATURATED_LAG_SHARE)} ms or more`;
    case 'queue-wait':
      return `requests wait for the event loop longer than the bound (${bounds.maxEventLoopLagMs} ms)`;
  }
}

/** What was measured, for the (sampled) log line. */
export function describeShed(bounds: ShedBounds, d: ShedDecision): string {
  switch (d.kind) {
    case 'queue-length':
      return `${d.measured} requests wait for a database connection (bound ${bounds.maxQueueLength})`;
    case 'queue-age':
      return `the oldest request has waited ${Math.round(d.measured)} ms for a database connection (bound ${bounds.maxPoolWaitMs} ms)`;
    case 'event-loop-lag':
      return `event-loop lag ${Math.round(d.measured)} ms (bound ${bounds.maxEventLoopLagMs} ms)`;
    case 'event-loop-utilization':
      return `event loop busy ${Math.round(d.measured * 100)}% of the last ${UTILIZATION_WINDOW_MS} ms (bound ${Math.round(bounds.maxEventLoopUtilization * 100)}%)`;
    case 'queue-wait':
      return `the oldest request has waited ${Math.round(d.measured)} ms for the event loop (bound ${bounds.maxEventLoopLagMs} ms)`;
  }
}

/** The shed answer's body, serialized once per kind: answering a shed request builds nothing. */
export function shedPayloads(bounds: ShedBounds): Readonly<Record<ShedKind, Buffer>> {
  const kinds: ShedKind[] = ['queue-length', 'queue-age', 'event-loop-lag', 'event-loop-utilization', 'queue-wait'];
  return Object.fromEntries(
    kinds.map((k) => [
      k,
      Buffer.from(
        JSON.stringify(errorBody('overloaded', `The service is overloaded (${shedBoundText(bounds, k)}). Retry after a short wait.`)),
      ),
    ]),
  ) as Record<ShedKind, Buffer>;
}

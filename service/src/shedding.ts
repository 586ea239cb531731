import { performance } from 'node:perf_hooks';

export interface ShedBounds {
  readonly maxPoolWaitMs: number;
  readonly maxQueueLength: number;
  readonly maxEventLoopLagMs: number;
}

/** Samples event-loop lag: how late a short timer fires. */
export class LagSampler {
  private timer?: NodeJS.Timeout;
  private expected = 0;
  /** Lag of the most recent sample. */
  current = 0;

  constructor(
    private readonly intervalMs = 20,
    private readonly onSample?: (lagMs: number) => void,
  ) {}

  start(): void {
    this.expected = performance.now() + this.intervalMs;
    this.timer = setInterval(() => {
      const now = performance.now();
      this.current = Math.max(0, now - this.expected);
      this.expected = now + this.intervalMs;
      this.onSample?.(this.current);
    }, this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/**
 * Decides, before any work is done, whether a request is shed: the writer pool's wait queue is
 * too long or its oldest waiter too old, or the event loop lags. The check is a few
 * comparisons, so a shed request costs almost nothing and answers at once.
 */
export function shedReason(bounds: ShedBounds, queue: { length: number; oldestMs: number }, lagMs: number): string | undefined {
  if (queue.length >= bounds.maxQueueLength) return `${queue.length} requests wait for a database connection (bound ${bounds.maxQueueLength})`;
  if (queue.length > 0 && queue.oldestMs > bounds.maxPoolWaitMs) return `the oldest request has waited ${Math.round(queue.oldestMs)} ms for a database connection (bound ${bounds.maxPoolWaitMs} ms)`;
  if (lagMs > bounds.maxEventLoopLagMs) return `event-loop lag ${Math.round(lagMs)} ms (bound ${bounds.maxEventLoopLagMs} ms)`;
  return undefined;
}

import { performance } from 'node:perf_hooks';

/** A limit this low still keeps a worker busy while one request waits for its database or cache. */
export const MIN_EXECUTING = 2;
/** The limit a worker starts with, before its event loop has said anything. */
export const INITIAL_EXECUTING = 16;
/** After a decrease, the lag it caused is given this long to show before the next one. */
export const DECREASE_EVERY_MS = 100;

export interface AdmissionOptions {
  /** A new request is shed while the oldest waiting one has waited longer than this. */
  readonly maxWaitMs: number;
  /** The worker is over its capacity while the oldest waiting request has waited longer than this (below maxWaitMs). */
  readonly overWaitMs: number;
  /** The event-loop lag the limit steers at: a turn of the loop takes about this long at most. */
  readonly targetLagMs: number;
  /** The most requests that may run at once (the worker's connection cap). */
  readonly maxExecuting: number;
}

/**
 * Admission into one worker's event loop: at most `limit` requests run at once, the rest wait in
 * arrival order, and a new request is shed at once (a preserialized 503) while the oldest waiting
 * one has waited longer than `maxWaitMs`.
 *
 * Why: one event loop runs every ready callback in a turn, so a request that arrives behind many
 * running ones waits for all their work, and so does its 503 if it is shed. Bounding what runs
 * bounds the turn, so a request is admitted or shed within about one short turn of arriving,
 * while the ones beyond the limit wait cheaply (a queue entry, no work) instead of in the kernel
 * or in the turn. The limit adapts to the measured event-loop lag (additive increase while the
 * limit binds and the lag is below half the target, multiplicative decrease above the target):
 * it settles where the turns stay near `targetLagMs`, whatever the CPU of the instance: a few
 * requests at a time on a starved core, hundreds on a fast one. A healthy busy worker, whose lag
 * stays low, is never limited below what it is asked.
 */
export class Admission {
  private executing = 0;
  private readonly waiting: { readonly since: number; readonly start: () => void }[] = [];
  private head = 0;
  private lastDecrease = -Infinity;
  limit = INITIAL_EXECUTING;

  constructor(private readonly o: AdmissionOptions) {}

  /** Requests running now. */
  get running(): number {
    return this.executing;
  }

  /** Requests waiting to run. */
  get queued(): number {
    return this.waiting.length - this.head;
  }

  /** How long the oldest waiting request has waited (0 when none waits). */
  oldestWaitMs(now = performance.now()): number {
    return this.queued === 0 ? 0 : now - this.waiting[this.head]!.since;
  }

  /** Whether a request arriving now is shed. */
  sheds(now = performance.now()): boolean {
    return this.oldestWaitMs(now) > this.o.maxWaitMs;
  }

  /**
   * Whether the worker is over what it serves: requests have been waiting longer than
   * `overWaitMs`. Its answers then close their connections and its primary hands it no new
   * ones, so the requests beyond its capacity reach the primary, which sheds them at once.
   */
  over(now = performance.now()): boolean {
    return this.oldestWaitMs(now) > this.o.overWaitMs;
  }

  /**
   * A request asks to run: `run` (it runs now), a promise that resolves when it may run, or
   * `shed`. Every request that got `run` or a promise must call {@link leave} when it is done.
   */
  enter(now = performance.now()): 'run' | 'shed' | Promise<void> {
    if (this.sheds(now)) return 'shed';
    if (this.executing < this.limit && this.queued === 0) {
      this.executing++;
      return 'run';
    }
    return new Promise<void>((start) => this.waiting.push({ since: now, start }));
  }

  /** A request that ran is done: the next one waiting runs. */
  leave(): void {
    this.executing--;
    this.startWaiting();
  }

  private startWaiting(): void {
    while (this.executing < this.limit && this.queued > 0) {
      const next = this.waiting[this.head++]!;
      if (this.head > 1024 && this.head * 2 > this.waiting.length) {
        this.waiting.splice(0, this.head);
        this.head = 0;
      }
      this.executing++;
      next.start();
    }
  }

  /** One event-loop sample (every 20 ms): moves the limit towards the target lag. */
  adapt(lagMs: number, now = performance.now()): void {
    if (lagMs > this.o.targetLagMs) {
      if (now - this.lastDecrease >= DECREASE_EVERY_MS) {
        this.limit = Math.max(MIN_EXECUTING, Math.floor(this.limit * 0.75));
        this.lastDecrease = now;
      }
    } else if (lagMs < this.o.targetLagMs / 2 && this.executing >= this.limit && this.limit < this.o.maxExecuting) {
      this.limit++;
      this.startWaiting();
    }
  }
}

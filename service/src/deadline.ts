import { performance } from 'node:perf_hooks';

/** The request's deadline ran out before the work finished. */
export class DeadlineExceeded extends Error {
  constructor(what: string) {
    super(`deadline exceeded before ${what}`);
    this.name = 'DeadlineExceeded';
  }
}

/**
 * A per-request deadline (`APP_REQUEST_TIMEOUT_MS` from the start of the request), handed down
 * to every query, cache call and retry so that no hop outlives the request.
 */
export class Deadline {
  private constructor(
    public readonly at: number,
    private readonly now: () => number,
  ) {}

  static after(ms: number, now: () => number = () => performance.now()): Deadline {
    return new Deadline(now() + ms, now);
  }

  /** Milliseconds left, never negative. */
  remaining(): number {
    return Math.max(0, this.at - this.now());
  }

  expired(): boolean {
    return this.remaining() <= 0;
  }

  /** Throws {@link DeadlineExceeded} when no time is left. */
  check(what: string): void {
    if (this.expired()) throw new DeadlineExceeded(what);
  }

  /** The smaller of `ms` and the time left (at least 1 ms, so a timer always fires). */
  cap(ms: number): number {
    return Math.max(1, Math.min(ms, this.remaining()));
  }
}

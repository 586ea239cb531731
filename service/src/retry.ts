import { type Deadline, DeadlineExceeded } from './deadline';

export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/**
 * A token-bucket retry budget: every first attempt adds `percent`/100 of a token (up to a
 * small cap), every retry spends one. In an outage, when every call fails, retries add at most
 * `percent` % to the load instead of multiplying it by the attempt count.
 */
export class RetryBudget {
  private tokens: number;

  constructor(
    private readonly percent: number,
    private readonly cap = 10,
  ) {
    this.tokens = cap;
  }

  recordAttempt(): void {
    this.tokens = Math.min(this.cap, this.tokens + this.percent / 100);
  }

  trySpend(): boolean {
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  get available(): number {
    return this.tokens;
  }
}

/** Capped exponential backoff with full jitter: uniform in [0, min(max, base * 2^(retry-1))). */
export function backoffDelay(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return Math.floor(random() * ceiling);
}

export interface RetryOptions {
  readonly policy: RetryPolicy;
  readonly budget: RetryBudget;
  readonly deadline: Deadline;
  /** Transient errors only: a timeout or a bad request is never retried. */
  readonly isTransient: (error: unknown) => boolean;
  readonly random?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly onRetry?: (retry: number, delayMs: number, error: unknown) => void;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs an idempotent operation, retrying transient failures with backoff, within the retry
 * budget and always within the deadline (a retry whose backoff would end past the deadline is
 * not attempted). The only retry layer of the service: the drivers' own retries are off.
 */
export async function withRetry<T>(operation: (attempt: number) => Promise<T>, o: RetryOptions): Promise<T> {
  o.budget.recordAttempt();
  for (let attempt = 1; ; attempt++) {
    o.deadline.check('the call');
    try {
      return await operation(attempt);
    } catch (error) {
      if (error instanceof DeadlineExceeded || attempt >= o.policy.maxAttempts || !o.isTransient(error)) throw error;
      const delay = backoffDelay(attempt, o.policy, o.random);
      if (delay >= o.deadline.remaining() || !o.budget.trySpend()) throw error;
      o.onRetry?.(attempt, delay, error);
      await (o.sleep ?? defaultSleep)(delay);
    }
  }
}

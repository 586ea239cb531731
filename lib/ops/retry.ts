import type { Clock } from './clock.js';
import { raceAbort } from './deadline.js';
import { RetriesExhaustedError } from './errors.js';

export interface RetryPolicy {
  /** Attempts in total, the first included. */
  readonly maxAttempts: number;
  /** Backoff cap before jitter for the first retry; doubles on each retry. */
  readonly baseDelayMs: number;
  /** Upper bound of any single backoff. */
  readonly maxDelayMs: number;
  /** No retry starts once this much time has passed since the first attempt. */
  readonly maxTotalMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 250,
  maxDelayMs: 8_000,
  maxTotalMs: 30_000,
};

const RETRYABLE_NAMES = new Set([
  'Throttling',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'RequestThrottled',
  'RequestThrottledException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalFailure',
  'InternalServiceError',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);
const RETRYABLE_CODES = new Set(['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNABORTED', 'EAI_AGAIN', 'ESOCKETTIMEDOUT']);
const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);

/**
 * Throttling, server-side 5xx and transient network errors are retried. Access denied,
 * validation errors, missing credentials, refused connections and unknown hosts are not:
 * retrying them only delays the message the operator needs.
 */
export function isRetryable(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  return RETRYABLE_NAMES.has(e.name ?? '') || RETRYABLE_CODES.has(e.code ?? '') || RETRYABLE_STATUS.has(e.$metadata?.httpStatusCode ?? 0);
}

/** Full jitter: a uniform delay in [0, min(maxDelay, base * 2^(retry-1))). */
export function backoffDelay(retry: number, policy: RetryPolicy, random: () => number): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return Math.floor(random() * cap);
}

/**
 * Runs `attempt` until it succeeds, fails with a non-retryable error, runs out of attempts
 * or of total time, or the signal aborts (its reason is thrown, also during a backoff).
 * `retryable` narrows what is retried for a call that is not idempotent (default isRetryable).
 * @throws RetriesExhaustedError wrapping the last retryable error.
 */
export async function withRetry<T>(
  attempt: () => Promise<T>,
  policy: RetryPolicy,
  clock: Clock,
  signal?: AbortSignal,
  retryable: (err: unknown) => boolean = isRetryable,
): Promise<T> {
  const start = clock.now();
  for (let n = 1; ; n++) {
    if (signal?.aborted) throw signal.reason;
    try {
      return await attempt();
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      if (!retryable(err)) throw err;
      const delay = backoffDelay(n, policy, clock.random);
      if (n >= policy.maxAttempts || clock.now() - start + delay > policy.maxTotalMs) {
        throw new RetriesExhaustedError(err, n);
      }
      await clock.sleep(delay, signal);
    }
  }
}

/**
 * One AWS call as every command makes it: retried with backoff, and abandoned (its promise
 * raced) at the overall deadline even if the SDK never settles.
 */
export function guardedCall<T>(call: () => Promise<T>, policy: RetryPolicy, clock: Clock, signal: AbortSignal): Promise<T> {
  return withRetry(() => raceAbort(call(), signal), policy, clock, signal);
}

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Clock } from '../../lib/ops/clock.js';
import { RetriesExhaustedError } from '../../lib/ops/errors.js';
import { backoffDelay, DEFAULT_RETRY_POLICY, isRetryable, withRetry, type RetryPolicy } from '../../lib/ops/retry.js';

const policy: RetryPolicy = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1_000, maxTotalMs: 10_000 };

/** A clock whose sleeps return at once and advance its time; it records every delay. */
function recordingClock(random = 0.5): Clock & { delays: number[] } {
  let now = 0;
  const delays: number[] = [];
  return {
    delays,
    now: () => now,
    random: () => random,
    sleep: async (ms) => {
      delays.push(ms);
      now += ms;
    },
  };
}

const awsError = (name: string, status?: number) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
const netError = (code: string) => Object.assign(new Error(code), { code });

describe('isRetryable', () => {
  it.each([
    awsError('Throttling', 400),
    awsError('ThrottlingException', 400),
    awsError('RequestLimitExceeded', 400),
    awsError('SomethingNew', 429),
    awsError('SomethingNew', 503),
    awsError('TimeoutError'),
    netError('ECONNRESET'),
    netError('ETIMEDOUT'),
    netError('EPIPE'),
  ])('retries %s', (err) => expect(isRetryable(err)).toBe(true));

  it.each([
    awsError('AccessDenied', 403),
    awsError('AccessDeniedException', 400),
    awsError('ValidationError', 400),
    awsError('InvalidParameterValue', 400),
    awsError('CredentialsProviderError'),
    netError('ECONNREFUSED'),
    netError('ENOTFOUND'),
    'a string',
    null,
  ])('does not retry %s', (err) => expect(isRetryable(err)).toBe(false));
});

describe('backoffDelay (full jitter)', () => {
  it('stays in [0, min(max, base * 2^(retry-1)))', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (retry, r) => {
        const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
        const delay = backoffDelay(retry, policy, () => r);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThan(cap);
      }),
    );
  });

  it('doubles the cap per retry until maxDelay', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, policy, () => 0.5))).toEqual([50, 100, 200, 400, 500, 500]);
  });
});

describe('withRetry', () => {
  it('retries throttling, then returns the result', async () => {
    const clock = recordingClock();
    let calls = 0;
    const result = await withRetry(
      async () => {
        calls++;
        if (calls < 3) throw awsError('Throttling', 400);
        return 'ok';
      },
      policy,
      clock,
    );
    expect(result).toBe('ok');
    expect(calls).toBe(3);
    expect(clock.delays).toEqual([50, 100]);
  });

  it('does not retry access denied', async () => {
    const clock = recordingClock();
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw awsError('AccessDenied', 403);
        },
        policy,
        clock,
      ),
    ).rejects.toThrow('AccessDenied');
    expect(calls).toBe(1);
    expect(clock.delays).toEqual([]);
  });

  it('gives up after maxAttempts with the last error', async () => {
    const clock = recordingClock();
    let calls = 0;
    const failure = withRetry(
      async () => {
        calls++;
        throw netError('ECONNRESET');
      },
      policy,
      clock,
    );
    await expect(failure).rejects.toBeInstanceOf(RetriesExhaustedError);
    await expect(failure).rejects.toMatchObject({ attempts: 5, cause: { code: 'ECONNRESET' } });
    expect(calls).toBe(5);
  });

  it('gives up when the next backoff would pass maxTotalMs', async () => {
    // random ~1: delays 99, 199, 399... the third would reach 697 ms in total.
    const clock = recordingClock(0.999);
    let calls = 0;
    const bounded = { ...policy, maxTotalMs: 500 };
    await expect(
      withRetry(
        async () => {
          calls++;
          throw awsError('Throttling', 400);
        },
        bounded,
        clock,
      ),
    ).rejects.toMatchObject({ attempts: 3 });
    expect(calls).toBe(3);
    expect(clock.delays).toEqual([99, 199]);
    expect(clock.now()).toBeLessThanOrEqual(bounded.maxTotalMs);
  });

  it('stops retrying once the deadline signal has fired', async () => {
    const clock = recordingClock();
    const controller = new AbortController();
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          controller.abort(new Error('deadline'));
          throw awsError('Throttling', 400);
        },
        policy,
        clock,
        controller.signal,
      ),
    ).rejects.toThrow('deadline');
    expect(calls).toBe(1);
  });

  it('retries only what the caller says may be repeated, for a call that is not idempotent', async () => {
    const onlyThrottling = (err: unknown) => (err as { name?: string }).name === 'ThrottlingException';
    const internal = awsError('InternalServerException', 500);
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw internal;
        },
        policy,
        recordingClock(),
        undefined,
        onlyThrottling,
      ),
    ).rejects.toBe(internal);
    expect(calls).toBe(1);
    calls = 0;
    const result = await withRetry(
      async () => {
        if (++calls === 1) throw awsError('ThrottlingException', 429);
        return 'started';
      },
      policy,
      recordingClock(),
      undefined,
      onlyThrottling,
    );
    expect([result, calls]).toEqual(['started', 2]);
  });

  it('has a bounded default: at most 5 attempts within 30 s', () => {
    expect(DEFAULT_RETRY_POLICY.maxAttempts).toBe(5);
    expect(DEFAULT_RETRY_POLICY.maxTotalMs).toBe(30_000);
  });
});

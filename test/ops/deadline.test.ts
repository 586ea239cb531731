import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { sleep } from '../../lib/ops/clock.js';
import { raceAbort, startDeadline } from '../../lib/ops/deadline.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('deadline', () => {
  it('aborts its signal with the given reason after ms, not before', async () => {
    const deadline = startDeadline(5_000, () => new Error('too late'));
    await vi.advanceTimersByTimeAsync(4_999);
    expect(deadline.signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(deadline.signal.aborted).toBe(true);
    expect(deadline.signal.reason).toEqual(new Error('too late'));
  });

  it('does not fire once disposed', async () => {
    const deadline = startDeadline(1_000, () => new Error('too late'));
    deadline.dispose();
    await vi.advanceTimersByTimeAsync(2_000);
    expect(deadline.signal.aborted).toBe(false);
  });

  it('ends a call that never answers', async () => {
    const deadline = startDeadline(1_000, () => new Error('too late'));
    const stuck = raceAbort(new Promise<never>(() => undefined), deadline.signal);
    const outcome = expect(stuck).rejects.toThrow('too late');
    await vi.advanceTimersByTimeAsync(1_000);
    await outcome;
  });

  it('passes results and errors through before the deadline', async () => {
    const { signal } = new AbortController();
    await expect(raceAbort(Promise.resolve(42), signal)).resolves.toBe(42);
    await expect(raceAbort(Promise.reject(new Error('boom')), signal)).rejects.toThrow('boom');
  });

  it('interrupts a sleep', async () => {
    const controller = new AbortController();
    const nap = sleep(60_000, controller.signal);
    const outcome = expect(nap).rejects.toThrow('stop');
    await vi.advanceTimersByTimeAsync(10);
    controller.abort(new Error('stop'));
    await outcome;
    expect(vi.getTimerCount()).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import { Admission, DECREASE_EVERY_MS, INITIAL_EXECUTING, MIN_EXECUTING } from '../src/admission';

const options = { maxWaitMs: 200, overWaitMs: 50, targetLagMs: 50, maxExecuting: 1000 };

describe("admission into a worker's event loop", () => {
  it('runs up to the limit at once, queues the rest in arrival order, and starts them as others finish', async () => {
    const a = new Admission(options);
    a.limit = 2;
    expect(a.enter(0)).toBe('run');
    expect(a.enter(0)).toBe('run');
    const order: number[] = [];
    const third = a.enter(1);
    const fourth = a.enter(2);
    expect(third).toBeInstanceOf(Promise);
    void (third as Promise<void>).then(() => order.push(3));
    void (fourth as Promise<void>).then(() => order.push(4));
    expect(a.queued).toBe(2);
    a.leave();
    await Promise.resolve();
    expect(order).toEqual([3]);
    a.leave();
    await Promise.resolve();
    expect(order).toEqual([3, 4]);
    expect(a.running).toBe(2);
  });

  it('sheds a new request once the oldest waiting one has waited longer than the bound, and is over past its quarter', () => {
    const a = new Admission(options);
    a.limit = 1;
    expect(a.enter(0)).toBe('run');
    void a.enter(0);
    expect(a.over(49)).toBe(false);
    expect(a.over(51)).toBe(true);
    expect(a.enter(199)).toBeInstanceOf(Promise);
    expect(a.enter(201)).toBe('shed');
    expect(a.oldestWaitMs(250)).toBe(250);
  });

  it('steers the limit at the target lag: down by a quarter at most every 100 ms above it, up by one while it binds below half of it', () => {
    const a = new Admission(options);
    expect(a.limit).toBe(INITIAL_EXECUTING);
    a.adapt(80, 1000);
    expect(a.limit).toBe(12);
    a.adapt(80, 1000 + DECREASE_EVERY_MS - 1);
    expect(a.limit).toBe(12);
    for (let t = 2000; a.limit > MIN_EXECUTING; t += DECREASE_EVERY_MS) a.adapt(500, t);
    expect(a.limit).toBe(MIN_EXECUTING);
    // Not binding (nothing running): no increase, whatever the lag.
    a.adapt(1, 9000);
    expect(a.limit).toBe(MIN_EXECUTING);
    a.enter(9000);
    a.enter(9000);
    a.adapt(1, 9001);
    expect(a.limit).toBe(MIN_EXECUTING + 1);
    // Between half the target and the target: it holds.
    a.enter(9002);
    a.adapt(30, 9003);
    expect(a.limit).toBe(MIN_EXECUTING + 1);
  });
});

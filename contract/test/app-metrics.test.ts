import { describe, expect, it } from 'vitest';
import { AppMetrics as Metrics, mergeSamples } from '@loadbearing/contract';

/** A deterministic random source (mulberry32). */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('metrics of an instance: every worker merged into one document', () => {
  it("merges samples by the requests they stand for: a busy worker's latency weighs more than an idle one's", () => {
    const busy = { values: Array(100).fill(10), seen: 9000 };
    const idle = { values: Array(100).fill(1000), seen: 1000 };
    const merged = mergeSamples([busy, idle], seeded(7));
    expect(merged.seen).toBe(10_000);
    expect(merged.values).toHaveLength(100);
    // 10% of the requests were slow: about 10 of 100 values, not 50 (the workers' samples averaged).
    const slow = merged.values.filter((v) => v === 1000).length;
    expect(slow).toBeGreaterThanOrEqual(4);
    expect(slow).toBeLessThanOrEqual(18);
  });

  it('keeps every value when the samples are complete and fit', () => {
    expect(
      mergeSamples([
        { values: [1, 2], seen: 2 },
        { values: [3], seen: 1 },
      ]),
    ).toEqual({ values: [1, 2, 3], seen: 3 });
    expect(mergeSamples([])).toEqual({ values: [], seen: 0 });
  });

  it('sums counters exactly, takes the highest lag, and writes one document with the worker count', () => {
    const primary = new Metrics('stack-a', { properties: { InstanceId: 'i-1' }, random: seeded(1) });
    const w0 = new Metrics('stack-a', { random: seeded(2) });
    const w1 = new Metrics('stack-a', { random: seeded(3) });
    for (let i = 0; i < 30; i++) w0.count('Requests');
    for (let i = 0; i < 12; i++) w1.count('Requests');
    w1.count('ServerErrors');
    primary.count('Requests', 5);
    primary.count('ShedRequests', 5);
    w0.eventLoopLag(12);
    w1.eventLoopLag(40);
    w0.observe('RequestLatency', 3);
    w1.observe('RequestLatency', 7);
    primary.merge(w0.snapshot());
    primary.merge(w1.snapshot());
    const doc = JSON.parse(primary.flush(1_700_000_000_000, { Workers: 2 }));
    expect(doc).toMatchObject({
      Stack: 'stack-a',
      InstanceId: 'i-1',
      Workers: 2,
      Requests: 47,
      ServerErrors: 1,
      ShedRequests: 5,
      EventLoopLag: 40,
    });
    expect([...doc.RequestLatency].sort()).toEqual([3, 7]);
    expect(doc._aws.CloudWatchMetrics[0].Dimensions).toEqual([['Stack']]);
    // A snapshot is taken once: the next document starts from zero.
    expect(JSON.parse(primary.flush())).toMatchObject({ Requests: 0, ServerErrors: 0 });
  });
});

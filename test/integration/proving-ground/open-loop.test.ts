import http from 'node:http';
import type net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoadGenerator } from '../../../proving-ground/src/load/generator';
import { percentileMs } from '../../../proving-ground/src/load/histogram';
import { Recorder } from '../../../proving-ground/src/load/recorder';

// The generator is open loop and measures from the PLANNED send: while the server stalls, it
// keeps sending on schedule, and every request planned during the stall is charged the wait.
// A closed-loop generator would have sent almost nothing during the stall and reported a
// clean tail (coordinated omission).
describe('the load generator (open loop, no coordinated omission)', () => {
  let server: http.Server;
  let url: string;
  let start = 0;
  const stall = { fromMs: 400, toMs: 900 };

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const answer = () => res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'application/json' }).end('{"id":"1"}');
      const t = performance.now() - start;
      if (t >= stall.fromMs && t < stall.toMs) setTimeout(answer, stall.toMs - t);
      else answer();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  });
  afterAll(() => server.close());

  it('sends on schedule through a stall and charges each request from its planned instant', async () => {
    const generator = new LoadGenerator({
      url,
      clients: 4,
      seed: 1,
      seedItems: 10,
      keyPrefix: 'open-loop',
      timeoutMs: 5_000,
      retry: { firstTimeoutMs: 5, maxAttempts: 1 },
    });
    const recorder = new Recorder(100, { faultStartMs: stall.fromMs, faultEndMs: stall.toMs, endMs: 1_500 });
    start = performance.now();
    const stats = await generator.run({ durationMs: 1_500, rateAt: () => 100 }, recorder);
    await generator.close();
    // Exactly the planned number of requests, whatever the server did.
    expect(stats.planned).toBe(150);
    const during = recorder.phases.get('fault')!;
    expect(during.counts.sent).toBeGreaterThanOrEqual(48);
    // A request planned at the start of the stall waited about the whole stall.
    expect(percentileMs(during.all, 100)).toBeGreaterThan(stall.toMs - stall.fromMs - 60);
    // Latency falls linearly over the stall: the median is about half of it, not a few ms.
    expect(percentileMs(during.all, 50)).toBeGreaterThan((stall.toMs - stall.fromMs) / 2 - 80);
    expect(percentileMs(recorder.phases.get('before')!.all, 99)).toBeLessThan(100);
  });
});

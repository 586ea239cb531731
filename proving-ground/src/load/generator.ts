import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { clientAddress, nextRequest, seededRandom, type PlannedRequest } from './mix';
import type { Outcome, Recorder, RequestKind } from './recorder';

/**
 * The load generator: an OPEN-LOOP, fixed-rate schedule. Request k is due at a planned
 * instant; it is sent then whether or not earlier requests have been answered, and its latency
 * runs from that planned instant, so a slow server (or a busy generator) shows up as latency
 * instead of silently lowering the rate (coordinated omission). Requests go out over keep-alive
 * connections from many loopback source addresses (one undici pool per client), so the
 * per-client rate rule sees many clients, as the WAF does in AWS.
 */

/** Keep-alive connections per client source address. */
export const CONNECTIONS_PER_CLIENT = 4;

export interface LoadPlan {
  readonly durationMs: number;
  /** Requests per second at `tMs` into the run (all clients together). */
  rateAt(tMs: number): number;
  /** Whether writes planned at `tMs` come from retrying clients (client-retries). */
  retryingWritesAt?(tMs: number): boolean;
  /** One client over the per-client rate limit, at this many requests per second. */
  readonly overLimitRate?: number;
  /** Stops scheduling when aborted (Ctrl-C): requests in flight still get their answer or time out. */
  readonly signal?: AbortSignal;
}

export interface WriteRecord {
  readonly key: string;
  readonly intendedMs: number;
  attempts: number;
  /** Attempts answered from the stored result (`Idempotent-Replayed: true`). */
  replays: number;
  /** Order ids the client was given for this key (more than one would be a duplicate). */
  readonly orderIds: Set<string>;
  acked: boolean;
  /** What the last attempt got. */
  last?: Outcome;
}

export interface GeneratorOptions {
  readonly url: string;
  readonly clients: number;
  readonly seed: number;
  readonly seedItems: number;
  /** Prefix of every Idempotency-Key of this run (the verifier selects the run's keys by it). */
  readonly keyPrefix: string;
  /** A client gives up on an answer after this long (an error: timeout). */
  readonly timeoutMs: number;
  /** Retrying clients: first attempt's timeout (doubled per attempt) and attempts. */
  readonly retry: { readonly firstTimeoutMs: number; readonly maxAttempts: number };
  /** At most this many requests in flight; beyond it a request is counted as an error (generator-overload) instead of being sent. */
  readonly maxInFlight?: number;
  /** Another mix than the reference service's (a team's app: GET paths with shares). @default - the reference mix (mix.ts) */
  readonly mix?: (random: () => number) => PlannedRequest;
}

export interface GeneratorStats {
  readonly planned: number;
  /** Event-loop delay of the generator itself (ms): when high, the generator, not the service, added latency. */
  readonly lagP99Ms: number;
  readonly lagMaxMs: number;
  readonly peakInFlight: number;
}

type Answer = {
  outcome: Outcome;
  /** An error's kind; a shed's shedder (its X-Shed-By header: primary or worker). */
  errorKind?: string;
  status?: number;
  text?: string;
  headers?: Record<string, string | string[] | undefined>;
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class LoadGenerator {
  private readonly pools: Pool[];
  private readonly overLimitPool: Pool;
  private keySeq = 0;
  readonly writes: WriteRecord[] = [];

  constructor(private readonly o: GeneratorOptions) {
    // A few connections per client, as a browser or an SDK keeps; requests beyond them queue in the client and that wait counts too.
    const options = (localAddress: string) => ({
      localAddress,
      connections: CONNECTIONS_PER_CLIENT,
      pipelining: 1,
      keepAliveTimeout: 30_000,
    });
    this.pools = Array.from({ length: o.clients }, (_, i) => new Pool(o.url, options(clientAddress(i))));
    this.overLimitPool = new Pool(o.url, options('127.9.0.1'));
  }

  private async send(pool: Pool, r: PlannedRequest, timeoutMs: number, signal?: AbortSignal): Promise<Answer> {
    try {
      const res = await pool.request({
        method: r.method,
        path: r.path,
        headers: r.headers,
        body: r.body,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal,
      });
      const status = res.statusCode;
      if (status === 200) {
        await res.body.dump();
        return { outcome: 'ok', status };
      }
      const text = await res.body.text();
      if (status === 201) return { outcome: 'ok', status, text, headers: res.headers };
      if (status === 429) return { outcome: 'rateLimited', status, text, headers: res.headers };
      if (status === 503 && /"error":"overloaded"/.test(text))
        return { outcome: 'shed', status, text, headers: res.headers, errorKind: String(res.headers['x-shed-by'] ?? 'unknown') };
      const code = /"error":"([a-z_]+)"/.exec(text)?.[1];
      return { outcome: 'error', status, errorKind: `${status}${code ? ` ${code}` : ''}` };
    } catch (error) {
      const e = error as { code?: string; name?: string };
      const kind =
        e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT' || e.name === 'AbortError'
          ? 'timeout'
          : (e.code ?? e.name ?? 'error');
      return { outcome: 'error', errorKind: kind };
    }
  }

  private newKey(): string {
    return `${this.o.keyPrefix}-${(this.keySeq++).toString(36).padStart(6, '0')}`;
  }

  /** One write; with `retrying`, resent with the same key after every timeout or 5xx, with growing timeouts and jittered backoff. */
  private async write(pool: Pool, r: PlannedRequest, intendedMs: number, retrying: boolean, random: () => number): Promise<Answer> {
    const record: WriteRecord = {
      key: r.headers['idempotency-key'],
      intendedMs,
      attempts: 0,
      replays: 0,
      orderIds: new Set(),
      acked: false,
    };
    this.writes.push(record);
    const attempts = retrying ? this.o.retry.maxAttempts : 1;
    let answer: Answer = { outcome: 'error', errorKind: 'not sent' };
    for (let attempt = 1; attempt <= attempts; attempt++) {
      record.attempts++;
      const last = attempt === attempts;
      const timeout = retrying && !last ? this.o.retry.firstTimeoutMs * 2 ** (attempt - 1) : this.o.timeoutMs;
      answer = await this.send(pool, r, timeout, retrying && !last ? AbortSignal.timeout(timeout) : undefined);
      record.last = answer.outcome;
      if (answer.status === 201 && answer.text) {
        const id = /"id":"(\d+)"/.exec(answer.text)?.[1];
        if (id) record.orderIds.add(id);
        if (answer.headers?.['idempotent-replayed'] === 'true') record.replays++;
        record.acked = true;
        return answer;
      }
      const retryable =
        answer.errorKind === 'timeout' || (answer.status ?? 0) >= 500 || answer.status === undefined || answer.status === 429;
      if (!retryable) return answer;
      // Backoff with full jitter; a shed or rate-limited answer says when to come back (Retry-After).
      const retryAfterMs = Number(answer.headers?.['retry-after'] ?? 0) * 1000;
      if (!last) await sleep(retryAfterMs > 0 ? retryAfterMs * (0.5 + random() / 2) : random() * Math.min(200, 10 * 2 ** attempt));
    }
    return answer;
  }

  /** Runs `plan`, recording every answer; resolves when every request has an answer (or timed out). */
  async run(plan: LoadPlan, recorder: Recorder): Promise<GeneratorStats> {
    const random = seededRandom(this.o.seed);
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    const start = performance.now();
    // A counter, not Promise.race over a set: racing thousands of promises per completion is
    // quadratic and stalled the generator for seconds at the end of an overload.
    let inFlight = 0;
    let drained: (() => void) | undefined;
    let peak = 0;
    let planned = 0;
    const maxInFlight = this.o.maxInFlight ?? 10_000;
    const track = (p: Promise<void>) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      void p.finally(() => {
        inFlight--;
        if (inFlight === 0) drained?.();
      });
    };
    const issue = (intendedMs: number) => {
      planned++;
      const r = this.o.mix ? this.o.mix(random) : nextRequest(random, this.o.seedItems, () => this.newKey());
      const pool = this.pools[planned % this.pools.length];
      if (inFlight >= maxInFlight) {
        recorder.record(intendedMs, r.kind, 'error', performance.now() - start - intendedMs, 'generator-overload');
        return;
      }
      const done = (a: Answer) => {
        const ms = performance.now() - start - intendedMs;
        recorder.record(intendedMs, r.kind as RequestKind, a.outcome, ms, a.errorKind);
        if (a.outcome === 'rateLimited' && !recorder.firstRateLimited)
          recorder.firstRateLimited = { status: a.status!, retryAfter: String(a.headers?.['retry-after'] ?? ''), body: a.text ?? '' };
      };
      const p =
        r.kind === 'write'
          ? this.write(pool, r, intendedMs, plan.retryingWritesAt?.(intendedMs) ?? false, random)
          : this.send(pool, r, this.o.timeoutMs);
      track(p.then(done));
    };
    const overLimit = (intendedMs: number) => {
      const r: PlannedRequest = this.o.mix?.(() => 0) ?? { kind: 'cached-read', method: 'GET', path: '/api/items/1', headers: {} };
      track(
        this.send(this.overLimitPool, r, this.o.timeoutMs).then((a) => {
          recorder.overLimitClient.add(a.outcome, performance.now() - start - intendedMs, a.errorKind);
          if (a.outcome === 'rateLimited' && !recorder.firstRateLimited)
            recorder.firstRateLimited = { status: a.status!, retryAfter: String(a.headers?.['retry-after'] ?? ''), body: a.text ?? '' };
        }),
      );
    };

    await new Promise<void>((resolve) => {
      let next = 0;
      let nextOver = 0;
      const tick = () => {
        if (plan.signal?.aborted) return resolve();
        const now = performance.now() - start;
        while (next <= now && next < plan.durationMs) {
          issue(next);
          next += 1000 / Math.max(0.001, plan.rateAt(next));
        }
        if (plan.overLimitRate) {
          while (nextOver <= now && nextOver < plan.durationMs) {
            overLimit(nextOver);
            nextOver += 1000 / plan.overLimitRate;
          }
        }
        if (next >= plan.durationMs && (!plan.overLimitRate || nextOver >= plan.durationMs)) return resolve();
        const due = Math.min(next, plan.overLimitRate ? nextOver : Infinity);
        setTimeout(tick, Math.max(0, due - (performance.now() - start) - 1));
      };
      tick();
    });
    if (inFlight > 0) await new Promise<void>((resolve) => (drained = resolve));
    lag.disable();
    return { planned, lagP99Ms: lag.percentile(99) / 1e6, lagMaxMs: lag.max / 1e6, peakInFlight: peak };
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools, this.overLimitPool].map((p) => p.destroy().catch(() => undefined)));
  }
}

import { newHistogram, recordMs, type Histogram } from './histogram';

/** What a response counts as. 429s and shed 503s are reported apart from errors. */
export type Outcome = 'ok' | 'shed' | 'rateLimited' | 'error';

/** The request kinds of the mix; `app` is every request of a team's app (app.artifact.proveRequests). */
export const REQUEST_KINDS = ['cached-read', 'uncached-read', 'list', 'write', 'app'] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];

export interface Counts {
  sent: number;
  ok: number;
  shed: number;
  rateLimited: number;
  error: number;
}

export const emptyCounts = (): Counts => ({ sent: 0, ok: 0, shed: 0, rateLimited: 0, error: 0 });

export function addCounts(into: Counts, from: Counts): Counts {
  into.sent += from.sent;
  into.ok += from.ok;
  into.shed += from.shed;
  into.rateLimited += from.rateLimited;
  into.error += from.error;
  return into;
}

/** Requests and their latency in one slice (a time bucket, a phase, a phase and kind). */
export class Cell {
  readonly counts = emptyCounts();
  /** Every answer except 429s (those come from the rate rule, not the service). */
  readonly all: Histogram = newHistogram();
  readonly ok: Histogram = newHistogram();
  readonly shed: Histogram = newHistogram();
  readonly errorKinds = new Map<string, number>();
  /** Shed answers by the process that shed them (the service's X-Shed-By header: primary or worker). */
  readonly shedBy = new Map<string, Histogram>();

  add(outcome: Outcome, ms: number, errorKind?: string): void {
    this.counts.sent++;
    this.counts[outcome]++;
    if (outcome === 'rateLimited') return;
    recordMs(this.all, ms);
    if (outcome === 'ok') recordMs(this.ok, ms);
    if (outcome === 'shed') {
      recordMs(this.shed, ms);
      const by = errorKind ?? 'unknown';
      let h = this.shedBy.get(by);
      if (!h) this.shedBy.set(by, (h = newHistogram()));
      recordMs(h, ms);
    }
    if (outcome === 'error' && errorKind) this.errorKinds.set(errorKind, (this.errorKinds.get(errorKind) ?? 0) + 1);
  }
}

/** Phases of a scenario run: load before the fault, with the fault, after it is cleared. */
export const PHASES = ['before', 'fault', 'after'] as const;
export type Phase = (typeof PHASES)[number];

export interface PhaseBounds {
  /** ms from the run's start. */
  readonly faultStartMs: number;
  readonly faultEndMs: number;
  readonly endMs: number;
}

export function phaseAt(bounds: PhaseBounds, tMs: number): Phase {
  return tMs < bounds.faultStartMs ? 'before' : tMs < bounds.faultEndMs ? 'fault' : 'after';
}

/**
 * Everything the load generator saw in one run, by the time each request was MEANT to be sent
 * (open loop: latency runs from that instant, so a stalled client or server cannot hide its
 * queue - no coordinated omission): per time bucket, per phase, per phase and request kind,
 * and the over-limit client apart.
 */
export class Recorder {
  readonly buckets: Cell[] = [];
  readonly phases = new Map<Phase, Cell>(PHASES.map((p) => [p, new Cell()]));
  readonly byKind = new Map<string, Cell>();
  /** The client that deliberately exceeds the per-client rate (traffic-spike). */
  readonly overLimitClient = new Cell();
  /** The first rate-limit answer seen, to check it is the configured block response. */
  firstRateLimited?: { status: number; retryAfter?: string; body: string };

  constructor(
    readonly bucketMs: number,
    readonly bounds: PhaseBounds,
  ) {
    for (let i = 0; i < Math.ceil(bounds.endMs / bucketMs); i++) this.buckets.push(new Cell());
  }

  record(intendedMs: number, kind: RequestKind, outcome: Outcome, ms: number, errorKind?: string): void {
    const bucket = this.buckets[Math.min(this.buckets.length - 1, Math.max(0, Math.floor(intendedMs / this.bucketMs)))];
    bucket.add(outcome, ms, errorKind);
    const phase = phaseAt(this.bounds, intendedMs);
    this.phases.get(phase)!.add(outcome, ms, errorKind);
    const key = `${phase}:${kind}`;
    let cell = this.byKind.get(key);
    if (!cell) this.byKind.set(key, (cell = new Cell()));
    cell.add(outcome, ms, errorKind);
  }

  kind(phase: Phase, kind: RequestKind): Cell {
    return this.byKind.get(`${phase}:${kind}`) ?? new Cell();
  }
}

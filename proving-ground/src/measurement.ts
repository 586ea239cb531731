import type { GeneratorStats } from './load/generator';
import { distribution, merged, percentileMs, type Distribution, type Histogram } from './load/histogram';
import {
  addCounts,
  emptyCounts,
  PHASES,
  type Cell,
  type Counts,
  type Phase,
  type Recorder,
  REQUEST_KINDS,
  type RequestKind,
} from './load/recorder';
import type { Observer } from './observe';
import type { WriteAudit } from './writes';

/** One second (one bucket) of a run, as charted. */
export interface SeriesPoint {
  readonly tS: number;
  /** Requests planned per second, and answers by outcome per second. */
  readonly sentPerS: number;
  readonly okPerS: number;
  readonly shedPerS: number;
  readonly rateLimitedPerS: number;
  readonly errorPerS: number;
  readonly errorPercent: number;
  /** Latency of every answer except 429s, planned-send to answer. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly healthyTargets?: number;
  readonly cacheFallbacks: number;
  readonly replicaFallbacks: number;
  readonly serviceShed: number;
  readonly poolWaitP99Ms: number;
  readonly eventLoopLagMaxMs: number;
  readonly primaryActiveSessions?: number;
}

export interface PhaseSummary {
  readonly counts: Counts;
  readonly errorPercent: number;
  readonly shedPercent: number;
  readonly all: Distribution;
  readonly ok: Distribution;
  readonly shed: Distribution;
  readonly errorKinds: Record<string, number>;
  /** Shed answers by the process that shed them (primary or worker): how many, and their latency. */
  readonly shedBy: Record<string, { count: number; p50Ms: number; p99Ms: number }>;
  readonly byKind: Record<RequestKind, { counts: Counts; errorPercent: number; p99Ms: number }>;
  /** The service's own metrics over the phase (EMF), summed over the instances. */
  readonly service: { counters: Record<string, number>; poolWaitP99Ms: number; eventLoopLagMaxMs: number };
  readonly minHealthyTargets?: number;
  readonly primarySessions?: { activeMean: number; activeMax: number; waitingMax: number };
}

export interface RunMeasurement {
  readonly bucketMs: number;
  /** Planned fault window (ms from the run's start) and the actual one. */
  readonly faultStartMs: number;
  readonly faultEndMs: number;
  readonly durationMs: number;
  readonly actualFault?: { startMs: number; endMs: number };
  readonly phases: Record<Phase, PhaseSummary>;
  readonly run: PhaseSummary;
  readonly series: readonly SeriesPoint[];
  readonly overLimitClient?: { counts: Counts; rateLimitedPercent: number };
  readonly rateLimitResponse?: { status: number; retryAfter?: string; body: string };
  readonly writes: WriteAudit;
  readonly generator: GeneratorStats;
  readonly cpuPercent: Record<string, number>;
  /** Connections the kernel dropped during the run because an accept queue was full (machine-wide TcpExtListenOverflows). */
  readonly listenOverflows: number;
  /** The service's error log messages (5xx not shed), most frequent first. */
  readonly serviceErrors: readonly { cause: string; count: number }[];
  readonly topStatements: readonly { query: string; calls: number; totalMs: number; meanMs: number }[];
  /** Workers each instance reported up (its primary's EMF documents), ms from the run's start. */
  readonly workerCounts: readonly { tMs: number; instance: string; workers: number }[];
  /** Sums over arbitrary bucket ranges (detection windows, recovery); not serialized. */
  window(fromMs: number, toMs: number): { counts: Counts; errorPercent: number; p99Ms: number };
  /** Seconds after the fault cleared until p99 and errors stayed at the pre-fault level (Infinity: never within the run). */
  recoverySeconds(): number;
}

const pct = (part: number, whole: number) => (whole === 0 ? 0 : (100 * part) / whole);
const round = (v: number, digits = 2) => Math.round(v * 10 ** digits) / 10 ** digits;

/** Slack of the recovery threshold: scheduling noise on a shared 2-core machine (budgets.ts uses the same margin). */
const RECOVERY_SLACK_MS = 100;

/** The threshold recovery is judged against: twice the pre-fault p99, or 100 ms above it, whichever is larger. */
export function recoveryThresholdMs(beforeP99Ms: number): number {
  return Math.max(2 * beforeP99Ms, beforeP99Ms + RECOVERY_SLACK_MS);
}

export function measureRun(input: {
  recorder: Recorder;
  observer: Observer;
  generator: GeneratorStats;
  writes: WriteAudit;
  cpuPercent: Record<string, number>;
  listenOverflows: number;
  topStatements: RunMeasurement['topStatements'];
  actualFault?: { startMs: number; endMs: number };
}): RunMeasurement {
  const { recorder, observer } = input;
  const { bucketMs, bounds } = recorder;
  const bucketsIn = (from: number, to: number) => recorder.buckets.filter((_, i) => i * bucketMs >= from && i * bucketMs < to);
  const serviceIn = (from: number, to: number) => observer.service.filter((_, i) => i * bucketMs >= from && i * bucketMs < to);
  const samplesIn = (from: number, to: number) => observer.samples.filter((s) => s.tMs >= from && s.tMs < to);

  const summarize = (cells: Cell[], kindCells: (kind: RequestKind) => Cell[], from: number, to: number): PhaseSummary => {
    const counts = cells.reduce((c, cell) => addCounts(c, cell.counts), emptyCounts());
    const errorKinds: Record<string, number> = {};
    for (const cell of cells) for (const [k, n] of cell.errorKinds) errorKinds[k] = (errorKinds[k] ?? 0) + n;
    const shedBy: PhaseSummary['shedBy'] = {};
    for (const by of new Set(cells.flatMap((c) => [...c.shedBy.keys()]))) {
      const h = merged(cells.flatMap((c) => (c.shedBy.has(by) ? [c.shedBy.get(by)!] : [])));
      shedBy[by] = { count: h.totalCount, p50Ms: round(percentileMs(h, 50)), p99Ms: round(percentileMs(h, 99)) };
    }
    const byKind = Object.fromEntries(
      REQUEST_KINDS.map((kind) => {
        const kc = kindCells(kind);
        const c = kc.reduce((acc, cell) => addCounts(acc, cell.counts), emptyCounts());
        return [
          kind,
          { counts: c, errorPercent: round(pct(c.error, c.sent), 3), p99Ms: round(percentileMs(merged(kc.map((x) => x.all)), 99)) },
        ];
      }),
    ) as PhaseSummary['byKind'];
    const svc = serviceIn(from, to);
    const counters: Record<string, number> = {};
    for (const b of svc) for (const [k, v] of Object.entries(b.counters)) counters[k] = (counters[k] ?? 0) + v;
    const samples = samplesIn(from, to);
    const active = samples.flatMap((s) => (s.primarySessions ? [s.primarySessions] : []));
    return {
      counts,
      errorPercent: round(pct(counts.error, counts.sent), 3),
      shedPercent: round(pct(counts.shed, counts.sent), 3),
      all: distribution(merged(cells.map((c) => c.all))),
      ok: distribution(merged(cells.map((c) => c.ok))),
      shed: distribution(merged(cells.map((c) => c.shed))),
      errorKinds,
      shedBy,
      byKind,
      service: {
        counters,
        poolWaitP99Ms: round(percentileMs(merged(svc.map((b) => b.poolWait)), 99)),
        eventLoopLagMaxMs: round(Math.max(0, ...svc.map((b) => b.eventLoopLagMaxMs))),
      },
      minHealthyTargets: samples.length > 0 ? Math.min(...samples.map((s) => s.healthyTargets)) : undefined,
      primarySessions:
        active.length > 0
          ? {
              activeMean: round(active.reduce((n, s) => n + s.active, 0) / active.length, 1),
              activeMax: Math.max(...active.map((s) => s.active)),
              waitingMax: Math.max(...active.map((s) => s.waiting)),
            }
          : undefined,
    };
  };
  const ranges: Record<Phase, [number, number]> = {
    before: [0, bounds.faultStartMs],
    fault: [bounds.faultStartMs, bounds.faultEndMs],
    after: [bounds.faultEndMs, bounds.endMs],
  };
  const phases = Object.fromEntries(
    PHASES.map((p) => [p, summarize([recorder.phases.get(p)!], (k) => [recorder.kind(p, k)], ...ranges[p])]),
  ) as Record<Phase, PhaseSummary>;
  const run = summarize([...recorder.phases.values()], (k) => PHASES.map((p) => recorder.kind(p, k)), 0, bounds.endMs);

  const series: SeriesPoint[] = recorder.buckets.map((b, i) => {
    const perS = (n: number) => round((n * 1000) / bucketMs, 1);
    const svc = observer.service[i];
    const sample = samplesIn(i * bucketMs, (i + 1) * bucketMs).at(-1);
    return {
      tS: round((i * bucketMs) / 1000, 2),
      sentPerS: perS(b.counts.sent),
      okPerS: perS(b.counts.ok),
      shedPerS: perS(b.counts.shed),
      rateLimitedPerS: perS(b.counts.rateLimited),
      errorPerS: perS(b.counts.error),
      errorPercent: round(pct(b.counts.error, b.counts.sent), 3),
      p50Ms: round(percentileMs(b.all, 50)),
      p99Ms: round(percentileMs(b.all, 99)),
      healthyTargets: sample?.healthyTargets,
      cacheFallbacks: svc?.counters.CacheFallbacks ?? 0,
      replicaFallbacks: svc?.counters.ReplicaFallbacks ?? 0,
      serviceShed: svc?.counters.ShedRequests ?? 0,
      poolWaitP99Ms: svc ? round(percentileMs(svc.poolWait, 99)) : 0,
      eventLoopLagMaxMs: svc ? round(svc.eventLoopLagMaxMs) : 0,
      primaryActiveSessions: sample?.primarySessions?.active,
    };
  });

  const window = (fromMs: number, toMs: number) => {
    const cells = bucketsIn(fromMs, toMs);
    const counts = cells.reduce((c, cell) => addCounts(c, cell.counts), emptyCounts());
    return { counts, errorPercent: pct(counts.error, counts.sent), p99Ms: percentileMs(merged(cells.map((c) => c.all)), 99) };
  };
  const recoverySeconds = () => {
    const threshold = recoveryThresholdMs(phases.before.all.p99Ms);
    const first = Math.ceil(bounds.faultEndMs / bucketMs);
    for (let i = first; i < recorder.buckets.length; i++) {
      const w = window(i * bucketMs, bounds.endMs);
      if (w.p99Ms <= threshold && w.errorPercent <= 0.1) return round((i * bucketMs - bounds.faultEndMs) / 1000, 2);
    }
    return Infinity;
  };
  const over = recorder.overLimitClient.counts;
  return {
    bucketMs,
    faultStartMs: bounds.faultStartMs,
    faultEndMs: bounds.faultEndMs,
    durationMs: bounds.endMs,
    actualFault: input.actualFault,
    phases,
    run,
    series,
    overLimitClient: over.sent > 0 ? { counts: over, rateLimitedPercent: round(pct(over.rateLimited, over.sent), 1) } : undefined,
    rateLimitResponse: recorder.firstRateLimited,
    writes: input.writes,
    generator: input.generator,
    cpuPercent: input.cpuPercent,
    listenOverflows: input.listenOverflows,
    serviceErrors: [...observer.serviceErrors]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5)
      .map(([cause, count]) => ({ cause, count })),
    topStatements: input.topStatements,
    workerCounts: observer.workers,
    window,
    recoverySeconds,
  };
}

export type { Histogram };

import * as hdr from 'hdr-histogram-js';

/** Latencies are recorded in microseconds, 1 us to 2 minutes, 2 significant digits (1% error). */
const HIGHEST_US = 120_000_000;

export type Histogram = hdr.Histogram;

export function newHistogram(): Histogram {
  return hdr.build({
    bitBucketSize: 'packed',
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: 2,
    autoResize: false,
  });
}

export function recordMs(h: Histogram, ms: number): void {
  h.recordValue(Math.min(HIGHEST_US, Math.max(1, Math.round(ms * 1000))));
}

/** Value at `percentile` in ms (0 when empty). */
export function percentileMs(h: Histogram, percentile: number): number {
  return h.totalCount === 0 ? 0 : h.getValueAtPercentile(percentile) / 1000;
}

export function merged(hs: readonly Histogram[]): Histogram {
  const out = newHistogram();
  for (const h of hs) out.add(h);
  return out;
}

/** The percentiles every summary shows. */
export const SUMMARY_PERCENTILES = [50, 90, 99, 99.9] as const;

/** A latency distribution as the JSON results keep it: summary, readable percentile curve, and the exact histogram. */
export interface Distribution {
  readonly count: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
  /** [percentile, ms] from 0 to 100 (HdrHistogram's percentile-distribution steps, thinned). */
  readonly curve: readonly (readonly [number, number])[];
  /** HdrHistogram V2 compressed encoding (microseconds): decode with any HdrHistogram library. */
  readonly hdrBase64: string;
}

const CURVE = [0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 100];

export function distribution(h: Histogram): Distribution {
  const round = (ms: number) => Math.round(ms * 100) / 100;
  return {
    count: h.totalCount,
    p50Ms: round(percentileMs(h, 50)),
    p90Ms: round(percentileMs(h, 90)),
    p99Ms: round(percentileMs(h, 99)),
    p999Ms: round(percentileMs(h, 99.9)),
    maxMs: round(h.totalCount === 0 ? 0 : h.maxValue / 1000),
    curve: CURVE.map((p) => [p, round(percentileMs(h, p))] as const),
    hdrBase64: h.totalCount === 0 ? '' : hdr.encodeIntoCompressedBase64(h),
  };
}

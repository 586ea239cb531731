import type { MetricDataQuery, MetricDataResult } from '@aws-sdk/client-cloudwatch';
import type { CloudWatchGateway } from './cloudwatch-gateway.js';

/** GetMetricData accepts at most 500 queries per call. */
export const MAX_QUERIES_PER_CALL = 500;

/** What came back for one query: its datapoints, or why there are none. */
export type SeriesResult = { readonly ok: true; readonly values: readonly number[] } | { readonly ok: false; readonly error: string };

export interface MetricWindow {
  readonly start: Date;
  readonly end: Date;
}

/**
 * Packs clusters (an expression must share a call with its inputs) into batches of at
 * most `max` queries, first-fit, largest clusters first. Single queries go last and fill
 * the gaps the clusters leave, so M queries take ceil(M / max) batches unless there are
 * fewer single queries than gaps (never with the key metrics of KEY_METRICS).
 */
export function packBatches(clusters: readonly MetricDataQuery[][], max = MAX_QUERIES_PER_CALL): MetricDataQuery[][] {
  const batches: MetricDataQuery[][] = [];
  for (const cluster of [...clusters].sort((a, b) => b.length - a.length)) {
    if (cluster.length > max) throw new Error(`a query cluster of ${cluster.length} exceeds ${max} queries`);
    const batch = batches.find((b) => b.length + cluster.length <= max);
    if (batch) batch.push(...cluster);
    else batches.push([...cluster]);
  }
  return batches;
}

/**
 * Runs every query with GetMetricData, one batch at a time, following NextToken. Never
 * throws: a query that failed (StatusCode InternalError/Forbidden, or its batch call
 * failed after retries, or the deadline passed) maps to `{ ok: false, error }`.
 */
export async function fetchMetricData(
  cw: Pick<CloudWatchGateway, 'getMetricData'>,
  clusters: readonly MetricDataQuery[][],
  window: MetricWindow,
  describe: (err: unknown) => string,
  max = MAX_QUERIES_PER_CALL,
): Promise<Map<string, SeriesResult>> {
  const results = new Map<string, SeriesResult>();
  for (const batch of packBatches(clusters, max)) {
    const values = new Map<string, number[]>();
    const failed = new Map<string, string>();
    const callMessages: string[] = [];
    try {
      let nextToken: string | undefined;
      do {
        const page = await cw.getMetricData({
          MetricDataQueries: batch,
          StartTime: window.start,
          EndTime: window.end,
          ScanBy: 'TimestampDescending',
          NextToken: nextToken,
        });
        for (const result of page.MetricDataResults ?? []) collect(result, values, failed);
        callMessages.push(...(page.Messages ?? []).map((m) => `${m.Code}: ${m.Value}`));
        nextToken = page.NextToken;
      } while (nextToken);
    } catch (err) {
      const reason = describe(err);
      for (const q of batch) results.set(q.Id!, { ok: false, error: reason });
      continue;
    }
    for (const { Id } of batch) {
      const series = values.get(Id!);
      const error = failed.get(Id!);
      if (series === undefined && callMessages.length > 0) results.set(Id!, { ok: false, error: callMessages.join('; ') });
      else if (error !== undefined && !series?.length) results.set(Id!, { ok: false, error });
      else results.set(Id!, { ok: true, values: series ?? [] });
    }
  }
  return results;
}

function collect(result: MetricDataResult, values: Map<string, number[]>, failed: Map<string, string>): void {
  const id = result.Id ?? '';
  const series = values.get(id) ?? [];
  values.set(id, series);
  // Some servers send null for a statistic they cannot compute; only numbers count.
  series.push(...(result.Values ?? []).filter((v): v is number => typeof v === 'number' && Number.isFinite(v)));
  if (result.StatusCode === 'InternalError' || result.StatusCode === 'Forbidden') {
    const messages = (result.Messages ?? []).map((m) => `${m.Code}: ${m.Value}`).join('; ');
    failed.set(id, messages || `StatusCode ${result.StatusCode}`);
  }
}

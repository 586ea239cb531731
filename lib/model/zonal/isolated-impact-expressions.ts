import type { IsolatedImpactThresholds } from './isolated-impact';

// The isolated-impact rule of isolated-impact.ts as CloudWatch metric-math expressions, one per
// term and AZ. Each evaluates to 1 (the term holds) or 0 at every timestamp, so an alarm on it has
// threshold 1 (GreaterThanOrEqualToThreshold). Only the syntax the CloudWatch User Guide documents
// for metric math is used, fully parenthesized so that no precedence is assumed: + - * on time
// series and scalars, the comparison operators >= > <, and the logical operators AND and OR
// ("Metric math syntax and functions",
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html). There:
// a value missing from a time series counts as 0 in arithmetic and comparisons, and a division by
// zero drops the data point, which is why the rule never divides. MAX, SUM and AVG are not used:
// the same page recommends against them in alarms.

/** The metric ids (MetricDataQuery Id) of one AZ's series in an alarm or a GetMetricData call. */
export interface AzMetricIds {
  readonly az: string;
  /** Requests in the period (Sum). */
  readonly requests: string;
  /** Faults (5xx) in the period (Sum). */
  readonly faults: string;
  /** The latency statistic in ms, as the thresholds mean it. */
  readonly latency: string;
  /** Instances of the AZ with faults at or above the threshold, where per-instance data exists. */
  readonly faultyInstances?: string;
  /** Instances of the AZ with latency at or above the threshold, where per-instance data exists. */
  readonly slowInstances?: string;
}

/** The rule's expressions for one AZ, named as the terms of AzVerdict. */
export interface AzImpactExpressions {
  readonly az: string;
  readonly availabilityImpaired: string;
  readonly latencyImpaired: string;
  readonly faultOutlier: string;
  readonly latencyOutlier: string;
  /** Absent without per-instance data (the term then always holds). */
  readonly faultsSpread?: string;
  readonly latencySpread?: string;
  readonly availabilityImpact: string;
  readonly latencyImpact: string;
  readonly isolatedImpact: string;
}

/**
 * A metric-math alarm reads at most 10 metrics
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-limits.md): an outlier
 * term reads requests and faults (or latency) of every AZ, 2 x AZs.
 */
export const MAX_METRICS_PER_ALARM = 10;

const METRIC_ID = /^[a-z][a-zA-Z0-9_]*$/;

/**
 * The rule as metric-math expressions, for every AZ of `ids` (each AZ is compared with all the
 * others in the list).
 * @throws Error for fewer than 2 AZs, a metric id CloudWatch would refuse (it starts with a
 * lower-case letter, then letters, digits and underscores), an id used twice, or an AZ given twice.
 */
export function renderIsolatedImpact(ids: readonly AzMetricIds[], t: IsolatedImpactThresholds): AzImpactExpressions[] {
  if (ids.length < 2) throw new Error(`isolated-impact expressions: the rule compares AZs, give at least 2 (got ${ids.length})`);
  checkIds(ids);
  const minRequests = literal(t.minRequests);
  const judged = (x: AzMetricIds) => `(${x.requests} >= ${minRequests})`;
  const notJudged = (x: AzMetricIds) => `(${x.requests} < ${minRequests})`;
  return ids.map((a, i) => {
    const others = ids.filter((_, j) => j !== i);
    const anyOtherJudged = or(others.map(judged));
    const availabilityImpaired = and([judged(a), `(${a.faults} >= (${literal(t.faultRate)} * ${a.requests}))`]);
    const latencyImpaired = and([judged(a), `(${a.latency} >= ${literal(t.latencyMs)})`]);
    const faultOutlier = and([
      `(${a.faults} > 0)`,
      anyOtherJudged,
      ...others.map((b) =>
        or([notJudged(b), `((${a.faults} * ${b.requests}) >= (${literal(t.faultOutlierFactor)} * ${b.faults} * ${a.requests}))`]),
      ),
    ]);
    const latencyOutlier = and([
      `(${a.latency} > 0)`,
      anyOtherJudged,
      ...others.map((b) => or([notJudged(b), `(${a.latency} >= (${literal(t.latencyOutlierFactor)} * ${b.latency}))`])),
    ]);
    const faultsSpread = a.faultyInstances !== undefined ? `(${a.faultyInstances} >= ${literal(t.minInstances)})` : undefined;
    const latencySpread = a.slowInstances !== undefined ? `(${a.slowInstances} >= ${literal(t.minInstances)})` : undefined;
    const availabilityImpact = and([availabilityImpaired, faultOutlier, ...(faultsSpread ? [faultsSpread] : [])]);
    const latencyImpact = and([latencyImpaired, latencyOutlier, ...(latencySpread ? [latencySpread] : [])]);
    return {
      az: a.az,
      availabilityImpaired,
      latencyImpaired,
      faultOutlier,
      latencyOutlier,
      ...(faultsSpread ? { faultsSpread } : {}),
      ...(latencySpread ? { latencySpread } : {}),
      availabilityImpact,
      latencyImpact,
      isolatedImpact: or([availabilityImpact, latencyImpact]),
    };
  });
}

/**
 * The composite-alarm rule of one AZ's isolated impact, from the names of the alarms on its terms
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutCompositeAlarm.html):
 * the same AND and OR as the isolatedImpact expression.
 */
export function isolatedImpactAlarmRule(alarms: {
  readonly availabilityImpaired: string;
  readonly faultOutlier: string;
  readonly faultsSpread?: string;
  readonly latencyImpaired: string;
  readonly latencyOutlier: string;
  readonly latencySpread?: string;
}): string {
  const state = (name: string) => `ALARM(${JSON.stringify(name)})`;
  const group = (names: (string | undefined)[]) =>
    `(${names
      .filter((n) => n !== undefined)
      .map(state)
      .join(' AND ')})`;
  return `${group([alarms.availabilityImpaired, alarms.faultOutlier, alarms.faultsSpread])} OR ${group([alarms.latencyImpaired, alarms.latencyOutlier, alarms.latencySpread])}`;
}

/** The metric ids an expression reads, sorted, to check them against MAX_METRICS_PER_ALARM. */
export function metricIdsOf(expression: string): string[] {
  return [...new Set(expression.match(/\b[a-z][a-zA-Z0-9_]*\b/g) ?? [])].sort();
}

function and(parts: readonly string[]): string {
  return parts.length === 1 ? parts[0]! : `(${parts.join(' AND ')})`;
}

function or(parts: readonly string[]): string {
  return parts.length === 1 ? parts[0]! : `(${parts.join(' OR ')})`;
}

/** A number as metric math reads it: plain decimal digits, never exponent notation. */
function literal(x: number): string {
  if (!Number.isFinite(x) || x < 0) throw new Error(`metric math literal ${x} must be a finite number >= 0`);
  const plain = String(x);
  return /e/i.test(plain) ? x.toFixed(20).replace(/\.?0+$/, '') : plain;
}

function checkIds(ids: readonly AzMetricIds[]): void {
  const azs = new Set<string>();
  const used = new Set<string>();
  for (const x of ids) {
    if (azs.has(x.az)) throw new Error(`isolated-impact expressions: AZ ${x.az} given twice`);
    azs.add(x.az);
    for (const id of [x.requests, x.faults, x.latency, x.faultyInstances, x.slowInstances]) {
      if (id === undefined) continue;
      if (!METRIC_ID.test(id))
        throw new Error(
          `isolated-impact expressions: metric id "${id}" of ${x.az} is not a CloudWatch id (a lower-case letter, then letters, digits or _)`,
        );
      if (used.has(id)) throw new Error(`isolated-impact expressions: metric id "${id}" is used twice`);
      used.add(id);
    }
  }
}

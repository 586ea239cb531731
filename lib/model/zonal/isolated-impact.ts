// The per-AZ "isolated impact" rule (ADR 0008): one Availability Zone is impaired, it is an outlier
// against every other AZ that carries traffic, and (where per-instance data exists) more than one
// of its instances sees it. The numbers here and the metric-math expressions of
// isolated-impact-expressions.ts are the same arithmetic, term for term: a test evaluates both on
// generated inputs. No division anywhere: rates are compared cross-multiplied, so an AZ without
// requests never divides by zero (CloudWatch drops such a data point) and both sides round alike.

/** The thresholds of the isolated-impact rule. */
export interface IsolatedImpactThresholds {
  /** Impaired: the AZ's faults are at least this fraction of its requests (0.01 = 1 %). */
  readonly faultRate: number;
  /** Impaired: the AZ's latency (the statistic the caller measures, e.g. p99) is at least this, in ms. */
  readonly latencyMs: number;
  /** Outlier: the AZ's fault rate is at least this many times that of every other AZ with traffic. */
  readonly faultOutlierFactor: number;
  /** Outlier: the AZ's latency is at least this many times that of every other AZ with traffic. */
  readonly latencyOutlierFactor: number;
  /** An AZ with fewer requests in the period is not judged, and is no reference for the others. */
  readonly minRequests: number;
  /** Where per-instance data exists: at least this many instances of the AZ must see the impact. */
  readonly minInstances: number;
}

/** The parts of the rule that are not the operator's alarm thresholds, and why (ADR 0008). */
export const ISOLATED_IMPACT_DEFAULTS = {
  /**
   * 3x every other AZ: a region-wide problem spreads across AZs by less than that (the property
   * test allows up to 1.75x), and one sick AZ at the impairment threshold is 10x a healthy AZ
   * at a tenth of it.
   */
  faultOutlierFactor: 3,
  /** 1.5x every other AZ: p99 of AZs serving the same code differs by far less in a region-wide slowdown. */
  latencyOutlierFactor: 1.5,
  /** One request per second over a 60 s period: below it, one fault is already a 1.7 % rate. */
  minRequests: 60,
  /** "More than one instance sees it": one bad instance is the health check's job, not a zonal shift's. */
  minInstances: 2,
} as const;

/**
 * The thresholds of an environment: its alarm thresholds (fault rate, latency) and, unless
 * overridden, the defaults above.
 * @throws Error for a value the rule cannot use (the message names it and the range).
 */
export function isolatedImpactThresholds(
  alarm: Pick<IsolatedImpactThresholds, 'faultRate' | 'latencyMs'>,
  overrides: Partial<Omit<IsolatedImpactThresholds, 'faultRate' | 'latencyMs'>> = {},
): IsolatedImpactThresholds {
  const t: IsolatedImpactThresholds = { ...ISOLATED_IMPACT_DEFAULTS, ...overrides, ...alarm };
  const problems = [
    t.faultRate > 0 && t.faultRate <= 1 ? undefined : `faultRate ${t.faultRate} must be in (0, 1]`,
    t.latencyMs > 0 && Number.isFinite(t.latencyMs) ? undefined : `latencyMs ${t.latencyMs} must be a positive number`,
    t.faultOutlierFactor > 1 && Number.isFinite(t.faultOutlierFactor)
      ? undefined
      : `faultOutlierFactor ${t.faultOutlierFactor} must be greater than 1`,
    t.latencyOutlierFactor > 1 && Number.isFinite(t.latencyOutlierFactor)
      ? undefined
      : `latencyOutlierFactor ${t.latencyOutlierFactor} must be greater than 1`,
    Number.isInteger(t.minRequests) && t.minRequests >= 1 ? undefined : `minRequests ${t.minRequests} must be a whole number >= 1`,
    Number.isInteger(t.minInstances) && t.minInstances >= 1 ? undefined : `minInstances ${t.minInstances} must be a whole number >= 1`,
  ].filter((p) => p !== undefined);
  if (problems.length > 0) throw new Error(`isolated-impact thresholds: ${problems.join('; ')}`);
  return t;
}

/** One AZ over one period. */
export interface AzSample {
  /** The AZ name, e.g. eu-west-1a. */
  readonly az: string;
  readonly requests: number;
  readonly faults: number;
  /** The AZ's latency statistic (e.g. p99) in ms; 0 when it served nothing. */
  readonly latencyMs: number;
  /** Instances of the AZ whose own fault rate is at or above the threshold; undefined without per-instance data. */
  readonly faultyInstances?: number;
  /** Instances of the AZ whose own latency is at or above the threshold; undefined without per-instance data. */
  readonly slowInstances?: number;
}

/** Every term of the rule for one AZ, so a report (or a test) can say which one held. */
export interface AzVerdict {
  readonly az: string;
  /** requests >= minRequests. */
  readonly judged: boolean;
  /** Judged, and faults >= faultRate x requests. */
  readonly availabilityImpaired: boolean;
  /** Judged, and latency >= latencyMs. */
  readonly latencyImpaired: boolean;
  /** Some fault, some other AZ judged, and a fault rate >= faultOutlierFactor x that of every other judged AZ. */
  readonly faultOutlier: boolean;
  /** Some latency, some other AZ judged, and a latency >= latencyOutlierFactor x that of every other judged AZ. */
  readonly latencyOutlier: boolean;
  /** No per-instance data, or faultyInstances >= minInstances. */
  readonly faultsSpread: boolean;
  /** No per-instance data, or slowInstances >= minInstances. */
  readonly latencySpread: boolean;
  readonly availabilityImpact: boolean;
  readonly latencyImpact: boolean;
  /** availabilityImpact or latencyImpact: shift away from this AZ. */
  readonly isolatedImpact: boolean;
}

/**
 * The rule on numbers (the proving ground's side). Every comparison is written as the
 * expression of isolated-impact-expressions.ts writes it, operand for operand.
 * @throws Error for fewer than 2 AZs, a negative or non-finite number, or an AZ given twice.
 */
export function evaluateIsolatedImpact(samples: readonly AzSample[], t: IsolatedImpactThresholds): AzVerdict[] {
  checkSamples(samples);
  const judged = (s: AzSample) => s.requests >= t.minRequests;
  return samples.map((a, i) => {
    const others = samples.filter((_, j) => j !== i);
    const anyOtherJudged = others.some(judged);
    const availabilityImpaired = judged(a) && a.faults >= t.faultRate * a.requests;
    const latencyImpaired = judged(a) && a.latencyMs >= t.latencyMs;
    const faultOutlier =
      a.faults > 0 &&
      anyOtherJudged &&
      others.every((b) => b.requests < t.minRequests || a.faults * b.requests >= t.faultOutlierFactor * b.faults * a.requests);
    const latencyOutlier =
      a.latencyMs > 0 &&
      anyOtherJudged &&
      others.every((b) => b.requests < t.minRequests || a.latencyMs >= t.latencyOutlierFactor * b.latencyMs);
    const faultsSpread = a.faultyInstances === undefined || a.faultyInstances >= t.minInstances;
    const latencySpread = a.slowInstances === undefined || a.slowInstances >= t.minInstances;
    const availabilityImpact = availabilityImpaired && faultOutlier && faultsSpread;
    const latencyImpact = latencyImpaired && latencyOutlier && latencySpread;
    return {
      az: a.az,
      judged: judged(a),
      availabilityImpaired,
      latencyImpaired,
      faultOutlier,
      latencyOutlier,
      faultsSpread,
      latencySpread,
      availabilityImpact,
      latencyImpact,
      isolatedImpact: availabilityImpact || latencyImpact,
    };
  });
}

/** One instance over one period (the proving ground knows every instance). */
export interface InstanceSample {
  readonly az: string;
  readonly instance: string;
  readonly requests: number;
  readonly faults: number;
  /** The instance's own latency statistic, in ms. */
  readonly latencyMs: number;
}

/**
 * The AZ samples of a set of instances: requests and faults summed, the instances that see the
 * impact counted (an instance is faulty when it served requests and its own faults are at least
 * faultRate x its requests; slow when its latency is at least latencyMs). A latency statistic such
 * as p99 does not add up across instances, so the caller gives each AZ's own.
 * @throws Error when an AZ of the instances has no latency in `azLatencyMs`.
 */
export function azSamplesFromInstances(
  instances: readonly InstanceSample[],
  azLatencyMs: Readonly<Record<string, number>>,
  t: IsolatedImpactThresholds,
): AzSample[] {
  const azs = [...new Set(instances.map((i) => i.az))];
  return azs.map((az) => {
    const own = instances.filter((i) => i.az === az);
    const latencyMs = azLatencyMs[az];
    if (latencyMs === undefined) throw new Error(`azSamplesFromInstances: no latency given for ${az}`);
    return {
      az,
      requests: own.reduce((n, i) => n + i.requests, 0),
      faults: own.reduce((n, i) => n + i.faults, 0),
      latencyMs,
      faultyInstances: own.filter((i) => i.requests > 0 && i.faults > 0 && i.faults >= t.faultRate * i.requests).length,
      slowInstances: own.filter((i) => i.requests > 0 && i.latencyMs >= t.latencyMs).length,
    };
  });
}

function checkSamples(samples: readonly AzSample[]): void {
  if (samples.length < 2) throw new Error(`isolated impact: the rule compares AZs, give at least 2 (got ${samples.length})`);
  const seen = new Set<string>();
  for (const s of samples) {
    if (seen.has(s.az)) throw new Error(`isolated impact: AZ ${s.az} given twice`);
    seen.add(s.az);
    for (const [field, value] of Object.entries(s)) {
      if (field === 'az' || value === undefined) continue;
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
        throw new Error(`isolated impact: ${s.az} ${field} ${String(value)} must be a finite number >= 0`);
    }
  }
}

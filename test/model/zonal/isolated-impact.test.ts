import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AzMetricIds,
  type AzSample,
  azSamplesFromInstances,
  evaluateIsolatedImpact,
  type InstanceSample,
  type IsolatedImpactThresholds,
  isolatedImpactAlarmRule,
  isolatedImpactThresholds,
  MAX_METRICS_PER_ALARM,
  metricIdsOf,
  renderIsolatedImpact,
} from '../../../lib/model';
import { evaluateMetricMath } from './metric-math';

/** A rule under test: per AZ, does isolated impact hold? */
type Rule = (samples: readonly AzSample[], t: IsolatedImpactThresholds) => boolean[];

/** The metric ids of a set of samples: r0, f0, l0 (and fi0, si0 where the sample has instance counts). */
function idsOf(samples: readonly AzSample[]): AzMetricIds[] {
  return samples.map((s, i) => ({
    az: s.az,
    requests: `r${i}`,
    faults: `f${i}`,
    latency: `l${i}`,
    ...(s.faultyInstances !== undefined ? { faultyInstances: `fi${i}` } : {}),
    ...(s.slowInstances !== undefined ? { slowInstances: `si${i}` } : {}),
  }));
}

/** The value of every metric id at one timestamp: AZ i's ids read `source(i)`'s numbers. */
function valuesOf(samples: readonly AzSample[], source: (i: number) => AzSample = (i) => samples[i]!): Record<string, number | undefined> {
  return Object.fromEntries(
    samples.flatMap((_, i) => {
      const s = source(i);
      return [
        [`r${i}`, s.requests],
        [`f${i}`, s.faults],
        [`l${i}`, s.latencyMs],
        [`fi${i}`, s.faultyInstances],
        [`si${i}`, s.slowInstances],
      ];
    }),
  );
}

const numericRule: Rule = (samples, t) => evaluateIsolatedImpact(samples, t).map((v) => v.isolatedImpact);

/** The CloudWatch side: the rendered expression of each AZ, evaluated on the same numbers. */
const metricMathRule: Rule = (samples, t) => {
  const values = valuesOf(samples);
  return renderIsolatedImpact(idsOf(samples), t).map((e) => evaluateMetricMath(e.isolatedImpact, values) === 1);
};

/**
 * The defect a review found in cdk-multi-az-observability's ALB outlier alarm: every term of an
 * AZ's outlier computation reads the AZ being evaluated (the loop used the function's AZ, not the
 * loop's), so each AZ is compared with itself. Here: AZ a's expression, with every AZ's metric ids
 * reading AZ a's numbers.
 */
const sameAzRule: Rule = (samples, t) =>
  renderIsolatedImpact(idsOf(samples), t).map(
    (e, a) =>
      evaluateMetricMath(
        e.isolatedImpact,
        valuesOf(samples, () => samples[a]!),
      ) === 1,
  );

// --- Generators: a world of AZs, in terms of what happens to them -------------------------------

const azName = (i: number) => `eu-west-1${'abcdef'[i]}`;

const thresholdsArb = fc
  .record({ faultRate: fc.constantFrom(0.005, 0.01, 0.02, 0.05), latencyMs: fc.integer({ min: 200, max: 3000 }) })
  .map((alarm) => isolatedImpactThresholds(alarm));

/** A healthy AZ: at most a tenth of the impairment fault rate, at most a third of the latency threshold. */
const healthyArb = (t: IsolatedImpactThresholds) =>
  fc
    .record({
      requests: fc.integer({ min: 200, max: 20_000 }),
      rate: fc.double({ min: 0, max: t.faultRate / 10, noNaN: true }),
      latencyMs: fc.integer({ min: 20, max: Math.floor(t.latencyMs / 3) }),
      instances: fc.integer({ min: 2, max: 8 }),
    })
    .map((h) => ({ requests: h.requests, faults: Math.floor(h.rate * h.requests), latencyMs: h.latencyMs, instances: h.instances }));

type Kind = 'faults' | 'latency' | 'both';
const kindArb = fc.constantFrom<Kind>('faults', 'latency', 'both');

function place(parts: Omit<AzSample, 'az'>[]): AzSample[] {
  return parts.map((p, i) => ({ az: azName(i), ...p }));
}

/** Healthy AZs and one sick AZ (faults at or above the threshold, and/or latency above it), its impact seen by 2+ instances. */
const oneSickAzArb = thresholdsArb.chain((t) =>
  fc.integer({ min: 2, max: 6 }).chain((n) =>
    fc
      .record({
        healthy: fc.array(healthyArb(t), { minLength: n - 1, maxLength: n - 1 }),
        sick: healthyArb(t),
        sickRate: fc.double({ min: t.faultRate, max: 0.6, noNaN: true }),
        extraLatencyMs: fc.integer({ min: 0, max: 5000 }),
        kind: kindArb,
        impacted: fc.integer({ min: 2, max: 8 }),
        at: fc.integer({ min: 0, max: n - 1 }),
        perInstance: fc.boolean(),
      })
      .map((w) => {
        const instance = (x: { instances: number }, faulty: number, slow: number) =>
          w.perInstance ? { faultyInstances: Math.min(faulty, x.instances), slowInstances: Math.min(slow, x.instances) } : {};
        const sickFaults = w.kind !== 'latency';
        const sickLatency = w.kind !== 'faults';
        const impacted = Math.max(2, Math.min(w.impacted, w.sick.instances));
        const sick: Omit<AzSample, 'az'> = {
          requests: w.sick.requests,
          faults: sickFaults ? Math.ceil(w.sickRate * w.sick.requests) : w.sick.faults,
          latencyMs: sickLatency ? t.latencyMs + w.extraLatencyMs : w.sick.latencyMs,
          ...instance(w.sick, sickFaults ? impacted : 0, sickLatency ? impacted : 0),
        };
        const healthy: Omit<AzSample, 'az'>[] = w.healthy.map((h) => ({
          requests: h.requests,
          faults: h.faults,
          latencyMs: h.latencyMs,
          ...instance(h, 0, 0),
        }));
        healthy.splice(w.at, 0, sick);
        return { t, samples: place(healthy), sick: w.at };
      }),
  ),
);

/**
 * The same problem in two or more AZs (all of them: region-wide), each within 1.75x of the others
 * (fault-rate multipliers 0.75-1.3 at 15+ faults per AZ, latency multipliers 0.87-1.15), every
 * instance seeing it; the rest healthy.
 */
const spreadProblemArb = thresholdsArb.chain((t) =>
  fc.integer({ min: 2, max: 6 }).chain((n) =>
    fc
      .record({
        sickCount: fc.integer({ min: 2, max: n }),
        healthy: fc.array(healthyArb(t), { minLength: n, maxLength: n }),
        rate: fc.double({ min: Math.max(t.faultRate, 0.01), max: 0.5, noNaN: true }),
        latencyMs: fc.integer({ min: t.latencyMs, max: 5 * t.latencyMs }),
        sick: fc.array(
          fc.record({
            requests: fc.integer({ min: 2000, max: 20_000 }),
            rateMultiplier: fc.double({ min: 0.75, max: 1.3, noNaN: true }),
            latencyMultiplier: fc.double({ min: 0.87, max: 1.15, noNaN: true }),
            instances: fc.integer({ min: 2, max: 8 }),
          }),
          { minLength: n, maxLength: n },
        ),
        kind: kindArb,
        perInstance: fc.boolean(),
      })
      .map((w) => {
        const parts: Omit<AzSample, 'az'>[] = w.healthy.map((h, i) => {
          if (i >= w.sickCount)
            return {
              requests: h.requests,
              faults: h.faults,
              latencyMs: h.latencyMs,
              ...(w.perInstance ? { faultyInstances: 0, slowInstances: 0 } : {}),
            };
          const s = w.sick[i]!;
          return {
            requests: s.requests,
            faults: w.kind !== 'latency' ? Math.round(w.rate * s.rateMultiplier * s.requests) : Math.floor((t.faultRate / 10) * s.requests),
            latencyMs: w.kind !== 'faults' ? Math.round(w.latencyMs * s.latencyMultiplier) : h.latencyMs,
            ...(w.perInstance ? { faultyInstances: s.instances, slowInstances: s.instances } : {}),
          };
        });
        return { t, samples: place(parts) };
      }),
  ),
);

/**
 * Healthy AZs and one AZ where a single instance fails half or more of its requests (or is slow
 * enough to carry the AZ's p99 over the threshold): the AZ is impaired and an outlier, and only the
 * instance count says it is one instance.
 */
const oneBadInstanceArb = fc
  .record({ faultRate: fc.constantFrom(0.005, 0.01, 0.02), latencyMs: fc.integer({ min: 200, max: 3000 }) })
  .map((alarm) => isolatedImpactThresholds(alarm))
  .chain((t) =>
    fc.integer({ min: 2, max: 6 }).chain((n) =>
      fc
        .record({
          healthy: fc.array(healthyArb(t), { minLength: n - 1, maxLength: n - 1 }),
          at: fc.integer({ min: 0, max: n - 1 }),
          baseRequests: fc.integer({ min: 200, max: 3000 }),
          instances: fc.array(
            fc.record({
              share: fc.double({ min: 0.8, max: 1.2, noNaN: true }),
              rate: fc.double({ min: 0, max: t.faultRate / 10, noNaN: true }),
              latencyMs: fc.integer({ min: 20, max: Math.floor(t.latencyMs / 3) }),
            }),
            { minLength: 2, maxLength: 6 },
          ),
          badRate: fc.double({ min: 0.5, max: 1, noNaN: true }),
          badLatencyMs: fc.integer({ min: t.latencyMs, max: 5 * t.latencyMs }),
          slow: fc.boolean(),
        })
        .map((w) => {
          const zone = azName(w.at);
          const instances: InstanceSample[] = w.instances.map((x, i) => {
            const requests = Math.round(w.baseRequests * x.share);
            const bad = i === 0;
            return {
              az: zone,
              instance: `i-${i}`,
              requests,
              faults: bad && !w.slow ? Math.ceil(w.badRate * requests) : Math.floor(x.rate * requests),
              latencyMs: bad && w.slow ? w.badLatencyMs : x.latencyMs,
            };
          });
          const azLatency = w.slow ? w.badLatencyMs : Math.max(...instances.map((i) => i.latencyMs));
          const [bad] = azSamplesFromInstances(instances, { [zone]: azLatency }, t);
          const samples: AzSample[] = w.healthy.map((h, i) => ({
            az: azName(i < w.at ? i : i + 1),
            requests: h.requests,
            faults: h.faults,
            latencyMs: h.latencyMs,
            faultyInstances: 0,
            slowInstances: 0,
          }));
          samples.splice(w.at, 0, bad!);
          return { t, samples, bad: w.at };
        }),
    ),
  );

const withoutInstanceCounts = (samples: readonly AzSample[]): AzSample[] =>
  samples.map(({ faultyInstances: _f, slowInstances: _s, ...rest }) => rest);

/** The three properties the issue asks of the rule; throws, naming the property, at the first counterexample. */
function checkProperties(rule: Rule, numRuns = 300): void {
  const property = (name: string, run: () => void) => {
    try {
      run();
    } catch (err) {
      throw new Error(`property "${name}" does not hold: ${(err as Error).message}`);
    }
  };
  property('fires for one sick AZ, and only for it', () =>
    fc.assert(
      fc.property(oneSickAzArb, ({ t, samples, sick }) => {
        expect(rule(samples, t)).toEqual(samples.map((_, i) => i === sick));
      }),
      { numRuns },
    ),
  );
  property('does not fire for a problem in more than one AZ (region-wide included)', () =>
    fc.assert(
      fc.property(spreadProblemArb, ({ t, samples }) => {
        expect(rule(samples, t)).toEqual(samples.map(() => false));
      }),
      { numRuns },
    ),
  );
  property('does not fire for one bad instance (and would without the instance count)', () =>
    fc.assert(
      fc.property(oneBadInstanceArb, ({ t, samples, bad }) => {
        expect(rule(samples, t)).toEqual(samples.map(() => false));
        expect(rule(withoutInstanceCounts(samples), t)[bad]).toBe(true);
      }),
      { numRuns },
    ),
  );
}

describe('the isolated-impact rule (property tests)', () => {
  it('holds on numbers: fires for one sick AZ, not for a problem in several AZs, not for one bad instance', () => {
    checkProperties(numericRule);
  });

  it('holds as CloudWatch metric math, evaluated on the same numbers', () => {
    checkProperties(metricMathRule);
  });

  it('rejects the variant whose outlier terms all read the AZ being evaluated (the cdk-multi-az-observability defect)', () => {
    expect(() => checkProperties(sameAzRule, 50)).toThrow(/property "fires for one sick AZ, and only for it" does not hold/);
  });

  it('numbers and metric math agree on every term, for any input', () => {
    const sampleArb = fc.integer({ min: 0, max: 5000 }).chain((requests) =>
      fc.record({
        requests: fc.constant(requests),
        faults: fc.integer({ min: 0, max: requests }),
        latencyMs: fc.integer({ min: 0, max: 5000 }),
        faultyInstances: fc.option(fc.integer({ min: 0, max: 8 }), { nil: undefined }),
        slowInstances: fc.option(fc.integer({ min: 0, max: 8 }), { nil: undefined }),
      }),
    );
    const tArb = fc
      .record({
        faultRate: fc.constantFrom(0.001, 0.005, 0.01, 0.05, 0.25),
        latencyMs: fc.integer({ min: 1, max: 3000 }),
        faultOutlierFactor: fc.constantFrom(1.5, 2, 3, 10),
        latencyOutlierFactor: fc.constantFrom(1.2, 1.5, 2),
        minRequests: fc.integer({ min: 1, max: 200 }),
        minInstances: fc.integer({ min: 1, max: 3 }),
      })
      .map(({ faultRate, latencyMs, ...rest }) => isolatedImpactThresholds({ faultRate, latencyMs }, rest));
    fc.assert(
      fc.property(tArb, fc.array(sampleArb, { minLength: 2, maxLength: 6 }), (t, parts) => {
        const samples = place(
          parts.map((p) => Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)) as Omit<AzSample, 'az'>),
        );
        const verdicts = evaluateIsolatedImpact(samples, t);
        const expressions = renderIsolatedImpact(idsOf(samples), t);
        const values = valuesOf(samples);
        for (const [i, e] of expressions.entries()) {
          const v = verdicts[i]!;
          const terms = [
            'availabilityImpaired',
            'latencyImpaired',
            'faultOutlier',
            'latencyOutlier',
            'availabilityImpact',
            'latencyImpact',
            'isolatedImpact',
          ] as const;
          for (const term of terms) expect(evaluateMetricMath(e[term], values), `${e.az} ${term}`).toBe(v[term] ? 1 : 0);
          expect(e.faultsSpread === undefined ? true : evaluateMetricMath(e.faultsSpread, values) === 1).toBe(v.faultsSpread);
          expect(e.latencySpread === undefined ? true : evaluateMetricMath(e.latencySpread, values) === 1).toBe(v.latencySpread);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('the isolated-impact rule (examples)', () => {
  const t = isolatedImpactThresholds({ faultRate: 0.01, latencyMs: 500 });

  it('flags a gray AZ that fails 20 % of its requests, term by term', () => {
    const samples: AzSample[] = [
      { az: 'eu-west-1a', requests: 1200, faults: 1, latencyMs: 120, faultyInstances: 0, slowInstances: 0 },
      { az: 'eu-west-1b', requests: 1100, faults: 220, latencyMs: 430, faultyInstances: 2, slowInstances: 0 },
      { az: 'eu-west-1c', requests: 1250, faults: 0, latencyMs: 118, faultyInstances: 0, slowInstances: 0 },
    ];
    const [a, b, c] = evaluateIsolatedImpact(samples, t);
    expect(b).toEqual({
      az: 'eu-west-1b',
      judged: true,
      availabilityImpaired: true,
      latencyImpaired: false,
      faultOutlier: true,
      latencyOutlier: true,
      faultsSpread: true,
      latencySpread: false,
      availabilityImpact: true,
      latencyImpact: false,
      isolatedImpact: true,
    });
    expect([a!.isolatedImpact, c!.isolatedImpact]).toEqual([false, false]);
    // The same AZ with its impact on one instance only: not a zonal problem.
    const oneInstance = samples.map((s) => (s.az === 'eu-west-1b' ? { ...s, faultyInstances: 1 } : s));
    expect(evaluateIsolatedImpact(oneInstance, t)[1]!.isolatedImpact).toBe(false);
  });

  it('takes the boundaries as the alarms do: at the threshold counts, one request short of minRequests does not', () => {
    const healthy = { az: 'eu-west-1a', requests: 1000, faults: 0, latencyMs: 100 };
    const at = (requests: number, faults: number) => [healthy, { az: 'eu-west-1b', requests, faults, latencyMs: 100 }];
    expect(evaluateIsolatedImpact(at(100, 1), t)[1]!.availabilityImpaired).toBe(true);
    expect(evaluateIsolatedImpact(at(100, 0), t)[1]!.availabilityImpaired).toBe(false);
    expect(evaluateIsolatedImpact(at(60, 60), t)[1]!.isolatedImpact).toBe(true);
    expect(evaluateIsolatedImpact(at(59, 59), t)[1]!.judged).toBe(false);
    expect(evaluateIsolatedImpact(at(59, 59), t)[1]!.isolatedImpact).toBe(false);
    // An AZ shifted away (no requests) is no reference: the last AZ serving cannot be an outlier.
    const shiftedAway = { az: 'eu-west-1b', requests: 0, faults: 0, latencyMs: 0 };
    expect(evaluateIsolatedImpact([{ ...healthy, faults: 500, latencyMs: 900 }, shiftedAway], t)[0]).toMatchObject({
      availabilityImpaired: true,
      faultOutlier: false,
      latencyOutlier: false,
      isolatedImpact: false,
    });
  });

  it('renders every term as plain metric math: comparisons, AND, OR, no division and no functions', () => {
    const [e] = renderIsolatedImpact(
      [
        { az: 'eu-west-1a', requests: 'reqA', faults: 'errA', latency: 'p99A', faultyInstances: 'hostsA' },
        { az: 'eu-west-1b', requests: 'reqB', faults: 'errB', latency: 'p99B', faultyInstances: 'hostsB' },
      ],
      t,
    );
    expect(e).toEqual({
      az: 'eu-west-1a',
      availabilityImpaired: '((reqA >= 60) AND (errA >= (0.01 * reqA)))',
      latencyImpaired: '((reqA >= 60) AND (p99A >= 500))',
      faultOutlier: '((errA > 0) AND (reqB >= 60) AND ((reqB < 60) OR ((errA * reqB) >= (3 * errB * reqA))))',
      latencyOutlier: '((p99A > 0) AND (reqB >= 60) AND ((reqB < 60) OR (p99A >= (1.5 * p99B))))',
      faultsSpread: '(hostsA >= 2)',
      availabilityImpact: `(${e!.availabilityImpaired} AND ${e!.faultOutlier} AND (hostsA >= 2))`,
      latencyImpact: `(${e!.latencyImpaired} AND ${e!.latencyOutlier})`,
      isolatedImpact: `(${e!.availabilityImpact} OR ${e!.latencyImpact})`,
    });
    for (const expression of Object.values(e!).slice(1)) {
      expect(expression).not.toMatch(/\/|[A-Z]{2,}\(/);
      expect(() => evaluateMetricMath(expression, {})).not.toThrow();
    }
  });

  it('says how many metrics an outlier alarm reads: 2 per AZ, so at most 5 AZs fit in one alarm', () => {
    const ids = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ az: azName(i), requests: `r${i}`, faults: `f${i}`, latency: `l${i}` }));
    const count = (n: number) => metricIdsOf(renderIsolatedImpact(ids(n), t)[0]!.faultOutlier).length;
    expect([2, 3, 5, 6].map(count)).toEqual([4, 6, 10, 12]);
    expect(count(5)).toBeLessThanOrEqual(MAX_METRICS_PER_ALARM);
    expect(count(6)).toBeGreaterThan(MAX_METRICS_PER_ALARM);
    expect(metricIdsOf(renderIsolatedImpact(ids(3), t)[0]!.latencyImpaired)).toEqual(['l0', 'r0']);
  });

  it('writes the composite rule with the same AND and OR', () => {
    expect(
      isolatedImpactAlarmRule({
        availabilityImpaired: 's-az-a-availability',
        faultOutlier: 's-az-a-fault-outlier',
        faultsSpread: 's-az-a-faulty-instances',
        latencyImpaired: 's-az-a-latency',
        latencyOutlier: 's-az-a-latency-outlier',
      }),
    ).toBe(
      '(ALARM("s-az-a-availability") AND ALARM("s-az-a-fault-outlier") AND ALARM("s-az-a-faulty-instances")) OR (ALARM("s-az-a-latency") AND ALARM("s-az-a-latency-outlier"))',
    );
  });

  it('refuses inputs it cannot judge, naming them', () => {
    expect(() => isolatedImpactThresholds({ faultRate: 0, latencyMs: 500 }, { faultOutlierFactor: 1 })).toThrow(
      'isolated-impact thresholds: faultRate 0 must be in (0, 1]; faultOutlierFactor 1 must be greater than 1',
    );
    expect(() => evaluateIsolatedImpact([{ az: 'a', requests: 1, faults: 0, latencyMs: 1 }], t)).toThrow(/give at least 2/);
    expect(() =>
      evaluateIsolatedImpact(
        [
          { az: 'a', requests: 1, faults: -1, latencyMs: 1 },
          { az: 'b', requests: 1, faults: 0, latencyMs: 1 },
        ],
        t,
      ),
    ).toThrow('isolated impact: a faults -1 must be a finite number >= 0');
    expect(() =>
      renderIsolatedImpact(
        [
          { az: 'a', requests: 'R1', faults: 'f1', latency: 'l1' },
          { az: 'b', requests: 'r2', faults: 'f2', latency: 'l2' },
        ],
        t,
      ),
    ).toThrow('metric id "R1" of a is not a CloudWatch id');
    expect(() =>
      renderIsolatedImpact(
        [
          { az: 'a', requests: 'r', faults: 'f', latency: 'l' },
          { az: 'b', requests: 'r', faults: 'f2', latency: 'l2' },
        ],
        t,
      ),
    ).toThrow('metric id "r" is used twice');
    expect(() => evaluateMetricMath('IF(m1 > 1, 1, 0)', { m1: 2 })).toThrow(/outside the subset/);
  });
});

import {
  APP_AZ_DIMENSION,
  APP_METRICS,
  APP_METRICS_DIMENSION,
  APP_METRICS_NAMESPACE,
  APP_RELEASE_DIMENSION,
  OPERATION_METRICS,
  RELEASE_METRICS,
  azMetricsDirective,
  operationMetricNames,
  operationOf,
  type AppMetricName,
  type OperationMetricName,
} from './metrics';

/** EMF allows at most 100 values in one metric's array. */
const MAX_VALUES = 100;

/** A uniform sample of at most 100 values (reservoir sampling), plus the exact count. */
class Reservoir {
  values: number[] = [];
  seen = 0;

  constructor(private readonly random: () => number) {}

  add(value: number): void {
    this.seen++;
    if (this.values.length < MAX_VALUES) this.values.push(value);
    else {
      const i = Math.floor(this.random() * this.seen);
      if (i < MAX_VALUES) this.values[i] = value;
    }
  }
}

type Distribution = 'RequestLatency' | 'PoolWait' | 'ReadLatency' | 'WriteLatency';
type Counter = Exclude<AppMetricName | OperationMetricName, Distribution | 'EventLoopLag' | 'AppReplicaLag'>;

/** A sample of one distribution: up to 100 values standing for `seen` observations. */
export interface Sample {
  readonly values: readonly number[];
  readonly seen: number;
}

/** One process's metrics for an interval, as a worker sends them to the primary. */
export interface MetricsSnapshot {
  readonly counters: Readonly<Record<string, number>>;
  readonly distributions: Readonly<Record<string, Sample>>;
  readonly maxLag: number;
  /** Highest replica lag measured in the interval, in seconds (absent: none measured). */
  readonly maxReplicaLag?: number;
}

/**
 * Several samples as one: at most 100 values, each drawn with a weight of the observations it
 * stands for (`seen / values`), weighted sampling without replacement (Efraimidis and Spirakis:
 * the largest keys `u^(1/w)`). A worker that served 900 requests weighs nine times one that
 * served 100, whatever the size of their samples: percentiles of the merged sample are those of
 * the instance's requests, not an average of the workers'.
 */
export function mergeSamples(samples: readonly Sample[], random: () => number = Math.random): Sample {
  const seen = samples.reduce((n, s) => n + s.seen, 0);
  const total = samples.reduce((n, s) => n + s.values.length, 0);
  const equalWeights = samples.every((s) => s.values.length === s.seen);
  if (total <= MAX_VALUES && equalWeights) return { values: samples.flatMap((s) => s.values), seen };
  const keyed: { key: number; value: number }[] = [];
  for (const s of samples) {
    if (s.values.length === 0) continue;
    const weight = s.seen / s.values.length;
    for (const value of s.values) keyed.push({ key: random() ** (1 / weight), value });
  }
  keyed.sort((a, b) => b.key - a.key);
  return { values: keyed.slice(0, MAX_VALUES).map((k) => k.value), seen };
}

/**
 * An app's metrics as the platform's alarms read them, aggregated in memory and written as one
 * CloudWatch embedded metric format document per interval: the reference service uses it, and a
 * team's own app with `app.metrics: "contract"` does the same (docs/runtime-contract.md, "Your own
 * app"): `count('Requests')` per request, `count('ServerErrors')` per 5xx, `observe('RequestLatency', ms)`,
 * and once a minute or more often, `console.log(metrics.flush())` to the log the fleet ships,
 * idle or not (the app-metrics-missing alarm watches for the document). Counters are exact; latency and pool wait are a uniform sample
 * of up to 100 values per interval and instance (the EMF array limit), from which CloudWatch
 * computes percentiles. Namespace, names and the `[Stack]` dimension set come from the contract,
 * the same constants the platform's alarms use. With a release (`APP_RELEASE`), the request
 * metrics are published a second time under `[Stack, Release]` (one more directive of the same
 * document, no second value): the release alarms of the instance refresh watch those.
 *
 * Per instance, not per worker: each worker sends its {@link snapshot} to the primary, which
 * {@link merge}s them into its own and writes the one document (service/src/primary.ts). Every
 * request is counted by exactly one process, once, so the alarms' Sum over the `[Stack]`
 * dimension counts it once; the samples are merged by weight ({@link mergeSamples}).
 */
export class AppMetrics {
  private counters = new Map<Counter, number>();
  private distributions = new Map<Distribution, Reservoir>();
  private merged = new Map<Distribution, Sample[]>();
  private maxLag = 0;
  private maxReplicaLag?: number;

  private readonly properties: Readonly<Record<string, string | number>>;
  private readonly random: () => number;
  private readonly release: string;
  private readonly availabilityZone: string;

  /**
   * @param stack `APP_STACK_NAME`: the value of the `[Stack]` dimension the alarms read.
   * @param options `release`: `APP_RELEASE` (publishes the release metrics too); `properties`:
   *   plain properties of every document (e.g. the instance ID, for searching the logs);
   *   `random`: the sampling's source (tests seed it).
   */
  constructor(
    private readonly stack: string,
    options: {
      readonly release?: string;
      readonly properties?: Readonly<Record<string, string | number>>;
      readonly random?: () => number;
      /** The instance's AZ name: publishes the per-AZ series too (`[Stack, AvailabilityZone]`). */
      readonly availabilityZone?: string;
    } = {},
  ) {
    this.properties = options.properties ?? {};
    this.random = options.random ?? Math.random;
    this.release = options.release ?? '';
    this.availabilityZone = options.availabilityZone ?? '';
  }

  /**
   * One answered request by its operation (the HTTP method: {@link operationOf}): the per-AZ,
   * per-operation counters and latency. `fault`: a 5xx that was not shed (what ServerErrors counts).
   */
  operation(method: string, fault: boolean, ms: number): void {
    const names = operationMetricNames(operationOf(method));
    this.count(names.requests as Counter);
    if (fault) this.count(names.faults as Counter);
    this.observe(names.latency as Distribution, ms);
  }

  count(name: Counter, by = 1): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + by);
  }

  observe(name: Distribution, ms: number): void {
    let r = this.distributions.get(name);
    if (!r) this.distributions.set(name, (r = new Reservoir(this.random)));
    r.add(Math.round(ms * 100) / 100);
  }

  eventLoopLag(ms: number): void {
    this.maxLag = Math.max(this.maxLag, ms);
  }

  /** A replica lag sample (seconds): the interval publishes the highest. */
  replicaLag(seconds: number): void {
    this.maxReplicaLag = Math.max(this.maxReplicaLag ?? 0, seconds);
  }

  /** Current counter value (for /readyz and tests). */
  counter(name: Counter): number {
    return this.counters.get(name) ?? 0;
  }

  /** The interval so far, as data (what a worker sends the primary), and a fresh interval. */
  snapshot(): MetricsSnapshot {
    const out: MetricsSnapshot = {
      counters: Object.fromEntries(this.counters),
      distributions: Object.fromEntries([...this.distributions].map(([name, r]) => [name, { values: r.values, seen: r.seen }])) as Record<
        string,
        Sample
      >,
      maxLag: this.maxLag,
      ...(this.maxReplicaLag !== undefined ? { maxReplicaLag: this.maxReplicaLag } : {}),
    };
    this.counters = new Map();
    this.distributions = new Map();
    this.maxLag = 0;
    this.maxReplicaLag = undefined;
    return out;
  }

  /** Adds another process's interval (a worker's snapshot) to this one. */
  merge(s: MetricsSnapshot): void {
    for (const [name, n] of Object.entries(s.counters)) this.count(name as Counter, n);
    for (const [name, sample] of Object.entries(s.distributions)) {
      if (sample.seen === 0) continue;
      const list = this.merged.get(name as Distribution) ?? [];
      list.push(sample);
      this.merged.set(name as Distribution, list);
    }
    this.maxLag = Math.max(this.maxLag, s.maxLag);
    if (s.maxReplicaLag !== undefined) this.replicaLag(s.maxReplicaLag);
  }

  /**
   * The EMF document for the interval so far (this process's metrics and every snapshot merged
   * into it), and a fresh interval. Every counter is present (0 when idle). `extra`: plain
   * properties of this document (e.g. how many workers run).
   */
  flush(timestamp = Date.now(), extra: Readonly<Record<string, string | number>> = {}): string {
    const names = Object.keys(APP_METRICS) as AppMetricName[];
    const own = this.snapshot();
    const values: Record<string, unknown> = {};
    const published: { Name: string; Unit: string }[] = [];
    for (const name of names) {
      if (name === 'RequestLatency' || name === 'PoolWait') {
        const samples = [...(own.distributions[name] ? [own.distributions[name]] : []), ...(this.merged.get(name) ?? [])];
        const merged = mergeSamples(samples, this.random);
        if (merged.values.length === 0) continue;
        values[name] = merged.values;
      } else if (name === 'EventLoopLag') {
        values[name] = Math.round(own.maxLag * 100) / 100;
      } else if (name === 'AppReplicaLag') {
        // Only when measured (no replicas, or no sample yet: nothing to publish, not a 0).
        if (own.maxReplicaLag === undefined) continue;
        values[name] = Math.round(own.maxReplicaLag * 1000) / 1000;
      } else {
        values[name] = own.counters[name] ?? 0;
      }
      published.push({ Name: name, Unit: APP_METRICS[name] });
    }
    if (this.availabilityZone !== '') {
      // Per AZ: the request metrics once more (the same values) and the per-operation ones.
      for (const name of Object.keys(OPERATION_METRICS) as OperationMetricName[]) {
        if (name === 'ReadLatency' || name === 'WriteLatency') {
          const samples = [...(own.distributions[name] ? [own.distributions[name]] : []), ...(this.merged.get(name) ?? [])];
          const merged = mergeSamples(samples, this.random);
          if (merged.values.length > 0) values[name] = merged.values;
        } else values[name] = own.counters[name] ?? 0;
      }
    }
    const directives = [{ Namespace: APP_METRICS_NAMESPACE, Dimensions: [[APP_METRICS_DIMENSION]], Metrics: published }];
    const byAz = azMetricsDirective(this.availabilityZone, Object.keys(values));
    if (byAz) directives.push(byAz);
    const byRelease = published.filter((m) => (RELEASE_METRICS as readonly string[]).includes(m.Name));
    if (this.release !== '' && byRelease.length > 0)
      directives.push({
        Namespace: APP_METRICS_NAMESPACE,
        Dimensions: [[APP_METRICS_DIMENSION, APP_RELEASE_DIMENSION]],
        Metrics: byRelease,
      });
    this.merged = new Map();
    const doc = {
      _aws: { Timestamp: timestamp, CloudWatchMetrics: directives },
      [APP_METRICS_DIMENSION]: this.stack,
      ...(this.release !== '' ? { [APP_RELEASE_DIMENSION]: this.release } : {}),
      ...(this.availabilityZone !== '' ? { [APP_AZ_DIMENSION]: this.availabilityZone } : {}),
      ...this.properties,
      ...extra,
      ...values,
    };
    return JSON.stringify(doc);
  }
}

/**
 * The metrics of one instance (what its primary flushes): the `[Stack]` set, with the release
 * (`APP_RELEASE`: the `[Stack, Release]` set the instance refresh judges) and the AZ (the
 * `[Stack, AvailabilityZone]` set of the per-AZ alarms) when known.
 */
export function instanceMetrics(
  env: { readonly APP_STACK_NAME: string; readonly APP_RELEASE?: string },
  instanceId: string,
  availabilityZone: string,
  random: () => number = Math.random,
): AppMetrics {
  return new AppMetrics(env.APP_STACK_NAME, { properties: { InstanceId: instanceId }, random, release: env.APP_RELEASE, availabilityZone });
}

import {
  APP_METRICS,
  APP_METRICS_DIMENSION,
  APP_METRICS_NAMESPACE,
  APP_RELEASE_DIMENSION,
  RELEASE_METRICS,
  type AppMetricName,
} from '@loadbearing/contract';

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

type Distribution = 'RequestLatency' | 'PoolWait';
type Counter = Exclude<AppMetricName, Distribution | 'EventLoopLag'>;

/**
 * The service's metrics, aggregated in memory and written as one CloudWatch embedded metric
 * format document per interval. Counters are exact; latency and pool wait are a uniform sample
 * of up to 100 values per interval and instance (the EMF array limit), from which CloudWatch
 * computes percentiles. Namespace, names and the `[Stack]` dimension set come from the contract,
 * the same constants the platform's alarms use. With a release (`APP_RELEASE`), the request
 * metrics are published a second time under `[Stack, Release]` (one more directive of the same
 * document, no second value): the release alarms of the instance refresh watch those.
 */
export class Metrics {
  private counters = new Map<Counter, number>();
  private distributions = new Map<Distribution, Reservoir>();
  private maxLag = 0;

  constructor(
    private readonly stack: string,
    private readonly properties: Readonly<Record<string, string>> = {},
    private readonly random: () => number = Math.random,
    private readonly release = '',
  ) {}

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

  /** Current counter value (for /readyz and tests). */
  counter(name: Counter): number {
    return this.counters.get(name) ?? 0;
  }

  /** The EMF document for the interval so far, and a fresh interval. Every counter is present (0 when idle). */
  flush(timestamp = Date.now()): string {
    const names = Object.keys(APP_METRICS) as AppMetricName[];
    const values: Record<string, unknown> = {};
    const published: { Name: string; Unit: string }[] = [];
    for (const name of names) {
      if (name === 'RequestLatency' || name === 'PoolWait') {
        const r = this.distributions.get(name);
        if (!r || r.values.length === 0) continue;
        values[name] = r.values;
      } else if (name === 'EventLoopLag') {
        values[name] = Math.round(this.maxLag * 100) / 100;
      } else {
        values[name] = this.counters.get(name) ?? 0;
      }
      published.push({ Name: name, Unit: APP_METRICS[name] });
    }
    const directives = [{ Namespace: APP_METRICS_NAMESPACE, Dimensions: [[APP_METRICS_DIMENSION]], Metrics: published }];
    const byRelease = published.filter((m) => (RELEASE_METRICS as readonly string[]).includes(m.Name));
    if (this.release !== '' && byRelease.length > 0)
      directives.push({
        Namespace: APP_METRICS_NAMESPACE,
        Dimensions: [[APP_METRICS_DIMENSION, APP_RELEASE_DIMENSION]],
        Metrics: byRelease,
      });
    const doc = {
      _aws: { Timestamp: timestamp, CloudWatchMetrics: directives },
      [APP_METRICS_DIMENSION]: this.stack,
      ...(this.release !== '' ? { [APP_RELEASE_DIMENSION]: this.release } : {}),
      ...this.properties,
      ...values,
    };
    this.counters = new Map();
    this.distributions = new Map();
    this.maxLag = 0;
    return JSON.stringify(doc);
  }
}

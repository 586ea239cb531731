import type { EnvironmentConfig } from 'loadbearing/model';
import type { PhaseSummary, RunMeasurement } from './measurement';
import { localInstances } from './scale';

export interface Signal {
  readonly name: string;
  /** Value over its bound: 1 means the bound is reached. */
  readonly pressure: number;
  readonly detail: string;
}

/**
 * Names the bottleneck of a run from measurements, not assumptions: the service's own metrics
 * (pool wait, event-loop lag, cache fallbacks, replica fallbacks), PostgreSQL's sessions, the
 * CPU each component used and the load generator's own lag. Each signal is scaled by the bound
 * that matters for it; the highest pressure is the bottleneck, and every signal is reported.
 */
export function signals(config: EnvironmentConfig, m: RunMeasurement, phase: PhaseSummary): Signal[] {
  const c = phase.service.counters;
  const n = localInstances(config);
  const cacheCalls = (c.CacheHits ?? 0) + (c.CacheMisses ?? 0) + (c.CacheFallbacks ?? 0);
  const requests = c.Requests ?? 0;
  const cpu = Object.entries(m.cpuPercent).sort((a, b) => b[1] - a[1]);
  const total = cpu.reduce((s, [, v]) => s + v, 0);
  const out: Signal[] = [
    {
      name: 'database connections (writer pool wait)',
      pressure: phase.service.poolWaitP99Ms / config.app.shedPoolWaitMs,
      detail: `pool wait p99 ${phase.service.poolWaitP99Ms} ms of the ${config.app.shedPoolWaitMs} ms shedding bound (app.shedPoolWaitMs)`,
    },
    {
      name: 'service CPU (event-loop lag)',
      pressure: phase.service.eventLoopLagMaxMs / config.app.shedEventLoopLagMs,
      detail: `event-loop lag up to ${phase.service.eventLoopLagMaxMs} ms of the ${config.app.shedEventLoopLagMs} ms shedding bound`,
    },
    {
      name: 'cache timeouts',
      pressure: cacheCalls === 0 ? 0 : (c.CacheFallbacks ?? 0) / cacheCalls / 0.1,
      detail: `${c.CacheFallbacks ?? 0} of ${cacheCalls} cache calls fell back to the database`,
    },
    {
      name: 'replica unavailable',
      pressure: requests === 0 ? 0 : (c.ReplicaFallbacks ?? 0) / requests / 0.05,
      detail: `${c.ReplicaFallbacks ?? 0} reads moved to the writer pool`,
    },
    {
      name: 'PostgreSQL writer sessions',
      pressure: (phase.primarySessions?.activeMax ?? 0) / (config.app.dbPoolSize * n),
      detail: `up to ${phase.primarySessions?.activeMax ?? 0} active app sessions on the writer (pools: ${n} x ${config.app.dbPoolSize}), ${phase.primarySessions?.waitingMax ?? 0} waiting on locks or I/O`,
    },
    {
      name: 'connection setup (accept queues overflowed)',
      pressure: m.listenOverflows / 10,
      detail: `the kernel dropped ${m.listenOverflows} connection attempts because an accept queue was full (TcpExtListenOverflows); each waits a TCP retransmit (1 s, then 3 s)`,
    },
    {
      name: 'load generator',
      pressure: m.generator.lagP99Ms / 50,
      detail: `its own event-loop delay p99 ${Math.round(m.generator.lagP99Ms)} ms (latency it added to its measurements)`,
    },
  ];
  if (cpu.length > 0 && total > 0) {
    out.push({
      name: `CPU: ${cpu[0][0]}`,
      pressure: total / 200,
      detail: `machine CPU ${Math.round(total)}% of 200% (2 cores): ${cpu
        .slice(0, 3)
        .map(([k, v]) => `${k} ${v}%`)
        .join(', ')}`,
    });
  }
  return out.sort((a, b) => b.pressure - a.pressure);
}

/** One line naming the bottleneck of the phase that matters (the fault, or the whole run for the baseline). */
export function bottleneck(config: EnvironmentConfig, m: RunMeasurement, phase: PhaseSummary): string {
  const [top] = signals(config, m, phase);
  if (!top || top.pressure < 0.05) return 'none visible: every signal far below its bound';
  const statement = m.topStatements[0];
  return `${top.name}: ${top.detail}${statement ? `; top statement by time: ${statement.query.slice(0, 80)} (${statement.calls} calls, mean ${statement.meanMs} ms)` : ''}`;
}

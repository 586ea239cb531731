import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import { newHistogram, percentileMs, recordMs, type Histogram } from './load/histogram';
import type { Topology } from './topology/topology';

/**
 * What the proving ground watches besides the load generator's answers: the service's own
 * metrics (its EMF documents on stdout, the same ones CloudWatch would get), HAProxy's view of
 * the targets, PostgreSQL's sessions (pg_stat_activity) and statements (pg_stat_statements),
 * and the CPU each component used (from /proc), one sample per second.
 */

/** Service metrics of one time bucket, summed over the instances. */
export interface ServiceBucket {
  counters: Record<string, number>;
  poolWait: Histogram;
  eventLoopLagMaxMs: number;
}

export interface Sample {
  /** ms from the run's start. */
  readonly tMs: number;
  readonly healthyTargets: number;
  /** Sessions of the app role on the primary and the replica, by state / wait event type (undefined: node down). */
  readonly primarySessions?: { active: number; idle: number; waiting: number };
  readonly replicaSessions?: { active: number; idle: number; waiting: number };
}

const COUNTERS = [
  'Requests',
  'ServerErrors',
  'ShedRequests',
  'ClientAborts',
  'CacheHits',
  'CacheMisses',
  'CacheFallbacks',
  'ReplicaFallbacks',
  'ReplicaLagFallbacks',
  'ReplicaFenceFallbacks',
];

/**
 * CPU seconds (user + system) of each component: every process descending from its leader
 * (PostgreSQL's server processes start sessions of their own, so process groups miss them).
 */
function cpuSecondsByTree(roots: ReadonlyMap<string, number[]>): Map<string, number> {
  const ticks = 100; // USER_HZ on Linux
  const cpu = new Map<number, number>();
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const pid = Number(entry);
      const ppid = Number(fields[1]);
      cpu.set(pid, (Number(fields[11]) + Number(fields[12])) / ticks);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid)!.push(pid);
    } catch {
      /* exited meanwhile */
    }
  }
  const total = (pid: number): number => (cpu.get(pid) ?? 0) + (children.get(pid) ?? []).reduce((sum, c) => sum + total(c), 0);
  const out = new Map<string, number>();
  for (const [name, pids] of roots)
    out.set(
      name,
      pids.reduce((sum, p) => sum + total(p), 0),
    );
  return out;
}

/** Process groups of each component, for the CPU accounting (the generator is this process). */
export function componentGroups(t: Topology): Map<string, number[]> {
  return new Map([
    ['service', t.instances.flatMap((i) => (i.service?.process.running() ? [i.service.process.pid] : []))],
    ['postgres-primary', [t.stack.postgres.primary.process.pid]],
    ['postgres-replica', [t.stack.postgres.replica!.process.pid]],
    ['redis', [t.stack.redis.process.pid]],
    ['haproxy', [t.haproxy.process.pid]],
    ['latency-proxy', [t.proxy.process.pid]],
    ['load-generator', [process.pid]],
  ]);
}

/** The generator's own CPU comes from process.cpuUsage() (it shares its process group with the command). */
function ownCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** TcpExtListenOverflows: connections the kernel dropped because an accept queue was full (machine-wide). */
export function listenOverflows(): number {
  try {
    const lines = readFileSync('/proc/net/netstat', 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('TcpExt:'));
    const names = lines[0].split(/\s+/);
    const values = lines[1].split(/\s+/);
    return Number(values[names.indexOf('ListenOverflows')] ?? 0);
  } catch {
    return 0;
  }
}

export class Observer {
  readonly samples: Sample[] = [];
  readonly service: ServiceBucket[] = [];
  private timer?: NodeJS.Timeout;
  private start = 0;
  private cpuStart = new Map<string, number>();
  private ownStart = 0;
  private overflowsStart = 0;
  private sampling = false;
  private clients: { primary?: pg.Client; replica?: pg.Client } = {};

  constructor(
    private readonly topology: Topology,
    private readonly bucketMs: number,
  ) {}

  /** Messages of the service's error logs (5xx that were not shed), counted: the causes behind the errors. */
  readonly serviceErrors = new Map<string, number>();

  /** Feeds one service document (EMF or log line) of `instance`; EMF documents are bucketed by arrival time. */
  /** Workers each instance's primary reported up, over time (its EMF documents' `Workers`). */
  readonly workers: { tMs: number; instance: string; workers: number }[] = [];

  onDocument(doc: Record<string, unknown>, instance?: string): void {
    if (!this.start) return;
    if (instance !== undefined && typeof doc.Workers === 'number')
      this.workers.push({ tMs: Math.round(performance.now() - this.start), instance, workers: doc.Workers });
    if (!('_aws' in doc)) {
      if (typeof doc.level === 'number' && doc.level >= 50) {
        const cause = `${String(doc.message ?? '')}: ${String(doc.err ?? '')}`.slice(0, 120);
        this.serviceErrors.set(cause, (this.serviceErrors.get(cause) ?? 0) + 1);
      }
      return;
    }
    const i = Math.max(0, Math.floor((performance.now() - this.start) / this.bucketMs));
    while (this.service.length <= i) this.service.push({ counters: {}, poolWait: newHistogram(), eventLoopLagMaxMs: 0 });
    const b = this.service[i];
    for (const c of COUNTERS) if (typeof doc[c] === 'number') b.counters[c] = (b.counters[c] ?? 0) + (doc[c] as number);
    if (Array.isArray(doc.PoolWait)) for (const v of doc.PoolWait as number[]) recordMs(b.poolWait, v);
    if (typeof doc.EventLoopLag === 'number') b.eventLoopLagMaxMs = Math.max(b.eventLoopLagMaxMs, doc.EventLoopLag);
  }

  private async sessions(node: 'primary' | 'replica') {
    try {
      let c = this.clients[node];
      if (!c) {
        c = await this.topology.admin(node);
        c.on('error', () => undefined);
        this.clients[node] = c;
      }
      const { rows } = await c.query<{ active: number; idle: number; waiting: number }>(
        `SELECT count(*) FILTER (WHERE state = 'active')::int AS active,
                count(*) FILTER (WHERE state LIKE 'idle%')::int AS idle,
                count(*) FILTER (WHERE state = 'active' AND wait_event_type IN ('Lock', 'LWLock', 'IO'))::int AS waiting
           FROM pg_stat_activity WHERE usename = $1`,
        ['lb_app'],
      );
      return rows[0];
    } catch {
      await this.clients[node]?.end().catch(() => undefined);
      this.clients[node] = undefined;
      return undefined;
    }
  }

  private async sample(): Promise<void> {
    if (this.sampling) return;
    this.sampling = true;
    try {
      const tMs = performance.now() - this.start;
      const [servers, primarySessions, replicaSessions] = await Promise.all([
        this.topology.haproxy.servers().catch(() => []),
        this.sessions('primary'),
        this.sessions('replica'),
      ]);
      this.samples.push({ tMs, healthyTargets: servers.filter((s) => s.status.startsWith('UP')).length, primarySessions, replicaSessions });
    } finally {
      this.sampling = false;
    }
  }

  /** Starts the clock (run start) and the once-per-second sampling; resets pg_stat_statements. */
  async begin(): Promise<void> {
    const admin = await this.topology.admin().catch(() => undefined);
    await admin?.query('SELECT pg_stat_statements_reset()').catch(() => undefined);
    await admin?.end().catch(() => undefined);
    this.cpuStart = cpuSecondsByTree(componentGroups(this.topology));
    this.ownStart = ownCpuSeconds();
    this.overflowsStart = listenOverflows();
    this.start = performance.now();
    this.timer = setInterval(() => void this.sample(), 1000);
    void this.sample();
  }

  /** Stops sampling; returns CPU use per component (share of one core, %) and the top statements. */
  async end(): Promise<{
    cpuPercent: Record<string, number>;
    listenOverflows: number;
    topStatements: { query: string; calls: number; totalMs: number; meanMs: number }[];
  }> {
    clearInterval(this.timer);
    const overflows = listenOverflows() - this.overflowsStart;
    const seconds = (performance.now() - this.start) / 1000;
    const now = cpuSecondsByTree(componentGroups(this.topology));
    const cpuPercent: Record<string, number> = {};
    for (const [name, value] of now) {
      const used = name === 'load-generator' ? ownCpuSeconds() - this.ownStart : Math.max(0, value - (this.cpuStart.get(name) ?? 0));
      cpuPercent[name] = Math.round((used / seconds) * 1000) / 10;
    }
    let topStatements: { query: string; calls: number; totalMs: number; meanMs: number }[] = [];
    const admin = await this.topology.admin().catch(() => undefined);
    if (admin) {
      try {
        const { rows } = await admin.query<{ query: string; calls: string; total: number; mean: number }>(
          `SELECT regexp_replace(query, '\\s+', ' ', 'g') AS query, calls, total_exec_time AS total, mean_exec_time AS mean
             FROM pg_stat_statements WHERE query NOT ILIKE '%pg_stat%' ORDER BY total_exec_time DESC LIMIT 5`,
        );
        topStatements = rows.map((r) => ({
          query: r.query.slice(0, 160),
          calls: Number(r.calls),
          totalMs: Math.round(r.total),
          meanMs: Math.round(r.mean * 100) / 100,
        }));
      } catch {
        /* extension unavailable */
      } finally {
        await admin.end().catch(() => undefined);
      }
    }
    await Promise.all(Object.values(this.clients).map((c) => c?.end().catch(() => undefined)));
    this.clients = {};
    this.start = 0;
    return { cpuPercent, listenOverflows: overflows, topStatements };
  }
}

export { percentileMs };

import { availableParallelism } from 'node:os';
import type pg from 'pg';
import type { EnvironmentConfig } from 'loadbearing/model';
import { freePort, serviceProcessEnv, startLocalStack, startService, waitFor, type LocalStack, type ServiceProcess } from '../local-stack';
import { localInstanceAz, localInstances, localWorkers } from '../scale';
import { startHaproxy, type Haproxy } from './haproxy';
import { createCpuQuota, type CpuQuota, WORKER_CPU_CORES } from './cpu-quota';
import { startLatencyProxy, type LatencyProxy } from './latency-proxy';
import { startTeamApp, type TeamApp } from '../team-app';

/**
 * PostgreSQL settings for the proving ground, on top of the local stack's throwaway defaults:
 * durable commits (an acknowledged write survives the writer's crash, as on RDS) and
 * pg_stat_statements, so the report can name the statements that took the time.
 */
export const PROVING_GROUND_PG_SETTINGS = [
  'synchronous_commit=on',
  'shared_preload_libraries=pg_stat_statements',
  'pg_stat_statements.track=top',
  'max_connections=200',
  'shared_buffers=64MB',
];

/**
 * The CPU the service instances are pinned to (the last one), when there are two or more. The
 * load generator must be able to push the fleet to three times its capacity; on a 2-core
 * machine that is possible only when the fleet cannot take every core (in AWS each instance has
 * its own). HAProxy, PostgreSQL, redis-server and the generator use every CPU.
 */
export function fleetCpu(): string | undefined {
  const n = availableParallelism();
  return n >= 2 ? String(n - 1) : undefined;
}

/** Items seeded before the load starts (ids 1..SEED_ITEMS). */
export const SEED_ITEMS = 2000;

export interface Instance {
  readonly name: string;
  readonly port: number;
  /** Its worker processes. */
  readonly workers: number;
  /** Its CPU quota (workers x WORKER_CPU_CORES), shared by its primary and workers. */
  quota?: CpuQuota;
  env: NodeJS.ProcessEnv;
  service?: ServiceProcess;
  /** Set when a scenario kills it on purpose (its exit is not a finding). */
  killed?: boolean;
}

/** A service instance that exited without being told to: a finding of the run. */
export interface InstanceExit {
  readonly instance: string;
  readonly at: string;
  readonly code: number | null;
  readonly signal: string | null;
  readonly lastLines: readonly string[];
}

/** The fleet's CPU: each instance has its own quota, its workers x the per-worker cores. */
export interface FleetCpu {
  /** Cores in all (the sum of the instances' quotas). */
  readonly cores?: number;
  readonly perWorkerCores?: number;
  readonly workersPerInstance: number;
  readonly perInstanceCores?: number;
  readonly pinnedTo?: string;
  readonly noQuota?: string;
}

export interface TopologyOptions {
  readonly config: EnvironmentConfig;
  /** One-way delay the latency proxy adds while the dependency-latency fault is on. */
  readonly dbDelayMs: number;
  /** HAProxy's port (the one clients use); a free one when undefined. */
  readonly haproxyPort?: number;
  /** app.env values replaced in every instance (the deliberately broken service of the tests). */
  readonly appEnvOverrides?: Readonly<Record<string, string>>;
  /** Every service EMF document and log line, with the instance it came from. */
  readonly onDocument?: (instance: string, doc: Record<string, unknown>) => void;
  /** Marker put into every service's environment (the no-leftover test looks for it). */
  readonly marker?: Readonly<Record<string, string>>;
  readonly progress?: (text: string) => void;
  /** A team's own app (app.artifact) to run as every instance instead of the reference service. */
  readonly teamApp?: TeamApp;
}

export interface Topology {
  readonly config: EnvironmentConfig;
  /** The team's app every instance runs; undefined: the reference service. */
  readonly teamApp?: TeamApp;
  readonly stack: LocalStack;
  readonly proxy: LatencyProxy;
  readonly haproxy: Haproxy;
  readonly instances: readonly Instance[];
  /** (Re)starts an instance with its app.env and waits for /healthz. */
  startInstance(instance: Instance): Promise<void>;
  /** An admin connection to the primary (or the replica). */
  admin(node?: 'primary' | 'replica'): Promise<pg.Client>;
  /** Restarts every instance with these app.env values replaced (SIGTERM, then start), and waits until HAProxy sees them UP. */
  reconfigure(overrides: Readonly<Record<string, string>>): Promise<void>;
  /** CPU of the fleet: per worker, per instance and in all (cgroup quotas, one per instance), or why there is none. */
  readonly fleetCpu: FleetCpu;
  /** Instances that exited on their own (crashes), oldest first; the caller may empty it. */
  readonly exits: InstanceExit[];
  /** Waits until HAProxy sees every instance UP. */
  waitAllUp(timeoutMs: number): Promise<void>;
  /** Stops every process and removes the data directories. Safe to call twice. */
  destroy(): Promise<void>;
}

/**
 * A small copy of one environment on loopback: moto (Secrets Manager, SSM), PostgreSQL primary
 * and streaming replica behind the latency proxy, redis-server, one service instance per AZ
 * (each with app.env from `appEnvironment()`), and HAProxy in front. Everything started is
 * stopped by `destroy()`, also when start-up fails half-way.
 */
export async function startTopology(o: TopologyOptions): Promise<Topology> {
  const progress = o.progress ?? (() => undefined);
  const stops: (() => Promise<void>)[] = [];
  let destroyed = false;
  const destroyAll = async () => {
    if (destroyed) return;
    destroyed = true;
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  try {
    progress('starting moto, PostgreSQL primary + replica, redis-server');
    const stack = await startLocalStack({ replica: true, config: o.config, postgresSettings: PROVING_GROUND_PG_SETTINGS });
    stops.push(() => stack.destroy());
    const replica = stack.postgres.replica!;
    const proxy = await startLatencyProxy([stack.postgres.primary.port, replica.port], o.dbDelayMs);
    stops.push(() => proxy.stop());

    const instances: Instance[] = [];
    const workers = localWorkers(o.config);
    for (let i = 0; i < localInstances(o.config); i++) {
      const port = await freePort();
      const appEnv = await stack.appEnv(
        o.config,
        { port, workers },
        { dbPort: proxy.ports.get(stack.postgres.primary.port)!, dbReaderPort: proxy.ports.get(replica.port)! },
      );
      const name = `i${i + 1}`;
      instances.push({
        name,
        port,
        workers,
        env: serviceProcessEnv({ ...appEnv, APP_AVAILABILITY_ZONE: localInstanceAz(o.config, i), ...o.appEnvOverrides }, stack.moto.url, {
          INSTANCE_ID: name,
          ...o.marker,
        }),
      });
    }
    const exits: InstanceExit[] = [];
    // One CPU quota per instance (its workers x WORKER_CPU_CORES), so the load generator can push
    // the fleet to 3x its capacity, and losing an instance loses its CPU.
    let noQuota: string | undefined;
    for (const instance of instances) {
      const quota = createCpuQuota(`loadbearing-prove-${process.pid}-${instance.name}`, instance.workers * WORKER_CPU_CORES);
      if (typeof quota === 'string') noQuota = quota;
      else {
        instance.quota = quota;
        stops.push(async () => quota.remove());
      }
    }
    const startInstance = async (instance: Instance) => {
      const options = {
        taskset: fleetCpu(),
        onDocument: (doc: Record<string, unknown>) => o.onDocument?.(instance.name, doc),
        // The primary's workers are forked into its cgroup.
        onSpawn: (pid: number) => instance.quota?.add(pid),
      };
      const service = o.teamApp
        ? await startTeamApp(o.teamApp, instance.env, options)
        : await startService(instance.env, { ...options, retainLines: false });
      instance.service = service;
      void service.process.exited.then((code) => {
        if (destroyed || instance.killed) return;
        const lines = service.process
          .output()
          .split('\n')
          .filter((l) => l.trim() && !l.startsWith('{"_aws'));
        exits.push({
          instance: instance.name,
          at: new Date().toISOString(),
          code,
          signal: service.process.child.signalCode,
          lastLines: lines.slice(-5),
        });
      });
    };
    stops.push(async () => {
      await Promise.all(instances.map((i) => i.service?.stop('SIGTERM').catch(() => undefined)));
    });
    progress(
      o.teamApp
        ? `starting ${instances.length} instances of your app (${o.teamApp.artifact})`
        : `starting ${instances.length} service instances of ${workers} worker${workers === 1 ? '' : 's'}`,
    );
    await startInstance(instances[0]);
    await Promise.all(instances.slice(1).map(startInstance));

    const admin = async (node: 'primary' | 'replica' = 'primary') =>
      stack.postgres.admin(node === 'primary' ? stack.postgres.primary : replica);
    const db = await admin();
    try {
      await db.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
      // The reference service's tables (its migrations ran at its start) get the seed; a team's app has its own.
      if (!o.teamApp) {
        await db.query(`INSERT INTO categories (name) SELECT 'category-' || g FROM generate_series(1, 20) g ON CONFLICT DO NOTHING`);
        await db.query(
          `INSERT INTO items (category_id, sku, name, price_cents)
         SELECT (SELECT id FROM categories ORDER BY id LIMIT 1 OFFSET (g % 20)), 'seed-' || g, 'Item ' || g, 100 + g FROM generate_series(1, $1) g
         ON CONFLICT (sku) DO NOTHING`,
          [SEED_ITEMS],
        );
      }
      await db.query('ANALYZE');
    } finally {
      await db.end();
    }

    progress('starting HAProxy');
    const haproxy = await startHaproxy(
      o.config,
      o.haproxyPort ?? (await freePort()),
      instances.map((i) => ({ name: i.name, port: i.port })),
    );
    stops.push(() => haproxy.stop());
    const topology: Topology = {
      config: o.config,
      teamApp: o.teamApp,
      stack,
      proxy,
      haproxy,
      instances,
      exits,
      fleetCpu: noQuota
        ? { workersPerInstance: workers, pinnedTo: fleetCpu(), noQuota }
        : {
            cores: Math.round(instances.length * workers * WORKER_CPU_CORES * 1000) / 1000,
            perWorkerCores: Math.round(WORKER_CPU_CORES * 1000) / 1000,
            workersPerInstance: workers,
            perInstanceCores: Math.round(workers * WORKER_CPU_CORES * 1000) / 1000,
            pinnedTo: fleetCpu(),
          },
      startInstance,
      async reconfigure(overrides) {
        for (const instance of instances) {
          instance.killed = true;
          await instance.service?.stop('SIGTERM');
          instance.env = { ...instance.env, ...overrides };
          await startInstance(instance);
          instance.killed = false;
        }
        await topology.waitAllUp(30_000);
      },
      admin,
      async waitAllUp(timeoutMs) {
        await waitFor(
          'every instance UP in HAProxy',
          async () => (await haproxy.servers()).every((s) => s.status === 'UP'),
          timeoutMs,
          () => '',
        );
      },
      destroy: destroyAll,
    };
    await topology.waitAllUp(30_000);
    // The replica has the seed rows before any read goes there.
    if (!o.teamApp)
      await waitFor(
        'the replica to replay the seed',
        async () => {
          const r = await admin('replica');
          try {
            return (await r.query('SELECT count(*)::int AS n FROM items')).rows[0].n >= SEED_ITEMS;
          } finally {
            await r.end();
          }
        },
        20_000,
      );
    return topology;
  } catch (error) {
    await destroyAll();
    throw error;
  }
}

import type { EnvironmentConfig } from '../config/environment-schema';
import { postgresMaxConnections, SUPERUSER_RESERVED_CONNECTIONS } from '../config/postgres-connections';
import { RDS_POSTGRES_FAMILIES, rdsInstanceClass } from '../config/rds-instance-classes';
import { fleetWorkers } from '../config/workers';
import type { ConfigRule, InvariantFinding } from './invariant-rule';

/** The smallest class of the same family that offers at least `connections`, if any. */
function largerClassFor(instanceClass: string, connections: number): string | undefined {
  const info = rdsInstanceClass(instanceClass);
  if (!info) return undefined;
  const family = RDS_POSTGRES_FAMILIES.find((f) => f.family === info.family.family)!;
  return Object.keys(family.sizes)
    .map((size) => `db.${family.family}.${size}`)
    .find((c) => postgresMaxConnections(c) >= connections && rdsInstanceClass(c)!.memoryGiB > info.memoryGiB);
}

/** Writer connections one worker opens (its reader pools too when there are no replicas). */
function writerPerWorker(config: EnvironmentConfig): number {
  return config.app.dbPoolSize + (config.database.readReplicas === 0 ? config.app.dbReaderPoolSize : 0);
}

/** Connections the app fleet opens to the writer at maxCapacity: instances x workers x pools. */
export function writerDemand(config: EnvironmentConfig): number {
  return config.fleet.maxCapacity * fleetWorkers(config).max * writerPerWorker(config);
}

/** Connections the writer can give the app: all but the reserved ones, or the proxy's share. */
export function writerCapacity(config: EnvironmentConfig): { capacity: number; maxConnections: number; explanation: string } {
  const maxConnections = postgresMaxConnections(config.database.instanceClass);
  const { proxy, connectionReserve } = config.database;
  if (proxy.enabled) {
    const capacity = Math.floor((maxConnections * proxy.maxConnectionsPercent) / 100);
    return {
      capacity,
      maxConnections,
      explanation: `RDS Proxy may open ${proxy.maxConnectionsPercent}% of ${config.database.instanceClass}'s ~${maxConnections} max_connections = ${capacity}`,
    };
  }
  const capacity = maxConnections - SUPERUSER_RESERVED_CONNECTIONS - connectionReserve;
  return {
    capacity,
    maxConnections,
    explanation: `${config.database.instanceClass} allows ~${maxConnections} (max_connections estimate) - ${SUPERUSER_RESERVED_CONNECTIONS} superuser - ${connectionReserve} reserve = ${capacity}`,
  };
}

export const CONNECTION_BUDGET_RULES: readonly ConfigRule[] = [
  {
    id: 'CB-1',
    group: 'connection-budget',
    phase: 'config',
    severity: 'error',
    title: "The fleet at maxCapacity fits the writer's connections",
    rationale:
      'Scale-out adds pools, not capacity: at peak every worker of every instance opens its pool, and PostgreSQL refuses connections past max_connections, turning a traffic spike into errors on every instance at once.',
    check(config): InvariantFinding[] {
      const demand = writerDemand(config);
      const { capacity, explanation } = writerCapacity(config);
      if (demand <= capacity) return [];
      const workers = fleetWorkers(config);
      const perWorker = writerPerWorker(config);
      const perInstance = workers.max * perWorker;
      const maxPool = Math.max(0, Math.floor(capacity / config.fleet.maxCapacity / workers.max) - (perWorker - config.app.dbPoolSize));
      const maxWorkers = Math.floor(capacity / config.fleet.maxCapacity / perWorker);
      const { proxy, connectionReserve } = config.database;
      const neededMax = proxy.enabled
        ? Math.ceil((demand * 100) / proxy.maxConnectionsPercent)
        : demand + SUPERUSER_RESERVED_CONNECTIONS + connectionReserve;
      const larger = largerClassFor(config.database.instanceClass, neededMax);
      const fixes = [
        `lower app.dbPoolSize to ${maxPool} or less`,
        // Fewer workers only where the CPU target stays reachable with them (WK-2).
        ...(workers.max > 1 && maxWorkers >= 1 && (100 * maxWorkers) / workers.vcpus.max > config.fleet.cpuTargetPercent
          ? [`set app.workers to ${maxWorkers} or fewer`]
          : []),
        larger
          ? `use a larger database.instanceClass (${larger} allows ~${postgresMaxConnections(larger)})`
          : 'use a larger database.instanceClass',
        `lower fleet.maxCapacity to ${Math.floor(capacity / perInstance)} or less`,
        config.database.proxy.enabled
          ? `raise database.proxy.maxConnectionsPercent (now ${config.database.proxy.maxConnectionsPercent})`
          : 'or enable database.proxy so clients queue for pooled connections (borrow timeout) instead of being refused',
      ];
      return [
        {
          path: 'app.dbPoolSize',
          value: config.app.dbPoolSize,
          message: `writer connection budget exceeded: fleet.maxCapacity ${config.fleet.maxCapacity} x ${workers.describe} x ${perWorker} connections per worker${perWorker === config.app.dbPoolSize ? '' : ` (app.dbPoolSize ${config.app.dbPoolSize} + app.dbReaderPoolSize ${config.app.dbReaderPoolSize}: no replicas)`} = ${demand} at peak, but ${explanation}`,
          fix: `${fixes.join('; ')}.`,
        },
      ];
    },
  },
  {
    id: 'CB-2',
    group: 'connection-budget',
    phase: 'config',
    severity: 'error',
    title: 'Reader pools fit the replicas, even with one replica lost',
    rationale:
      'Reads spread over the replicas; when one fails, the others take its connections. If they cannot, a single replica failure cascades into reader errors fleet-wide.',
    check(config): InvariantFinding[] {
      const { readReplicas, connectionReserve } = config.database;
      if (readReplicas === 0 || config.app.dbReaderPoolSize === 0) return [];
      const replicaClass = config.database.replicaInstanceClass ?? config.database.instanceClass;
      const perReplica = postgresMaxConnections(replicaClass) - SUPERUSER_RESERVED_CONNECTIONS - connectionReserve;
      const surviving = readReplicas >= 2 ? readReplicas - 1 : readReplicas;
      const capacity = surviving * perReplica;
      const workers = fleetWorkers(config);
      const demand = config.fleet.maxCapacity * workers.max * config.app.dbReaderPoolSize;
      if (demand <= capacity) return [];
      return [
        {
          path: 'app.dbReaderPoolSize',
          value: config.app.dbReaderPoolSize,
          message: `reader connection budget exceeded: fleet.maxCapacity ${config.fleet.maxCapacity} x ${workers.describe} x app.dbReaderPoolSize ${config.app.dbReaderPoolSize} = ${demand}, but ${surviving} surviving replica(s) of ${replicaClass} take ${surviving} x ${perReplica} = ${capacity}`,
          fix: `lower app.dbReaderPoolSize to ${Math.floor(capacity / config.fleet.maxCapacity / workers.max)} or less${workers.max > 1 ? '; set fewer app.workers' : ''}; add read replicas (database.readReplicas); or use a larger database.replicaInstanceClass.`,
        },
      ];
    },
  },
  {
    id: 'CB-3',
    group: 'connection-budget',
    phase: 'config',
    severity: 'error',
    title: 'RDS Proxy leaves room for operators',
    rationale:
      'With the proxy on, the connections it does not take are all that is left for migrations, monitoring and an operator during an incident.',
    check(config): InvariantFinding[] {
      const { proxy, connectionReserve, instanceClass } = config.database;
      if (!proxy.enabled) return [];
      const { capacity, maxConnections } = writerCapacity(config);
      const left = maxConnections - capacity;
      const needed = SUPERUSER_RESERVED_CONNECTIONS + connectionReserve;
      if (left >= needed) return [];
      const maxPercent = Math.floor(((maxConnections - needed) / maxConnections) * 100);
      return [
        {
          path: 'database.proxy.maxConnectionsPercent',
          value: proxy.maxConnectionsPercent,
          message: `the proxy takes ${capacity} of ${instanceClass}'s ~${maxConnections} connections, leaving ${left}, but ${needed} are needed (${SUPERUSER_RESERVED_CONNECTIONS} superuser + database.connectionReserve ${connectionReserve})`,
          fix: `lower database.proxy.maxConnectionsPercent to ${maxPercent} or less, or lower database.connectionReserve.`,
        },
      ];
    },
  },
];

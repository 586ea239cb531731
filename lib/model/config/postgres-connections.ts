import { rdsInstanceClass } from './rds-instance-classes';

/** Connections PostgreSQL keeps for superusers (`superuser_reserved_connections`, RDS default). */
export const SUPERUSER_RESERVED_CONNECTIONS = 3;

/**
 * RDS computes `DBInstanceClassMemory` as the class memory minus what the OS and RDS processes
 * use, and AWS does not publish that amount. Measured `max_connections` was 80-92% of the
 * formula on nominal memory (db.t4g.small 181 of 225, db.m7g.large 832 of 901), so the
 * estimate takes 80%: it errs towards a smaller budget.
 */
export const USABLE_MEMORY_FRACTION = 0.8;

/**
 * Estimated default `max_connections` of RDS for PostgreSQL:
 * `LEAST({DBInstanceClassMemory/9531392}, 5000)`, on the usable share of the class memory.
 */
export function postgresMaxConnections(instanceClass: string): number {
  const info = rdsInstanceClass(instanceClass);
  if (!info) throw new Error(`unknown RDS instance class ${instanceClass}`);
  const bytes = info.memoryGiB * 1024 ** 3 * USABLE_MEMORY_FRACTION;
  return Math.min(Math.floor(bytes / 9_531_392), 5000);
}

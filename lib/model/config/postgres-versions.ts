import { POSTGRES_VERSION_CATALOG } from './aws-catalog';

/** Majors the platform supports: RDS standard support, and parameters this platform sets. */
export const SUPPORTED_POSTGRES_MAJORS = [15, 16, 17, 18] as const;

/** A full PostgreSQL version and its major, as RDS names them. */
export interface PostgresVersion {
  readonly postgresFullVersion: string;
  readonly postgresMajorVersion: string;
}

/**
 * Full PostgreSQL versions aws-cdk-lib knows for RDS (its `PostgresEngineVersion` constants,
 * kept current by the CDK team, copied into aws-catalog.ts), limited to the supported majors.
 */
export const KNOWN_POSTGRES_VERSIONS: ReadonlyMap<string, PostgresVersion> = new Map(
  POSTGRES_VERSION_CATALOG.filter((v) => (SUPPORTED_POSTGRES_MAJORS as readonly number[]).includes(Number(v.major))).map((v) => [
    v.full,
    { postgresFullVersion: v.full, postgresMajorVersion: v.major },
  ]),
);

export function postgresMajor(fullVersion: string): number {
  return Number(fullVersion.split('.')[0]);
}

/** Latest known minor of each supported major, for error messages. */
export function latestPerMajor(): string[] {
  const latest = new Map<string, string>();
  for (const v of KNOWN_POSTGRES_VERSIONS.keys()) latest.set(v.split('.')[0], v);
  return [...latest.values()];
}

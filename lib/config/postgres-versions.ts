import { PostgresEngineVersion } from 'aws-cdk-lib/aws-rds';

/** Majors the platform supports: RDS standard support, and parameters this platform sets. */
export const SUPPORTED_POSTGRES_MAJORS = [15, 16, 17, 18] as const;

/**
 * Full PostgreSQL versions aws-cdk-lib knows for RDS (its `PostgresEngineVersion` constants,
 * kept current by the CDK team), limited to the supported majors.
 */
export const KNOWN_POSTGRES_VERSIONS: ReadonlyMap<string, PostgresEngineVersion> = new Map(
  Object.getOwnPropertyNames(PostgresEngineVersion)
    .map((name) => (PostgresEngineVersion as unknown as Record<string, unknown>)[name])
    .filter((v): v is PostgresEngineVersion => v instanceof Object && typeof (v as PostgresEngineVersion).postgresFullVersion === 'string')
    .filter((v) => (SUPPORTED_POSTGRES_MAJORS as readonly number[]).includes(Number(v.postgresMajorVersion)))
    .map((v) => [v.postgresFullVersion, v]),
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

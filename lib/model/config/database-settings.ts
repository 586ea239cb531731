import { z } from 'zod';
import { classesForMajor, rdsInstanceClass, supportsMajor } from './rds-instance-classes';
import { KNOWN_POSTGRES_VERSIONS, latestPerMajor, postgresMajor } from './postgres-versions';
import { ALWAYS, int, isNum, logRetentionDays, violation } from './schema-helpers';

const instanceClass = z
  .string()
  .regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, { message: 'must look like "db.<family>.<size>", e.g. "db.r7g.large"' });

const proxySchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(false)
      .describe('Put RDS Proxy in front of the writer: pooled, multiplexed connections and faster failover.'),
    maxConnectionsPercent: int(1, 100).default(90).describe("Share of the writer's max_connections the proxy may open."),
    maxIdleConnectionsPercent: int(0, 100).default(50).describe('Share of max_connections the proxy keeps open while idle.'),
    borrowTimeoutSeconds: int(1, 300)
      .default(5)
      .describe(
        'How long a client waits for a pooled connection before an error. Shorter than the app request timeout, so a saturated pool fails fast instead of stacking requests.',
      ),
    iamAuth: z
      .boolean()
      .default(true)
      .describe('Require IAM authentication from clients (no password in the app); TLS is always required.'),
    idleClientTimeoutSeconds: int(1, 28_800).default(1800).describe('Idle client connections are closed after this.'),
  })
  .describe('RDS Proxy for the writer. (A proxy cannot serve RDS for PostgreSQL read replicas; readers use the replica endpoints.)');

export const databaseSettingsSchema = z
  .strictObject({
    engineVersion: z
      .string()
      .default('17.9')
      .describe(
        'RDS for PostgreSQL full version, e.g. `17.9`. Must be a version aws-cdk-lib knows. A new minor of the same major is an in-place update; a new major needs allowMajorVersionUpgrade.',
      ),
    allowMajorVersionUpgrade: z
      .boolean()
      .default(false)
      .describe(
        'Allow engineVersion to move to a new major version, as an in-place upgrade that keeps the data: the writer gets `AllowMajorVersionUpgrade`, ' +
          'and the parameter group a construct ID per family (`Parameters<Family>`, e.g. `ParametersPostgres18`), so the new major gets a new ' +
          'parameter group of its family, as RDS requires; RDS upgrades the in-Region read replicas together with the writer. Turn it on in the ' +
          'same change as the new major engineVersion, and leave it on: on its own, or turned off later, it renames the parameter group, which ' +
          '`npm run diff` blocks. Runbook: docs/reviewing-changes.md, "PostgreSQL engine upgrades".',
      ),
    instanceClass: instanceClass.default('db.r7g.large').describe('Writer instance class; its memory sets `max_connections`.'),
    replicaInstanceClass: instanceClass.optional().describe('Read replica instance class. @default - same as instanceClass'),
    readReplicas: int(0, 15)
      .default(2)
      .describe('Read replicas (RDS allows 15), placed round-robin over the AZs, starting with the AZ after the writer.'),
    multiAz: z.boolean().default(true).describe('Synchronous standby in a second AZ with automatic failover.'),
    allocatedStorageGiB: int(20, 65536).default(100).describe('Initial gp3 storage.'),
    maxAllocatedStorageGiB: int(20, 65536).default(500).describe('Storage autoscaling ceiling; >= allocatedStorageGiB.'),
    backupRetentionDays: int(7, 35)
      .default(14)
      .describe('Automated backup (point-in-time recovery) retention; 7 or more (the Control Tower minimum, CT.RDS.PR.8).'),
    statementTimeoutMs: int(0, 2_147_483_647)
      .default(25_000)
      .describe(
        '`statement_timeout` of the app role (a role default the migrations set, never a session `SET`, which would pin RDS Proxy connections). Shorter than the app request timeout, so the DB gives up before the caller does.',
      ),
    idleInTransactionSessionTimeoutMs: int(0, 2_147_483_647)
      .default(60_000)
      .describe(
        '`idle_in_transaction_session_timeout` of the app role (a role default, like the statement timeout): ends app sessions that hold a transaction open while idle (they hold locks and block vacuum).',
      ),
    statementTimeoutCeilingMs: int(0, 2_147_483_647)
      .default(900_000)
      .describe(
        '`statement_timeout` in the parameter group: a safety ceiling for every role without its own default (operators, ad-hoc sessions). Migrations and index builds lift it with `SET LOCAL` in their own transactions. 0 = none.',
      ),
    idleInTransactionSessionTimeoutCeilingMs: int(0, 2_147_483_647)
      .default(600_000)
      .describe(
        '`idle_in_transaction_session_timeout` in the parameter group: the safety ceiling for every role without its own default. 0 = none.',
      ),
    logMinDurationStatementMs: int(-1, 2_147_483_647)
      .default(500)
      .describe('`log_min_duration_statement`: the slow-query log threshold (-1 = off).'),
    performanceInsightsRetentionDays: z
      .union(
        [7, 31, 62, 93, 124, 155, 186, 217, 248, 279, 310, 341, 372, 403, 434, 465, 496, 527, 558, 589, 620, 651, 682, 713, 731].map((d) =>
          z.literal(d),
        ),
      )
      .default(7)
      .describe('Performance Insights retention: 7 (free tier), a multiple of 31, or 731 days.'),
    monitoringIntervalSeconds: z
      .union([1, 5, 10, 15, 30, 60].map((d) => z.literal(d)))
      .default(60)
      .describe('Enhanced Monitoring granularity.'),
    logRetentionDays: logRetentionDays
      .default(365)
      .describe("Retention of exported PostgreSQL and upgrade logs, and of the secret rotation functions' logs."),
    port: int(1150, 65535).default(5432).describe('Database port.'),
    databaseName: z
      .string()
      .regex(/^[a-z][a-z0-9_]{0,62}$/, { message: 'must be a lower-case PostgreSQL identifier' })
      .default('app')
      .describe('Initial database name.'),
    proxy: proxySchema.prefault({}),
    secretRotationDays: int(1, 365)
      .default(30)
      .describe(
        "Rotation interval of the master user secret and the app role's secret (single-user rotation, by the platform's own rotation function: docs/adr/0003-secret-rotation-function.md).",
      ),
    connectionReserve: int(0, 1000)
      .default(10)
      .describe(
        "Connections kept free for operators, migrations and monitoring, on top of the fleet pools and PostgreSQL's reserved superuser slots.",
      ),
  })
  .superRefine((db, ctx) => {
    const version = typeof db.engineVersion === 'string' ? KNOWN_POSTGRES_VERSIONS.get(db.engineVersion) : undefined;
    if (typeof db.engineVersion === 'string' && !version) {
      violation(
        ctx,
        ['engineVersion'],
        db.engineVersion,
        'is not an RDS for PostgreSQL version the platform supports',
        `use a full version of a supported major, e.g. ${latestPerMajor()
          .map((v) => `"${v}"`)
          .join(', ')}.`,
      );
    }
    const major = version ? postgresMajor(db.engineVersion) : 17;
    for (const field of ['instanceClass', 'replicaInstanceClass'] as const) {
      const value = db[field];
      if (typeof value !== 'string' || !/^db\.[a-z0-9]+\.[a-z0-9]+$/.test(value)) continue;
      const info = rdsInstanceClass(value);
      if (!info) {
        violation(
          ctx,
          [field],
          value,
          'is not an RDS for PostgreSQL instance class the platform knows',
          `use e.g. "db.r7g.large", "db.m7g.large" or "db.t4g.medium" (classes: ${classesForMajor(17).join(', ')}).`,
        );
      } else if (version && !supportsMajor(info.family, major)) {
        violation(
          ctx,
          [field],
          value,
          `RDS does not run PostgreSQL ${major} on the db.${info.family.family} family`,
          `pick a current class (${classesForMajor(major).slice(0, 6).join(', ')}, ...) or another engineVersion.`,
        );
      }
    }
    const proxy = db.proxy;
    if (
      proxy &&
      isNum(proxy.maxIdleConnectionsPercent) &&
      isNum(proxy.maxConnectionsPercent) &&
      proxy.maxIdleConnectionsPercent > proxy.maxConnectionsPercent
    ) {
      violation(
        ctx,
        ['proxy', 'maxIdleConnectionsPercent'],
        proxy.maxIdleConnectionsPercent,
        `must be <= proxy.maxConnectionsPercent (${proxy.maxConnectionsPercent})`,
        'lower maxIdleConnectionsPercent.',
      );
    }
    if (isNum(db.maxAllocatedStorageGiB) && isNum(db.allocatedStorageGiB) && db.maxAllocatedStorageGiB < db.allocatedStorageGiB) {
      violation(
        ctx,
        ['maxAllocatedStorageGiB'],
        db.maxAllocatedStorageGiB,
        `must be >= allocatedStorageGiB (${db.allocatedStorageGiB})`,
        'raise maxAllocatedStorageGiB, or lower allocatedStorageGiB.',
      );
    }
  }, ALWAYS)
  .describe('RDS for PostgreSQL: a Multi-AZ writer and read replicas.');

export type DatabaseSettings = z.output<typeof databaseSettingsSchema>;
export type DatabaseSettingsInput = z.input<typeof databaseSettingsSchema>;

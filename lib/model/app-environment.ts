import type { EnvironmentConfig } from './config/environment-schema';
import { formatAppEnv, type Runtime } from '@loadbearing/contract';

/** Endpoints and secrets the app needs (tokens until deploy). */
export interface AppEndpoints {
  readonly dbWriterHost: string;
  readonly dbReaderHosts: readonly string[];
  /** Port of the writer endpoint (5432 for RDS Proxy, whatever the instances' port). */
  readonly dbPort: number;
  /** Port of the reader endpoints (the instances' port). */
  readonly dbReaderPort: number;
  /** The role the app connects as (never the master user). */
  readonly dbUser: string;
  /** Secret of `dbUser`. */
  readonly dbSecretArn: string;
  /** The role migrations run as, and its secret. */
  readonly dbMigrationUser: string;
  readonly dbMigrationSecretArn: string;
  /**
   * Where migrations connect: the writer instance, never RDS Proxy.
   * @default - `dbWriterHost` and `dbPort` (right where there is no proxy, e.g. local runs)
   */
  readonly dbMigrationHost?: string;
  readonly dbMigrationPort?: number;
  /** Connect with an IAM token (through RDS Proxy) instead of the secret's password. */
  readonly dbIamAuth: boolean;
  readonly cacheHost: string;
  readonly cacheReaderHost: string;
  readonly cachePort: number;
  readonly cacheAuthSecretArn: string;
  /** SSM path of the freshness model, one JSON parameter per content class. */
  readonly freshnessParameterPath: string;
}

/** Local runs (tests, bench, proving ground): the same file with local endpoints and, optionally, no TLS or IAM. */
export interface LocalRuntime {
  readonly runtime: Runtime;
  /** Port to listen on instead of `app.port`. */
  readonly port?: number;
  /** No TLS to the database or the cache, no IAM tokens: only with runtime `local`. */
  readonly insecure?: boolean;
  readonly metricsFlushMs?: number;
  /** Worker processes instead of `app.workers` (the proving ground runs the count the instance size implies: "auto" would count this machine's CPUs). */
  readonly workers?: number;
  readonly freshnessRefreshMs?: number;
}

/**
 * The environment file every instance gets (`/etc/loadbearing/app.env`): the same timeouts,
 * pool sizes and retry policy the platform's invariants check, and the endpoints. Every
 * variable, its meaning and what the reference service does with it are defined once, in the
 * runtime contract (`contract/src`); this function only fills in the values.
 */
export function appEnvironment(config: EnvironmentConfig, endpoints: AppEndpoints, local?: LocalRuntime): Record<string, string> {
  const { app, database, cache, loadBalancer } = config;
  const insecure = local?.insecure === true;
  return formatAppEnv({
    APP_RUNTIME: local?.runtime ?? 'fleet',
    APP_STACK_NAME: config.stackName,
    AWS_REGION: config.region,
    APP_PORT: local?.port ?? app.port,
    APP_WORKERS: local?.workers ?? app.workers,
    APP_MAX_CONNECTIONS_PER_WORKER: app.maxConnectionsPerWorker,
    APP_KEEPALIVE_TIMEOUT_MS: app.keepAliveTimeoutSeconds * 1000,
    APP_REQUEST_TIMEOUT_MS: app.requestTimeoutSeconds * 1000,
    APP_SHUTDOWN_DRAIN_MS: loadBalancer.deregistrationDelaySeconds * 1000,
    APP_SHED_POOL_WAIT_MS: app.shedPoolWaitMs,
    APP_SHED_QUEUE_LENGTH: app.shedQueueLength,
    APP_SHED_EVENT_LOOP_LAG_MS: app.shedEventLoopLagMs,
    APP_SHED_EVENT_LOOP_UTILIZATION_PERCENT: app.shedEventLoopUtilizationPercent,
    APP_IDEMPOTENCY_RETENTION_HOURS: app.idempotencyRetentionHours,
    APP_METRICS_FLUSH_MS: local?.metricsFlushMs,
    APP_FRESHNESS_REFRESH_MS: local?.freshnessRefreshMs,
    APP_REPLICA_LAG_SAMPLE_MS: app.replicaLagSampleMs,
    APP_LOCAL_INSECURE: insecure ? true : undefined,
    DB_WRITER_HOST: endpoints.dbWriterHost,
    DB_READER_HOSTS: endpoints.dbReaderHosts.length > 0 ? [...endpoints.dbReaderHosts] : [endpoints.dbWriterHost],
    DB_PORT: endpoints.dbPort,
    DB_READER_PORT: endpoints.dbReaderPort,
    DB_NAME: database.databaseName,
    DB_USER: endpoints.dbUser,
    DB_SECRET_ARN: endpoints.dbSecretArn,
    DB_MIGRATION_USER: endpoints.dbMigrationUser,
    DB_MIGRATION_SECRET_ARN: endpoints.dbMigrationSecretArn,
    DB_MIGRATION_HOST: endpoints.dbMigrationHost ?? endpoints.dbWriterHost,
    DB_MIGRATION_PORT: endpoints.dbMigrationPort ?? endpoints.dbPort,
    DB_SSLMODE: 'verify-full',
    DB_IAM_AUTH: endpoints.dbIamAuth && !insecure,
    DB_POOL_SIZE: app.dbPoolSize,
    DB_READER_POOL_SIZE: app.dbReaderPoolSize,
    DB_STATEMENT_TIMEOUT_MS: database.statementTimeoutMs,
    DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: database.idleInTransactionSessionTimeoutMs,
    CACHE_HOST: endpoints.cacheHost,
    CACHE_READER_HOST: endpoints.cacheReaderHost,
    CACHE_PORT: endpoints.cachePort,
    CACHE_TLS: !insecure,
    CACHE_AUTH_SECRET_ARN: endpoints.cacheAuthSecretArn,
    CACHE_TIMEOUT_MS: app.cacheTimeoutMs,
    CACHE_DEFAULT_TTL_SECONDS: cache.defaultTtlSeconds,
    CACHE_NEGATIVE_TTL_SECONDS: cache.negativeTtlSeconds,
    CACHE_CONNECTIONS: app.cacheConnectionsPerInstance,
    FRESHNESS_PARAMETER_PATH: endpoints.freshnessParameterPath,
    RETRY_MAX_ATTEMPTS: app.retryMaxAttempts,
    RETRY_BASE_DELAY_MS: app.retryBaseDelayMs,
    RETRY_MAX_DELAY_MS: app.retryMaxDelayMs,
    RETRY_BUDGET_PERCENT: app.retryBudgetPercent,
  });
}

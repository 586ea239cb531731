import type { EnvironmentConfig } from './config/environment-schema';

/** Endpoints and secrets the app needs (tokens until deploy). */
export interface AppEndpoints {
  readonly dbWriterHost: string;
  readonly dbReaderHosts: readonly string[];
  readonly dbPort: string;
  readonly dbSecretArn: string;
  /** Connect with an IAM token (through RDS Proxy) instead of the secret's password. */
  readonly dbIamAuth: boolean;
  readonly cacheHost: string;
  readonly cacheReaderHost: string;
  readonly cachePort: string;
  readonly cacheAuthSecretArn: string;
  /** SSM path of the freshness model, one JSON parameter per content class. */
  readonly freshnessParameterPath: string;
}

/**
 * The environment file every instance gets (`/etc/loadbearing/app.env`): the same timeouts,
 * pool sizes and retry policy the platform's invariants check, and the endpoints.
 * Writes and transactions go to `DB_WRITER_HOST` (RDS Proxy where enabled); reads that tolerate replica lag go to one
 * of `DB_READER_HOSTS` (libpq: `host=a,b load_balance_hosts=random`). Cache TTLs per content class are
 * JSON in the SSM parameters `${FRESHNESS_PARAMETER_PATH}<class>`.
 */
export function appEnvironment(config: EnvironmentConfig, endpoints: AppEndpoints): Record<string, string> {
  const { app, database, cache } = config;
  return {
    AWS_REGION: config.region,
    APP_PORT: String(app.port),
    APP_KEEPALIVE_TIMEOUT_MS: String(app.keepAliveTimeoutSeconds * 1000),
    APP_REQUEST_TIMEOUT_MS: String(app.requestTimeoutSeconds * 1000),
    DB_WRITER_HOST: endpoints.dbWriterHost,
    DB_READER_HOSTS: endpoints.dbReaderHosts.length > 0 ? endpoints.dbReaderHosts.join(',') : endpoints.dbWriterHost,
    DB_PORT: endpoints.dbPort,
    DB_NAME: database.databaseName,
    DB_SECRET_ARN: endpoints.dbSecretArn,
    DB_SSLMODE: 'verify-full',
    DB_IAM_AUTH: String(endpoints.dbIamAuth),
    DB_POOL_SIZE: String(app.dbPoolSize),
    DB_READER_POOL_SIZE: String(app.dbReaderPoolSize),
    DB_STATEMENT_TIMEOUT_MS: String(database.statementTimeoutMs),
    CACHE_HOST: endpoints.cacheHost,
    CACHE_READER_HOST: endpoints.cacheReaderHost,
    CACHE_PORT: endpoints.cachePort,
    CACHE_TLS: 'true',
    CACHE_AUTH_SECRET_ARN: endpoints.cacheAuthSecretArn,
    CACHE_TIMEOUT_MS: String(app.cacheTimeoutMs),
    CACHE_DEFAULT_TTL_SECONDS: String(cache.defaultTtlSeconds),
    FRESHNESS_PARAMETER_PATH: endpoints.freshnessParameterPath,
    RETRY_MAX_ATTEMPTS: String(app.retryMaxAttempts),
    RETRY_BASE_DELAY_MS: String(app.retryBaseDelayMs),
    RETRY_MAX_DELAY_MS: String(app.retryMaxDelayMs),
  };
}

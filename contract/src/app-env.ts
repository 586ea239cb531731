import { z } from 'zod';

/**
 * The runtime contract: every variable of `/etc/loadbearing/app.env`, with its type, its
 * meaning, the invariant that checks it at synth and what the reference service does with it.
 *
 * One module, imported by the writer (`lib/model/app-environment.ts`, for the fleet and for local
 * runs) and by the reader (`service/`, the reference service). No variable name is spelled
 * anywhere else: both sides use the keys of {@link APP_ENV}, so a rename is a compile error.
 *
 * This module imports only zod: the service bundle must not pull in the CDK.
 */

/** How one variable is parsed from its string and written back. */
interface VariableKind<T> {
  /** Parses the raw string (already trimmed); throws a zod error with a readable message. */
  readonly schema: z.ZodType<T>;
  readonly format: (value: T) => string;
  /** Short type name for the docs table. */
  readonly type: string;
}

export interface VariableSpec<T = unknown> extends VariableKind<T> {
  /** What the value means. */
  readonly meaning: string;
  /** The invariant (or config rule) that checks the value at synth, or why none does. */
  readonly checkedBy: string;
  /** What the reference service does with it. */
  readonly service: string;
  /** Value when the variable is absent; absent and no default is a start-up error. */
  readonly default?: T;
}

const intKind = (min: number, max: number): VariableKind<number> => ({
  schema: z
    .string()
    .regex(/^-?\d+$/, { message: 'must be an integer' })
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .min(min, { message: `must be >= ${min}` })
        .max(max, { message: `must be <= ${max}` }),
    ) as unknown as z.ZodType<number>,
  format: String,
  type: `integer ${min}..${max}`,
});

const boolKind: VariableKind<boolean> = {
  schema: z
    .enum(['true', 'false'], { message: 'must be "true" or "false"' })
    .transform((v) => v === 'true') as unknown as z.ZodType<boolean>,
  format: String,
  type: 'true | false',
};

const textKind = (pattern?: RegExp, rule?: string): VariableKind<string> => ({
  schema: (pattern
    ? z
        .string()
        .min(1, { message: 'must not be empty' })
        .regex(pattern, { message: rule ?? `must match ${pattern}` })
    : z.string().min(1, { message: 'must not be empty' })) as z.ZodType<string>,
  format: (v) => v,
  type: 'string',
});

const listKind: VariableKind<string[]> = {
  schema: z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((h) => h.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string()).min(1, { message: 'must list at least one host' })) as unknown as z.ZodType<string[]>,
  format: (v) => v.join(','),
  type: 'comma-separated hosts',
};

const enumKind = <T extends string>(values: readonly [T, ...T[]]): VariableKind<T> => ({
  schema: z.enum(values, { message: `must be one of ${values.map((v) => `"${v}"`).join(', ')}` }) as unknown as z.ZodType<T>,
  format: (v) => v,
  type: values.join(' | '),
});

/** Worker processes per instance: `auto` (one per vCPU) or a count. */
export type Workers = 'auto' | number;
/** The most workers app.env may ask for. */
export const MAX_WORKERS = 1024;

const workersKind: VariableKind<Workers> = {
  schema: z
    .string()
    .regex(/^(auto|[1-9]\d{0,3})$/, { message: `must be "auto" or a whole number from 1 to ${MAX_WORKERS}` })
    .transform((v) => (v === 'auto' ? 'auto' : Number(v)))
    .pipe(
      z.union([
        z.literal('auto'),
        z
          .number()
          .int()
          .max(MAX_WORKERS, { message: `must be <= ${MAX_WORKERS}` }),
      ]),
    ) as unknown as z.ZodType<Workers>,
  format: String,
  type: `auto | integer 1..${MAX_WORKERS}`,
};

const spec = <T, R extends Omit<VariableSpec<T>, keyof VariableKind<T>>>(kind: VariableKind<T>, rest: R): VariableKind<T> & R => ({
  ...kind,
  ...rest,
});

/** Where the service runs: on the fleet (written by the stack), or locally (tests, bench, proving ground). */
export const RUNTIMES = ['fleet', 'local'] as const;
export type Runtime = (typeof RUNTIMES)[number];

const host = textKind(/^[A-Za-z0-9.\-_]+$/, 'must be a host name or address');
const arn = textKind(/^arn:[^:]+:secretsmanager:/, 'must be a Secrets Manager secret ARN');
const pgRole = textKind(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case PostgreSQL role name');
const NONE = 'none (a value the platform writes, not a number it sizes)';

/** Every app.env variable, in the order the file is written. */
export const APP_ENV = {
  APP_RUNTIME: spec(enumKind(RUNTIMES), {
    meaning: 'Where the app runs. The stack always writes `fleet`; only local runs (tests, bench, proving ground) write `local`.',
    checkedBy: NONE,
    service: 'On `fleet`, refuses `APP_LOCAL_INSECURE` and treats an unreadable freshness model as a start-up error.',
  }),
  APP_STACK_NAME: spec(textKind(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'must be a CloudFormation stack name'), {
    meaning: 'The stack that wrote the file.',
    checkedBy: NONE,
    service: "The `Stack` dimension of every metric it publishes (the platform's app alarms watch exactly that dimension).",
  }),
  APP_RELEASE: spec(textKind(/^[a-z0-9][a-z0-9-]{0,63}$/, 'must be a release ID: lower-case letters, digits and "-"'), {
    meaning:
      "The release this instance runs: a hash of the launch template's data, computed at synth (docs/adr/0007-releases-roll-back-on-their-own-alarms.md). Empty: not written (local runs).",
    checkedBy: NONE,
    service:
      'With a value, publishes Requests, ServerErrors and RequestLatency a second time with the dimensions `[Stack, Release]`: the instance refresh judges a new release by those alone.',
    default: '',
  }),
  APP_AVAILABILITY_ZONE: spec(textKind(/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/, 'must be an availability zone name, e.g. "eu-west-1a"'), {
    meaning:
      'The AZ name this instance runs in. The stack does not write it (one file serves every AZ): on the fleet the app reads it from instance metadata (`placement/availability-zone`); local runs (the proving ground) set it. Empty: metadata.',
    checkedBy: NONE,
    service:
      'With an AZ, publishes Requests, ServerErrors, RequestLatency and the per-operation Read*/Write* metrics under `[Stack, AvailabilityZone]`: the per-AZ alarms compare AZs by those.',
    default: '',
  }),
  AWS_REGION: spec(textKind(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region, e.g. "eu-west-1"'), {
    meaning: 'Region of the stack and its endpoints.',
    checkedBy: NONE,
    service: 'Region of its Secrets Manager, SSM and RDS IAM-token clients.',
  }),
  APP_PORT: spec(intKind(1024, 65535), {
    meaning: 'Port the app listens on; the only port the ALB reaches.',
    checkedBy: 'config schema (`app.port`); the target group and the security groups use the same value',
    service: 'Listens on it (all interfaces on the fleet, loopback locally).',
  }),
  APP_WORKERS: spec(workersKind, {
    meaning:
      'Worker processes per instance, each with its own event loop, pools and cache connections: `auto` is one per vCPU the instance has.',
    checkedBy: "WK-1 (a number fits the size's vCPUs), WK-2 (the CPU target is reachable), CB-1 and CB-2 (workers x pools)",
    service:
      'A supervising primary (node:cluster) accepts the connections and hands each to the least-loaded worker that is not overloaded; restarts a crashed worker with backoff; answers sheds itself.',
    default: 1,
  }),
  APP_MAX_CONNECTIONS_PER_WORKER: spec(intKind(16, 100_000), {
    meaning: 'Open client connections one worker may hold; a connection beyond it gets a fast 503 from the primary.',
    checkedBy: 'WK-3 (fits the file-descriptor limit with the pools)',
    service:
      'The primary hands a worker no new connection while it holds this many; when every worker does, it answers the request 503 itself and closes the connection.',
    default: 1024,
  }),
  APP_KEEPALIVE_TIMEOUT_MS: spec(intKind(1000, 4_100_000), {
    meaning: 'HTTP keep-alive timeout of the app.',
    checkedBy: 'TC-1: longer than the ALB idle timeout; TC-10: not shorter than the stalled-connection bound',
    service:
      "`server.keepAliveTimeout`, with Node 22's `keepAliveTimeoutBuffer` at 0: an idle connection closes exactly then, so the ALB, never the app, closes idle connections. Node measures the headers timeout per request (since Node 18), so it no longer has to exceed this.",
  }),
  APP_REQUEST_TIMEOUT_MS: spec(intKind(1000, 3_600_000), {
    meaning: 'Upper bound on handling one request, every downstream call included.',
    checkedBy:
      'TC-2 (< ALB idle timeout), TC-3, TC-4, TC-5, TC-7, TC-8 (every inner timeout is shorter), TC-10 (the stalled-connection bound)',
    service:
      "A deadline per request, passed to every query (client-side `query_timeout` = time left), cache call and retry; an expired deadline answers 503. Also the connection bounds (`contract/src/connection-bounds.ts`): a request's headers and body must arrive within it (Node's `headersTimeout` and `requestTimeout`, checked every second), and a connection with no progress for it plus 1 s is closed.",
  }),
  APP_SHUTDOWN_DRAIN_MS: spec(intKind(0, 3_600_000), {
    meaning: "How long in-flight requests may take to finish after SIGTERM: the target group's deregistration delay.",
    checkedBy: 'TC-6: deregistration delay >= app request timeout',
    service:
      'On SIGTERM: stops accepting connections, closes idle keep-alive connections, waits up to this long for in-flight requests, then closes its pools.',
  }),
  APP_SHED_POOL_WAIT_MS: spec(intKind(1, 3_600_000), {
    meaning: 'Oldest acceptable wait for a DB connection before the app sheds load.',
    checkedBy: 'TC-8: shorter than the app request timeout',
    service:
      'A new request is answered 503 + `Retry-After` at once while the oldest pool waiter is older than this; a queued request waits at most twice this long, then gets the same 503.',
  }),
  APP_SHED_QUEUE_LENGTH: spec(intKind(1, 100_000), {
    meaning: 'Longest acceptable DB pool wait queue per pool (of one worker) before the app sheds load.',
    checkedBy: 'config schema (`app.shedQueueLength`)',
    service: 'A new request is answered 503 + `Retry-After` at once while more requests than this wait for a writer connection.',
  }),
  APP_SHED_EVENT_LOOP_LAG_MS: spec(intKind(1, 60_000), {
    meaning: 'Event-loop lag above which the app sheds load.',
    checkedBy: 'config schema (`app.shedEventLoopLagMs`)',
    service: 'Samples the event-loop delay; above the bound, new requests get 503 + `Retry-After` until it recovers.',
  }),
  APP_SHED_EVENT_LOOP_UTILIZATION_PERCENT: spec(intKind(1, 100), {
    meaning: 'Event-loop utilization (share of the last 100 ms the loop was busy) at or above which the app sheds load.',
    checkedBy: 'config schema (`app.shedEventLoopUtilizationPercent`)',
    service:
      "Measures the event-loop utilization over the last 100 ms; at or above the bound while the lag is at least a quarter of `APP_SHED_EVENT_LOOP_LAG_MS` (a loop that is busy with short turns serves at full speed), new requests get 503 + `Retry-After` until it falls. A saturated loop accepts one new connection per turn, so this sheds before requests pile up in the kernel's accept queue, where the lag bound alone cannot see them.",
  }),
  APP_IDEMPOTENCY_RETENTION_HOURS: spec(intKind(1, 8760), {
    meaning: 'How long an `Idempotency-Key` and its stored answer are kept.',
    checkedBy: 'config schema (`app.idempotencyRetentionHours`)',
    service: 'Replays within the period get the stored answer; older keys are deleted in small batches and count as new.',
  }),
  APP_METRICS_FLUSH_MS: spec(intKind(100, 600_000), {
    meaning: 'How often the app writes its aggregated metrics (CloudWatch embedded metric format) to stdout.',
    checkedBy: "none: 60000 matches the alarms' 1-minute period",
    service: 'Writes one EMF line per interval with latency, shed requests, cache hits and misses, fallbacks and pool wait.',
    default: 60_000,
  }),
  APP_FRESHNESS_REFRESH_MS: spec(intKind(100, 3_600_000), {
    meaning: 'How often the app re-reads the freshness model from SSM.',
    checkedBy: 'none',
    service: 'Re-reads it in the background; a failed refresh keeps the last good model.',
    default: 60_000,
  }),
  APP_REPLICA_LAG_SAMPLE_MS: spec(intKind(100, 60_000), {
    meaning:
      "How often each worker measures every replica's lag: the writer's current WAL position (`pg_current_wal_lsn()`) against the replica's replay position (`pg_last_wal_replay_lsn()`), and the replay timestamp when they differ.",
    checkedBy:
      'EC-25: every content class that may read a replica (`maxStalenessSeconds` > 0) allows more staleness than this interval; the tightest class also sets the replica-lag alarm',
    service:
      "One query on the writer and one per replica per interval and worker, never per request. A read of a class with staleness S goes to a replica only while that replica's lag (the sample's, plus the time since it was taken) and the cache age it may add stay under S; otherwise to the writer pool, counted by reason. /readyz reports the lag.",
    default: 1_000,
  }),
  APP_LOCAL_INSECURE: spec(boolKind, {
    meaning: 'Local runs only: no TLS to the database and the cache, and no IAM tokens (PostgreSQL and redis-server here have neither).',
    checkedBy: 'never written by the stack',
    service: 'Honoured only with `APP_RUNTIME=local`; on the fleet it stops the service at start-up.',
    default: false,
  }),
  DB_WRITER_HOST: spec(host, {
    meaning: 'Writes, transactions and reads that must see the latest write: RDS Proxy where enabled, else the writer instance.',
    checkedBy: "CB-1: the writer pools of the whole fleet fit the writer's (or the proxy's) connections",
    service: "The writer pool (`DB_POOL_SIZE` connections), also the reads' fallback when every replica is down.",
  }),
  DB_READER_HOSTS: spec(listKind, {
    meaning: 'Reads that tolerate replica lag: one endpoint per read replica (the writer when there are none).',
    checkedBy: 'CB-2: the reader pools fit the replicas left after losing one',
    service:
      'One pool per host, sharing `DB_READER_POOL_SIZE`; a host that fails is skipped for a while; with none left, reads use the writer pool.',
  }),
  DB_PORT: spec(intKind(1, 65535), {
    meaning: "Port of `DB_WRITER_HOST` (5432 for RDS Proxy, whatever the instances' port).",
    checkedBy: 'config schema (`database.port`)',
    service: 'Connects the writer pool to it.',
  }),
  DB_READER_PORT: spec(intKind(1, 65535), {
    meaning: 'Port of the `DB_READER_HOSTS`.',
    checkedBy: 'config schema (`database.port`)',
    service: 'Connects the reader pools to it.',
  }),
  DB_NAME: spec(pgRole, { meaning: 'Database name.', checkedBy: 'config schema (`database.databaseName`)', service: 'Connects to it.' }),
  DB_USER: spec(pgRole, {
    meaning: 'The database role the app connects as; never the master user.',
    checkedBy: 'the contract: the stack writes `lb_app`, the migrations create it',
    service: 'Connects as it with the password from `DB_SECRET_ARN` or, with `DB_IAM_AUTH`, an IAM token.',
  }),
  DB_SECRET_ARN: spec(arn, {
    meaning:
      "Secrets Manager secret of `DB_USER` (JSON with `password`; its `username`, when present, must equal `DB_USER`): the app role's own secret, rotated on a schedule and registered in RDS Proxy's auth.",
    checkedBy: 'the stack: a secret of its own for `lb_app`, never the master secret',
    service:
      'Reads the password for new connections (the replicas always; the writer unless `DB_IAM_AUTH`) and once at start-up, when the migrations create the role with it; re-reads it after an authentication failure, so a rotated password is picked up without a restart.',
  }),
  DB_MIGRATION_USER: spec(pgRole, {
    meaning: 'The role migrations run as (the owner of the schema: the master user).',
    checkedBy: 'none',
    service: 'Runs the migrations as it at start-up, under an advisory lock, creates the app role and sets its timeout defaults.',
  }),
  DB_MIGRATION_SECRET_ARN: spec(arn, {
    meaning: 'Secrets Manager secret of `DB_MIGRATION_USER`.',
    checkedBy: 'none',
    service: 'Reads it once at start-up for the migration connection, then closes that connection.',
  }),
  DB_MIGRATION_HOST: spec(host, {
    meaning:
      'Where migrations connect: the writer instance itself, never RDS Proxy (the proxy requires IAM tokens where `DB_IAM_AUTH` is on, and a session advisory lock would pin its connection).',
    checkedBy: "none (one short connection per starting instance, from the writer's reserve: CB-3)",
    service:
      'Opens the one migration connection there, as `DB_MIGRATION_USER` with its password, and closes it when the migrations are done.',
  }),
  DB_MIGRATION_PORT: spec(intKind(1, 65535), {
    meaning: "Port of `DB_MIGRATION_HOST` (the instances' port).",
    checkedBy: 'config schema (`database.port`)',
    service: 'Connects the migration connection to it.',
  }),
  DB_SSLMODE: spec(enumKind(['verify-full', 'require'] as const), {
    meaning: 'TLS to the database (RDS sets `rds.force_ssl`).',
    checkedBy: 'the database parameter group (`rds.force_ssl=1`)',
    service: '`verify-full`: TLS with the RDS CA bundle (`DB_CA_FILE`) and host-name check.',
  }),
  DB_CA_FILE: spec(textKind(), {
    meaning:
      'PEM bundle on the instance: the RDS certificate authorities (the instances) and the Amazon Trust Services roots (RDS Proxy presents an ACM certificate); installed by the boot script.',
    checkedBy: 'none',
    service: 'Trusts only these CAs for the database connections.',
    default: '/etc/loadbearing/rds-ca-bundle.pem',
  }),
  DB_IAM_AUTH: spec(boolKind, {
    meaning:
      "Connect to `DB_WRITER_HOST` (RDS Proxy) with an IAM auth token instead of the secret's password. Replicas are reached directly and always with the password: a role with `rds_iam` could no longer log in with a password, which the proxy itself needs.",
    checkedBy: 'none (true only where the proxy requires IAM; the fleet role may `rds-db:connect` as `DB_USER` only)',
    service:
      'Signs a token per new writer connection with @aws-sdk/rds-signer, cached and renewed well before its 15-minute lifetime ends.',
  }),
  DB_POOL_SIZE: spec(intKind(1, 500), {
    meaning: 'Writer connections per worker process (an instance opens workers x this).',
    checkedBy: 'CB-1 (writer budget)',
    service: "Size of the writer pool; the reads' fallback reuses it, so the budget holds when every replica is down.",
  }),
  DB_READER_POOL_SIZE: spec(intKind(0, 500), {
    meaning: 'Reader connections per worker process, over all replicas (an instance opens workers x this).',
    checkedBy: 'CB-2 (reader budget)',
    service: 'Split over the reader hosts (per-host pools, sizes adding up to this).',
  }),
  DB_STATEMENT_TIMEOUT_MS: spec(intKind(0, 2_147_483_647), {
    meaning: '`statement_timeout` of the app role.',
    checkedBy: "TC-3: shorter than the app request timeout; TC-9: not above the parameter group's ceiling",
    service: 'Migrations set it as the role default (`ALTER ROLE ... SET`), so no session `SET` pins RDS Proxy connections.',
  }),
  DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: spec(intKind(0, 2_147_483_647), {
    meaning: '`idle_in_transaction_session_timeout` of the app role.',
    checkedBy: "TC-9: not above the parameter group's ceiling",
    service: 'Migrations set it as the role default, like the statement timeout.',
  }),
  CACHE_HOST: spec(host, {
    meaning: 'Cache primary endpoint: writes and invalidations.',
    checkedBy: 'none',
    service: 'The write connections (sets, deletes, version bumps).',
  }),
  CACHE_READER_HOST: spec(host, { meaning: 'Cache reader endpoint: reads.', checkedBy: 'none', service: 'The read connections (gets).' }),
  CACHE_PORT: spec(intKind(1, 65535), { meaning: 'Cache port.', checkedBy: 'config schema (`cache.port`)', service: 'Connects to it.' }),
  CACHE_TLS: spec(boolKind, {
    meaning: 'TLS to the cache (in-transit encryption is always on in AWS).',
    checkedBy: 'the cache construct',
    service: 'Connects with TLS.',
  }),
  CACHE_AUTH_SECRET_ARN: spec(arn, {
    meaning: 'Secrets Manager secret with the cache AUTH token.',
    checkedBy: 'none',
    service: 'Reads the token at start-up and again on an authentication error.',
  }),
  CACHE_TIMEOUT_MS: spec(intKind(1, 60_000), {
    meaning: 'Cache command timeout.',
    checkedBy: 'TC-5: shorter than the app request timeout',
    service:
      "Every cache command gives up after it (or the request's time left, if shorter), then the read falls back to the database and is counted.",
  }),
  CACHE_DEFAULT_TTL_SECONDS: spec(intKind(1, 31_536_000), {
    meaning: 'TTL of cache entries whose content class has none.',
    checkedBy: 'config schema (`cache.defaultTtlSeconds`)',
    service: 'TTL of entries outside every freshness class (and of all entries locally when the freshness model is absent).',
  }),
  CACHE_NEGATIVE_TTL_SECONDS: spec(intKind(0, 3600), {
    meaning: 'How long a not-found answer is cached (0: never).',
    checkedBy: 'EC-26: not longer than the staleness of any class the app caches (`appCacheTtlSeconds` > 0)',
    service:
      "Caches a not-found item for this long at most (less when the class's staleness, minus its source's lag, is shorter); a create deletes the entry and raises the item's fence.",
    default: 2,
  }),
  CACHE_CONNECTIONS: spec(intKind(1, 1000), {
    meaning: 'Cache connections per instance, shared out over its workers.',
    checkedBy: 'the cache-connections alarm (fleet.maxCapacity x the connections an instance opens)',
    service:
      'Each worker opens its share (`cacheConnectionsOfWorker`: sizes differing by at most one, at least one to each endpoint), half to the reader endpoint, the rest to the primary.',
  }),
  FRESHNESS_PARAMETER_PATH: spec(textKind(/^\/.*\/$/, 'must be an SSM path starting and ending with "/"'), {
    meaning: 'SSM path of the freshness model: one JSON parameter per content class.',
    checkedBy: 'FR-1, FR-2, TC-7 (the freshness model itself)',
    service:
      "Per content class (the class whose path matches the route): `appCacheTtlSeconds` as the cache TTL's upper bound, and `maxStalenessSeconds` (less the edge TTL of a cacheable class) as the bound on a read's age: replica lag plus cache age; refreshed in the background.",
  }),
  RETRY_MAX_ATTEMPTS: spec(intKind(1, 10), {
    meaning: 'Attempts per idempotent downstream call.',
    checkedBy: 'config schema (`app.retryMaxAttempts`)',
    service: 'Retries idempotent reads on transient errors only, at one layer (the service, never the driver), within the deadline.',
  }),
  RETRY_BASE_DELAY_MS: spec(intKind(1, 10_000), {
    meaning: 'First retry backoff.',
    checkedBy: 'config schema',
    service: 'Capped exponential backoff with full jitter: a random delay in [0, min(max, base x 2^attempt)).',
  }),
  RETRY_MAX_DELAY_MS: spec(intKind(1, 60_000), {
    meaning: 'Cap on one backoff.',
    checkedBy: 'config schema',
    service: 'The cap of the backoff above.',
  }),
  RETRY_BUDGET_PERCENT: spec(intKind(0, 100), {
    meaning: 'Retries allowed as a share of first attempts (token bucket).',
    checkedBy: 'config schema (`app.retryBudgetPercent`)',
    service:
      'A retry spends a token, each first attempt adds this share of one; with no token left it does not retry, so retries cannot multiply load in an outage.',
  }),
} as const;

export type AppEnvName = keyof typeof APP_ENV;
type ValueOf<S> = S extends VariableKind<infer T> ? T : never;
/** The parsed contract: one typed value per variable. */
export type AppEnv = { readonly [K in AppEnvName]: ValueOf<(typeof APP_ENV)[K]> };
/** What a writer must give: every variable without a default. */
export type AppEnvValues = {
  readonly [K in AppEnvName as (typeof APP_ENV)[K] extends { default: unknown } ? never : K]: ValueOf<(typeof APP_ENV)[K]>;
} & {
  readonly [K in AppEnvName as (typeof APP_ENV)[K] extends { default: unknown } ? K : never]?: ValueOf<(typeof APP_ENV)[K]>;
};

/** Every variable name, in file order. */
export const APP_ENV_NAMES = Object.keys(APP_ENV) as AppEnvName[];

/** A contract variable that is missing or invalid: one line naming it, the value, the rule and the fix. */
export class AppEnvError extends Error {
  constructor(
    public readonly variable: string,
    public readonly problem: string,
  ) {
    super(`${variable} ${problem}`);
    this.name = 'AppEnvError';
  }
}

/**
 * Parses an environment (e.g. `process.env`) into the typed contract. Throws an
 * {@link AppEnvError} for the first bad or missing variable; checks the contract's own
 * cross-variable rules (no local-only flag on the fleet).
 */
export function parseAppEnv(env: Readonly<Record<string, string | undefined>>): AppEnv {
  const out: Record<string, unknown> = {};
  for (const name of APP_ENV_NAMES) {
    const s = APP_ENV[name] as VariableSpec<unknown>;
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') {
      if ('default' in s) {
        out[name] = s.default;
        continue;
      }
      throw new AppEnvError(name, `is missing: the platform writes it to /etc/loadbearing/app.env (${s.meaning}); set it to a ${s.type}.`);
    }
    const parsed = s.schema.safeParse(raw);
    if (!parsed.success) {
      const rule = parsed.error.issues.map((i) => i.message).join('; ');
      throw new AppEnvError(name, `is ${JSON.stringify(raw)}, which ${rule}; expected a ${s.type}.`);
    }
    out[name] = parsed.data;
  }
  const result = out as AppEnv;
  if (result.APP_RUNTIME === 'fleet' && result.APP_LOCAL_INSECURE) {
    throw new AppEnvError(
      'APP_LOCAL_INSECURE',
      'is "true" but APP_RUNTIME is "fleet": TLS and IAM can be turned off only for local runs; remove APP_LOCAL_INSECURE from app.env.',
    );
  }
  if (result.APP_RUNTIME === 'fleet' && result.DB_USER === result.DB_MIGRATION_USER) {
    throw new AppEnvError(
      'DB_USER',
      `is ${JSON.stringify(result.DB_USER)}, the migration (master) user: the app must connect as its own role; set DB_USER to the app role, e.g. "lb_app".`,
    );
  }
  return result;
}

/** The file's lines as `NAME=value`, in contract order; variables left out take their defaults. */
export function formatAppEnv(values: AppEnvValues): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of APP_ENV_NAMES) {
    const value = (values as Record<string, unknown>)[name];
    if (value === undefined) continue;
    out[name] = (APP_ENV[name] as VariableSpec<unknown>).format(value);
  }
  return out;
}

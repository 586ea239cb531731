import { z } from 'zod';
import { ALWAYS, int, violation } from './schema-helpers';

/** Node.js majors AL2023 ships as `nodejs<major>` (https://docs.aws.amazon.com/linux/al2023/ug/nodejs.html); 20 has reached its end of life. */
export const NODEJS_MAJORS = [22, 24] as const;
export type NodejsMajor = (typeof NODEJS_MAJORS)[number];

/** `app.metrics`: the app publishes the contract's EMF metrics, or nothing the alarms can use. */
export const APP_METRICS_SOURCES = ['contract', 'none'] as const;
export type AppMetricsSource = (typeof APP_METRICS_SOURCES)[number];
/**
 * The Node.js major the fleet runs the reference service on (AL2023's `nodejs22`). Local runs of
 * the service (the bench, the proving ground, the integration tests) use the same major: the
 * repository pins the npm package `node` at a 22.x for them (docs/testing.md).
 */
export const REFERENCE_SERVICE_NODEJS_MAJOR: NodejsMajor = 22;

/** Archives an artifact may be; anything else must be a directory. */
export const ARTIFACT_ARCHIVE = /\.(zip|tar\.gz|tgz)$/;

/** A command line the boot script writes into a systemd unit: words of safe characters (no quotes, `$`, `%` or `;`). */
const COMMAND = /^[A-Za-z0-9_./:=,@+-]+( [A-Za-z0-9_./:=,@+-]+)*$/;
const COMMAND_RULE =
  'must be words of letters, digits and _ . / : = , @ + - separated by single spaces (it goes into a systemd unit: no quotes, $, % or ;)';

const command = (example: string) =>
  z.string().superRefine((value, ctx) => {
    if (value.trim() === '') violation(ctx, [], value, 'must not be empty', `give the command, e.g. "${example}".`);
    else if (!COMMAND.test(value))
      violation(ctx, [], value, COMMAND_RULE, `put anything more complex in a script inside the artifact and run that, e.g. "${example}".`);
  });

/** A GET path with no spaces, query allowed: what the proving ground's load generator requests. */
const PROVE_PATH = /^\/[^\s#]*$/;

/** One entry of `app.artifact.proveRequests`. */
export const proveRequestSchema = z.strictObject({
  path: z.string().superRefine((value, ctx) => {
    if (!PROVE_PATH.test(value))
      violation(
        ctx,
        [],
        value,
        'must be an absolute request path (starting with /, no spaces or #), optionally with a query',
        'give the path your app answers GET on, e.g. "/api/items?limit=10".',
      );
  }),
  share: z
    .number()
    .superRefine((value, ctx) => {
      if (!(Number.isFinite(value) && value > 0))
        violation(
          ctx,
          [],
          value,
          'must be a number greater than 0 (a relative share of the requests)',
          'e.g. 1; leave the entry out to send none.',
        );
    })
    .describe('Relative share of the requests that go to this path (greater than 0).'),
});
export type ProveRequest = z.output<typeof proveRequestSchema>;

export const appArtifactSchema = z
  .strictObject({
    path: z
      .string()
      .min(1)
      .describe(
        "Your app: a directory, or a .zip, .tar.gz or .tgz archive. Relative to the config file's folder. It becomes a CDK asset (`cdk deploy` uploads it) and is unpacked to /opt/loadbearing/app on every instance.",
      ),
    runtime: z
      .enum(['nodejs', 'provided'])
      .default('nodejs')
      .describe(
        '`nodejs`: the platform installs Node.js (`nodejsMajor`) from the AL2023 repositories and runs `node <startCommand>`. `provided`: your artifact brings its runtime (or `installCommand` installs it) and `startCommand` is the executable.',
      ),
    nodejsMajor: z
      .union(NODEJS_MAJORS.map((m) => z.literal(m)))
      .default(22)
      .describe(
        `Node.js major version for runtime \`nodejs\`: ${NODEJS_MAJORS.join(' or ')} (the AL2023 package \`nodejs<major>\`, run as /usr/bin/node-<major>).`,
      ),
    startCommand: command('server.js').describe(
      'What starts the app, run in the app directory as the dedicated user `lbapp` with app.env as its environment. Runtime `nodejs`: the script and its arguments (`node` is prepended), e.g. `server.js`. Runtime `provided`: the executable (relative to the app directory, or absolute) and its arguments, e.g. `bin/server --port 8080`.',
    ),
    installCommand: command('./install.sh')
      .optional()
      .describe(
        'Runs once per instance, as root in the app directory, before the app starts: install your runtime or native dependencies here (runtime `provided`). Its output goes to the boot log. @default - none',
      ),
    installTimeoutSeconds: int(10, 1800)
      .default(300)
      .describe('Budget of installCommand; part of the boot timeline (it lengthens the signal timeout and the grace period).'),
    proveRequests: z
      .array(proveRequestSchema)
      .min(1)
      .optional()
      .describe(
        "The request mix `loadbearing prove` sends to your app: GET paths, each with its share of the requests (shares are relative: 3 and 1 send three times as many to the first). The proving ground cannot know your app's API, so without this it sends only the health-check path (loadBalancer.healthCheck.path). @default - the health-check path only",
      ),
  })
  .superRefine((a, ctx) => {
    if (a.installCommand === undefined && a.installTimeoutSeconds !== 300 && typeof a.installTimeoutSeconds === 'number') {
      violation(
        ctx,
        ['installTimeoutSeconds'],
        a.installTimeoutSeconds,
        'has no effect without installCommand',
        'remove it, or add the installCommand it budgets.',
      );
    }
  }, ALWAYS)
  .describe(
    'Your own app instead of the reference service (docs/deploying.md, "Ship your own app"). Its port is app.port and its health path loadBalancer.healthCheck.path: the ALB, the security groups and the boot\'s health wait all use those. @default - the reference service (service/), bundled at synth',
  );

export type AppArtifactSettings = z.output<typeof appArtifactSchema>;

/**
 * How the application on the fleet behaves at each hop. The platform writes these values to
 * `/etc/loadbearing/app.env` on every instance (and SSM), so the timeouts the invariants check
 * are the timeouts the app actually uses.
 */
export const appSettingsSchema = z
  .strictObject({
    port: int(1024, 65535).default(8080).describe('Port the app listens on; the only port the ALB may reach.'),
    keepAliveTimeoutSeconds: int(1, 4100)
      .default(75)
      .describe(
        'App (HTTP server) keep-alive timeout. Longer than the ALB idle timeout, so the ALB, not the app, closes idle connections (otherwise: sporadic 502s).',
      ),
    requestTimeoutSeconds: int(1, 3600)
      .default(30)
      .describe('Upper bound on handling one request in the app, including all downstream calls.'),
    workers: z
      .union([z.literal('auto'), z.number().int()], {
        error: 'must be "auto" (one worker per vCPU) or a whole number of worker processes, e.g. 2',
      })
      .default('auto')
      .describe(
        'Worker processes per instance, each with its own event loop, DB pools and share of the cache connections. `auto`: one per vCPU of the instance (on x86 a vCPU is a hyperthread: two share a core; on burstable types every vCPU runs on CPU credits). A number must be 1 to the fewest vCPUs of the instance types of fleet.instanceSize (WK-1). Pools are per worker: the fleet opens maxCapacity x workers x pools (CB-1, CB-2). With your own app (app.artifact): the processes of your app that each open the pools (`APP_WORKERS` in app.env; e.g. 1 for one process, whatever its threads); `auto` counts one per vCPU, which the connection budget then assumes; WK-2 applies only to the reference service.',
      ),
    maxConnectionsPerWorker: int(16, 100_000)
      .default(1024)
      .describe(
        'Open client connections one worker may hold. When every worker of an instance holds this many (or is overloaded), the supervising process answers new connections with a fast 503 itself, never a dropped socket (a 502 at the ALB).',
      ),
    dbPoolSize: int(1, 500)
      .default(10)
      .describe('Writer connections per worker process (the app pool size); an instance opens workers x this.'),
    dbReaderPoolSize: int(0, 500)
      .default(10)
      .describe('Reader connections per worker process, spread over the read replicas; an instance opens workers x this.'),
    cacheTimeoutMs: int(1, 60_000)
      .default(250)
      .describe('Cache client command timeout in ms. A slow cache must fail fast and fall back to the DB.'),
    cacheConnectionsPerInstance: int(1, 1000)
      .default(8)
      .describe(
        'Cache client connections per instance, shared out over its workers (at least two each: one to the primary, one to the reader endpoint); sizes the cache-connections alarm.',
      ),
    replicaLagSampleMs: int(100, 60_000)
      .default(1000)
      .describe(
        "How often each worker measures every replica's lag (WAL replay position and time against the writer's): one small query on the writer and one per replica per interval, never per request. Every class's maxStalenessSeconds must be longer (EC-25).",
      ),
    retryMaxAttempts: int(1, 10)
      .default(3)
      .describe('Attempts per downstream call (DB, cache, APIs), with exponential backoff and full jitter.'),
    retryBaseDelayMs: int(1, 10_000).default(50).describe('First retry backoff in ms; doubles per attempt, randomized (full jitter).'),
    retryMaxDelayMs: int(1, 60_000).default(1000).describe('Cap on one retry backoff in ms.'),
    retryBudgetPercent: int(0, 100)
      .default(10)
      .describe('Retries allowed as a % of first attempts (a token bucket): during an outage retries add at most this much load.'),
    shedPoolWaitMs: int(1, 3_600_000)
      .default(500)
      .describe(
        'Load shedding: while the oldest request waiting for a DB connection has waited longer than this, new requests get 503 + Retry-After at once. A request already queued gives up after twice this (at most the request timeout, TC-8).',
      ),
    shedQueueLength: int(1, 100_000)
      .default(64)
      .describe(
        'Load shedding, per worker: while more requests than this wait for one of its writer connections, new requests to it get 503 + Retry-After at once.',
      ),
    shedEventLoopLagMs: int(1, 60_000)
      .default(200)
      .describe('Load shedding, per worker: above this event-loop lag, new requests get 503 + Retry-After.'),
    shedEventLoopUtilizationPercent: int(1, 100)
      .default(95)
      .describe(
        'Load shedding: while the event loop was busy for at least this share of the last 100 ms and its lag is at least a quarter of shedEventLoopLagMs, new requests get 503 + Retry-After (busy with short turns is full speed, not overload). It reacts before the lag bound does: a saturated loop accepts one new connection per turn, so requests wait in the kernel where the lag cannot see them.',
      ),
    idempotencyRetentionHours: int(1, 8760)
      .default(24)
      .describe('How long an Idempotency-Key and its stored answer are kept; a replay after that is a new request.'),
    artifact: appArtifactSchema.optional(),
    metrics: z
      .enum(APP_METRICS_SOURCES)
      .optional()
      .describe(
        "Whether the app publishes the runtime contract's metrics (EMF, namespace Loadbearing/App; docs/runtime-contract.md): `contract` builds the app alarms on them (shed requests, cache and replica fallbacks, pool wait) and alarms when they stop arriving; `none` leaves them out: the load balancer's target alarms (target 5xx rate, p99 latency), which every environment has, are what watch the app. @default - `contract` for the reference service, `none` with app.artifact",
      ),
  })
  .describe('Settings the platform hands to the application: ports, timeouts, pool sizes, retries.');

export type AppSettings = z.output<typeof appSettingsSchema>;

/** Where the app alarms get their data: the app's own contract metrics, or the load balancer's target metrics. */
export function appMetricsSource(app: Pick<AppSettings, 'metrics' | 'artifact'>): AppMetricsSource {
  return app.metrics ?? (app.artifact ? 'none' : 'contract');
}
export type AppSettingsInput = z.input<typeof appSettingsSchema>;

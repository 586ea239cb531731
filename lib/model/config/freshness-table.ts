import type { ContentClass } from './edge-settings';
import type { EnvironmentConfig } from './environment-schema';

/**
 * The value of each freshness SSM parameter (`/<prefix>/freshness/<class>`), by class name:
 * JSON with the path, the TTLs at each layer, the staleness bounds and the invalidation.
 * Published by the stack; read by the app (and seeded into the local SSM for tests).
 */
export function freshnessParameterValues(classes: readonly ContentClass[]): Record<string, string> {
  return Object.fromEntries(
    classes.map((c) => [
      c.name,
      JSON.stringify({
        pathPattern: c.pathPattern,
        cacheable: c.cacheable,
        edgeTtlSeconds: c.edgeTtlSeconds,
        appCacheTtlSeconds: c.appCacheTtlSeconds,
        maxStalenessSeconds: c.maxStalenessSeconds,
        staleWhileRevalidateSeconds: c.staleWhileRevalidateSeconds,
        staleIfErrorSeconds: c.staleIfErrorSeconds,
        invalidation: c.invalidation,
      }),
    ]),
  );
}

function duration(seconds: number): string {
  if (seconds === 0) return '0';
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3600],
    ['min', 60],
  ] as const) {
    if (seconds % size === 0) return `${seconds / size} ${unit}`;
  }
  return `${seconds} s`;
}

/** The shortest life worth caching an entry for (the service's MIN_CACHE_LIFE_MS, in seconds). */
const MIN_CACHE_LIFE_SECONDS = 1;

/**
 * What a client of one class sees while a replica lags (service/src/db.ts and items.ts; ADR 0010):
 * where reads go, whether the client reads its own writes, the oldest data it can get, and how
 * long a not-found answer is cached.
 */
export function whileReplicaLags(c: ContentClass, env: Pick<EnvironmentConfig, 'cache' | 'app'>) {
  const appBound = Math.max(0, c.maxStalenessSeconds - (c.cacheable ? c.edgeTtlSeconds : 0));
  const cached = c.appCacheTtlSeconds > 0;
  const replicaBelow = appBound - (cached ? MIN_CACHE_LIFE_SECONDS : 0);
  const reads =
    replicaBelow <= 0
      ? c.maxStalenessSeconds > 0 && appBound === 0
        ? 'the writer only (the edge TTL takes the whole bound)'
        : 'the writer only'
      : `a replica while its lag is under ${duration(replicaBelow)} (measured every ${env.app.replicaLagSampleMs} ms), then the writer`;
  return {
    reads,
    ownWrites: replicaBelow <= 0 ? 'always current' : 'read at once: writes fence what they change until a replica has it',
    oldest: c.maxStalenessSeconds === 0 ? '0 (current)' : duration(c.maxStalenessSeconds),
    notFoundCached: cached ? duration(Math.min(env.cache.negativeTtlSeconds, appBound)) : 'not cached',
  };
}

/** The freshness model of one environment as rows (for text, Markdown and JSON). */
export function freshnessRows(env: EnvironmentConfig) {
  return env.edge.freshness.map((c) => ({
    class: c.name,
    path: c.pathPattern,
    cacheable: c.cacheable,
    edgeTtl: duration(c.edgeTtlSeconds),
    appCacheTtl: duration(c.appCacheTtlSeconds),
    maxStaleness: duration(c.maxStalenessSeconds),
    staleWhileRevalidate: duration(c.staleWhileRevalidateSeconds),
    staleIfError: duration(c.staleIfErrorSeconds),
    invalidation: c.invalidation,
    degradedFallback: c.degradedFallback,
    whileReplicaLags: whileReplicaLags(c, env),
  }));
}

/** The freshness model of one environment as a Markdown table. */
export function freshnessTable(env: EnvironmentConfig): string {
  const header = [
    'Class',
    'Path',
    'Cacheable',
    'Edge TTL',
    'App cache TTL',
    'Max staleness',
    'Stale-while-revalidate',
    'Stale-if-error',
    'New content via',
    'Degraded fallback',
  ];
  const rows = freshnessRows(env).map((r) => [
    r.class,
    `\`${r.path}\``,
    r.cacheable ? 'yes' : 'no',
    r.edgeTtl,
    r.appCacheTtl,
    r.maxStaleness,
    r.staleWhileRevalidate,
    r.staleIfError,
    r.invalidation,
    r.degradedFallback ? 'static page' : '-',
  ]);
  const edge = env.edge.enabled ? 'CloudFront on' : 'CloudFront off: the app cache TTLs still apply';
  const lagHeader = ['Class', 'Reads go to', 'Own writes', 'Oldest data a client sees', 'Not-found cached'];
  const lagRows = freshnessRows(env).map((r) => [
    r.class,
    r.whileReplicaLags.reads,
    r.whileReplicaLags.ownWrites,
    r.whileReplicaLags.oldest,
    r.whileReplicaLags.notFoundCached,
  ]);
  return [
    `**${env.name}** (${edge})`,
    '',
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
    `While a replica lags (${env.name}):`,
    '',
    `| ${lagHeader.join(' | ')} |`,
    `| ${lagHeader.map(() => '---').join(' | ')} |`,
    ...lagRows.map((r) => `| ${r.join(' | ')} |`),
    '',
  ].join('\n');
}

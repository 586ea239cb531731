import type { EnvironmentConfig } from './environment-schema';

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
  }));
}

/** The freshness model of one environment as a Markdown table. */
export function freshnessTable(env: EnvironmentConfig): string {
  const header = ['Class', 'Path', 'Cacheable', 'Edge TTL', 'App cache TTL', 'Max staleness', 'Stale-while-revalidate', 'Stale-if-error', 'New content via', 'Degraded fallback'];
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
  return [
    `**${env.name}** (${edge})`,
    '',
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
  ].join('\n');
}

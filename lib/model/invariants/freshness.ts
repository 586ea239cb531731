import type { ConfigRule } from './invariant-rule';

export const FRESHNESS_RULES: readonly ConfigRule[] = [
  {
    id: 'FR-1',
    group: 'freshness',
    phase: 'config',
    severity: 'error',
    title: 'Cache layers stay within the declared staleness',
    rationale:
      'Caches stack: the app may serve data it cached appCacheTtl ago, and the edge may keep that response for edgeTtl more. If the sum exceeds what the class allows, users see data older than the product promises.',
    check(c) {
      return c.edge.freshness
        .map((cls, i) => ({ cls, i }))
        .filter(({ cls }) => cls.cacheable && cls.edgeTtlSeconds + cls.appCacheTtlSeconds > cls.maxStalenessSeconds)
        .map(({ cls, i }) => ({
          path: `edge.freshness[${i}].edgeTtlSeconds`,
          value: cls.edgeTtlSeconds,
          message: `content class "${cls.name}" (${cls.pathPattern}) can be ${cls.edgeTtlSeconds + cls.appCacheTtlSeconds} s old (edge TTL ${cls.edgeTtlSeconds} s + app cache TTL ${cls.appCacheTtlSeconds} s), more than its maxStalenessSeconds (${cls.maxStalenessSeconds} s)`,
          fix: `lower edgeTtlSeconds to ${Math.max(0, cls.maxStalenessSeconds - cls.appCacheTtlSeconds)} or less, lower appCacheTtlSeconds, or raise maxStalenessSeconds if the product allows it.`,
        }));
    },
  },
  {
    id: 'FR-2',
    group: 'freshness',
    phase: 'config',
    severity: 'error',
    title: 'A non-cacheable class has TTL 0 at the edge',
    rationale:
      "A class declared non-cacheable (personal or transactional responses) must never be served from the edge cache, where one user could get another user's response.",
    check(c) {
      return c.edge.freshness
        .map((cls, i) => ({ cls, i }))
        .filter(
          ({ cls }) => !cls.cacheable && (cls.edgeTtlSeconds > 0 || cls.staleWhileRevalidateSeconds > 0 || cls.staleIfErrorSeconds > 0),
        )
        .map(({ cls, i }) => ({
          path: `edge.freshness[${i}].edgeTtlSeconds`,
          value: cls.edgeTtlSeconds,
          message: `content class "${cls.name}" (${cls.pathPattern}) is not cacheable but has an edge TTL of ${cls.edgeTtlSeconds} s (stale-while-revalidate ${cls.staleWhileRevalidateSeconds} s, stale-if-error ${cls.staleIfErrorSeconds} s)`,
          fix: 'set edgeTtlSeconds, staleWhileRevalidateSeconds and staleIfErrorSeconds to 0, or mark the class cacheable.',
        }));
    },
  },
];

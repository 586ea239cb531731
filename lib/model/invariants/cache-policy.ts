import type { ConfigRule } from './invariant-rule';

/** Eviction starts when used memory reaches maxmemory: 100% of the memory alarm's metric. */
export const EVICTION_STARTS_AT_PERCENT = 100;
/** Above this, a memory alarm leaves too little time to act before eviction. */
export const MEMORY_ALARM_ADVISORY_PERCENT = 90;

export const CACHE_POLICY_RULES: readonly ConfigRule[] = [
  {
    id: 'CP-1',
    group: 'cache-policy',
    phase: 'config',
    severity: 'error',
    title: 'The cache evicts when full',
    rationale:
      'With `noeviction` a full cache rejects writes: the app sees errors instead of a lower hit rate, and the fallback path to the DB stops working under load.',
    check(c) {
      if (c.cache.maxmemoryPolicy !== 'noeviction') return [];
      return [
        {
          path: 'cache.maxmemoryPolicy',
          value: c.cache.maxmemoryPolicy,
          message: '"noeviction" turns a full cache into write errors',
          fix: 'use "allkeys-lru" (or "allkeys-lfu" for skewed key popularity; "volatile-*" if only keys with a TTL may be evicted).',
        },
      ];
    },
  },
  {
    id: 'CP-2',
    group: 'cache-policy',
    phase: 'config',
    severity: 'error',
    title: 'The eviction alarm is on',
    rationale:
      'Evictions are how a too-small cache fails: silently, as a falling hit rate and a rising DB load. Someone must hear about it.',
    check(c) {
      if (!c.alarms.disabled.includes('cache-evictions')) return [];
      return [
        {
          path: 'alarms.disabled',
          value: c.alarms.disabled,
          message: 'the cache-evictions alarm is disabled',
          fix: 'remove "cache-evictions" from alarms.disabled; tune alarms.cacheEvictionsPerMinute instead.',
        },
      ];
    },
  },
  {
    id: 'CP-3',
    group: 'cache-policy',
    phase: 'config',
    severity: 'error',
    title: 'The memory alarm fires before eviction begins',
    rationale: 'An alarm at or above the eviction point only reports what has already happened.',
    check(c) {
      if (c.alarms.cacheMemoryPercent < EVICTION_STARTS_AT_PERCENT) return [];
      return [
        {
          path: 'alarms.cacheMemoryPercent',
          value: c.alarms.cacheMemoryPercent,
          message: `the cache memory alarm (${c.alarms.cacheMemoryPercent}%) is not below the point where "${c.cache.maxmemoryPolicy}" starts evicting (${EVICTION_STARTS_AT_PERCENT}% of maxmemory)`,
          fix: `set alarms.cacheMemoryPercent to ${MEMORY_ALARM_ADVISORY_PERCENT} or less (80 is the default).`,
        },
      ];
    },
  },
  {
    id: 'CP-4',
    group: 'cache-policy',
    phase: 'config',
    severity: 'warning',
    title: 'The memory alarm leaves time to act',
    rationale: 'Memory grows fast under a traffic spike; an alarm just below the eviction point gives no time to scale the node type.',
    check(c) {
      if (c.alarms.cacheMemoryPercent <= MEMORY_ALARM_ADVISORY_PERCENT || c.alarms.cacheMemoryPercent >= EVICTION_STARTS_AT_PERCENT)
        return [];
      return [
        {
          path: 'alarms.cacheMemoryPercent',
          value: c.alarms.cacheMemoryPercent,
          message: `the cache memory alarm (${c.alarms.cacheMemoryPercent}%) fires close to eviction (${EVICTION_STARTS_AT_PERCENT}%)`,
          fix: `set alarms.cacheMemoryPercent to ${MEMORY_ALARM_ADVISORY_PERCENT} or less.`,
        },
      ];
    },
  },
];

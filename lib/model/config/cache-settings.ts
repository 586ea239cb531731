import { z } from 'zod';
import { CACHE_ENGINE_VERSIONS, CACHE_NODE_FAMILIES, cacheNodeMemoryGiB, cacheParameterGroupFamily } from './cache-node-types';
import { ALWAYS, int, logRetentionDays, violation } from './schema-helpers';

export const MAXMEMORY_POLICIES = [
  'allkeys-lru',
  'allkeys-lfu',
  'allkeys-random',
  'volatile-lru',
  'volatile-lfu',
  'volatile-random',
  'volatile-ttl',
  'noeviction',
] as const;

export const cacheSettingsSchema = z
  .strictObject({
    engine: z.enum(['valkey', 'redis']).default('valkey').describe('`valkey` or `redis` (Redis OSS).'),
    engineVersion: z
      .string()
      .default('8.0')
      .describe(
        `Engine version: valkey ${Object.keys(CACHE_ENGINE_VERSIONS.valkey).join('/')}, redis ${Object.keys(CACHE_ENGINE_VERSIONS.redis).join('/')}.`,
      ),
    nodeType: z.string().default('cache.r7g.large').describe('Node type, e.g. `cache.r7g.large`.'),
    replicasPerShard: int(0, 5)
      .default(2)
      .describe('Replicas of the primary (ElastiCache allows 0-5). At least 1 enables Multi-AZ automatic failover.'),
    maxmemoryPolicy: z
      .enum(MAXMEMORY_POLICIES)
      .default('allkeys-lru')
      .describe(
        'What the cache evicts when full. `allkeys-lru` treats every key as a cache entry, so a full cache degrades hit rate instead of failing writes.',
      ),
    reservedMemoryPercent: int(0, 100)
      .default(25)
      .describe(
        '`reserved-memory-percent`: memory kept back for replication buffers and forks, so snapshots and failovers do not push the node into swap.',
      ),
    defaultTtlSeconds: int(1, 31_536_000).default(300).describe('Default TTL the app puts on entries (handed to the app).'),
    negativeTtlSeconds: int(0, 3600)
      .default(2)
      .describe(
        'How long the app caches a not-found answer (0: never), so a hot missing key costs one query per this interval, not one per request; a create through the app clears it. At most the staleness of every class the app caches (EC-26).',
      ),
    snapshotRetentionDays: int(0, 35).default(7).describe('Daily snapshot retention (0 = no snapshots).'),
    slowLogRetentionDays: logRetentionDays.default(365).describe('Retention of the slow log in CloudWatch Logs.'),
    port: int(1024, 65535).default(6379).describe('Cache port.'),
  })
  .superRefine((c, ctx) => {
    const engineKnown = c.engine === 'valkey' || c.engine === 'redis';
    if (engineKnown && typeof c.engineVersion === 'string' && !cacheParameterGroupFamily(c.engine, c.engineVersion)) {
      violation(
        ctx,
        ['engineVersion'],
        c.engineVersion,
        `is not a ${c.engine} version the platform supports`,
        `use one of ${Object.keys(CACHE_ENGINE_VERSIONS[c.engine])
          .map((v) => `"${v}"`)
          .join(', ')}.`,
      );
    }
    if (typeof c.nodeType === 'string' && cacheNodeMemoryGiB(c.nodeType) === undefined) {
      violation(
        ctx,
        ['nodeType'],
        c.nodeType,
        'is not an ElastiCache node type the platform knows',
        `use e.g. "cache.r7g.large" or "cache.t4g.small" (families: ${Object.keys(CACHE_NODE_FAMILIES).join(', ')}).`,
      );
    }
  }, ALWAYS)
  .describe('ElastiCache (Valkey or Redis OSS) replication group: one shard, a primary and replicas.');

export type CacheSettings = z.output<typeof cacheSettingsSchema>;
export type CacheSettingsInput = z.input<typeof cacheSettingsSchema>;

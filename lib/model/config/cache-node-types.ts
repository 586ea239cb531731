/**
 * ElastiCache node types the platform knows, with their memory (GiB), and the engine versions
 * it deploys. Source: "Supported node types" and "Supported engines and versions" in the
 * ElastiCache User Guide.
 */
export const CACHE_NODE_FAMILIES: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  t4g: { micro: 0.5, small: 1.37, medium: 3.09 },
  t3: { micro: 0.5, small: 1.37, medium: 3.09 },
  m6g: { large: 6.38, xlarge: 12.93, '2xlarge': 26.04, '4xlarge': 52.26 },
  m7g: { large: 6.38, xlarge: 12.93, '2xlarge': 26.04, '4xlarge': 52.26 },
  r6g: { large: 13.07, xlarge: 26.32, '2xlarge': 52.82, '4xlarge': 105.81 },
  r7g: { large: 13.07, xlarge: 26.32, '2xlarge': 52.82, '4xlarge': 105.81 },
};

/** Engine versions the platform deploys, newest last, with their parameter group family. */
export const CACHE_ENGINE_VERSIONS = {
  valkey: { '7.2': 'valkey7', '8.0': 'valkey8', '8.1': 'valkey8' },
  redis: { '6.2': 'redis6.x', '7.0': 'redis7', '7.1': 'redis7' },
} as const satisfies Record<string, Record<string, string>>;

export type CacheEngine = keyof typeof CACHE_ENGINE_VERSIONS;

/** vCPUs per node size (the families listed here share them). */
const CACHE_VCPUS: Readonly<Record<string, number>> = { micro: 2, small: 2, medium: 2, large: 2, xlarge: 4, '2xlarge': 8, '4xlarge': 16 };

export function cacheNodeVcpus(nodeType: string): number | undefined {
  const size = /^cache\.[a-z0-9]+\.([a-z0-9]+)$/.exec(nodeType)?.[1];
  return size ? CACHE_VCPUS[size] : undefined;
}

export function cacheNodeMemoryGiB(nodeType: string): number | undefined {
  const match = /^cache\.([a-z0-9]+)\.([a-z0-9]+)$/.exec(nodeType);
  return match ? CACHE_NODE_FAMILIES[match[1]]?.[match[2]] : undefined;
}

export function cacheParameterGroupFamily(engine: CacheEngine, version: string): string | undefined {
  return (CACHE_ENGINE_VERSIONS[engine] as Record<string, string>)[version];
}

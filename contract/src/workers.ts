import type { Workers } from './app-env';

/**
 * The process model of an instance: `APP_WORKERS` worker processes, each with its own event loop,
 * database pools (`DB_POOL_SIZE`, `DB_READER_POOL_SIZE` each) and its share of the cache
 * connections (`CACHE_CONNECTIONS` per instance). The service and the invariants count them with
 * these functions, so both see the same numbers.
 */

/** Workers an instance with `vcpus` vCPUs runs: `auto` is one per vCPU. */
export function resolveWorkers(workers: Workers, vcpus: number): number {
  return workers === 'auto' ? Math.max(1, vcpus) : workers;
}

/** The least cache connections one worker opens: one to the primary, and one to the reader endpoint when there is a separate one. */
export function minCacheConnectionsPerWorker(separateReader: boolean): number {
  return separateReader ? 2 : 1;
}

/**
 * Cache connections worker `index` (0-based) of `workers` opens: the instance's `total` shared
 * out in sizes differing by at most one, but at least {@link minCacheConnectionsPerWorker}.
 */
export function cacheConnectionsOfWorker(total: number, workers: number, index: number, separateReader: boolean): number {
  const share = Math.floor(total / workers) + (index < total % workers ? 1 : 0);
  return Math.max(minCacheConnectionsPerWorker(separateReader), share);
}

/** Cache connections an instance opens over all its workers: `total`, or more when the workers outnumber it. */
export function cacheConnectionsPerInstance(total: number, workers: number, separateReader: boolean): number {
  let sum = 0;
  for (let i = 0; i < workers; i++) sum += cacheConnectionsOfWorker(total, workers, i, separateReader);
  return sum;
}

/**
 * Instances left after losing the AZ that holds the most of them, when `minCapacity`
 * instances are balanced over `azCount` AZs (Auto Scaling keeps AZs within one instance of
 * each other): `floor(min x (AZs-1) / AZs)`.
 */
export function azLossFloor(minCapacity: number, azCount: number): number {
  return Math.floor((minCapacity * (azCount - 1)) / azCount);
}

/**
 * The AZ of read replica `n` (1-based): round-robin from the AZ after the first, so replicas do
 * not pile into one AZ (the writer's primary usually starts in the first).
 */
export function replicaAvailabilityZone(n: number, availabilityZones: readonly string[]): string {
  return availabilityZones[n % availabilityZones.length]!;
}

/**
 * The AZ of cache node `i` (0-based, in node ID order): round-robin from the first AZ. The
 * Cache construct places its nodes by this (PreferredCacheClusterAZs), and the az-loss drill
 * interrupts the cache's power only in an AZ that holds a node.
 */
export function cacheNodeAvailabilityZone(i: number, availabilityZones: readonly string[]): string {
  return availabilityZones[i % availabilityZones.length]!;
}

/** The AZs that hold a node of a cache with `nodes` nodes (a primary and its replicas). */
export function cacheNodeAvailabilityZones(nodes: number, availabilityZones: readonly string[]): string[] {
  return [...new Set(Array.from({ length: nodes }, (_, i) => cacheNodeAvailabilityZone(i, availabilityZones)))];
}

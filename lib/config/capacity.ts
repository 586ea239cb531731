/**
 * Instances left after losing the AZ that holds the most of them, when `minCapacity`
 * instances are balanced over `azCount` AZs (Auto Scaling keeps AZs within one instance of
 * each other): `floor(min x (AZs-1) / AZs)`.
 */
export function azLossFloor(minCapacity: number, azCount: number): number {
  return Math.floor((minCapacity * (azCount - 1)) / azCount);
}

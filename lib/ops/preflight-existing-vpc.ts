import type { EnvironmentConfig } from '../model/config/environment-schema';
import type { ExistingVpc } from '../model/config/network-settings';
import type { PreflightItemVerdict } from './preflight-check.js';

/**
 * What the existing-VPC checks of preflight share (preflight-existing-vpc-*-check.ts): the given
 * subnets as a list, and the item row of one that failed. Pure.
 */

export const VPC_TIERS = ['public', 'app', 'data'] as const;
export type VpcTier = (typeof VPC_TIERS)[number];

/** One subnet of network.existingVpc: its tier, the AZ it is keyed under, its IDs. */
export interface GivenSubnet {
  readonly tier: VpcTier;
  readonly az: string;
  readonly subnetId: string;
  readonly routeTableId: string;
}

/** Every subnet of the existing VPC, tier by tier, in the order of availabilityZones. */
export function givenSubnets(env: EnvironmentConfig, vpc: ExistingVpc): GivenSubnet[] {
  return VPC_TIERS.flatMap((tier) =>
    env.availabilityZones.flatMap((az) => {
      const s = vpc.subnets[tier][az];
      return s ? [{ tier, az, ...s }] : [];
    }),
  );
}

/** The item row of a subnet (or its route table) with problems: what AWS says, and the fixes. */
export function failedItem(
  key: string,
  field: string,
  value: string,
  problems: readonly string[],
  fixes: readonly string[],
): PreflightItemVerdict {
  return { key, field, status: 'fail', detail: `${value}: ${problems.join('; ')}`, fix: [...new Set(fixes)].join('; ') };
}

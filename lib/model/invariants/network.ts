import { APP_TIER_ENDPOINTS } from '../config/network-settings';
import type { InvariantFinding, InvariantRule } from './invariant-rule';

const TIERS = ['public', 'app', 'data'] as const;

/**
 * The rules a VPC the network team owns must meet (network.existingVpc). A created VPC meets them
 * by construction: one subnet per tier per AZ, a NAT gateway per AZ for the app tier.
 */
export const NETWORK_RULES: readonly InvariantRule[] = [
  {
    id: 'NW-1',
    group: 'network',
    phase: 'config',
    severity: 'error',
    title: 'An existing VPC has one subnet per tier in every configured AZ',
    rationale:
      'The AZ-loss arithmetic (fleet, replicas, cache nodes per AZ) assumes every tier spans every configured AZ; a tier missing an AZ silently puts its share of capacity elsewhere, or nowhere.',
    check(c) {
      const vpc = c.network.existingVpc;
      if (!vpc) return [];
      const findings: InvariantFinding[] = [];
      for (const tier of TIERS) {
        const azs = Object.keys(vpc.subnets[tier]);
        const missing = c.availabilityZones.filter((az) => !azs.includes(az));
        const extra = azs.filter((az) => !c.availabilityZones.includes(az));
        if (missing.length > 0) {
          findings.push({
            path: `network.existingVpc.subnets.${tier}`,
            value: azs,
            message: `has subnets in ${azs.length} of the ${c.availabilityZones.length} availabilityZones: none in ${missing.join(', ')}`,
            fix: `add a ${tier} subnet of the VPC in ${missing.join(', ')}, or remove ${missing.length === 1 ? 'that AZ' : 'those AZs'} from availabilityZones.`,
          });
        }
        if (extra.length > 0) {
          findings.push({
            path: `network.existingVpc.subnets.${tier}`,
            value: azs,
            message: `names ${extra.join(', ')}, which ${extra.length === 1 ? 'is' : 'are'} not in availabilityZones (${c.availabilityZones.join(', ')})`,
            fix: 'key each subnet by one of the configured availability zones.',
          });
        }
      }
      const ids = TIERS.flatMap((tier) => Object.values(vpc.subnets[tier]).map((s) => s.subnetId));
      const repeated = [...new Set(ids.filter((id, i) => ids.indexOf(id) !== i))];
      if (repeated.length > 0) {
        findings.push({
          path: 'network.existingVpc.subnets',
          value: repeated,
          message: `uses ${repeated.join(', ')} more than once: each tier needs subnets of its own (the data tier must have no route to the internet, the public tier must)`,
          fix: 'give each tier and AZ its own subnet.',
        });
      }
      return findings;
    },
  },
  {
    id: 'NW-2',
    group: 'network',
    phase: 'config',
    severity: 'error',
    title: 'The app tier of an existing VPC reaches AWS in every AZ',
    rationale:
      'Every instance boots by fetching the release from S3, packages from the AL2023 repositories, and secrets, parameters and logs from AWS APIs; without a NAT gateway (or the VPC endpoints) in its AZ, no instance there ever signals, and the create fails after the signal timeout.',
    check(c) {
      const egress = c.network.existingVpc?.appEgress;
      if (!egress) return [];
      if (egress.kind === 'nat') {
        const missing = c.availabilityZones.filter((az) => !(az in egress.natGatewayIds));
        if (missing.length === 0) return [];
        return [
          {
            path: 'network.existingVpc.appEgress.natGatewayIds',
            value: Object.keys(egress.natGatewayIds),
            message: `names no NAT gateway for ${missing.join(', ')}: the app subnets there have no declared way out`,
            fix: `add the NAT gateway the app subnets of ${missing.join(', ')} route to.`,
          },
        ];
      }
      const missing = APP_TIER_ENDPOINTS.filter((s) => !egress.services.includes(s));
      if (missing.length === 0) return [];
      return [
        {
          path: 'network.existingVpc.appEgress.services',
          value: egress.services,
          message: `lacks the VPC endpoints ${missing.join(', ')}, which the instances call while they boot and serve`,
          fix: `ask the network team for ${missing.join(', ')} endpoints in the VPC (interface endpoints with private DNS; S3 as a gateway endpoint), or use NAT gateways.`,
        },
      ];
    },
  },
];

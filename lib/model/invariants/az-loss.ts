import { azLossFloor } from '../config/capacity';
import { healthyDuringRefresh } from '../deploy/release-rollout';
import type { ConfigRule } from './invariant-rule';

export const AZ_LOSS_RULES: readonly ConfigRule[] = [
  {
    id: 'AZ-1',
    group: 'az-loss',
    phase: 'config',
    severity: 'error',
    title: 'Losing one AZ leaves enough instances for the baseline load',
    rationale:
      'Static stability: when an AZ fails, Auto Scaling may not be able to launch replacements quickly (every team is launching at once). What survives must carry the normal load on its own.',
    check(c) {
      const azs = c.availabilityZones.length;
      const floor = azLossFloor(c.fleet.minCapacity, azs);
      if (floor >= c.fleet.baselineInstances) return [];
      const neededMin = Math.ceil((c.fleet.baselineInstances * azs) / (azs - 1));
      return [
        {
          path: 'fleet.minCapacity',
          value: c.fleet.minCapacity,
          message: `with one of ${azs} AZs lost, fleet.minCapacity ${c.fleet.minCapacity} leaves ${floor} instance(s), below fleet.baselineInstances (${c.fleet.baselineInstances})`,
          fix: `raise fleet.minCapacity to ${neededMin} or more, or add an availability zone.`,
        },
      ];
    },
  },
  {
    id: 'AZ-2',
    group: 'az-loss',
    phase: 'config',
    severity: 'error',
    title: 'A release rollout keeps AZ-loss static stability',
    rationale:
      'An AZ can fail in the middle of a deploy: the instances an instance refresh keeps healthy (fleet.instanceRefresh.minHealthyPercentage of the desired capacity) must still carry the baseline load without the lost AZ.',
    check(c) {
      const azs = c.availabilityZones.length;
      const min = c.fleet.instanceRefresh.minHealthyPercentage;
      const kept = healthyDuringRefresh(min, c.fleet.minCapacity);
      const floor = azLossFloor(kept, azs);
      if (floor >= c.fleet.baselineInstances) return [];
      const neededKept = Math.ceil((c.fleet.baselineInstances * azs) / (azs - 1));
      const neededMin = Math.min(100, Math.ceil((100 * neededKept) / c.fleet.minCapacity));
      return [
        {
          path: 'fleet.instanceRefresh.minHealthyPercentage',
          value: min,
          message: `an instance refresh keeps ceil(${min}% x fleet.minCapacity ${c.fleet.minCapacity}) = ${kept} instance(s) healthy; with one of ${azs} AZs lost that is floor(${kept} x ${azs - 1} / ${azs}) = ${floor}, below fleet.baselineInstances (${c.fleet.baselineInstances})`,
          fix:
            neededKept > c.fleet.minCapacity
              ? `raise fleet.minCapacity to ${neededKept} or more (AZ-1), and keep fleet.instanceRefresh.minHealthyPercentage at 100.`
              : neededMin >= 100
                ? 'set fleet.instanceRefresh.minHealthyPercentage to 100, the default: new instances launch before old ones stop.'
                : `raise fleet.instanceRefresh.minHealthyPercentage to ${neededMin} or more (100, the default, launches new instances before it stops old ones).`,
        },
      ];
    },
  },
  {
    id: 'AZ-3',
    group: 'az-loss',
    phase: 'config',
    severity: 'error',
    title: 'The On-Demand base covers the baseline load',
    rationale: 'Spot capacity can be reclaimed in every AZ at once; the floor that carries the normal load must not depend on it.',
    check(c) {
      const base = c.fleet.onDemandBaseCapacity ?? c.fleet.minCapacity;
      if (c.fleet.spotPercentAboveBase === 0 || base >= c.fleet.baselineInstances) return [];
      return [
        {
          path: 'fleet.onDemandBaseCapacity',
          value: base,
          message: `only ${base} On-Demand instance(s) with ${c.fleet.spotPercentAboveBase}% Spot above them: a Spot reclaim can drop the fleet below fleet.baselineInstances (${c.fleet.baselineInstances})`,
          fix: `raise fleet.onDemandBaseCapacity to ${c.fleet.baselineInstances} or more (or leave it unset: minCapacity), or set fleet.spotPercentAboveBase to 0.`,
        },
      ];
    },
  },
  {
    id: 'AZ-4',
    group: 'az-loss',
    phase: 'config',
    severity: 'warning',
    title: 'One NAT gateway per AZ',
    rationale:
      'Instances use the NAT gateway of their AZ only when there is one per AZ; with fewer, losing the AZ of a shared NAT cuts outbound traffic for AZs that are still healthy.',
    check(c) {
      const egress = c.network.existingVpc?.appEgress;
      if (egress) {
        // An existing VPC: AZs whose app subnets share a NAT gateway lose egress together.
        if (egress.kind !== 'nat') return [];
        const nats = new Set(c.availabilityZones.map((az) => egress.natGatewayIds[az]).filter(Boolean));
        if (nats.size >= c.availabilityZones.length) return [];
        return [
          {
            path: 'network.existingVpc.appEgress.natGatewayIds',
            value: egress.natGatewayIds,
            message: `${nats.size} NAT gateway(s) for ${c.availabilityZones.length} AZs: an AZ failure can take outbound traffic of the other AZs with it`,
            fix: "ask the network team for a NAT gateway in each AZ, routed from that AZ's app subnets.",
          },
        ];
      }
      const nat = c.network.natGateways ?? c.availabilityZones.length;
      if (nat >= c.availabilityZones.length) return [];
      return [
        {
          path: 'network.natGateways',
          value: nat,
          message: `${nat} NAT gateway(s) for ${c.availabilityZones.length} AZs: an AZ failure can take outbound traffic of the other AZs with it`,
          fix: `set network.natGateways to ${c.availabilityZones.length} (or leave it unset).`,
        },
      ];
    },
  },
];

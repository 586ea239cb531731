/**
 * The capacity arithmetic of `loadbearing preflight`, pure: how many instances and vCPUs a fleet
 * can run at its peak (its maximum size, an update in progress and a warm pool filling), how
 * they split into On-Demand and Spot, and whether an account quota fits them. Each result carries
 * the words of its derivation, which preflight prints in the row's detail.
 */

/** How CloudFormation replaces a group's instances when its launch template changes. */
export type UpdateHeadroomPolicy =
  | {
      /** `UpdatePolicy.AutoScalingRollingUpdate`. */
      readonly kind: 'rolling-update';
      readonly maxBatchSize: number;
      readonly minInstancesInService: number;
    }
  | {
      /** `UpdatePolicy.AutoScalingInstanceRefresh`. */
      readonly kind: 'instance-refresh';
      readonly maxHealthyPercentage: number;
      /** Where the percentage came from, for the detail: the policy, the group's maintenance policy, or the default. */
      readonly source: string;
    }
  | {
      /** `UpdatePolicy.AutoScalingReplacingUpdate` with `WillReplace`: a whole new group beside the old one. */
      readonly kind: 'replacing-update';
    }
  | { readonly kind: 'none' };

/** An Auto Scaling group as the synthesized template describes it. */
export interface FleetShape {
  /** Logical ID of the group. */
  readonly name: string;
  readonly minSize: number;
  readonly maxSize: number;
  /** Every instance type the group may launch (mixed instances overrides, or the launch template's type). */
  readonly instanceTypes: readonly string[];
  /** The mixed instances distribution; undefined for a plain launch template (every instance On-Demand). */
  readonly distribution?: {
    readonly onDemandBaseCapacity: number;
    /** 0-100. */
    readonly onDemandPercentageAboveBaseCapacity: number;
  };
  readonly warmPool?: {
    readonly minSize: number;
    /** @default - the group's MaxSize */
    readonly maxGroupPreparedCapacity?: number;
    readonly poolState: string;
  };
  readonly update: UpdateHeadroomPolicy;
}

export interface UpdatePeak {
  /** Instances the group can hold at once during an update, at its largest. */
  readonly peakInstances: number;
  /** peakInstances - MaxSize. */
  readonly headroom: number;
  readonly explanation: string;
}

/**
 * The most instances a group holds at once while CloudFormation replaces them, over every size
 * the group can have (MinSize to MaxSize).
 *
 * - AutoScalingRollingUpdate replaces at most MaxBatchSize instances at a time and keeps
 *   MinInstancesInService in service (defaults 1 and 0; "MinInstancesInService ... must be less than
 *   the MaxSize",
 *   https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-updatepolicy.html).
 *   At a size d with d - MaxBatchSize < MinInstancesInService the new batch has to start before the
 *   old one stops, so the group holds MinInstancesInService + MaxBatchSize; otherwise it holds d.
 *   The peak over d is max(MaxSize, MinInstancesInService + MaxBatchSize).
 * - AutoScalingInstanceRefresh keeps at most MaxHealthyPercentage of the desired capacity in service
 *   or pending ("the maximum percentage of the group that can be in service and healthy, or
 *   pending ... when replacing instances", 100-200,
 *   https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_InstanceMaintenancePolicy.html): at
 *   MaxSize that is ceil(MaxSize x MaxHealthyPercentage / 100) (rounded up: launching before
 *   terminating needs at least one whole instance).
 * - AutoScalingReplacingUpdate creates a new group beside the old one and keeps the old one until the
 *   new one is complete: twice MaxSize.
 * - No update policy: a new launch template replaces no running instance, MaxSize.
 */
export function updatePeakInstances(maxSize: number, policy: UpdateHeadroomPolicy): UpdatePeak {
  switch (policy.kind) {
    case 'rolling-update': {
      const during = policy.minInstancesInService + policy.maxBatchSize;
      const peakInstances = Math.max(maxSize, during);
      return {
        peakInstances,
        headroom: peakInstances - maxSize,
        explanation: `rolling update (MaxBatchSize ${policy.maxBatchSize}, MinInstancesInService ${policy.minInstancesInService}): peak max(${maxSize}, ${policy.minInstancesInService}+${policy.maxBatchSize}) = ${peakInstances} instances`,
      };
    }
    case 'instance-refresh': {
      const peakInstances = Math.max(maxSize, Math.ceil((maxSize * policy.maxHealthyPercentage) / 100));
      return {
        peakInstances,
        headroom: peakInstances - maxSize,
        explanation: `instance refresh (MaxHealthyPercentage ${policy.maxHealthyPercentage}%, ${policy.source}): peak ceil(${maxSize} x ${policy.maxHealthyPercentage}%) = ${peakInstances} instances`,
      };
    }
    case 'replacing-update':
      return {
        peakInstances: 2 * maxSize,
        headroom: maxSize,
        explanation: `replacing update: a new group beside the old one, peak 2 x ${maxSize} = ${2 * maxSize} instances`,
      };
    case 'none':
      return { peakInstances: maxSize, headroom: 0, explanation: 'no update policy: an update replaces no instance, peak MaxSize' };
  }
}

/**
 * Warm-pool instances running beside a group at MaxSize. The pool holds
 * MaxGroupPreparedCapacity (default: MaxSize) minus the desired capacity, and at least its MinSize
 * (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_PutWarmPool.html): over every desired
 * capacity d, group plus pool peaks at max(MaxSize + MinSize, MaxGroupPreparedCapacity), so
 * max(MinSize, MaxGroupPreparedCapacity - MaxSize) beyond MaxSize. Warm instances run while they
 * initialize, before they stop in a `Stopped` or `Hibernated` pool, so they count in every pool state.
 */
export function warmPoolExtraInstances(maxSize: number, warmPool: FleetShape['warmPool']): { extra: number; explanation: string } {
  if (!warmPool) return { extra: 0, explanation: '' };
  const prepared = warmPool.maxGroupPreparedCapacity ?? maxSize;
  const extra = Math.max(warmPool.minSize, prepared - maxSize, 0);
  const running = warmPool.poolState === 'Running' ? 'running' : `running while they initialize (pool state ${warmPool.poolState})`;
  return { extra, explanation: `warm pool: +${extra} instances ${running}` };
}

/**
 * On-Demand instances among n: all of the base, then OnDemandPercentageAboveBaseCapacity of the rest,
 * rounded up (the worst case for the On-Demand quota). A plain launch template group is all On-Demand.
 */
export function onDemandInstancesAt(n: number, distribution: FleetShape['distribution']): number {
  if (!distribution) return n;
  const base = Math.min(n, distribution.onDemandBaseCapacity);
  return base + Math.ceil(((n - base) * distribution.onDemandPercentageAboveBaseCapacity) / 100);
}

/** Spot instances among n: the rest above the base, rounded up (the worst case for the Spot quota). */
export function spotInstancesAt(n: number, distribution: FleetShape['distribution']): number {
  if (!distribution) return 0;
  const above = Math.max(0, n - distribution.onDemandBaseCapacity);
  return Math.ceil((above * (100 - distribution.onDemandPercentageAboveBaseCapacity)) / 100);
}

export interface FleetVcpuDemand {
  readonly fleet: string;
  readonly vcpusPerInstance: number;
  /** The type with the most vCPUs, which vcpusPerInstance is from. */
  readonly largestType: string;
  readonly peakInstances: number;
  readonly onDemandInstances: number;
  readonly spotInstances: number;
  readonly onDemandVcpus: number;
  readonly spotVcpus: number;
  /** The derivation in words. */
  readonly explanation: string;
}

/**
 * The On-Demand and Spot vCPUs a fleet can run at its peak: the update peak at MaxSize, split by
 * the distribution, plus the warm pool (always On-Demand: a warm pool cannot go on a group with
 * Spot), each instance counted with the vCPUs of the largest type it may launch.
 * @param vcpus the default vCPUs of each of `fleet.instanceTypes`
 */
export function fleetVcpuDemand(fleet: FleetShape, vcpus: Readonly<Record<string, number>>): FleetVcpuDemand {
  if (fleet.instanceTypes.length === 0) throw new Error(`${fleet.name} names no instance type`);
  const [largestType, vcpusPerInstance] = fleet.instanceTypes
    .map((t): [string, number] => [t, vcpus[t] ?? NaN])
    .reduce((a, b) => (b[1] > a[1] ? b : a));
  if (!Number.isFinite(vcpusPerInstance)) throw new Error(`no vCPU count for ${largestType}`);
  const update = updatePeakInstances(fleet.maxSize, fleet.update);
  const warm = warmPoolExtraInstances(fleet.maxSize, fleet.warmPool);
  const onDemandInstances = onDemandInstancesAt(update.peakInstances, fleet.distribution) + warm.extra;
  const spotInstances = spotInstancesAt(update.peakInstances, fleet.distribution);
  const split = fleet.distribution
    ? `On-Demand base ${fleet.distribution.onDemandBaseCapacity} + ${fleet.distribution.onDemandPercentageAboveBaseCapacity}% above it`
    : 'launch template: all On-Demand';
  const types = fleet.instanceTypes.length > 1 ? `largest of ${fleet.instanceTypes.join(', ')}: ${largestType}` : largestType;
  return {
    fleet: fleet.name,
    vcpusPerInstance,
    largestType,
    peakInstances: update.peakInstances + warm.extra,
    onDemandInstances,
    spotInstances,
    onDemandVcpus: onDemandInstances * vcpusPerInstance,
    spotVcpus: spotInstances * vcpusPerInstance,
    explanation: [
      `MaxSize ${fleet.maxSize}; ${update.explanation}`,
      ...(warm.extra > 0 ? [warm.explanation] : []),
      `${split}: ${onDemandInstances} On-Demand, ${spotInstances} Spot`,
      `${vcpusPerInstance} vCPUs each (${types})`,
    ].join('; '),
  };
}

export interface QuotaFit {
  readonly fits: boolean;
  /** usage + demand. */
  readonly total: number;
  /** How much the quota is short by (0 when it fits). */
  readonly short: number;
}

/** Whether current usage plus this stack's demand fits a quota (equal fits: the quota is a maximum). */
export function quotaFit(quota: number, usage: number, demand: number): QuotaFit {
  const total = usage + demand;
  return { fits: total <= quota, total, short: Math.max(0, total - quota) };
}

/**
 * The Elastic IPs a template allocates: one per `AWS::EC2::EIP`, and at least one per public NAT
 * gateway ("The default is a public NAT gateway. If you create a public NAT gateway, you must
 * specify an elastic IP address",
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-ec2-natgateway.html).
 */
export function elasticIpsNeeded(elasticIps: number, publicNatGateways: number): number {
  return Math.max(elasticIps, publicNatGateways);
}

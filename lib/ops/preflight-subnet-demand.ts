import type { ExistingVpc } from '../model/config/network-settings';
import { updatePeakInstances, warmPoolExtraInstances } from './preflight-capacity.js';
import { fleetShapes } from './preflight-template.js';
import type { SynthesizedResource, SynthesizedTemplate } from './synthesized-template.js';

/**
 * The private IPv4 addresses the stack needs in each subnet of an existing VPC
 * (network.existingVpc), read from the synthesized template: with an existing VPC every subnet
 * ID in it is a literal, so each resource names the subnets it puts addresses in. Pure.
 *
 * Per resource, in each of its subnets:
 * - an Application Load Balancer: 8. "Verify that each Availability Zone subnet for your load
 *   balancer has a CIDR block with at least a /27 bitmask ... and has at least 8 free IP
 *   addresses. Your load balancer uses these IP addresses to establish connections with the
 *   targets" (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#subnets-load-balancer).
 * - an Auto Scaling group: one address per instance (its primary network interface), the group's
 *   peak (MaxSize raised by the update policy, plus a warm pool: preflight-capacity.ts) spread
 *   over its subnets with one AZ lost: "When one Availability Zone becomes unhealthy or
 *   unavailable, Amazon EC2 Auto Scaling launches new instances in an unaffected Availability
 *   Zone" (https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-add-az-console.html), so each
 *   surviving subnet must hold ceil(peak / (AZs - 1)).
 * - Lambda functions in the VPC: one Hyperplane ENI per security-group set. "Each unique security
 *   group and subnet combination in your account requires a different network interface.
 *   Functions in the account that share the same security group and subnet combination use the
 *   same network interfaces" (https://docs.aws.amazon.com/lambda/latest/dg/foundation-networking.html).
 * - RDS DB instances: one address per instance, and one more for a Multi-AZ standby, in every
 *   subnet of their DB subnet group: "Amazon RDS chooses a subnet and an IP address within that
 *   subnet group to associate with your DB instance", and the subnets "must be large enough to
 *   accommodate spare IP addresses for Amazon RDS to use during maintenance activities, including
 *   failover and compute scaling"
 *   (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_VPC.WorkingWithRDSInstanceinaVPC.html).
 *   Which subnet an instance lands in changes with failovers, so each subnet counts every instance.
 * - RDS Proxy: the minimum free addresses RDS recommends for the size of its target's class
 *   ("Reserve the following minimum numbers of free IP addresses in your subnets for your proxy",
 *   10 for db.*.xlarge or smaller up to 110 for db.*.24xlarge; "RDS Proxy doesn't consume more
 *   than 215 IP addresses for each proxy in a VPC",
 *   https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy-network-prereqs.html#rds-proxy-network-prereqs.plan-ip-address).
 *   The docs do not say whether the number is per subnet or for all of them: it is asked of
 *   each subnet (the safe reading); a class above 24xlarge gets the 215 ceiling.
 * - ElastiCache nodes: one address per node in the subnet of its AZ ("ElastiCache uses that subnet
 *   group to choose a subnet and IP addresses within that subnet to associate with your nodes",
 *   https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/SubnetGroups.Creating.html), placed
 *   by PreferredCacheClusterAZs.
 */

/** What the stack needs in one subnet. */
export interface SubnetDemand {
  readonly ips: number;
  /** Each part in words, e.g. `ALB 8`. */
  readonly parts: readonly string[];
}

/** ALB: free addresses per subnet (see above). */
export const ALB_FREE_IPS_PER_SUBNET = 8;

/** RDS Proxy: minimum free addresses by the size of the target's class (see above). */
export const RDS_PROXY_FREE_IPS: readonly (readonly [size: string, ips: number])[] = [
  ['xlarge', 10],
  ['2xlarge', 15],
  ['4xlarge', 25],
  ['8xlarge', 45],
  ['12xlarge', 60],
  ['16xlarge', 75],
  ['24xlarge', 110],
];
/** RDS Proxy never uses more than this many addresses in a VPC (see above). */
export const RDS_PROXY_MAX_IPS = 215;

/** The addresses RDS recommends keeping free for a proxy in front of an instance of `instanceClass`. */
export function rdsProxyFreeIps(instanceClass: string): number {
  const size = instanceClass.split('.').at(-1) ?? '';
  const multiple = /^(\d*)xlarge$/.exec(size);
  // nano ... large are "xlarge or smaller"; metal and anything else unknown get the ceiling.
  if (!multiple) return ['nano', 'micro', 'small', 'medium', 'large'].includes(size) ? RDS_PROXY_FREE_IPS[0]![1] : RDS_PROXY_MAX_IPS;
  const n = multiple[1] === '' ? 1 : Number(multiple[1]);
  const row = RDS_PROXY_FREE_IPS.find(([s]) => {
    const m = /^(\d*)xlarge$/.exec(s)!;
    return n <= (m[1] === '' ? 1 : Number(m[1]));
  });
  return row ? row[1] : RDS_PROXY_MAX_IPS;
}

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);
const refOf = (value: unknown): string | undefined => (value as { Ref?: unknown } | undefined)?.Ref as string | undefined;

function resourcesOf(template: SynthesizedTemplate, type: string): [string, SynthesizedResource][] {
  return Object.entries(template.Resources ?? {}).filter(([, r]) => r.Type === type);
}

/**
 * The addresses the template's resources need in each subnet of `vpc`, by subnet ID (every given
 * subnet has an entry, possibly empty).
 * @throws TemplateFactError when a fleet size is not a literal (fleetShapes)
 */
export function subnetIpDemand(vpc: ExistingVpc, template: SynthesizedTemplate): Map<string, SubnetDemand> {
  const azOf = new Map<string, string>();
  for (const tier of Object.values(vpc.subnets)) for (const [az, s] of Object.entries(tier)) azOf.set(s.subnetId, az);
  const parts = new Map<string, { ips: number; text: string }[]>([...azOf.keys()].map((id) => [id, []]));
  const add = (subnet: string, ips: number, text: string) => {
    if (ips > 0) parts.get(subnet)?.push({ ips, text });
  };

  for (const [, lb] of resourcesOf(template, 'AWS::ElasticLoadBalancingV2::LoadBalancer')) {
    const p = lb.Properties ?? {};
    if (p.Type !== undefined && p.Type !== 'application') continue;
    const subnets = [
      ...strings(p.Subnets),
      ...((p.SubnetMappings as { SubnetId?: unknown }[] | undefined) ?? []).flatMap((m) => strings([m.SubnetId])),
    ];
    for (const s of subnets) add(s, ALB_FREE_IPS_PER_SUBNET, `ALB ${ALB_FREE_IPS_PER_SUBNET}`);
  }

  const groups = new Map(resourcesOf(template, 'AWS::AutoScaling::AutoScalingGroup').map(([name, r]) => [name, r]));
  for (const fleet of groups.size > 0 ? fleetShapes(template) : []) {
    const subnets = strings(groups.get(fleet.name)?.Properties?.VPCZoneIdentifier);
    if (subnets.length === 0) continue;
    const peak =
      updatePeakInstances(fleet.maxSize, fleet.update).peakInstances + warmPoolExtraInstances(fleet.maxSize, fleet.warmPool).extra;
    const surviving = Math.max(1, subnets.length - 1);
    const share = Math.ceil(peak / surviving);
    const how =
      subnets.length > 1 ? `peak ${peak} instances over the ${surviving} AZs left when one is lost` : `peak ${peak} instances, one AZ`;
    for (const s of subnets) add(s, share, `fleet ${share} (${how})`);
  }

  const lambdaSets = new Map<string, Set<string>>();
  for (const [, fn] of resourcesOf(template, 'AWS::Lambda::Function')) {
    const vpcConfig = fn.Properties?.VpcConfig as { SubnetIds?: unknown; SecurityGroupIds?: unknown } | undefined;
    if (!vpcConfig) continue;
    const groupsKey = JSON.stringify(vpcConfig.SecurityGroupIds ?? []);
    for (const s of strings(vpcConfig.SubnetIds)) {
      if (!lambdaSets.has(s)) lambdaSets.set(s, new Set());
      lambdaSets.get(s)!.add(groupsKey);
    }
  }
  for (const [s, sets] of lambdaSets)
    add(s, sets.size, `Lambda ${sets.size} (Hyperplane ENI per security-group set${sets.size === 1 ? '' : 's'})`);

  const dbInstances = resourcesOf(template, 'AWS::RDS::DBInstance');
  for (const [groupName, group] of resourcesOf(template, 'AWS::RDS::DBSubnetGroup')) {
    const members = dbInstances.filter(([, db]) => refOf(db.Properties?.DBSubnetGroupName) === groupName);
    const standbys = members.filter(([, db]) => db.Properties?.MultiAZ === true || db.Properties?.MultiAZ === 'true').length;
    const ips = members.length + standbys;
    const text = `RDS ${ips} (${members.length} DB instance${members.length === 1 ? '' : 's'}${standbys > 0 ? ` + ${standbys} standby` : ''}, a spare address each for failover and scaling)`;
    for (const s of strings(group.Properties?.SubnetIds)) add(s, ips, text);
  }

  const writerClass = dbInstances
    .filter(([, db]) => db.Properties?.SourceDBInstanceIdentifier === undefined)
    .map(([, db]) => db.Properties?.DBInstanceClass)
    .find((c): c is string => typeof c === 'string');
  for (const [, proxy] of resourcesOf(template, 'AWS::RDS::DBProxy')) {
    const ips = writerClass ? rdsProxyFreeIps(writerClass) : RDS_PROXY_MAX_IPS;
    for (const s of strings(proxy.Properties?.VpcSubnetIds))
      add(s, ips, `RDS Proxy ${ips} (recommended free for ${writerClass ?? 'an unknown class'})`);
  }

  const cacheGroups = new Map(resourcesOf(template, 'AWS::ElastiCache::SubnetGroup'));
  for (const [, cache] of resourcesOf(template, 'AWS::ElastiCache::ReplicationGroup')) {
    const p = cache.Properties ?? {};
    const subnets = strings(cacheGroups.get(refOf(p.CacheSubnetGroupName) ?? '')?.Properties?.SubnetIds);
    if (subnets.length === 0) continue;
    const nodes = typeof p.NumCacheClusters === 'number' ? p.NumCacheClusters : Number(p.NumCacheClusters ?? 1);
    const azs = strings(p.PreferredCacheClusterAZs);
    for (const s of subnets) {
      // Placed by PreferredCacheClusterAZs; without it, ElastiCache chooses: each subnet may get a share.
      const here = azs.length > 0 ? azs.filter((az) => az === azOf.get(s)).length : Math.ceil(nodes / subnets.length);
      add(s, here, `cache ${here} (node${here === 1 ? '' : 's'} placed in this AZ)`);
    }
  }

  return new Map([...parts].map(([id, list]) => [id, { ips: list.reduce((sum, p) => sum + p.ips, 0), parts: list.map((p) => p.text) }]));
}

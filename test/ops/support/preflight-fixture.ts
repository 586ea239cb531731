import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SynthesizedTemplate } from '../../../lib/ops/synthesized-template.js';

/**
 * A small synthesized template shaped like the platform's (the same resource types and the
 * properties preflight reads: CDK's bootstrap rule, an Auto Scaling group with a mixed instances
 * policy or a plain launch template, NAT gateways with their EIPs, a writer and replicas), so the
 * preflight tests need no synth.
 */
export interface PreflightFixtureOptions {
  readonly minSize?: number;
  /** A number, or any template value (e.g. `{ Ref: 'MaxSize' }`). */
  readonly maxSize?: unknown;
  readonly instanceTypes?: readonly string[];
  readonly onDemandBaseCapacity?: number;
  readonly onDemandPercentageAboveBaseCapacity?: number;
  /** A plain launch template (no mixed instances policy) of the first type. */
  readonly plainLaunchTemplate?: boolean;
  readonly warmPool?: { readonly minSize?: number; readonly maxGroupPreparedCapacity?: number; readonly poolState?: string };
  /** @default a rolling update, MaxBatchSize 1, MinInstancesInService minSize */
  readonly updatePolicy?: Record<string, unknown>;
  readonly instanceMaintenancePolicy?: { readonly MinHealthyPercentage: number; readonly MaxHealthyPercentage: number };
  /** @default 3 */
  readonly natGateways?: number;
  readonly db?: {
    readonly instanceClass?: string;
    readonly engineVersion?: string;
    readonly replicas?: number;
    readonly multiAz?: boolean;
  };
  /** Versions the CheckBootstrapVersion rule lists as too old; null: no rule. @default 1-5 (minimum 6) */
  readonly tooOldBootstrap?: readonly number[] | null;
  /**
   * The subnets of network.existingVpc, as an existing-VPC synth names them literally: the ALB in
   * `public`, the group and a rotation function in `app`, the DB subnet group and the cache in
   * `data` (its two nodes in the first two AZs). Use with natGateways 0.
   */
  readonly existingVpcSubnets?: { readonly public: readonly string[]; readonly app: readonly string[]; readonly data: readonly string[] };
  /** The AZs of existingVpcSubnets, for the cache's PreferredCacheClusterAZs. */
  readonly availabilityZones?: readonly string[];
}

export function preflightTemplate(options: PreflightFixtureOptions = {}): SynthesizedTemplate {
  const types = options.instanceTypes ?? ['m7g.large', 'm7gd.large', 'r7g.large'];
  const minSize = options.minSize ?? 3;
  const resources: Record<string, { Type: string; Properties?: Record<string, unknown>; UpdatePolicy?: Record<string, unknown> }> = {};
  resources.FleetLaunchTemplate = { Type: 'AWS::EC2::LaunchTemplate', Properties: { LaunchTemplateData: { InstanceType: types[0] } } };
  const launchTemplate = {
    LaunchTemplateId: { Ref: 'FleetLaunchTemplate' },
    Version: { 'Fn::GetAtt': ['FleetLaunchTemplate', 'LatestVersionNumber'] },
  };
  resources.FleetASG = {
    Type: 'AWS::AutoScaling::AutoScalingGroup',
    Properties: {
      MinSize: String(minSize),
      MaxSize: typeof options.maxSize === 'number' || options.maxSize === undefined ? String(options.maxSize ?? 12) : options.maxSize,
      ...(options.plainLaunchTemplate
        ? { LaunchTemplate: launchTemplate }
        : {
            MixedInstancesPolicy: {
              InstancesDistribution: {
                OnDemandAllocationStrategy: 'prioritized',
                OnDemandBaseCapacity: options.onDemandBaseCapacity ?? minSize,
                OnDemandPercentageAboveBaseCapacity: options.onDemandPercentageAboveBaseCapacity ?? 100,
                SpotAllocationStrategy: 'price-capacity-optimized',
              },
              LaunchTemplate: { LaunchTemplateSpecification: launchTemplate, Overrides: types.map((t) => ({ InstanceType: t })) },
            },
          }),
      ...(options.instanceMaintenancePolicy ? { InstanceMaintenancePolicy: options.instanceMaintenancePolicy } : {}),
    },
    UpdatePolicy: options.updatePolicy ?? {
      AutoScalingRollingUpdate: { MaxBatchSize: 1, MinInstancesInService: minSize, WaitOnResourceSignals: true, PauseTime: 'PT13M' },
    },
  };
  if (options.warmPool) {
    resources.FleetWarmPool = {
      Type: 'AWS::AutoScaling::WarmPool',
      Properties: {
        AutoScalingGroupName: { Ref: 'FleetASG' },
        MinSize: options.warmPool.minSize ?? 0,
        ...(options.warmPool.maxGroupPreparedCapacity !== undefined
          ? { MaxGroupPreparedCapacity: options.warmPool.maxGroupPreparedCapacity }
          : {}),
        PoolState: options.warmPool.poolState ?? 'Stopped',
      },
    };
  }
  for (let i = 1; i <= (options.natGateways ?? 3); i++) {
    resources[`PublicSubnet${i}EIP`] = { Type: 'AWS::EC2::EIP', Properties: { Domain: 'vpc' } };
    resources[`PublicSubnet${i}NATGateway`] = {
      Type: 'AWS::EC2::NatGateway',
      Properties: { AllocationId: { 'Fn::GetAtt': [`PublicSubnet${i}EIP`, 'AllocationId'] }, SubnetId: { Ref: `PublicSubnet${i}` } },
    };
  }
  const db = options.db ?? {};
  const instanceClass = db.instanceClass ?? 'db.r7g.large';
  resources.DatabaseWriter = {
    Type: 'AWS::RDS::DBInstance',
    Properties: {
      DBInstanceClass: instanceClass,
      Engine: 'postgres',
      EngineVersion: db.engineVersion ?? '17.9',
      MultiAZ: db.multiAz ?? true,
      StorageType: 'gp3',
    },
  };
  for (let i = 1; i <= (db.replicas ?? 2); i++) {
    resources[`DatabaseReplica${i}`] = {
      Type: 'AWS::RDS::DBInstance',
      Properties: { DBInstanceClass: instanceClass, SourceDBInstanceIdentifier: { Ref: 'DatabaseWriter' }, StorageType: 'gp3' },
    };
  }
  const vpc = options.existingVpcSubnets;
  if (vpc) {
    resources.LoadBalancer = {
      Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer',
      Properties: { Type: 'application', Scheme: 'internet-facing', Subnets: [...vpc.public] },
    };
    resources.FleetASG.Properties!.VPCZoneIdentifier = [...vpc.app];
    resources.RotationFunction = {
      Type: 'AWS::Lambda::Function',
      Properties: { VpcConfig: { SubnetIds: [...vpc.app], SecurityGroupIds: [{ 'Fn::GetAtt': ['RotationSecurityGroup', 'GroupId'] }] } },
    };
    resources.DatabaseSubnets = { Type: 'AWS::RDS::DBSubnetGroup', Properties: { SubnetIds: [...vpc.data] } };
    for (const [name, r] of Object.entries(resources))
      if (r.Type === 'AWS::RDS::DBInstance') resources[name]!.Properties!.DBSubnetGroupName = { Ref: 'DatabaseSubnets' };
    resources.CacheSubnets = { Type: 'AWS::ElastiCache::SubnetGroup', Properties: { SubnetIds: [...vpc.data] } };
    resources.Cache = {
      Type: 'AWS::ElastiCache::ReplicationGroup',
      Properties: {
        CacheSubnetGroupName: { Ref: 'CacheSubnets' },
        NumCacheClusters: 2,
        PreferredCacheClusterAZs: (options.availabilityZones ?? []).slice(0, 2),
      },
    };
  }
  const tooOld = options.tooOldBootstrap === undefined ? [1, 2, 3, 4, 5] : options.tooOldBootstrap;
  return {
    Resources: resources,
    Parameters: {
      BootstrapVersion: { Type: 'AWS::SSM::Parameter::Value<String>', Default: '/cdk-bootstrap/hnb659fds/version' },
    },
    ...(tooOld
      ? {
          Rules: {
            CheckBootstrapVersion: {
              Assertions: [
                {
                  Assert: { 'Fn::Not': [{ 'Fn::Contains': [tooOld.map(String), { Ref: 'BootstrapVersion' }] }] },
                  AssertDescription: `CDK bootstrap stack version ${Math.max(...tooOld) + 1} required. Please run 'cdk bootstrap' with a recent version of the CDK CLI.`,
                },
              ],
            },
          },
        }
      : {}),
  };
}

/** Writes `<dir>/<stackName>.template.json`. */
export function writePreflightTemplate(dir: string, stackName: string, options: PreflightFixtureOptions = {}): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${stackName}.template.json`);
  writeFileSync(path, JSON.stringify(preflightTemplate(options), null, 1));
  return path;
}

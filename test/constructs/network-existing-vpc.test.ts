import { beforeAll, describe, expect, inject, it } from 'vitest';
import { BUILTIN_ENVIRONMENTS } from '../../lib/model/config/builtin-environments';
import { isConfigError } from '../../lib/model/config/config-error';
import { resolveEnvironments } from '../../lib/model/config/load-config';
import { planFirstCreate } from '../../lib/model/deploy/rollback-plan';
import type { CfnTemplate as DeployTemplate } from '../../lib/model/deploy/template';
import { reviewStack } from '../../lib/platform/review/stack-review';
import type { Template } from '../../lib/platform/review/templates';
import { readTemplate, resourcesOfType, type CfnTemplate } from '../support/assembly';
import { environment, synthPlatform } from '../support/platform-variants';

const AZS = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
const id = (prefix: string, tier: number, az: number) => `${prefix}-0${tier}${az}${'0'.repeat(14)}`;
const tier = (n: number, azs = AZS) =>
  Object.fromEntries(azs.map((az, i) => [az, { subnetId: id('subnet', n, i), routeTableId: id('rtb', n, i) }]));
const EXISTING = {
  vpcId: 'vpc-0123456789abcdef0',
  subnets: { public: tier(1), app: tier(2), data: tier(3) },
  appEgress: { kind: 'nat', natGatewayIds: Object.fromEntries(AZS.map((az, i) => [az, id('nat', 4, i)])) },
};

function problems(network: Record<string, unknown>): string[] {
  try {
    resolveEnvironments({ staging: { ...BUILTIN_ENVIRONMENTS.staging, network } }, 'test');
    return [];
  } catch (e) {
    if (!isConfigError(e)) throw e;
    return e.problems.map((p) => `${p.path} = ${p.value}: ${p.rule}`);
  }
}

describe("a staging environment in the network team's VPC (network.existingVpc)", () => {
  let template: CfnTemplate;
  beforeAll(() => {
    template = synthPlatform(environment('staging', { network: { existingVpc: EXISTING } as never })) as CfnTemplate;
  });

  it('creates no VPC, subnet, route, NAT gateway, endpoint or flow log: the VPC is given by IDs, and synth looks nothing up', () => {
    const ec2 = [...new Set(Object.values(template.Resources).map((r) => r.Type))].filter((t) => t.startsWith('AWS::EC2::')).sort();
    expect(ec2).toEqual([
      'AWS::EC2::LaunchTemplate',
      'AWS::EC2::SecurityGroup',
      'AWS::EC2::SecurityGroupEgress',
      'AWS::EC2::SecurityGroupIngress',
    ]);
    for (const sg of Object.values(resourcesOfType(template, 'AWS::EC2::SecurityGroup'))) expect(sg.Properties!.VpcId).toBe(EXISTING.vpcId);
  });

  it('puts the ALB in the public subnets, the fleet in the app subnets and the data tier in the data subnets', () => {
    const ids = (n: number) => AZS.map((_, i) => id('subnet', n, i));
    expect(Object.values(resourcesOfType(template, 'AWS::ElasticLoadBalancingV2::LoadBalancer'))[0]!.Properties!.Subnets).toEqual(ids(1));
    expect(Object.values(resourcesOfType(template, 'AWS::AutoScaling::AutoScalingGroup'))[0]!.Properties!.VPCZoneIdentifier).toEqual(
      ids(2),
    );
    expect(Object.values(resourcesOfType(template, 'AWS::RDS::DBSubnetGroup'))[0]!.Properties!.SubnetIds).toEqual(ids(3));
    expect(Object.values(resourcesOfType(template, 'AWS::ElastiCache::SubnetGroup'))[0]!.Properties!.SubnetIds).toEqual(ids(3));
  });

  it('still rolls back at every failure point of a first create', () => {
    expect(planFirstCreate(template as unknown as DeployTemplate).strands).toBe(false);
  });
});

describe('network.existingVpc: bad input gets the usual one-line errors', () => {
  it('accepts a complete VPC', () => {
    expect(problems({ existingVpc: EXISTING })).toEqual([]);
  });

  it.each([
    [
      'subnets in fewer AZs than availabilityZones',
      { existingVpc: { ...EXISTING, subnets: { ...EXISTING.subnets, app: tier(2, AZS.slice(0, 2)) } } },
      'environments.staging.network.existingVpc.subnets.app = ["us-east-1a","us-east-1b"]: [NW-1] has subnets in 2 of the 3 availabilityZones: none in us-east-1c',
    ],
    [
      'a subnet keyed by an AZ that is not configured',
      { existingVpc: { ...EXISTING, subnets: { ...EXISTING.subnets, data: { ...tier(3), 'us-east-1d': tier(3)['us-east-1a'] } } } },
      'which is not in availabilityZones',
    ],
    [
      'the same subnet in two tiers',
      { existingVpc: { ...EXISTING, subnets: { ...EXISTING.subnets, data: tier(2) } } },
      'environments.staging.network.existingVpc.subnets = ',
    ],
    [
      'no NAT gateway for an AZ',
      { existingVpc: { ...EXISTING, appEgress: { kind: 'nat', natGatewayIds: { 'us-east-1a': id('nat', 4, 0) } } } },
      'environments.staging.network.existingVpc.appEgress.natGatewayIds = ["us-east-1a"]: [NW-2] names no NAT gateway for us-east-1b, us-east-1c',
    ],
    [
      'VPC endpoints without the ones the instances need',
      { existingVpc: { ...EXISTING, appEgress: { kind: 'vpc-endpoints', services: ['s3', 'logs'] } } },
      'lacks the VPC endpoints secretsmanager, ssm, ssmmessages, ec2messages, monitoring, cloudformation, autoscaling',
    ],
    [
      'natGateways beside an existing VPC',
      { natGateways: 3, existingVpc: EXISTING },
      'environments.staging.network.natGateways = 3: does nothing with network.existingVpc',
    ],
    [
      'a malformed subnet ID',
      {
        existingVpc: {
          ...EXISTING,
          subnets: { ...EXISTING.subnets, public: { ...tier(1), 'us-east-1a': { subnetId: 'subnet-xyz', routeTableId: id('rtb', 1, 0) } } },
        },
      },
      'environments.staging.network.existingVpc.subnets.public.us-east-1a.subnetId = "subnet-xyz": must be a subnet ID',
    ],
  ])('refuses %s', (_name, network, expected) => {
    expect(problems(network).join('\n')).toContain(expected);
  });
});

describe('switching a deployed environment between VPCs', () => {
  it('is blocked by the diff guard, naming each resource that cannot move and the documented migration', () => {
    const assemblyDir = inject('assemblyDir');
    const created = readTemplate(assemblyDir, 'loadbearing-staging') as unknown as Template;
    const existing = synthPlatform(environment('staging', { network: { existingVpc: EXISTING } as never }));
    const review = reviewStack('loadbearing-staging', created, existing);
    const moved = review.hazards.filter((h) => h.reason.startsWith("moves from the stack's own VPC to existing VPC vpc-0123456789abcdef0"));
    expect(moved.map((h) => h.type).sort()).toEqual([
      'AWS::ElastiCache::ReplicationGroup',
      'AWS::ElasticLoadBalancingV2::LoadBalancer',
      'AWS::RDS::DBInstance',
      'AWS::RDS::DBInstance',
    ]);
    expect(
      moved.every(
        (h) =>
          h.impact === 'WILL_REPLACE' &&
          /create a new environment there and migrate the data \(docs\/configuration\.md, "An existing VPC"\)/.test(h.fix),
      ),
    ).toBe(true);
  });
});

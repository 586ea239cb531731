import {
  DescribeRouteTablesCommand,
  DescribeSubnetsCommand,
  DescribeVpcAttributeCommand,
  DescribeVpcEndpointsCommand,
  EC2Client,
  type Route,
  type RouteTable,
  type Subnet,
  type VpcEndpoint,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { EnvironmentConfig } from '../../lib/model/config/environment-schema';
import { builtinEnvironments } from '../../lib/model/config/load-config';
import type { PreflightCheck } from '../../lib/ops/preflight-check.js';
import { preflightChecks, runPreflightCheck } from '../../lib/ops/preflight-command.js';
import { existingVpcEndpointsCheck } from '../../lib/ops/preflight-existing-vpc-endpoints-check.js';
import { existingVpcRoutesCheck } from '../../lib/ops/preflight-existing-vpc-routes-check.js';
import { existingVpcSubnetsCheck } from '../../lib/ops/preflight-existing-vpc-subnets-check.js';
import { PreflightSession } from '../../lib/ops/preflight-session.js';
import { rdsProxyFreeIps, subnetIpDemand } from '../../lib/ops/preflight-subnet-demand.js';
import type { SynthesizedTemplate } from '../../lib/ops/synthesized-template.js';
import { environment, synthPlatform } from '../support/platform-variants';
import { fastRetry, frozenClock } from './support/cli-harness.js';

const ec2 = mockClient(EC2Client);
// Test files share modules (isolate: false): put the real client back for the next file.
afterAll(() => ec2.restore());
beforeEach(() => ec2.reset());

const AZS = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
const TIERS = { public: 1, app: 2, data: 3 } as const;
type Tier = keyof typeof TIERS;
const id = (prefix: string, tier: number, az: number) => `${prefix}-0${tier}${az}${'0'.repeat(14)}`;
const subnetId = (tier: Tier, az: number) => id('subnet', TIERS[tier], az);
const rtbId = (tier: Tier, az: number) => id('rtb', TIERS[tier], az);
const natId = (az: number) => id('nat', 4, az);
const VPC = 'vpc-0123456789abcdef0';
const IGW = 'igw-0123456789abcdef0';
const tierOf = (n: number) => Object.fromEntries(AZS.map((az, i) => [az, { subnetId: id('subnet', n, i), routeTableId: id('rtb', n, i) }]));
const NAT_VPC = {
  vpcId: VPC,
  subnets: { public: tierOf(1), app: tierOf(2), data: tierOf(3) },
  appEgress: { kind: 'nat' as const, natGatewayIds: Object.fromEntries(AZS.map((az, i) => [az, natId(i)])) },
};
const SERVICES = ['s3', 'secretsmanager', 'ssm', 'ssmmessages', 'ec2messages', 'logs', 'monitoring', 'cloudformation', 'autoscaling'];
const ENDPOINTS_VPC = { ...NAT_VPC, appEgress: { kind: 'vpc-endpoints' as const, services: SERVICES } };
const REASON = 'the network team gave these app subnets to this stack alone';

const staging = (existingVpc: object, extra: object = {}): EnvironmentConfig =>
  environment('staging', { network: { existingVpc }, ...extra } as never);
const NAT_ENV = staging(NAT_VPC);

function session(): PreflightSession {
  return new PreflightSession({
    connectionTimeoutMs: 1000,
    requestTimeoutMs: 1000,
    retryPolicy: fastRetry,
    clock: frozenClock,
    signal: new AbortController().signal,
  });
}

let templates = new Map<EnvironmentConfig, SynthesizedTemplate>();
const templateOf = (env: EnvironmentConfig) => {
  if (!templates.has(env)) templates.set(env, synthPlatform(env) as unknown as SynthesizedTemplate);
  return templates.get(env)!;
};
afterAll(() => {
  templates = new Map();
});

const run = (check: PreflightCheck, env: EnvironmentConfig) =>
  runPreflightCheck(check, { env, template: templateOf(env), session: session() });

/** The nine subnets as EC2 describes them, each where the config says, 200 addresses free. */
function awsSubnets(change: (s: Subnet, tier: Tier, az: number) => Subnet = (s) => s): Subnet[] {
  return (Object.keys(TIERS) as Tier[]).flatMap((tier) =>
    AZS.map((az, i) =>
      change(
        {
          SubnetId: subnetId(tier, i),
          VpcId: VPC,
          AvailabilityZone: az,
          AvailabilityZoneId: `use1-az${i + 1}`,
          AvailableIpAddressCount: 200,
          OwnerId: NAT_ENV.account,
          State: 'available',
        },
        tier,
        i,
      ),
    ),
  );
}

const local: Route = { DestinationCidrBlock: '10.0.0.0/16', GatewayId: 'local', State: 'active' };
/** Each subnet explicitly on its declared table, with the routes of its tier, and an empty main table. */
function awsRouteTables(routes: (tier: Tier, az: number) => Route[] = defaultRoutes): RouteTable[] {
  return [
    { RouteTableId: 'rtb-0ffffffffffffffff', VpcId: VPC, Associations: [{ Main: true }], Routes: [local] },
    ...(Object.keys(TIERS) as Tier[]).flatMap((tier) =>
      AZS.map((_az, i) => ({
        RouteTableId: rtbId(tier, i),
        VpcId: VPC,
        Associations: [{ Main: false, SubnetId: subnetId(tier, i), RouteTableId: rtbId(tier, i) }],
        Routes: [local, ...routes(tier, i)],
      })),
    ),
  ];
}
function defaultRoutes(tier: Tier, az: number): Route[] {
  if (tier === 'public') return [{ DestinationCidrBlock: '0.0.0.0/0', GatewayId: IGW, State: 'active' }];
  if (tier === 'app') return [{ DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: natId(az), State: 'active' }];
  return [];
}

describe('the IP addresses the stack needs in each subnet of an existing VPC', () => {
  it('reads them from the template: ALB 8, the fleet peak over the AZs left after one is lost, Lambda ENIs, DB instances, proxy, cache nodes', () => {
    const demand = subnetIpDemand(NAT_VPC, templateOf(NAT_ENV));
    // staging: MaxSize 6, instance refresh MaxHealthyPercentage 134: peak ceil(8.04) = 9; over 2 AZs: 5.
    expect(demand.get(subnetId('public', 0))).toEqual({ ips: 8, parts: ['ALB 8'] });
    expect(demand.get(subnetId('app', 2))).toEqual({
      ips: 6,
      parts: ['fleet 5 (peak 9 instances over the 2 AZs left when one is lost)', 'Lambda 1 (Hyperplane ENI per security-group set)'],
    });
    // The writer (Multi-AZ: + standby) and one replica; cache nodes in us-east-1a and us-east-1b only.
    expect(demand.get(subnetId('data', 0))!.ips).toBe(4);
    expect(demand.get(subnetId('data', 2))).toEqual({
      ips: 3,
      parts: ['RDS 3 (2 DB instances + 1 standby, a spare address each for failover and scaling)'],
    });
    const withProxy = staging(NAT_VPC, { database: { proxy: { enabled: true } } });
    expect(subnetIpDemand(NAT_VPC, templateOf(withProxy)).get(subnetId('data', 2))!.parts).toContain(
      'RDS Proxy 10 (recommended free for db.m7g.large)',
    );
  });

  it("keeps RDS Proxy's free addresses by class size, with the 215 ceiling beyond the table", () => {
    expect(['db.t4g.medium', 'db.r7g.large', 'db.r7g.xlarge'].map(rdsProxyFreeIps)).toEqual([10, 10, 10]);
    expect(['db.r7g.2xlarge', 'db.r7g.4xlarge', 'db.r7g.8xlarge', 'db.r7g.12xlarge', 'db.r7g.16xlarge'].map(rdsProxyFreeIps)).toEqual([
      15, 25, 45, 60, 75,
    ]);
    expect(['db.r6i.24xlarge', 'db.r6i.32xlarge', 'db.m6i.metal'].map(rdsProxyFreeIps)).toEqual([110, 215, 215]);
  });
});

describe('preflight with network.existingVpc: which checks run', () => {
  it('adds the subnet and route checks, and the endpoint check for VPC endpoints; never for a created VPC', () => {
    const ids = (env: EnvironmentConfig) => preflightChecks(env).map((c) => c.id);
    expect(ids(NAT_ENV)).toEqual(expect.arrayContaining(['vpc-subnets', 'vpc-routes']));
    expect(ids(NAT_ENV)).not.toContain('vpc-endpoints');
    expect(ids(staging(ENDPOINTS_VPC))).toEqual(expect.arrayContaining(['vpc-subnets', 'vpc-routes', 'vpc-endpoints']));
    for (const env of builtinEnvironments())
      expect(
        ids(env).filter((i) => i.startsWith('vpc-')),
        env.name,
      ).toEqual([]);
  });
});

describe('preflight vpc-subnets', () => {
  it('passes when every subnet is in the VPC and its AZ with room, asking for all nine by filter', async () => {
    ec2.on(DescribeSubnetsCommand).resolves({ Subnets: awsSubnets() });
    expect(await run(existingVpcSubnetsCheck, NAT_ENV)).toEqual([
      {
        id: 'vpc-subnets',
        check: 'existing VPC subnets',
        status: 'pass',
        detail: `9 subnets of ${VPC}, each in the AZ it is keyed under, with the free IPv4 addresses the stack needs (per subnet: public 8, app 6, data 4)`,
      },
    ]);
    const input = ec2.commandCalls(DescribeSubnetsCommand)[0]!.args[0].input;
    expect(input.Filters).toEqual([{ Name: 'subnet-id', Values: awsSubnets().map((s) => s.SubnetId) }]);
    expect(input.SubnetIds).toBeUndefined();
  });

  it('a subnet keyed under the wrong AZ: one row per subnet, naming the field, the value, what EC2 says and the fix', async () => {
    // The network team's list swapped the app subnets of us-east-1a and us-east-1b.
    ec2.on(DescribeSubnetsCommand).resolves({
      Subnets: awsSubnets((s, tier, az) =>
        tier === 'app' && az < 2 ? { ...s, AvailabilityZone: AZS[1 - az], AvailabilityZoneId: `use1-az${2 - az}` } : s,
      ),
    });
    const rows = await run(existingVpcSubnetsCheck, NAT_ENV);
    expect(rows.map((r) => [r.id, r.check, r.status])).toEqual([
      ['vpc-subnets:app.us-east-1a', 'network.existingVpc.subnets.app.us-east-1a', 'fail'],
      ['vpc-subnets:app.us-east-1b', 'network.existingVpc.subnets.app.us-east-1b', 'fail'],
    ]);
    expect(rows[0]).toMatchObject({
      detail: `${subnetId('app', 0)}: it is in us-east-1b (use1-az2), not us-east-1a, the AZ it is keyed under`,
      fix: "key it under us-east-1b, and give network.existingVpc.subnets.app.us-east-1a the app subnet that is in us-east-1a (AZ names are this account's)",
    });
  });

  it('a missing subnet, one of another VPC, and one with too few free addresses', async () => {
    ec2.on(DescribeSubnetsCommand).resolves({
      Subnets: awsSubnets((s, tier, az) =>
        tier === 'public' && az === 2
          ? { ...s, VpcId: 'vpc-0aaaaaaaaaaaaaaaa' }
          : tier === 'app' && az === 1
            ? { ...s, AvailableIpAddressCount: 5 }
            : s,
      ).filter((s) => s.SubnetId !== subnetId('data', 0)),
    });
    const rows = await run(existingVpcSubnetsCheck, NAT_ENV);
    expect(rows.map((r) => [r.id, r.detail, r.fix])).toEqual([
      [
        'vpc-subnets:public.us-east-1c',
        `${subnetId('public', 2)}: it is in vpc-0aaaaaaaaaaaaaaaa, not network.existingVpc.vpcId ${VPC}`,
        `use a public subnet of ${VPC}, or correct network.existingVpc.vpcId`,
      ],
      [
        'vpc-subnets:app.us-east-1b',
        `${subnetId('app', 1)}: 5 free IPv4 addresses, the stack needs 6 there (fleet 5 (peak 9 instances over the 2 AZs left when one is lost), Lambda 1 (Hyperplane ENI per security-group set))`,
        'ask the network team for 1 more free addresses in it (a larger subnet), or lower what the stack puts there',
      ],
      [
        'vpc-subnets:data.us-east-1a',
        `${subnetId('data', 0)}: EC2 knows no such subnet in account ${NAT_ENV.account}, us-east-1 (a subnet shared through RAM shows once the share is accepted)`,
        `copy the ID of the data subnet in us-east-1a from the network team's VPC ${VPC}`,
      ],
    ]);
  });

  it('with failureDrills.disruptSharedSubnets, fails app subnets of another account (RAM): the drill could not cut them', async () => {
    const optedIn = staging(NAT_VPC, { failureDrills: { disruptSharedSubnets: { reason: REASON } } });
    ec2.on(DescribeSubnetsCommand).resolves({ Subnets: awsSubnets((s) => ({ ...s, OwnerId: '999999999999' })) });
    const rows = await run(existingVpcSubnetsCheck, optedIn);
    expect(rows.map((r) => [r.id, r.check])).toEqual(AZS.map((az) => [`vpc-subnets:drills.${az}`, 'failureDrills.disruptSharedSubnets']));
    expect(rows[0]!.detail).toBe(
      `${subnetId('app', 0)}: the app subnet of us-east-1a belongs to account 999999999999 (shared with ${NAT_ENV.account}): only the owner may change its network ACLs, so the az-loss subnet cut cannot run`,
    );
    // Without the opt-in, a shared VPC is fine: the drill leaves the cut out.
    expect((await run(existingVpcSubnetsCheck, NAT_ENV))[0]!.status).toBe('pass');
  });

  it('an AWS error is an unknown row naming the action to grant', async () => {
    ec2.on(DescribeSubnetsCommand).rejects(Object.assign(new Error('not allowed'), { name: 'UnauthorizedOperation' }));
    expect(await run(existingVpcSubnetsCheck, NAT_ENV)).toEqual([
      expect.objectContaining({ id: 'vpc-subnets', status: 'unknown', fix: expect.stringContaining('grant ec2:DescribeSubnets') }),
    ]);
  });
});

describe('preflight vpc-routes', () => {
  it('passes with an internet gateway for public, the declared NAT gateway per AZ for app, no default route for data', async () => {
    ec2.on(DescribeRouteTablesCommand).resolves({ RouteTables: awsRouteTables() });
    expect(await run(existingVpcRoutesCheck, NAT_ENV)).toEqual([
      {
        id: 'vpc-routes',
        check: 'existing VPC routes',
        status: 'pass',
        detail: `the 9 subnets of ${VPC} use their declared route tables: public 0.0.0.0/0 to an internet gateway, app 0.0.0.0/0 to its AZ's declared NAT gateway, data no default route`,
      },
    ]);
    expect(ec2.commandCalls(DescribeRouteTablesCommand)[0]!.args[0].input.Filters).toEqual([{ Name: 'vpc-id', Values: [VPC] }]);
  });

  it('an app route table without the NAT route, one to another NAT gateway, one to a deleted one', async () => {
    ec2.on(DescribeRouteTablesCommand).resolves({
      RouteTables: awsRouteTables((tier, az) => {
        if (tier !== 'app') return defaultRoutes(tier, az);
        if (az === 0) return [];
        if (az === 1) return [{ DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: natId(0), State: 'active' }];
        return [{ DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: natId(2), State: 'blackhole' }];
      }),
    });
    const rows = await run(existingVpcRoutesCheck, NAT_ENV);
    expect(rows.map((r) => [r.id, r.check, r.detail])).toEqual([
      [
        'vpc-routes:app.us-east-1a',
        'network.existingVpc.subnets.app.us-east-1a.routeTableId',
        `${rtbId('app', 0)}: ${rtbId('app', 0)} has no route 0.0.0.0/0 to ${natId(0)}: instances there cannot reach S3, the package repositories or the AWS APIs, so none ever signals`,
      ],
      [
        'vpc-routes:app.us-east-1b',
        'network.existingVpc.subnets.app.us-east-1b.routeTableId',
        `${rtbId('app', 1)}: ${rtbId('app', 1)} routes 0.0.0.0/0 to ${natId(0)}, not to ${natId(1)} (network.existingVpc.appEgress.natGatewayIds.us-east-1b)`,
      ],
      [
        'vpc-routes:app.us-east-1c',
        'network.existingVpc.subnets.app.us-east-1c.routeTableId',
        `${rtbId('app', 2)}: ${rtbId('app', 2)} routes 0.0.0.0/0 to ${natId(2)}, but the route is a blackhole: the NAT gateway is gone`,
      ],
    ]);
    expect(rows[0]!.fix).toBe(
      `ask the network team for 0.0.0.0/0 -> ${natId(0)} in ${rtbId('app', 0)}, or correct network.existingVpc.appEgress.natGatewayIds.us-east-1a`,
    );
  });

  it('a public table without an internet gateway, a data table with a default route, a subnet on another table', async () => {
    const tables = awsRouteTables((tier, az) => {
      if (tier === 'public' && az === 0) return [{ DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: natId(0), State: 'active' }];
      if (tier === 'data' && az === 1)
        return [{ DestinationCidrBlock: '0.0.0.0/0', TransitGatewayId: 'tgw-0123456789abcdef0', State: 'active' }];
      return defaultRoutes(tier, az);
    });
    // The data subnet of us-east-1c has no explicit association: it uses the main table, not its declared one.
    const dataC = tables.find((t) => t.RouteTableId === rtbId('data', 2))!;
    dataC.Associations = [];
    ec2.on(DescribeRouteTablesCommand).resolves({ RouteTables: tables });
    const rows = await run(existingVpcRoutesCheck, NAT_ENV);
    expect(rows.map((r) => [r.id, r.detail])).toEqual([
      [
        'vpc-routes:public.us-east-1a',
        `${rtbId('public', 0)}: ${rtbId('public', 0)} routes 0.0.0.0/0 to ${natId(0)}, not to an internet gateway: the internet-facing ALB there is unreachable`,
      ],
      [
        'vpc-routes:data.us-east-1b',
        `${rtbId('data', 1)}: ${rtbId('data', 1)} routes 0.0.0.0/0 to tgw-0123456789abcdef0: the data tier must have no route to the internet`,
      ],
      [
        'vpc-routes:data.us-east-1c',
        `${rtbId('data', 2)}: ${subnetId('data', 2)} uses rtb-0ffffffffffffffff (the VPC's main route table), not this one`,
      ],
    ]);
    expect(rows[2]!.fix).toBe(
      `set it to rtb-0ffffffffffffffff, or have the network team associate ${rtbId('data', 2)} with ${subnetId('data', 2)}`,
    );
  });

  it('asks no default route of the app tier when it reaches AWS through VPC endpoints', async () => {
    ec2
      .on(DescribeRouteTablesCommand)
      .resolves({ RouteTables: awsRouteTables((tier, az) => (tier === 'app' ? [] : defaultRoutes(tier, az))) });
    const rows = await run(existingVpcRoutesCheck, staging(ENDPOINTS_VPC));
    expect(rows.map((r) => [r.id, r.status])).toEqual([['vpc-routes', 'pass']]);
    expect(rows[0]!.detail).toContain('app through VPC endpoints');
  });
});

describe('preflight vpc-endpoints', () => {
  const ENV = staging(ENDPOINTS_VPC);
  const appTables = AZS.map((_az, i) => rtbId('app', i));
  function awsEndpoints(change: (e: VpcEndpoint) => VpcEndpoint | undefined = (e) => e): VpcEndpoint[] {
    return SERVICES.map((service, i): VpcEndpoint | undefined =>
      change(
        service === 's3'
          ? {
              VpcEndpointId: `vpce-0${i}${'0'.repeat(15)}`,
              VpcEndpointType: 'Gateway',
              ServiceName: 'com.amazonaws.us-east-1.s3',
              VpcId: VPC,
              State: 'Available',
              RouteTableIds: appTables,
            }
          : {
              VpcEndpointId: `vpce-0${i}${'0'.repeat(15)}`,
              VpcEndpointType: 'Interface',
              ServiceName: `com.amazonaws.us-east-1.${service}`,
              VpcId: VPC,
              State: 'Available',
              PrivateDnsEnabled: true,
            },
      ),
    ).filter((e): e is VpcEndpoint => e !== undefined);
  }
  const dns = (support: boolean, hostnames: boolean) => {
    ec2.on(DescribeVpcAttributeCommand, { Attribute: 'enableDnsSupport' }).resolves({ VpcId: VPC, EnableDnsSupport: { Value: support } });
    ec2
      .on(DescribeVpcAttributeCommand, { Attribute: 'enableDnsHostnames' })
      .resolves({ VpcId: VPC, EnableDnsHostnames: { Value: hostnames } });
  };

  it('passes when every service has a working endpoint and the VPC resolves private DNS', async () => {
    ec2.on(DescribeVpcEndpointsCommand).resolves({ VpcEndpoints: awsEndpoints() });
    dns(true, true);
    const rows = await run(existingVpcEndpointsCheck, ENV);
    expect(rows.map((r) => [r.id, r.status])).toEqual([['vpc-endpoints', 'pass']]);
    expect(ec2.commandCalls(DescribeVpcEndpointsCommand)[0]!.args[0].input.Filters).toEqual([{ Name: 'vpc-id', Values: [VPC] }]);
  });

  it('a missing endpoint, one without private DNS, an S3 gateway off an app route table, DNS hostnames off', async () => {
    ec2.on(DescribeVpcEndpointsCommand).resolves({
      VpcEndpoints: awsEndpoints((e) => {
        if (e.ServiceName?.endsWith('.ssm')) return undefined;
        if (e.ServiceName?.endsWith('.logs')) return { ...e, PrivateDnsEnabled: false };
        if (e.ServiceName?.endsWith('.s3')) return { ...e, RouteTableIds: appTables.slice(0, 2) };
        return e;
      }),
    });
    dns(true, false);
    const rows = await run(existingVpcEndpointsCheck, ENV);
    expect(rows.map((r) => [r.id, r.check, r.detail])).toEqual([
      [
        'vpc-endpoints:s3',
        'network.existingVpc.appEgress.services',
        `s3: the gateway endpoint vpce-00000000000000000 is not on the app route tables ${rtbId('app', 2)}`,
      ],
      ['vpc-endpoints:ssm', 'network.existingVpc.appEgress.services', `ssm: ${VPC} has no endpoint for com.amazonaws.us-east-1.ssm`],
      [
        'vpc-endpoints:logs',
        'network.existingVpc.appEgress.services',
        'logs: vpce-05000000000000000 has private DNS off: calls to logs.us-east-1.amazonaws.com do not reach it',
      ],
      [
        'vpc-endpoints:enableDnsHostnames',
        'network.existingVpc.vpcId',
        `${VPC}: enableDnsHostnames is false: the endpoints' private DNS names do not resolve without it`,
      ],
    ]);
    expect(rows[1]!.fix).toBe(
      `ask the network team for an interface endpoint com.amazonaws.us-east-1.ssm with private DNS in ${VPC}, or use NAT gateways (appEgress.kind nat)`,
    );
    expect(rows[3]!.fix).toBe(
      `ask the network team to turn enableDnsHostnames on (\`aws ec2 modify-vpc-attribute --vpc-id ${VPC} --enable-dns-hostnames '{"Value":true}'\`)`,
    );
  });
});

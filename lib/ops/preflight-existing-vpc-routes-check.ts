import type { Route, RouteTable } from '@aws-sdk/client-ec2';
import type { PreflightCheck, PreflightItemVerdict } from './preflight-check.js';
import { failedItem, givenSubnets, type GivenSubnet } from './preflight-existing-vpc.js';

/** Where a route sends its traffic, in words. */
function targetOf(r: Route): string {
  return (
    r.GatewayId ??
    r.NatGatewayId ??
    r.TransitGatewayId ??
    r.NetworkInterfaceId ??
    r.VpcPeeringConnectionId ??
    r.EgressOnlyInternetGatewayId ??
    r.InstanceId ??
    r.CarrierGatewayId ??
    r.LocalGatewayId ??
    r.CoreNetworkArn ??
    'an unknown target'
  );
}

const isDefault = (r: Route) => r.DestinationCidrBlock === '0.0.0.0/0' || r.DestinationIpv6CidrBlock === '::/0';
const blackhole = (r: Route) => (r.State === 'blackhole' ? ' (blackhole: its target is gone)' : '');

/**
 * The route tables of network.existingVpc give each tier the path it needs: EC2
 * DescribeRouteTables of the VPC
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeRouteTables.html).
 *
 * - The table each subnet uses is the one explicitly associated with it, else the VPC's main
 *   route table ("You can explicitly associate a subnet with a particular route table.
 *   Otherwise, the subnet is implicitly associated with the main route table. A subnet can only
 *   be associated with one route table at a time",
 *   https://docs.aws.amazon.com/vpc/latest/userguide/VPC_Route_Tables.html): it must be the
 *   declared `routeTableId`, and its routes are judged.
 * - public: 0.0.0.0/0 to an internet gateway (`igw-`): the ALB is internet-facing.
 * - app with `appEgress.kind` nat: 0.0.0.0/0 to the NAT gateway declared for the AZ, active.
 *   With VPC endpoints the app tier needs no default route (the endpoints check covers it).
 * - data: no default route (0.0.0.0/0 or ::/0) at all, whatever its target: the tier is isolated.
 */
export const existingVpcRoutesCheck: PreflightCheck = {
  id: 'vpc-routes',
  check: 'existing VPC routes',
  permissions: ['ec2:DescribeRouteTables'],
  async run({ env, session }) {
    const vpc = env.network.existingVpc;
    if (!vpc) return { status: 'pass', detail: 'the stack creates its own VPC' };
    const { EC2Client, DescribeRouteTablesCommand } = await import('@aws-sdk/client-ec2');
    const ec2 = session.client('ec2', env.region, (config) => new EC2Client(config));
    const tables: RouteTable[] = [];
    let nextToken: string | undefined;
    do {
      const token = nextToken;
      const page = await session.call('ec2:DescribeRouteTables', (abortSignal) =>
        ec2.send(
          new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpc.vpcId] }], MaxResults: 100, NextToken: token }),
          { abortSignal },
        ),
      );
      tables.push(...(page.RouteTables ?? []));
      nextToken = page.NextToken;
    } while (nextToken);
    const main = tables.find((t) => (t.Associations ?? []).some((a) => a.Main));
    const egress = vpc.appEgress;

    const judge = (g: GivenSubnet): PreflightItemVerdict | undefined => {
      const field = `network.existingVpc.subnets.${g.tier}.${g.az}.routeTableId`;
      const problems: string[] = [];
      const fixes: string[] = [];
      const declared = tables.find((t) => t.RouteTableId === g.routeTableId);
      const explicit = tables.find((t) => (t.Associations ?? []).some((a) => a.SubnetId === g.subnetId));
      const used = explicit ?? main;
      if (!declared) {
        problems.push(`no such route table in ${vpc.vpcId}`);
        fixes.push(`set it to the route table of ${g.subnetId}${used?.RouteTableId ? ` (${used.RouteTableId})` : ''}`);
      } else if (used && used.RouteTableId !== g.routeTableId) {
        problems.push(
          `${g.subnetId} uses ${used.RouteTableId} (${explicit ? 'its explicit association' : "the VPC's main route table"}), not this one`,
        );
        fixes.push(`set it to ${used.RouteTableId}, or have the network team associate ${g.routeTableId} with ${g.subnetId}`);
      }
      const table = used ?? declared;
      const routes = table?.Routes ?? [];
      const v4 = routes.find((r) => r.DestinationCidrBlock === '0.0.0.0/0');
      const where = table?.RouteTableId ?? g.routeTableId;
      if (table && g.tier === 'public' && !(v4?.GatewayId?.startsWith('igw-') && v4.State !== 'blackhole')) {
        problems.push(
          v4
            ? `${where} routes 0.0.0.0/0 to ${targetOf(v4)}${blackhole(v4)}, not to an internet gateway: the internet-facing ALB there is unreachable`
            : `${where} has no route 0.0.0.0/0: the internet-facing ALB there is unreachable`,
        );
        fixes.push(`ask the network team for 0.0.0.0/0 -> the VPC's internet gateway in ${where}, or key a public subnet of ${g.az}`);
      }
      if (table && g.tier === 'app' && egress.kind === 'nat') {
        const nat = egress.natGatewayIds[g.az];
        if (!(v4?.NatGatewayId === nat && v4.State !== 'blackhole')) {
          problems.push(
            !v4
              ? `${where} has no route 0.0.0.0/0 to ${nat}: instances there cannot reach S3, the package repositories or the AWS APIs, so none ever signals`
              : v4.NatGatewayId === nat
                ? `${where} routes 0.0.0.0/0 to ${nat}, but the route is a blackhole: the NAT gateway is gone`
                : `${where} routes 0.0.0.0/0 to ${targetOf(v4)}${blackhole(v4)}, not to ${nat} (network.existingVpc.appEgress.natGatewayIds.${g.az})`,
          );
          fixes.push(
            `ask the network team for 0.0.0.0/0 -> ${nat} in ${where}, or correct network.existingVpc.appEgress.natGatewayIds.${g.az}`,
          );
        }
      }
      if (table && g.tier === 'data') {
        for (const r of routes.filter(isDefault)) {
          problems.push(
            `${where} routes ${r.DestinationCidrBlock ?? r.DestinationIpv6CidrBlock} to ${targetOf(r)}: the data tier must have no route to the internet`,
          );
          fixes.push(`key a data subnet of ${g.az} whose route table has no default route, or ask the network team to remove it`);
        }
      }
      return problems.length > 0 ? failedItem(`${g.tier}.${g.az}`, field, g.routeTableId, problems, fixes) : undefined;
    };

    const given = givenSubnets(env, vpc);
    const items = given.flatMap((g) => judge(g) ?? []);
    if (items.length > 0) return { items };
    return {
      status: 'pass',
      detail: `the ${given.length} subnets of ${vpc.vpcId} use their declared route tables: public 0.0.0.0/0 to an internet gateway, app ${
        egress.kind === 'nat' ? "0.0.0.0/0 to its AZ's declared NAT gateway" : 'through VPC endpoints'
      }, data no default route`,
    };
  },
};

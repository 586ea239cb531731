import type { VpcEndpoint } from '@aws-sdk/client-ec2';
import type { PreflightCheck, PreflightItemVerdict } from './preflight-check.js';
import { failedItem, givenSubnets } from './preflight-existing-vpc.js';

/**
 * With `network.existingVpc.appEgress.kind` vpc-endpoints, the endpoints the app tier needs exist
 * in the VPC and work for it: EC2 DescribeVpcEndpoints of the VPC
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeVpcEndpoints.html) and
 * DescribeVpcAttribute (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeVpcAttribute.html).
 *
 * - Each service of `appEgress.services` (NW-2 makes sure those are at least APP_TIER_ENDPOINTS)
 *   has an endpoint `com.amazonaws.<region>.<service>` in the VPC in state available (the SDK's
 *   enum spells it `Available`, moto `available`: compared without case).
 * - An interface endpoint has private DNS on: the instances call the services' default names
 *   (`ssm.<region>.amazonaws.com`...), which reach the endpoint only through its private hosted
 *   zone ("Indicates whether to associate a private hosted zone with the specified VPC ... This
 *   enables you to make requests to the default public DNS name for the service",
 *   https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateVpcEndpoint.html, PrivateDnsEnabled).
 * - S3 may be a gateway endpoint: then every app route table must be one of its route tables
 *   ("All instances in subnets associated with the specified route tables automatically use the
 *   endpoint to access the service; subnets that are not associated with the specified route
 *   tables do not use the endpoint", https://docs.aws.amazon.com/vpc/latest/userguide/vpce-gateway.html).
 * - The VPC's enableDnsSupport and enableDnsHostnames are both true: "To use a private hosted
 *   zone, you must set the following VPC attributes to true: enableDnsHostnames and
 *   enableDnsSupport" (API_CreateVpcEndpoint.html, PrivateDnsEnabled).
 */
export const existingVpcEndpointsCheck: PreflightCheck = {
  id: 'vpc-endpoints',
  check: 'existing VPC endpoints',
  permissions: ['ec2:DescribeVpcEndpoints', 'ec2:DescribeVpcAttribute'],
  async run({ env, session }) {
    const vpc = env.network.existingVpc;
    if (vpc?.appEgress.kind !== 'vpc-endpoints')
      return { status: 'pass', detail: 'the app tier reaches AWS through NAT gateways, not VPC endpoints' };
    const services = vpc.appEgress.services;
    const { EC2Client, DescribeVpcEndpointsCommand, DescribeVpcAttributeCommand } = await import('@aws-sdk/client-ec2');
    const ec2 = session.client('ec2', env.region, (config) => new EC2Client(config));
    const endpoints: VpcEndpoint[] = [];
    let nextToken: string | undefined;
    do {
      const token = nextToken;
      const page = await session.call('ec2:DescribeVpcEndpoints', (abortSignal) =>
        ec2.send(
          new DescribeVpcEndpointsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpc.vpcId] }], MaxResults: 1000, NextToken: token }),
          { abortSignal },
        ),
      );
      endpoints.push(...(page.VpcEndpoints ?? []));
      nextToken = page.NextToken;
    } while (nextToken);

    const field = 'network.existingVpc.appEgress.services';
    const appTables = givenSubnets(env, vpc)
      .filter((s) => s.tier === 'app')
      .map((s) => s.routeTableId);
    const items: PreflightItemVerdict[] = [];
    for (const service of services) {
      const name = `com.amazonaws.${env.region}.${service}`;
      const all = endpoints.filter((e) => e.ServiceName === name);
      const available = all.filter((e) => (e.State ?? '').toLowerCase() === 'available');
      const works = available.some((e) =>
        e.VpcEndpointType === 'Gateway'
          ? appTables.every((t) => (e.RouteTableIds ?? []).includes(t))
          : e.VpcEndpointType === 'Interface' && e.PrivateDnsEnabled === true,
      );
      if (works) continue;
      const problems: string[] = [];
      if (all.length === 0) problems.push(`${vpc.vpcId} has no endpoint for ${name}`);
      for (const e of all) {
        if ((e.State ?? '').toLowerCase() !== 'available') problems.push(`${e.VpcEndpointId} is ${e.State}`);
        else if (e.VpcEndpointType === 'Gateway') {
          const missing = appTables.filter((t) => !(e.RouteTableIds ?? []).includes(t));
          problems.push(`the gateway endpoint ${e.VpcEndpointId} is not on the app route tables ${missing.join(', ')}`);
        } else if (e.VpcEndpointType === 'Interface')
          problems.push(`${e.VpcEndpointId} has private DNS off: calls to ${service}.${env.region}.amazonaws.com do not reach it`);
        else problems.push(`${e.VpcEndpointId} is a ${e.VpcEndpointType} endpoint`);
      }
      items.push(
        failedItem(service, field, service, problems, [
          `ask the network team for ${service === 's3' ? 'an S3 gateway endpoint on the app route tables (or an interface endpoint with private DNS)' : `an interface endpoint ${name} with private DNS`} in ${vpc.vpcId}, or use NAT gateways (appEgress.kind nat)`,
        ]),
      );
    }

    for (const attribute of ['enableDnsSupport', 'enableDnsHostnames'] as const) {
      const out = await session.call('ec2:DescribeVpcAttribute', (abortSignal) =>
        ec2.send(new DescribeVpcAttributeCommand({ VpcId: vpc.vpcId, Attribute: attribute }), { abortSignal }),
      );
      const value = (attribute === 'enableDnsSupport' ? out.EnableDnsSupport : out.EnableDnsHostnames)?.Value;
      if (value !== true) {
        items.push(
          failedItem(
            attribute,
            'network.existingVpc.vpcId',
            vpc.vpcId,
            [`${attribute} is ${value ?? 'not set'}: the endpoints' private DNS names do not resolve without it`],
            [
              `ask the network team to turn ${attribute} on (\`aws ec2 modify-vpc-attribute --vpc-id ${vpc.vpcId} --${attribute.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} '{"Value":true}'\`)`,
            ],
          ),
        );
      }
    }
    if (items.length > 0) return { items };
    return {
      status: 'pass',
      detail: `${vpc.vpcId} has ${services.join(', ')} (interface endpoints with private DNS; S3 on the app route tables), DNS support and hostnames on`,
    };
  },
};

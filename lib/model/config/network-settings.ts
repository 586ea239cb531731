import { z } from 'zod';
import { ALWAYS, int, ipv4Cidr, logRetentionDays, matching, violation } from './schema-helpers';

const awsId = (prefix: string, what: string, example: string) =>
  matching(
    new RegExp(`^${prefix}-[0-9a-f]{8}([0-9a-f]{9})?$`),
    `must be ${what} ID ("${prefix}-" and 8 or 17 hex digits)`,
    `copy it from the network team's VPC, e.g. "${example}".`,
  );

const subnetSchema = z
  .strictObject({
    subnetId: awsId('subnet', 'a subnet', 'subnet-0123456789abcdef0').describe('The subnet.'),
    routeTableId: awsId('rtb', 'a route table', 'rtb-0123456789abcdef0').describe('The route table associated with the subnet.'),
  })
  .describe('One subnet of a tier in one AZ.');

/** One tier's subnets, by availability zone name. */
const tierSchema = (tier: string, purpose: string) =>
  z
    .record(z.string(), subnetSchema)
    .describe(`The ${tier} subnets, one per availability zone (keys: the AZ names of availabilityZones): ${purpose}.`);

/** The interface endpoints an app tier without NAT needs (the fleet's and the boot's AWS calls), and the S3 gateway endpoint. */
export const APP_TIER_ENDPOINTS = [
  's3',
  'secretsmanager',
  'ssm',
  'ssmmessages',
  'ec2messages',
  'logs',
  'monitoring',
  'cloudformation',
  'autoscaling',
] as const;

export const existingVpcSchema = z
  .strictObject({
    vpcId: awsId('vpc', 'a VPC', 'vpc-0123456789abcdef0').describe('The VPC the network team owns.'),
    subnets: z
      .strictObject({
        public: tierSchema('public', 'the ALB (a route to an internet gateway)'),
        app: tierSchema('app', 'the fleet (outbound through a NAT gateway, or VPC endpoints)'),
        data: tierSchema('data', 'the database, the proxy and the cache (no route to the internet)'),
      })
      .describe('Subnets per tier per AZ, by ID: synth looks nothing up.'),
    appEgress: z
      .discriminatedUnion('kind', [
        z.strictObject({
          kind: z.literal('nat'),
          natGatewayIds: z
            .record(z.string(), awsId('nat', 'a NAT gateway', 'nat-0123456789abcdef0'))
            .describe("The NAT gateway each AZ's app subnets route to, by AZ name."),
        }),
        z.strictObject({
          kind: z.literal('vpc-endpoints'),
          services: z
            .array(z.string())
            .describe(`The VPC endpoints the VPC has for the app tier (at least: ${APP_TIER_ENDPOINTS.join(', ')}).`),
        }),
      ])
      .describe('How the app tier reaches AWS APIs and the package repositories: NAT gateways (one per AZ), or VPC endpoints.'),
  })
  .describe('Use a VPC the network team owns instead of creating one. Given by IDs only.');

export type ExistingVpc = z.output<typeof existingVpcSchema>;

export const networkSettingsSchema = z
  .strictObject({
    cidr: ipv4Cidr(16, 24).default('10.0.0.0/16').describe('VPC IPv4 CIDR block (/16 to /24). Ignored with existingVpc.'),
    natGateways: int(1, 6)
      .optional()
      .describe('NAT gateways. One per AZ keeps egress alive when an AZ fails; fewer saves cost. @default one per availability zone'),
    flowLogRetentionDays: logRetentionDays.default(365).describe('Retention of VPC flow logs (CloudWatch Logs), in days.'),
    existingVpc: existingVpcSchema.optional(),
  })
  .superRefine((network, ctx) => {
    if (network.existingVpc !== undefined && network.natGateways !== undefined) {
      violation(
        ctx,
        ['natGateways'],
        network.natGateways,
        'does nothing with network.existingVpc: the stack creates no NAT gateways in a VPC it does not own',
        "remove network.natGateways; declare the VPC's own in network.existingVpc.appEgress.",
      );
    }
  }, ALWAYS)
  .describe(
    'The VPC: created (public, private-with-egress and isolated subnets in every AZ, flow logs, an S3 gateway endpoint), or an existing one given by IDs (existingVpc).',
  );

export type NetworkSettings = z.output<typeof networkSettingsSchema>;
export type NetworkSettingsInput = z.input<typeof networkSettingsSchema>;

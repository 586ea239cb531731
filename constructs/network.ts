import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge } from './acknowledge';
import {
  networkSettingsSchema,
  type ExistingVpc,
  type NetworkSettings,
  type NetworkSettingsInput,
} from '../lib/model/config/network-settings';
import { parseSettings } from './parse-settings';
import { PROTECT_DATA, type StatefulProtection } from './stateful-protection';

export interface NetworkProps {
  /** Availability zones, explicit so synth needs no lookup. */
  readonly availabilityZones: string[];
  /** @default - platform defaults (see the config reference, `network`) */
  readonly settings?: NetworkSettingsInput;
  /** Key for the flow-log group. @default - CloudWatch Logs' own encryption */
  readonly logsKey?: kms.IKey;
  /** @default PROTECT_DATA */
  readonly protection?: StatefulProtection;
}

/**
 * A VPC across the given AZs with three subnet tiers:
 * - `public`: the ALB and the NAT gateways;
 * - `app`: private with egress, for the fleet;
 * - `data`: isolated (no route to the internet), for the DB, the proxy and the cache.
 *
 * All traffic is recorded in flow logs, and S3 traffic stays on the AWS network through a
 * gateway endpoint (no NAT cost, no NAT dependency for S3).
 */
export class Network extends Construct {
  /** The VPC: created here, or the existing one (`settings.existingVpc`) imported by IDs. */
  public readonly vpc: ec2.IVpc;
  /** The flow-log group of a created VPC; undefined for an existing VPC (its owner keeps its flow logs). */
  public readonly flowLogGroup?: logs.LogGroup;
  public readonly settings: NetworkSettings;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    this.settings = parseSettings(networkSettingsSchema, props.settings, 'network');
    const protection = props.protection ?? PROTECT_DATA;
    const existing = this.settings.existingVpc;
    if (existing) {
      this.vpc = importVpc(this, existing, props.availabilityZones);
      return;
    }

    const vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(this.settings.cidr),
      availabilityZones: props.availabilityZones,
      natGateways: this.settings.natGateways ?? props.availabilityZones.length,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, mapPublicIpOnLaunch: false },
        { name: 'app', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        { name: 'data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      ],
      gatewayEndpoints: { S3: { service: ec2.GatewayVpcEndpointAwsService.S3 } },
      restrictDefaultSecurityGroup: true,
    });

    this.vpc = vpc;
    const flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      retention: this.settings.flowLogRetentionDays as logs.RetentionDays,
      encryptionKey: props.logsKey,
      removalPolicy: protection.retainPolicy,
    });
    const restrictDefaultSg = Stack.of(this).node.tryFindChild('Custom::VpcRestrictDefaultSGCustomResourceProvider');
    if (restrictDefaultSg) {
      acknowledge(
        restrictDefaultSg,
        "CDK's deploy-time function that strips the default security group's rules; it runs only during deployment and calls only the EC2 API.",
        'cdk-validator-cfnguard::lambda_inside_vpc_check',
      );
    }
    acknowledge(
      vpc,
      'The subnets name their AZs because the AZs are explicit config (availabilityZones): synth needs no account lookup, and each team sets its own.',
      'CloudFormation-Validate::W3010',
    );
    for (const subnet of vpc.publicSubnets) {
      acknowledge(
        subnet,
        'Public subnets hold only the internet-facing ALB and the NAT gateways, which need the route to the internet gateway; instances and data live in private and isolated subnets.',
        'NIST.800.53.R5::NIST.800.53.R5-VPCNoUnrestrictedRouteToIGW',
      );
    }
    this.flowLogGroup = flowLogGroup;
    const flowLog = vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });
    acknowledge(
      flowLog,
      'The inline policy is the one CDK generates for the flow-log role: write access to this one log group only.',
      'NIST.800.53.R5::NIST.800.53.R5-IAMNoInlinePolicy',
    );
  }
}

/**
 * The network team's VPC, by IDs only (no lookup: synth stays offline), with the platform's tier
 * names as subnet group names so every construct selects `public`, `app` and `data` alike. Nothing
 * is created in it but the stack's own resources (security groups, the ALB, the fleet, the data
 * tier): no NAT gateways, no flow logs, no endpoints (docs/configuration.md, "An existing VPC").
 */
function importVpc(scope: Construct, existing: ExistingVpc, availabilityZones: readonly string[]): ec2.IVpc {
  const tier = (name: keyof ExistingVpc['subnets']) => availabilityZones.map((az) => existing.subnets[name][az]!);
  return ec2.Vpc.fromVpcAttributes(scope, 'Vpc', {
    vpcId: existing.vpcId,
    availabilityZones: [...availabilityZones],
    publicSubnetIds: tier('public').map((s) => s.subnetId),
    publicSubnetRouteTableIds: tier('public').map((s) => s.routeTableId),
    publicSubnetNames: ['public'],
    privateSubnetIds: tier('app').map((s) => s.subnetId),
    privateSubnetRouteTableIds: tier('app').map((s) => s.routeTableId),
    privateSubnetNames: ['app'],
    isolatedSubnetIds: tier('data').map((s) => s.subnetId),
    isolatedSubnetRouteTableIds: tier('data').map((s) => s.routeTableId),
    isolatedSubnetNames: ['data'],
  });
}

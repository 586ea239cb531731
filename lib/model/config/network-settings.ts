import { z } from 'zod';
import { int, ipv4Cidr, logRetentionDays } from './schema-helpers';

export const networkSettingsSchema = z
  .strictObject({
    cidr: ipv4Cidr(16, 24).default('10.0.0.0/16').describe('VPC IPv4 CIDR block (/16 to /24).'),
    natGateways: int(1, 6)
      .optional()
      .describe('NAT gateways. One per AZ keeps egress alive when an AZ fails; fewer saves cost. @default one per availability zone'),
    flowLogRetentionDays: logRetentionDays.default(365).describe('Retention of VPC flow logs (CloudWatch Logs), in days.'),
  })
  .describe('The VPC: public, private-with-egress and isolated subnets in every AZ, flow logs, an S3 gateway endpoint.');

export type NetworkSettings = z.output<typeof networkSettingsSchema>;
export type NetworkSettingsInput = z.input<typeof networkSettingsSchema>;

import type { EnvironmentInput } from './environment-schema';

/**
 * The environments `cdk synth` builds when no `-c configFile=...` is given. The account IDs
 * and certificate ARNs are placeholders: they make the templates realistic and reviewable,
 * and a team replaces them with its own in a config file (see docs/configuration.md).
 */
export const BUILTIN_ENVIRONMENTS: Readonly<Record<string, EnvironmentInput>> = {
  dev: {
    stage: 'dev',
    account: '111111111111',
    region: 'us-east-1',
    availabilityZones: ['us-east-1a', 'us-east-1b'],
    dataProtection: { allowDestroy: true, reason: 'dev holds only fixture data and is rebuilt from scratch' },
    network: { natGateways: 1 },
    invariants: {
      optOut: [{ rule: 'AZ-4', reason: 'dev saves the second NAT gateway; losing egress in dev during an AZ outage is acceptable' }],
    },
  },
  staging: {
    stage: 'staging',
    account: '222222222222',
    region: 'us-east-1',
    availabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
    loadBalancer: { certificateArn: 'arn:aws:acm:us-east-1:222222222222:certificate/00000000-0000-4000-8000-000000000002' },
  },
  prod: {
    stage: 'prod',
    account: '333333333333',
    region: 'us-east-1',
    availabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
    loadBalancer: { certificateArn: 'arn:aws:acm:us-east-1:333333333333:certificate/00000000-0000-4000-8000-000000000003' },
    edge: {
      originDomainName: 'origin.prod.loadbearing.example.com',
      domainNames: ['prod.loadbearing.example.com'],
      certificateArn: 'arn:aws:acm:us-east-1:333333333333:certificate/00000000-0000-4000-8000-000000000004',
    },
    // The zone the stack writes the edge's records to: the origin name (to the ALB) and the alias (to CloudFront).
    dns: { hostedZoneId: 'Z00000000000000000003', zoneName: 'loadbearing.example.com' },
  },
};

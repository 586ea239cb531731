import type { Subnet } from '@aws-sdk/client-ec2';
import type { PreflightCheck, PreflightItemVerdict } from './preflight-check.js';
import { failedItem, givenSubnets, VPC_TIERS } from './preflight-existing-vpc.js';
import { subnetIpDemand } from './preflight-subnet-demand.js';

/**
 * The subnets of network.existingVpc are what the config says: EC2 DescribeSubnets
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSubnets.html) finds each,
 * in the given VPC (`VpcId`), in the AZ it is keyed under (`AvailabilityZone`), with enough free
 * addresses (`AvailableIpAddressCount`) for what the template puts there
 * (preflight-subnet-demand.ts). Synth cannot know any of this: the IDs are taken on trust, and a
 * subnet keyed under the wrong AZ fails late in the deploy (the ALB takes one subnet per AZ:
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html)
 * or silently breaks the AZ-loss arithmetic and the drills' per-AZ targets.
 *
 * The AZ is the name in the deploying account, which is the one CloudFormation uses: names map to
 * locations per account, so a subnet shared through RAM may be `us-east-1a` for its owner and
 * another name here (https://docs.aws.amazon.com/vpc/latest/userguide/vpc-sharing.html, "Map
 * subnets across Availability Zones").
 *
 * The subnets are asked for with the `subnet-id` filter rather than by ID: a missing ID then
 * leaves a gap instead of failing the whole call, so every subnet gets its own answer.
 *
 * With failureDrills.disruptSharedSubnets, each app subnet must also be this account's (`OwnerId`):
 * in a VPC shared through RAM only the owner manages the network ACLs the az-loss subnet cut
 * swaps (lib/model/failure-modes/drills.ts, subnetCutLeftOut).
 */
export const existingVpcSubnetsCheck: PreflightCheck = {
  id: 'vpc-subnets',
  check: 'existing VPC subnets',
  permissions: ['ec2:DescribeSubnets'],
  async run({ env, template, session }) {
    const vpc = env.network.existingVpc;
    if (!vpc) return { status: 'pass', detail: 'the stack creates its own VPC' };
    const given = givenSubnets(env, vpc);
    const demand = subnetIpDemand(vpc, template);
    const { EC2Client, DescribeSubnetsCommand } = await import('@aws-sdk/client-ec2');
    const ec2 = session.client('ec2', env.region, (config) => new EC2Client(config));
    const found = new Map<string, Subnet>();
    let nextToken: string | undefined;
    do {
      const token = nextToken;
      const page = await session.call('ec2:DescribeSubnets', (abortSignal) =>
        ec2.send(
          new DescribeSubnetsCommand({
            Filters: [{ Name: 'subnet-id', Values: given.map((s) => s.subnetId) }],
            MaxResults: 1000,
            NextToken: token,
          }),
          { abortSignal },
        ),
      );
      for (const s of page.Subnets ?? []) if (s.SubnetId) found.set(s.SubnetId, s);
      nextToken = page.NextToken;
    } while (nextToken);

    const items: PreflightItemVerdict[] = [];
    for (const g of given) {
      const field = `network.existingVpc.subnets.${g.tier}.${g.az}`;
      const subnet = found.get(g.subnetId);
      const need = demand.get(g.subnetId) ?? { ips: 0, parts: [] };
      if (!subnet) {
        items.push(
          failedItem(
            `${g.tier}.${g.az}`,
            field,
            g.subnetId,
            [
              `EC2 knows no such subnet in account ${env.account}, ${env.region} (a subnet shared through RAM shows once the share is accepted)`,
            ],
            [`copy the ID of the ${g.tier} subnet in ${g.az} from the network team's VPC ${vpc.vpcId}`],
          ),
        );
        continue;
      }
      const problems: string[] = [];
      const fixes: string[] = [];
      if (subnet.VpcId !== vpc.vpcId) {
        problems.push(`it is in ${subnet.VpcId}, not network.existingVpc.vpcId ${vpc.vpcId}`);
        fixes.push(`use a ${g.tier} subnet of ${vpc.vpcId}, or correct network.existingVpc.vpcId`);
      }
      if (subnet.AvailabilityZone !== g.az) {
        problems.push(`it is in ${subnet.AvailabilityZone} (${subnet.AvailabilityZoneId}), not ${g.az}, the AZ it is keyed under`);
        fixes.push(
          `key it under ${subnet.AvailabilityZone}, and give ${field} the ${g.tier} subnet that is in ${g.az} (AZ names are this account's)`,
        );
      }
      const free = subnet.AvailableIpAddressCount ?? 0;
      if (free < need.ips) {
        problems.push(`${free} free IPv4 addresses, the stack needs ${need.ips} there (${need.parts.join(', ')})`);
        fixes.push(
          `ask the network team for ${need.ips - free} more free addresses in it (a larger subnet), or lower what the stack puts there`,
        );
      }
      if (problems.length > 0) items.push(failedItem(`${g.tier}.${g.az}`, field, g.subnetId, problems, fixes));
      if (g.tier === 'app' && env.failureDrills.disruptSharedSubnets && subnet.OwnerId !== env.account) {
        items.push(
          failedItem(
            `drills.${g.az}`,
            'failureDrills.disruptSharedSubnets',
            g.subnetId,
            [
              `the app subnet of ${g.az} belongs to account ${subnet.OwnerId} (shared with ${env.account}): only the owner may change its network ACLs, so the az-loss subnet cut cannot run`,
            ],
            ['remove failureDrills.disruptSharedSubnets (az-loss then leaves the cut out)'],
          ),
        );
      }
    }
    if (items.length > 0) return { items };
    const least = VPC_TIERS.map((tier) => {
      const needs = given.filter((g) => g.tier === tier).map((g) => demand.get(g.subnetId)?.ips ?? 0);
      return `${tier} ${Math.max(0, ...needs)}`;
    });
    return {
      status: 'pass',
      detail: `${given.length} subnets of ${vpc.vpcId}, each in the AZ it is keyed under, with the free IPv4 addresses the stack needs (per subnet: ${least.join(', ')})`,
    };
  },
};

import type { PreflightCheck } from './preflight-check.js';
import { fleetShapes } from './preflight-template.js';

/**
 * Every instance type the fleet may launch is offered in every configured AZ: EC2
 * DescribeInstanceTypeOfferings with LocationType `availability-zone` ("When you specify a location
 * filter, it must be an Availability Zone for the current Region") and the filters `instance-type`
 * and `location` (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstanceTypeOfferings.html).
 * A type missing in one AZ leaves the group without it there: with a mixed instances policy the
 * fallback types cover it, with a plain launch template the AZ gets no instances.
 */
export const instanceTypeOfferingCheck: PreflightCheck = {
  id: 'instance-types',
  check: 'instance types in the AZs',
  permissions: ['ec2:DescribeInstanceTypeOfferings'],
  async run({ env, template, session }) {
    const types = [...new Set(fleetShapes(template).flatMap((f) => f.instanceTypes))];
    const zones = env.availabilityZones;
    if (types.length === 0) return { status: 'pass', detail: 'the template has no Auto Scaling group' };
    const { EC2Client, DescribeInstanceTypeOfferingsCommand } = await import('@aws-sdk/client-ec2');
    const ec2 = session.client('ec2', env.region, (config) => new EC2Client(config));
    const offered = new Set<string>();
    let nextToken: string | undefined;
    do {
      const token = nextToken;
      const page = await session.call('ec2:DescribeInstanceTypeOfferings', (abortSignal) =>
        ec2.send(
          new DescribeInstanceTypeOfferingsCommand({
            LocationType: 'availability-zone',
            Filters: [
              { Name: 'instance-type', Values: types },
              { Name: 'location', Values: [...zones] },
            ],
            MaxResults: 1000,
            NextToken: token,
          }),
          { abortSignal },
        ),
      );
      for (const o of page.InstanceTypeOfferings ?? []) offered.add(`${o.InstanceType} in ${o.Location}`);
      nextToken = page.NextToken;
    } while (nextToken);
    const missing = types.flatMap((t) => zones.map((z) => `${t} in ${z}`)).filter((pair) => !offered.has(pair));
    const all = `${types.join(', ')} in ${zones.join(', ')}`;
    if (missing.length === 0) return { status: 'pass', detail: `offered: ${all}` };
    return {
      status: 'fail',
      detail: `not offered: ${missing.join(', ')} (checked ${all})`,
      fix: 'choose availabilityZones where every type is offered, or another fleet.workloadProfile / fleet.instanceSize',
    };
  },
};

import type { EC2Client } from '@aws-sdk/client-ec2';
import type * as Ec2Module from '@aws-sdk/client-ec2';
import { OperatorError } from './errors.js';
import type { PreflightSession } from './preflight-session.js';

// AZ names (eu-west-1a, as the config and the ALB's metrics use them) and AZ IDs (euw1-az3, which
// ARC's awayFrom takes): the mapping differs per account, so EC2 says it
// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeAvailabilityZones.html).

/** The EC2 client of a session and region (the optional @aws-sdk/client-ec2, loaded on use). */
export function availabilityZoneEc2Client(session: PreflightSession, region: string): EC2Client {
  const ec2 = require('@aws-sdk/client-ec2') as typeof Ec2Module;
  return session.client('ec2', region, (config) => new ec2.EC2Client(config));
}

/**
 * The AZ ID of each name, from DescribeAvailabilityZones in `region`.
 * @throws OperatorError when EC2 does not know a name there.
 * @throws AwsCallError for a failed call (ec2:DescribeAvailabilityZones).
 */
export async function availabilityZoneIds(
  session: PreflightSession,
  region: string,
  names: readonly string[],
): Promise<Map<string, string>> {
  const ec2 = require('@aws-sdk/client-ec2') as typeof Ec2Module;
  const client = availabilityZoneEc2Client(session, region);
  let zones: { ZoneName?: string; ZoneId?: string }[];
  try {
    const out = await session.call('ec2:DescribeAvailabilityZones', (abortSignal) =>
      client.send(new ec2.DescribeAvailabilityZonesCommand({ ZoneNames: [...names] }), { abortSignal }),
    );
    zones = out.AvailabilityZones ?? [];
  } catch (err) {
    const cause = (err as { cause?: { name?: string; message?: string } }).cause;
    if (cause?.name === 'InvalidParameterValue')
      throw new OperatorError(
        `EC2 in ${region} does not know the AZs ${names.join(', ')} (${cause.message ?? 'InvalidParameterValue'}); fix: check the environment's availabilityZones and --region`,
      );
    throw err;
  }
  const ids = new Map(zones.flatMap((z) => (z.ZoneName && z.ZoneId ? [[z.ZoneName, z.ZoneId] as const] : [])));
  const missing = names.filter((n) => !ids.has(n));
  if (missing.length > 0)
    throw new OperatorError(
      `EC2 in ${region} returned no AZ ID for ${missing.join(', ')}; fix: check the environment's availabilityZones and --region`,
    );
  return ids;
}

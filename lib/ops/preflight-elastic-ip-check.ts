import type { PreflightCheck } from './preflight-check.js';
import { elasticIpsNeeded } from './preflight-capacity.js';
import { EC2_QUOTAS, quotaValue } from './preflight-quotas.js';
import { elasticIpDemand } from './preflight-template.js';

/**
 * The free Elastic IPs of the region (quota L-0263D0A3 minus the addresses allocated now, EC2
 * DescribeAddresses: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeAddresses.html)
 * cover the ones the template allocates for its NAT gateways.
 */
export const elasticIpCheck: PreflightCheck = {
  id: 'elastic-ips',
  check: 'Elastic IPs for NAT gateways',
  permissions: ['servicequotas:GetServiceQuota', 'servicequotas:GetAWSDefaultServiceQuota', 'ec2:DescribeAddresses'],
  async run({ env, template, session }) {
    const demand = elasticIpDemand(template);
    const needed = elasticIpsNeeded(demand.elasticIps, demand.publicNatGateways);
    const what = `${needed} for this stack (${demand.publicNatGateways} NAT gateways, ${demand.elasticIps} AWS::EC2::EIP)`;
    if (needed === 0) return { status: 'pass', detail: 'the template allocates no Elastic IP' };
    const quota = await quotaValue(session, env.region, EC2_QUOTAS.elasticIps);
    const { EC2Client, DescribeAddressesCommand } = await import('@aws-sdk/client-ec2');
    const ec2 = session.client('ec2', env.region, (config) => new EC2Client(config));
    const out = await session.call('ec2:DescribeAddresses', (abortSignal) => ec2.send(new DescribeAddressesCommand({}), { abortSignal }));
    const allocated = out.Addresses?.length ?? 0;
    const free = Math.max(0, quota.value - allocated);
    const detail = `${free} free (${EC2_QUOTAS.elasticIps.quotaCode} "${EC2_QUOTAS.elasticIps.name}" = ${quota.value}${quota.source === 'default' ? ' (AWS default)' : ''} - ${allocated} allocated in ${env.region}), ${what}`;
    if (needed <= free) return { status: 'pass', detail };
    return {
      status: 'fail',
      detail: `${needed - free} short: ${detail}`,
      fix: `release unused Elastic IPs in ${env.region}, or request ${EC2_QUOTAS.elasticIps.quotaCode} of at least ${allocated + needed} (\`aws service-quotas request-service-quota-increase --service-code ec2 --quota-code ${EC2_QUOTAS.elasticIps.quotaCode} --desired-value ${allocated + needed} --region ${env.region}\`), or lower network.natGateways`,
    };
  },
};

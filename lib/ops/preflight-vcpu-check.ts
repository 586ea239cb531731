import type { PreflightCheck } from './preflight-check.js';
import { quotaFit } from './preflight-capacity.js';
import { demandExplanation, stackVcpuDemand } from './preflight-fleet-demand.js';
import { EC2_QUOTAS, quotaValue, vcpuUsage } from './preflight-quotas.js';

/**
 * The account's vCPU quota in the stack's region fits what is running now plus this stack at its
 * peak: `usage + demand <= quota`. The usage is the whole account's in the region, so an update
 * of a stack that is already deployed counts its own instances twice (a safe overestimate).
 */
export function vcpuQuotaCheck(kind: 'on-demand' | 'spot'): PreflightCheck {
  const onDemand = kind === 'on-demand';
  const quota = onDemand ? EC2_QUOTAS.onDemandStandardVcpus : EC2_QUOTAS.spotStandardVcpus;
  return {
    id: `vcpu-${kind}`,
    check: onDemand ? 'On-Demand vCPU quota' : 'Spot vCPU quota',
    permissions: [
      'servicequotas:GetServiceQuota',
      'servicequotas:GetAWSDefaultServiceQuota',
      'cloudwatch:GetMetricData',
      'ec2:DescribeInstanceTypes',
    ],
    async run(ctx) {
      const { env, session } = ctx;
      const demand = await stackVcpuDemand(ctx);
      const arithmetic = demandExplanation(demand);
      if (demand.nonStandardTypes.length > 0) {
        return {
          status: 'unknown',
          detail: `${demand.nonStandardTypes.join(', ')} are not Standard (A, C, D, H, I, M, R, T, Z) instances: their vCPUs count against another quota than ${quota.quotaCode}`,
          fix: `check the quota of those instance families in the Service Quotas console (service ec2, ${env.region}) by hand`,
        };
      }
      const needed = onDemand ? demand.onDemandVcpus : demand.spotVcpus;
      if (needed === 0) {
        return { status: 'pass', detail: `this stack runs no ${onDemand ? 'On-Demand' : 'Spot'} instances (${arithmetic})` };
      }
      const limit = await quotaValue(session, env.region, quota);
      const usage = await vcpuUsage(session, env.region, onDemand ? 'Standard/OnDemand' : 'Standard/Spot');
      const fit = quotaFit(limit.value, usage.vcpus, needed);
      const inUse =
        usage.datapoints > 0
          ? `${usage.vcpus} vCPUs in use (peak of the last hour)`
          : '0 vCPUs in use (no usage datapoint in the last hour)';
      const of = `${quota.quotaCode} "${quota.name}" = ${limit.value}${limit.source === 'default' ? ' (AWS default)' : ''} in ${env.region}`;
      const detail = `${inUse} + ${needed} for this stack = ${fit.total} of ${of}; stack: ${arithmetic}`;
      if (fit.fits) return { status: 'pass', detail };
      return {
        status: 'fail',
        detail: `${fit.short} vCPUs short: ${detail}`,
        fix: `request ${quota.quotaCode} of at least ${fit.total} in ${env.region} (\`aws service-quotas request-service-quota-increase --service-code ec2 --quota-code ${quota.quotaCode} --desired-value ${fit.total} --region ${env.region}\`), or lower fleet.maxCapacity${onDemand ? '' : ' or fleet.spotPercentAboveBase'}`,
      };
    },
  };
}

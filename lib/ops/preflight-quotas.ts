import type { PreflightSession } from './preflight-session.js';
import { AwsCallError } from './preflight-session.js';

/** An account quota of Service Quotas. */
export interface QuotaRef {
  readonly serviceCode: string;
  readonly quotaCode: string;
  readonly name: string;
}

/**
 * The EC2 quotas preflight reads, per account and region. Both vCPU quotas count vCPUs, not
 * instances.
 * - L-1216C47A: "QuotaName": "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances",
 *   "ServiceCode": "ec2", with the usage metric below (the GetServiceQuota example of
 *   https://docs.aws.amazon.com/cli/latest/userguide/cli_service-quotas_code_examples.html).
 * - L-34B43A08: "All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests", and
 * - L-0263D0A3: "EC2-VPC Elastic IPs": codes as the Service Quotas console and
 *   `aws service-quotas list-service-quotas --service-code ec2` list them (no AWS page that names
 *   these two codes was found; many public quota checkers use them). The Elastic IP default is 5
 *   per Region (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/elastic-ip-addresses-eip.html#using-instance-addressing-limit).
 */
export const EC2_QUOTAS = {
  onDemandStandardVcpus: {
    serviceCode: 'ec2',
    quotaCode: 'L-1216C47A',
    name: 'Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances',
  },
  spotStandardVcpus: {
    serviceCode: 'ec2',
    quotaCode: 'L-34B43A08',
    name: 'All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests',
  },
  elasticIps: { serviceCode: 'ec2', quotaCode: 'L-0263D0A3', name: 'EC2-VPC Elastic IPs' },
} as const satisfies Record<string, QuotaRef>;

export interface QuotaValue {
  readonly value: number;
  /** `applied`: the account's value; `default`: AWS's default (Service Quotas had no applied value). */
  readonly source: 'applied' | 'default';
}

/**
 * The quota's value in `region`: GetServiceQuota ("Retrieves the applied quota value ... For some
 * quotas, only the default values are available. If the applied quota value is not available for a
 * quota, the quota is not retrieved",
 * https://docs.aws.amazon.com/servicequotas/2019-06-24/apireference/API_GetServiceQuota.html), and
 * GetAWSDefaultServiceQuota when it answers NoSuchResourceException
 * (https://docs.aws.amazon.com/servicequotas/2019-06-24/apireference/API_GetAWSDefaultServiceQuota.html).
 */
export async function quotaValue(session: PreflightSession, region: string, quota: QuotaRef): Promise<QuotaValue> {
  const { ServiceQuotasClient, GetServiceQuotaCommand, GetAWSDefaultServiceQuotaCommand } = await import('@aws-sdk/client-service-quotas');
  const client = session.client('service-quotas', region, (config) => new ServiceQuotasClient(config));
  const input = { ServiceCode: quota.serviceCode, QuotaCode: quota.quotaCode };
  try {
    const out = await session.call('servicequotas:GetServiceQuota', (abortSignal) =>
      client.send(new GetServiceQuotaCommand(input), { abortSignal }),
    );
    if (typeof out.Quota?.Value === 'number') return { value: out.Quota.Value, source: 'applied' };
  } catch (err) {
    if (!(err instanceof AwsCallError) || (err.cause as { name?: string })?.name !== 'NoSuchResourceException') throw err;
  }
  const out = await session.call('servicequotas:GetAWSDefaultServiceQuota', (abortSignal) =>
    client.send(new GetAWSDefaultServiceQuotaCommand(input), { abortSignal }),
  );
  if (typeof out.Quota?.Value !== 'number') throw new Error(`Service Quotas returned no value for ${quota.quotaCode}`);
  return { value: out.Quota.Value, source: 'default' };
}

/** The `Class` dimension of EC2's vCPU usage metric. */
export type VcpuUsageClass = 'Standard/OnDemand' | 'Standard/Spot';

export interface VcpuUsage {
  /** The highest vCPU count in use over the last hour; 0 when the metric had no datapoint. */
  readonly vcpus: number;
  readonly datapoints: number;
}

const HOUR_MS = 3_600_000;

/**
 * The account's vCPUs in use in `region`: CloudWatch `AWS/Usage` `ResourceCount` with the
 * dimensions Service=EC2, Type=Resource, Resource=vCPU, Class=Standard/OnDemand (or
 * Standard/Spot), statistic Maximum, as Service Quotas names it for L-1216C47A
 * ("MetricStatisticRecommendation": "Maximum",
 * https://docs.aws.amazon.com/cli/latest/userguide/cli_service-quotas_code_examples.html); usage
 * metrics "are in the AWS/Usage namespace and are collected every minute"
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-Usage-Metrics.html).
 * One period over the last hour gives its peak: the metric sums every running instance in the
 * Region, which DescribeInstances would have to page through and add up by type.
 */
export async function vcpuUsage(session: PreflightSession, region: string, usageClass: VcpuUsageClass): Promise<VcpuUsage> {
  const { CloudWatchClient, GetMetricDataCommand } = await import('@aws-sdk/client-cloudwatch');
  const cw = session.client('cloudwatch', region, (config) => new CloudWatchClient(config));
  const end = Math.floor(session.clock.now() / 60_000) * 60_000;
  const out = await session.call('cloudwatch:GetMetricData', (abortSignal) =>
    cw.send(
      new GetMetricDataCommand({
        StartTime: new Date(end - HOUR_MS),
        EndTime: new Date(end),
        MetricDataQueries: [
          {
            Id: 'usage',
            MetricStat: {
              Metric: {
                Namespace: 'AWS/Usage',
                MetricName: 'ResourceCount',
                Dimensions: [
                  { Name: 'Service', Value: 'EC2' },
                  { Name: 'Type', Value: 'Resource' },
                  { Name: 'Resource', Value: 'vCPU' },
                  { Name: 'Class', Value: usageClass },
                ],
              },
              Period: 3600,
              Stat: 'Maximum',
            },
          },
        ],
      }),
      { abortSignal },
    ),
  );
  const values = (out.MetricDataResults ?? []).flatMap((r) => r.Values ?? []);
  return { vcpus: values.length > 0 ? Math.max(...values) : 0, datapoints: values.length };
}

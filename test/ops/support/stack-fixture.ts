import type { GetMetricDataCommandInput, GetMetricDataCommandOutput, MetricAlarm, MetricDataResult } from '@aws-sdk/client-cloudwatch';
import { compositeAlarm, metricAlarm } from './cli-harness.js';

const alarm = (
  name: string,
  namespace: string,
  metric: string,
  dimensions: Record<string, string>,
  description = '[warning] fixture',
): MetricAlarm => metricAlarm(name, 'OK', { namespace, metric, dimensions, description });

/** One alarm per resource of a full loadbearing stack "shop", with ADR 0001 names and real dimension names. */
export const STACK_ALARMS: MetricAlarm[] = [
  alarm('shop-cdn-5xx-rate', 'AWS/CloudFront', '5xxErrorRate', { DistributionId: 'E2SHOP', Region: 'Global' }),
  alarm(
    'shop-alb-5xx-rate',
    'AWS/ApplicationELB',
    'HTTPCode_Target_5XX_Count',
    { LoadBalancer: 'app/shop/50dc6c495c0c9188' },
    '[critical] 5xx',
  ),
  alarm('shop-alb-unhealthy-hosts', 'AWS/ApplicationELB', 'UnHealthyHostCount', {
    LoadBalancer: 'app/shop/50dc6c495c0c9188',
    TargetGroup: 'targetgroup/shop/943f017f100becff',
  }),
  alarm('shop-fleet-cpu', 'AWS/EC2', 'CPUUtilization', { AutoScalingGroupName: 'shop-asg' }),
  alarm('shop-db-writer-cpu', 'AWS/RDS', 'CPUUtilization', { DBInstanceIdentifier: 'shop-db' }, '[critical] cpu'),
  alarm('shop-db-writer-connections', 'AWS/RDS', 'DatabaseConnections', { DBInstanceIdentifier: 'shop-db' }),
  alarm('shop-db-replica-1-lag', 'AWS/RDS', 'ReplicaLag', { DBInstanceIdentifier: 'shop-db-replica-1' }),
  alarm('shop-db-proxy-borrow-latency', 'AWS/RDS', 'DatabaseConnectionsBorrowLatency', { ProxyName: 'shop-proxy' }),
  alarm('shop-cache-evictions', 'AWS/ElastiCache', 'Evictions', { CacheClusterId: 'shop-cache-001' }),
];
export const STACK_COMPOSITES = [compositeAlarm('shop-service-health', 'OK')];

/** Datapoints by resource id (first dimension value), then by key metric (see KEY_METRICS). */
export type FakeValues = Record<string, Record<string, number[]>>;

/**
 * A GetMetricData fake: looks each query up in `values` by resource and key metric
 * (the part of the Id after "r<i>_"), like CloudWatch would answer it.
 */
export function fakeMetricData(values: FakeValues, extra: (result: MetricDataResult) => MetricDataResult = (r) => r) {
  return (input: GetMetricDataCommandInput): GetMetricDataCommandOutput => {
    const resourceOf = new Map<string, string>();
    for (const q of input.MetricDataQueries ?? []) {
      const dims = q.MetricStat?.Metric?.Dimensions;
      if (dims?.[0]) resourceOf.set(q.Id!.split('_')[0]!, dims[0].Value!);
    }
    return {
      $metadata: {},
      MetricDataResults: (input.MetricDataQueries ?? []).map((q) => {
        const [prefix, key] = q.Id!.split('_') as [string, string];
        const series = values[resourceOf.get(prefix) ?? '']?.[key] ?? [];
        return extra({
          Id: q.Id,
          Label: q.Label,
          StatusCode: 'Complete',
          Values: series,
          Timestamps: series.map(() => input.StartTime as Date),
        });
      }),
    };
  };
}

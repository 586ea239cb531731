import { describe, expect, it } from 'vitest';
import { stackPrefix } from '../../lib/ops/alarm-naming.js';
import { discoverAlarms } from '../../lib/ops/alarm-discovery.js';
import { deriveResources } from '../../lib/ops/report-resources.js';
import { metricAlarm } from './support/cli-harness.js';
import { STACK_ALARMS, STACK_COMPOSITES } from './support/stack-fixture.js';

const discover = (metricAlarms = STACK_ALARMS, compositeAlarms = STACK_COMPOSITES) =>
  discoverAlarms(
    { describeAlarms: async () => ({ MetricAlarms: metricAlarms, CompositeAlarms: compositeAlarms, $metadata: {} }) },
    stackPrefix('shop'),
  );

describe('deriveResources', () => {
  it('finds each resource once, in request-path order, from the alarm dimensions', async () => {
    const resources = deriveResources(await discover());
    expect(resources.map((r) => [r.kind, r.label, r.namespace, r.dimensions])).toEqual([
      ['cdn', 'CloudFront E2SHOP', 'AWS/CloudFront', { DistributionId: 'E2SHOP', Region: 'Global' }],
      ['alb', 'ALB app/shop/50dc6c495c0c9188', 'AWS/ApplicationELB', { LoadBalancer: 'app/shop/50dc6c495c0c9188' }],
      ['fleet', 'fleet shop-asg', 'AWS/EC2', { AutoScalingGroupName: 'shop-asg' }],
      ['dbWriter', 'DB writer shop-db', 'AWS/RDS', { DBInstanceIdentifier: 'shop-db' }],
      ['dbReplica', 'replica 1 shop-db-replica-1', 'AWS/RDS', { DBInstanceIdentifier: 'shop-db-replica-1' }],
      ['dbProxy', 'DB proxy shop-proxy', 'AWS/RDS', { ProxyName: 'shop-proxy' }],
      ['cache', 'cache shop-cache-001', 'AWS/ElastiCache', { CacheClusterId: 'shop-cache-001' }],
    ]);
  });

  it('reads the metrics of metric-math alarms too', async () => {
    const mathAlarm = {
      ...metricAlarm('shop-alb-5xx-rate', 'OK'),
      Namespace: undefined,
      MetricName: undefined,
      Dimensions: undefined,
      Metrics: [
        { Id: 'e', Expression: '100*m1/m2' },
        {
          Id: 'm1',
          MetricStat: {
            Metric: {
              Namespace: 'AWS/ApplicationELB',
              MetricName: 'HTTPCode_ELB_5XX_Count',
              Dimensions: [{ Name: 'LoadBalancer', Value: 'app/math/1' }],
            },
            Period: 60,
            Stat: 'Sum',
          },
        },
      ],
    };
    expect(deriveResources(await discover([mathAlarm], [])).map((r) => r.label)).toEqual(['ALB app/math/1']);
  });

  it('takes the DB role from the alarm signal, whatever alarm comes first', async () => {
    const alarms = [
      metricAlarm('shop-db-free-storage', 'OK', { namespace: 'AWS/RDS', dimensions: { DBInstanceIdentifier: 'shop-db' } }),
      metricAlarm('shop-db-writer-cpu', 'OK', { namespace: 'AWS/RDS', dimensions: { DBInstanceIdentifier: 'shop-db' } }),
      metricAlarm('shop-db-replica-2-lag', 'OK', { namespace: 'AWS/RDS', dimensions: { DBInstanceIdentifier: 'shop-db-r2' } }),
      metricAlarm('shop-db-replica-10-lag', 'OK', { namespace: 'AWS/RDS', dimensions: { DBInstanceIdentifier: 'shop-db-r10' } }),
      metricAlarm('shop-db-other', 'OK', { namespace: 'AWS/RDS', dimensions: { DBInstanceIdentifier: 'legacy-db' } }),
    ];
    expect(deriveResources(await discover(alarms, [])).map((r) => r.label)).toEqual([
      'DB writer shop-db',
      'DB instance legacy-db',
      'replica 2 shop-db-r2',
      'replica 10 shop-db-r10',
    ]);
  });

  it('finds nothing in composite alarms or alarms without resource dimensions', async () => {
    expect(
      deriveResources(await discover([metricAlarm('shop-service-custom', 'OK', { namespace: 'Shop', dimensions: { Stage: 'prod' } })])),
    ).toEqual([]);
  });
});

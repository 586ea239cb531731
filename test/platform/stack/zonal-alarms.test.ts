import { describe, expect, it } from 'vitest';
import { isConfigError } from '../../../lib/model/config/config-error';
import { isolatedImpactThresholds, MAX_METRICS_PER_ALARM, renderIsolatedImpact } from '../../../lib/model/zonal';
import { resourcesOfType, type CfnTemplate } from '../../support/assembly';
import { environment, synthPlatform } from '../../support/platform-variants';

type Props = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const synth = (config: Parameters<typeof synthPlatform>[0]) => synthPlatform(config) as unknown as CfnTemplate;
const alarmsByName = (t: CfnTemplate, type: string) =>
  new Map(Object.values(resourcesOfType(t, type)).map((r) => [(r.Properties as Props).AlarmName as string, r.Properties as Props]));
/** The expression alarm's returned expression and its metrics: id -> dimensions (Name -> Value). */
function expressionOf(alarm: Props): { expression: string; metrics: Map<string, { name: string; dims: Record<string, unknown> }> } {
  const queries = alarm.Metrics as Props[];
  const returned = queries.find((q) => q.ReturnData !== false && q.Expression)!;
  const metrics = new Map(
    queries
      .filter((q) => q.MetricStat)
      .map((q) => [
        q.Id as string,
        {
          name: q.MetricStat.Metric.MetricName as string,
          dims: Object.fromEntries((q.MetricStat.Metric.Dimensions as { Name: string; Value: unknown }[]).map((d) => [d.Name, d.Value])),
        },
      ]),
  );
  return { expression: returned.Expression as string, metrics };
}

const AZS = ['us-east-1a', 'us-east-1b', 'us-east-1c'];

describe('per-AZ alarms (ADR 0008) in the prod template', () => {
  const config = environment('prod');
  const t = synth(config);
  const metricAlarms = alarmsByName(t, 'AWS::CloudWatch::Alarm');
  const composites = alarmsByName(t, 'AWS::CloudWatch::CompositeAlarm');
  const thresholds = isolatedImpactThresholds({ faultRate: 0.01, latencyMs: 2000 });
  const rendered = renderIsolatedImpact(
    AZS.map((az, i) => ({ az, requests: `r${i}`, faults: `f${i}`, latency: `l${i}` })),
    thresholds,
  );

  it.each(AZS.map((az, i) => [az, i] as const))(
    '%s: four term alarms with the expressions of lib/model/zonal, on the app metrics of their AZs, and the composite',
    (az, i) => {
      const seg = az.replace(/-/g, '');
      const name = (signal: string) => `loadbearing-prod-fleet-az-${seg}-${signal}`;
      const terms = {
        availability: 'availabilityImpaired',
        latency: 'latencyImpaired',
        'fault-outlier': 'faultOutlier',
        'latency-outlier': 'latencyOutlier',
      } as const;
      for (const [signal, term] of Object.entries(terms)) {
        const alarm = metricAlarms.get(name(signal));
        expect(alarm, name(signal)).toBeDefined();
        const { expression, metrics } = expressionOf(alarm!);
        expect(expression).toBe(rendered[i]![term]);
        expect(metrics.size).toBeLessThanOrEqual(MAX_METRICS_PER_ALARM);
        for (const [id, m] of metrics) {
          // r0/f0/l0 read the first AZ, r1 the second...: each id reads its own AZ, never the evaluated one for all.
          expect(m.dims).toEqual({ Stack: 'loadbearing-prod', AvailabilityZone: AZS[Number(id.slice(1))] });
          expect(m.name).toBe({ r: 'Requests', f: 'ServerErrors', l: 'RequestLatency' }[id[0]!]);
        }
        expect(alarm!.Threshold).toBe(1);
        expect(alarm!.ComparisonOperator).toBe('GreaterThanOrEqualToThreshold');
        expect(alarm!.AlarmActions ?? []).toEqual([]);
      }
      // The fault outlier compares with every AZ: it reads the requests and faults of all three.
      const outlier = expressionOf(metricAlarms.get(name('fault-outlier'))!);
      expect(new Set([...outlier.metrics.values()].map((m) => m.dims.AvailabilityZone))).toEqual(new Set(AZS));
      const composite = composites.get(name('isolated-impact'));
      expect(composite, name('isolated-impact')).toBeDefined();
      expect(composite!.AlarmDescription).toMatch(/^\[critical\]/);
      expect(JSON.stringify(composite!.AlarmRule)).toContain('ALARM(\\"');
    },
  );

  it('puts the composites in the status row and the terms in an "Availability Zones" section of the dashboard', () => {
    const body = JSON.stringify(Object.values(resourcesOfType(t, 'AWS::CloudWatch::Dashboard'))[0]!.Properties);
    expect(body).toContain('## Availability Zones');
    const status = body.slice(0, body.indexOf('## Edge'));
    for (const az of AZS) expect(status).toContain(`ZonalAlarmsIsolatedImpact${az.replace(/-/g, '')}`);
  });

  it('is not among the instance refresh alarms (fleet-wide: they would block the rollback, ADR 0007)', () => {
    const group = Object.values(resourcesOfType(t, 'AWS::AutoScaling::AutoScalingGroup'))[0]!;
    expect(JSON.stringify((group as Props).UpdatePolicy)).not.toContain('fleet-az-');
  });
});

describe('per-AZ alarms without app metrics (app.metrics = none)', () => {
  it('read the load balancer per-AZ target metrics, latency in seconds', () => {
    const t = synth(environment('staging', { app: { metrics: 'none' } }));
    const alarm = alarmsByName(t, 'AWS::CloudWatch::Alarm').get('loadbearing-staging-fleet-az-useast1b-latency')!;
    const { expression, metrics } = expressionOf(alarm);
    expect(expression).toContain('>= 2)');
    const names = new Set([...metrics.values()].map((m) => m.name));
    expect(names).toEqual(new Set(['RequestCount', 'TargetResponseTime']));
    for (const m of metrics.values()) {
      expect(Object.keys(m.dims).sort()).toEqual(['AvailabilityZone', 'LoadBalancer', 'TargetGroup']);
      expect(m.dims.AvailabilityZone).toBe('us-east-1b');
    }
  });
});

describe('per-AZ alarms refused where CloudWatch would refuse them', () => {
  it('refuses 6 AZs with the alarms on (EC-30), and builds none with zonal.alarms false', () => {
    const six = ['us-east-1a', 'us-east-1b', 'us-east-1c', 'us-east-1d', 'us-east-1e', 'us-east-1f'];
    let message = '';
    try {
      environment('prod', { availabilityZones: six });
    } catch (e) {
      if (!isConfigError(e)) throw e;
      message = e.message;
    }
    expect(message).toMatch(/zonal\.alarms = true[\s\S]*at most 5 AZs/);
    const t = synth(environment('prod', { availabilityZones: six, zonal: { alarms: false } }));
    expect([...alarmsByName(t, 'AWS::CloudWatch::Alarm').keys()].some((n) => n.includes('-fleet-az-'))).toBe(false);
  });
});

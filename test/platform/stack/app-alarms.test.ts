import { describe, expect, inject, it } from 'vitest';
import { Metrics } from '../../../service/src/metrics';
import { readTemplate, resourcesOfType } from '../../support/assembly';

const dir = inject('assemblyDir');

describe('app alarms match what the service publishes', () => {
  it('watch the namespace, metric names and exact [Stack] dimension of the service EMF', () => {
    const template = readTemplate(dir, 'loadbearing-prod');
    const alarms = Object.values(resourcesOfType(template, 'AWS::CloudWatch::Alarm')).filter((a) =>
      String(a.Properties?.AlarmName).startsWith('loadbearing-prod-app-'),
    );
    expect(alarms.map((a) => a.Properties!.AlarmName).sort()).toEqual([
      'loadbearing-prod-app-cache-fallbacks',
      'loadbearing-prod-app-pool-wait',
      'loadbearing-prod-app-replica-fallbacks',
      'loadbearing-prod-app-shed-requests',
    ]);
    const emf = JSON.parse(new Metrics('loadbearing-prod').flush(0));
    const directive = emf._aws.CloudWatchMetrics[0];
    for (const a of alarms) {
      const p = a.Properties as { Namespace: string; MetricName: string; Dimensions: { Name: string; Value: string }[] };
      expect(p.Namespace).toBe(directive.Namespace);
      expect(directive.Dimensions).toContainEqual(p.Dimensions.map((d) => d.Name));
      for (const d of p.Dimensions) expect(emf[d.Name]).toBe(d.Value);
      expect(Object.keys(emf)).toContain(p.MetricName === 'PoolWait' ? 'EventLoopLag' : p.MetricName);
    }
  });
});

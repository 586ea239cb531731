import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { BUILTIN_ENVIRONMENTS } from '../../../lib/model/config/builtin-environments';
import { deepMerge, resolveEnvironments } from '../../../lib/model/config/load-config';
import { addPlatform } from '../../../lib/platform/platform-app';
import { AppMetrics as Metrics } from '@loadbearing/contract';
import { type CfnTemplate, readTemplate, resourcesOfType } from '../../support/assembly';
import { testApp } from '../../support/test-app';

const dir = inject('assemblyDir');
const FIXTURES = join(__dirname, '..', '..', 'fixtures');

const appAlarmNames = (template: CfnTemplate, stack: string) =>
  Object.values(resourcesOfType(template, 'AWS::CloudWatch::Alarm'))
    .map((a) => String(a.Properties?.AlarmName))
    .filter((n) => n.startsWith(`${stack}-app-`))
    .sort();

describe('app alarms match what the service publishes', () => {
  it('watch the namespace, metric names and exact [Stack] dimension of the service EMF', () => {
    const template = readTemplate(dir, 'loadbearing-prod');
    const alarms = Object.values(resourcesOfType(template, 'AWS::CloudWatch::Alarm')).filter((a) =>
      String(a.Properties?.AlarmName).startsWith('loadbearing-prod-app-'),
    );
    expect(appAlarmNames(template, 'loadbearing-prod')).toEqual([
      'loadbearing-prod-app-cache-fallbacks',
      'loadbearing-prod-app-metrics-missing',
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

  it('fire when the metrics stop arriving: an idle service still writes Requests every flush', () => {
    const template = readTemplate(dir, 'loadbearing-prod');
    const missing = Object.values(resourcesOfType(template, 'AWS::CloudWatch::Alarm')).find(
      (a) => a.Properties?.AlarmName === 'loadbearing-prod-app-metrics-missing',
    )!.Properties!;
    expect(missing).toMatchObject({
      MetricName: 'Requests',
      Statistic: 'SampleCount',
      TreatMissingData: 'breaching',
      ComparisonOperator: 'LessThanThreshold',
    });
    expect(JSON.parse(new Metrics('loadbearing-prod').flush(0)).Requests).toBe(0);
  });
});

describe("a team's app (app.artifact) and app.metrics", () => {
  function synth(app: Record<string, unknown>): { template: CfnTemplate; info: string[] } {
    const [config] = resolveEnvironments(
      {
        team: deepMerge(BUILTIN_ENVIRONMENTS.dev, {
          stackName: 'team-dev',
          app: { artifact: { path: 'tiny-app', startCommand: 'server.js' }, ...app },
        }),
      },
      'team.json',
      FIXTURES,
    );
    const testedApp = testApp({ templatesOnly: true });
    const [stack] = addPlatform(testedApp, [config], { policies: false });
    const assembly = testedApp.synth();
    const artifact = assembly.getStackByName('team-dev');
    const info = artifact.messages.filter((m) => m.level === 'info').map((m) => String(m.entry.data));
    expect(stack.stackName).toBe('team-dev');
    return { template: artifact.template as CfnTemplate, info };
  }

  it('defaults to none: no app alarm watches metrics the app may never publish, and synth says which alarms watch it', () => {
    const { template, info } = synth({});
    expect(appAlarmNames(template, 'team-dev')).toEqual([]);
    expect(info).toContain(
      "team-dev: app alarms on the load balancer's target metrics (app.metrics = none): alb-target-5xx-rate, alb-latency-p99, alb-target-connection-errors, alb-unhealthy-hosts; publish the contract's metrics and set app.metrics = contract for shed, fallback and pool alarms (docs/runtime-contract.md)",
    );
  });

  it("with app.metrics = contract, builds the contract's alarms, the one on missing metrics included", () => {
    const { template, info } = synth({ metrics: 'contract' });
    expect(appAlarmNames(template, 'team-dev')).toContain('team-dev-app-metrics-missing');
    expect(appAlarmNames(template, 'team-dev')).toHaveLength(5);
    expect(info.find((l) => l.includes('app alarms'))).toMatch(
      /^team-dev: app alarms on the app's contract metrics \(Loadbearing\/App, app\.metrics = contract\)/,
    );
  });
});

import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cw_actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { AlarmComponent, IAlarmNamingStrategy } from '../../../constructs/alarm-naming';
import { replicaLagAlarmSeconds } from '../../../lib/model/config/alarm-settings';
import { BUILTIN_ENVIRONMENTS } from '../../../lib/model/config/builtin-environments';
import { azLossFloor } from '../../../lib/model/config/capacity';
import { isConfigError } from '../../../lib/model/config/config-error';
import { builtinEnvironments, deepMerge, resolveEnvironments } from '../../../lib/model/config/load-config';
import { postgresMaxConnections } from '../../../lib/model/config/postgres-connections';
import { PlatformStack } from '../../../lib/platform/platform-stack';
import { readTemplate, resourcesOfType, type CfnTemplate } from '../../support/assembly';
import { testApp } from '../../support/test-app';

const dir = inject('assemblyDir');
const envs = Object.fromEntries(builtinEnvironments().map((e) => [e.name, e]));
const prodConfig = envs.prod;
let prod: CfnTemplate;
let dev: CfnTemplate;

beforeAll(() => {
  prod = readTemplate(dir, 'loadbearing-prod');
  dev = readTemplate(dir, 'loadbearing-dev');
});

/**
 * The platform's alarms, without the release alarms: those are watched by the instance refresh,
 * notify no one, and change name with every release (test/platform/stack/delivery.test.ts).
 */
const metricAlarms = (t: CfnTemplate) =>
  Object.values(resourcesOfType(t, 'AWS::CloudWatch::Alarm'))
    .map((a) => a.Properties!)
    .filter((p) => !String(p.AlarmDescription).startsWith('[release] '));
const alarmKeys = (t: CfnTemplate, stack: string) =>
  [...metricAlarms(t), ...Object.values(resourcesOfType(t, 'AWS::CloudWatch::CompositeAlarm')).map((a) => a.Properties!)]
    .map((p) => String(p.AlarmName).replace(`${stack}-`, ''))
    .sort();
const alarm = (t: CfnTemplate, key: string, stack = 'loadbearing-prod') => metricAlarms(t).find((p) => p.AlarmName === `${stack}-${key}`);

const INSTANCE = ['cpu', 'freeable-memory', 'free-storage', 'connections', 'read-latency', 'load', 'ebs-io-balance', 'ebs-byte-balance'];
const RECOMMENDED_PROD = [
  // The canary's failures (constructs/canary.ts): no AWS recommendation, an outside-in check.
  'canary-failures',
  'cdn-5xx-rate',
  'cdn-origin-latency',
  ...[
    'elb-5xx-rate',
    'target-5xx-rate',
    'latency-p99',
    'unhealthy-hosts',
    'healthy-hosts-low',
    'rejected-connections',
    'target-connection-errors',
    'requests-anomaly',
    'latency-anomaly',
    'practice-run-outcome',
  ].map((s) => `alb-${s}`),
  ...['metrics-missing', 'shed-requests', 'cache-fallbacks', 'replica-fallbacks', 'pool-wait'].map((s) => `app-${s}`),
  ...['in-service-low', 'at-max-capacity', 'status-check-failed', 'cpu-high', 'health'].map((s) => `fleet-${s}`),
  ...[...INSTANCE, 'write-latency', 'transaction-ids'].map((s) => `db-writer-${s}`),
  ...[1, 2].flatMap((n) => [...INSTANCE, 'lag'].map((s) => `db-replica-${n}-${s}`)),
  ...['connections', 'borrow-latency', 'setup-failed', 'client-auth-failed'].map((s) => `db-proxy-${s}`),
  'db-health',
  ...['engine-cpu', 'host-cpu', 'hit-rate', 'memory', 'evictions', 'connections', 'replication-lag', 'health'].map((s) => `cache-${s}`),
  'service-health',
  // Per AZ (ADR 0008): four terms and the isolated-impact composite.
  ...['useast1a', 'useast1b', 'useast1c'].flatMap((az) =>
    ['availability', 'latency', 'fault-outlier', 'latency-outlier', 'isolated-impact'].map((s) => `fleet-az-${az}-${s}`),
  ),
].sort();

/**
 * Alarms that notify no one: the per-AZ terms (their isolated-impact composite notifies, ADR 0008)
 * and the practice-run outcome alarm (ARC acts on it; the regional alarms page for its signals).
 */
const compositeMember = (p: Record<string, unknown>) =>
  /^loadbearing-prod-(fleet-az-[a-z0-9]+-(availability|latency|fault-outlier|latency-outlier)|alb-practice-run-outcome)$/.test(
    String(p.AlarmName),
  );

describe('the recommended alarm set', () => {
  it('covers the ALB, target group, fleet, writer, each replica, the proxy and the cache in prod', () => {
    expect(alarmKeys(prod, 'loadbearing-prod')).toEqual(RECOMMENDED_PROD);
  });

  it('has no proxy alarms where there is no proxy, and per-replica alarms for each replica (dev: 1)', () => {
    const keys = alarmKeys(dev, 'loadbearing-dev');
    expect(keys.filter((k) => k.startsWith('db-proxy-'))).toEqual([]);
    expect(
      keys
        .filter((k) => k.startsWith('db-replica-'))
        .map((k) => k.replace(/-[a-z-]+$/, ''))
        .filter((v, i, a) => a.indexOf(v) === i),
    ).toEqual(['db-replica-1']);
  });

  it('records for every alarm which AWS recommendation it implements (or why there is none)', () => {
    for (const p of metricAlarms(prod)) expect(String(p.AlarmDescription), String(p.AlarmName)).toMatch(/ AWS recommendation: .{10,}\.$/);
  });

  it('names every alarm <stack>-<component>-<signal>, gives it actions, a severity, and deliberate missing-data and evaluation settings', () => {
    for (const p of metricAlarms(prod)) {
      const name = String(p.AlarmName);
      expect(name).toMatch(/^loadbearing-prod-(canary|cdn|alb|fleet|app|db|cache|service)-[a-z0-9-]+$/);
      expect(p.AlarmDescription, name).toMatch(/^\[(critical|warning)\] /);
      if (compositeMember(p)) expect(p.AlarmActions ?? [], name).toEqual([]);
      else {
        expect((p.AlarmActions as unknown[]).length, name).toBeGreaterThan(0);
        expect((p.OKActions as unknown[]).length, name).toBeGreaterThan(0);
      }
      expect(['breaching', 'notBreaching', 'missing', 'ignore'], name).toContain(p.TreatMissingData);
      expect(p.EvaluationPeriods, name).toBeGreaterThanOrEqual(p.DatapointsToAlarm as number);
    }
  });

  it('routes critical alarms to the paging topic and warnings to the notify topic', () => {
    for (const p of metricAlarms(prod).filter((x) => !compositeMember(x))) {
      const topic = String(p.AlarmDescription).startsWith('[critical]') ? 'AlarmTopicsCritical' : 'AlarmTopicsWarning';
      expect(JSON.stringify(p.AlarmActions), String(p.AlarmName)).toContain(topic);
    }
  });
});

describe('thresholds derive from the same config as sizing, scaling and timeouts', () => {
  const { alarms, database, fleet, cache } = prodConfig;

  it('DB connections at alarms.dbConnectionsPercent of the class max_connections (writer and replicas)', () => {
    const expected = Math.floor(postgresMaxConnections(database.instanceClass) * (alarms.dbConnectionsPercent / 100));
    expect(alarm(prod, 'db-writer-connections')).toMatchObject({
      Threshold: expected,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'breaching',
    });
    expect(alarm(prod, 'db-replica-2-connections')?.Threshold).toBe(expected);
  });

  it('DB load at the class vCPUs, freeable memory at a share of the class memory', () => {
    expect(alarm(prod, 'db-writer-load')?.Threshold).toBe(2 * alarms.dbLoadPerVcpu);
    expect(alarm(prod, 'db-writer-freeable-memory')?.Threshold).toBe(Math.round(16 * 1024 ** 3 * (alarms.dbFreeableMemoryPercent / 100)));
  });

  it('proxy connections against the share the proxy may open; borrow latency against the borrow timeout', () => {
    const share = Math.floor((postgresMaxConnections(database.instanceClass) * database.proxy.maxConnectionsPercent) / 100);
    expect(alarm(prod, 'db-proxy-connections')?.Threshold).toBe(Math.floor((share * alarms.proxyConnectionsPercent) / 100));
    expect(alarm(prod, 'db-proxy-borrow-latency')?.Threshold).toBe(
      database.proxy.borrowTimeoutSeconds * 1_000_000 * (alarms.proxyBorrowLatencyPercent / 100),
    );
    expect(alarm(prod, 'db-proxy-connections')?.Dimensions).toEqual([
      { Name: 'ProxyName', Value: { Ref: expect.stringMatching(/^DatabaseProxy/) } },
    ]);
  });

  it('fleet alarms from min/max capacity and the CPU scaling target', () => {
    expect(alarm(prod, 'fleet-in-service-low')).toMatchObject({
      Threshold: fleet.minCapacity,
      EvaluationPeriods: 10,
      DatapointsToAlarm: 10,
      TreatMissingData: 'breaching',
    });
    expect(alarm(prod, 'fleet-at-max-capacity')).toMatchObject({
      Threshold: fleet.maxCapacity,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    expect(alarm(prod, 'fleet-cpu-high')?.Threshold).toBeGreaterThan(fleet.cpuTargetPercent);
    expect(alarm(prod, 'alb-healthy-hosts-low')?.Threshold).toBe(azLossFloor(fleet.minCapacity, 3));
  });

  it('cache host CPU from the engine threshold and the node vCPUs; connections from the fleet size', () => {
    expect(alarm(prod, 'cache-host-cpu')?.Threshold).toBe(Math.round(alarms.cacheEngineCpuPercent / 2));
    expect(alarm(prod, 'cache-connections')?.Threshold).toBe(
      Math.ceil(fleet.maxCapacity * prodConfig.app.cacheConnectionsPerInstance * (alarms.cacheConnectionsPercent / 100)),
    );
    expect(alarm(prod, 'cache-memory')?.Threshold).toBeLessThan(100);
    expect(cache.replicasPerShard).toBe(2);
  });

  it('uses AWS evaluation windows where AWS gives them (replica lag 10/10, transaction IDs 1/1, cache replication lag 15/15)', () => {
    expect(alarm(prod, 'db-replica-1-lag')).toMatchObject({
      EvaluationPeriods: 10,
      DatapointsToAlarm: 10,
      TreatMissingData: 'breaching',
      // Derived: the tightest class that may read a replica is "api", 30 s.
      Threshold: replicaLagAlarmSeconds(prodConfig),
    });
    expect(replicaLagAlarmSeconds(prodConfig)).toBe(30);
    expect(alarm(prod, 'db-writer-transaction-ids')).toMatchObject({ EvaluationPeriods: 1, DatapointsToAlarm: 1, Threshold: 1e9 });
    expect(alarm(prod, 'cache-replication-lag')).toMatchObject({ EvaluationPeriods: 15, DatapointsToAlarm: 15 });
  });

  it('computes rates and per-group aggregates with metric math', () => {
    const rate = alarm(prod, 'alb-target-5xx-rate')!;
    expect((rate.Metrics as { Expression?: string }[]).find((m) => m.Expression)?.Expression).toBe(
      '100 * FILL(errors, 0) / FILL(requests, 1)',
    );
    const hitRate = alarm(prod, 'cache-hit-rate')!;
    expect((hitRate.Metrics as { Expression?: string }[]).find((m) => m.Expression)?.Expression).toBe(
      '100 * SUM([h1, h2, h3]) / (SUM([h1, h2, h3]) + SUM([m1, m2, m3]))',
    );
  });
});

describe('anomaly detection', () => {
  it.each([
    ['alb-requests-anomaly', 'RequestCount', 'LessThanLowerOrGreaterThanUpperThreshold'],
    ['alb-latency-anomaly', 'TargetResponseTime', 'GreaterThanUpperThreshold'],
  ])('%s alarms on the anomaly band of %s', (key, metricName, operator) => {
    const p = alarm(prod, key)!;
    expect(p.ComparisonOperator).toBe(operator);
    const metrics = p.Metrics as { Id: string; Expression?: string; MetricStat?: { Metric: { MetricName: string } } }[];
    expect(metrics.find((m) => m.Expression)?.Expression).toBe(`ANOMALY_DETECTION_BAND(m0, ${prodConfig.alarms.anomalyStdDevs})`);
    expect(metrics.find((m) => m.Id === 'm0')?.MetricStat?.Metric.MetricName).toBe(metricName);
    expect(p.ThresholdMetricId).toBe('expr_1');
  });
});

describe('composite service health', () => {
  const composites = () => Object.values(resourcesOfType(prod, 'AWS::CloudWatch::CompositeAlarm')).map((c) => c.Properties!);

  it('fires <stack>-service-health on any user-facing signal, pages, and names the causes', () => {
    const health = composites().find((c) => c.AlarmName === 'loadbearing-prod-service-health')!;
    const rule = JSON.stringify(health.AlarmRule);
    for (const id of ['LoadBalancerElb5xxAlarm', 'LoadBalancerTarget5xxAlarm', 'LoadBalancerLatencyAlarm', 'LoadBalancerHealthyHostsAlarm'])
      expect(rule).toContain(id);
    expect(rule).not.toContain('Database');
    expect(JSON.stringify(health.AlarmActions)).toContain('AlarmTopicsCritical');
    const description = JSON.stringify(health.AlarmDescription);
    expect(description).toContain('[critical] Users are affected');
    for (const cause of ['ServiceHealthDbHealth', 'ServiceHealthCacheHealth', 'ServiceHealthFleetHealth'])
      expect(description).toContain(cause);
  });

  it("summarizes each cause (DB, cache, fleet) in its own composite over that component's alarms", () => {
    const db = composites().find((c) => c.AlarmName === 'loadbearing-prod-db-health')!;
    const members = JSON.stringify(db.AlarmRule).match(/ALARM\(/g) ?? [];
    expect(members.length).toBe(RECOMMENDED_PROD.filter((k) => k.startsWith('db-') && k !== 'db-health').length);
  });
});

describe('dashboard', () => {
  let body: string;
  beforeAll(() => {
    const dashboards = Object.values(resourcesOfType(prod, 'AWS::CloudWatch::Dashboard'));
    expect(dashboards).toHaveLength(1);
    body = JSON.stringify(dashboards[0].Properties?.DashboardBody);
    expect(dashboards[0].Properties?.DashboardName).toBe('loadbearing-prod');
  });

  it('is organized along the request path: edge, fleet, DB writer, DB readers, cache', () => {
    const order = ['## Edge', '## Fleet', '## Database writer', '## Database readers', '## Cache'].map((t) => body.indexOf(t));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('shows every alarm as a graph with its threshold annotation, and the composites on top', () => {
    const widgets = body.match(/\\"annotations\\":\{\\"alarms\\":\[/g) ?? [];
    expect(widgets.length).toBe(metricAlarms(prod).length);
    expect(body.indexOf('Service health')).toBeLessThan(body.indexOf('## Edge'));
  });
});

describe('strategies and config switches (one stack each)', () => {
  function stack(change: Record<string, unknown>, props: Partial<ConstructorParameters<typeof PlatformStack>[2]> = {}): Template {
    const [config] = resolveEnvironments({ prod: deepMerge(BUILTIN_ENVIRONMENTS.prod, change) }, 'test.json');
    return Template.fromStack(new PlatformStack(testApp({ templatesOnly: true }), config.stackName, { config, ...props }));
  }

  it('takes a naming strategy object', () => {
    const naming: IAlarmNamingStrategy = { prefix: 'team-shop-', alarmName: (c: AlarmComponent, s: string) => `team-shop-${c}-${s}` };
    stack({}, { alarmNaming: naming }).hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'team-shop-db-writer-cpu' });
  });

  it('takes an action strategy object built from the stack and the default topics', () => {
    const template = stack(
      {},
      {
        alarmActions: (scope) => {
          const pager = new sns.Topic(scope, 'Pager');
          return { alarmActions: () => [new cw_actions.SnsAction(pager)], okActions: () => [] };
        },
      },
    );
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'loadbearing-prod-db-writer-cpu',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^Pager') }],
    });
  });

  it('turns actions off for alarms.disabled and applies alarms.overrides', () => {
    const template = stack({
      alarms: { disabled: ['fleet-cpu-high'], overrides: { 'db-writer-cpu': { evaluationPeriods: 10, datapointsToAlarm: 8 } } },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'loadbearing-prod-fleet-cpu-high', ActionsEnabled: false });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'loadbearing-prod-db-writer-cpu',
      EvaluationPeriods: 10,
      DatapointsToAlarm: 8,
      ActionsEnabled: true,
    });
  });

  it('rejects unknown keys in alarms.overrides and alarms.disabled', () => {
    let error: unknown;
    try {
      stack({ alarms: { disabled: ['db-writr-cpu'], overrides: { 'fleet-cpu': {} } } });
    } catch (e) {
      error = e;
    }
    expect(isConfigError(error)).toBe(true);
    expect((error as Error).message).toMatch(
      /environments\.prod\.alarms\.overrides\.fleet-cpu = "fleet-cpu"\n +rule: no alarm has this key/,
    );
    expect((error as Error).message).toMatch(/environments\.prod\.alarms\.disabled = "db-writr-cpu"/);
  });

  it('names app.metrics when an override keeps an app-* key that app.metrics "none" took away', () => {
    let error: unknown;
    try {
      stack({ app: { metrics: 'none' }, alarms: { overrides: { 'app-shed-requests': {} } } });
    } catch (e) {
      error = e;
    }
    expect(isConfigError(error)).toBe(true);
    expect((error as Error).message).toMatch(
      /alarms\.overrides\.app-shed-requests = "app-shed-requests"\n +rule: no alarm has this key\n +fix: +app\.metrics is "none" here, so there are no app-\* alarms: set app\.metrics to "contract"/,
    );
  });
});

import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_ENVIRONMENTS } from '../../lib/config/builtin-environments';
import { deepMerge, resolveEnvironments } from '../../lib/config/load-config';
import { assertInvariants } from '../../lib/invariants/check-invariants';
import { PlatformStack } from '../../lib/platform-stack';
import { addPolicyPacks } from '../../lib/policies/policy-packs';
import { readValidationReport, resourcesOfType, unacknowledgedFindings, type CfnTemplate, type PluginReport } from '../support/assembly';
import { testApp, VALIDATION_CACHE } from '../support/test-app';
import { LatencyScaledFleet } from './latency-scaled-fleet';
import { PagerRouting } from './pager-routing';
import { TunedDatabase } from './tuned-database';

/** A team's prod environment, under its own stack name. */
function teamConfig(stackName: string) {
  return resolveEnvironments({ prod: deepMerge(BUILTIN_ENVIRONMENTS.prod, { stackName }) }, 'team.json')[0];
}

let fleet: CfnTemplate;
let database: CfnTemplate;
let routing: CfnTemplate;
let reports: PluginReport[];

/** One app, one synth: the three team stacks, with the platform's policy gates. */
beforeAll(() => {
  const app = testApp();
  const configs = [teamConfig('team-latency'), teamConfig('team-tuned-db'), teamConfig('team-pager')];
  // The platform's invariants hold for the team configs (they throw otherwise).
  assertInvariants(configs);
  new PlatformStack(app, 'team-latency', { config: configs[0], components: { fleet: LatencyScaledFleet } });
  new PlatformStack(app, 'team-tuned-db', { config: configs[1], components: { database: TunedDatabase } });
  new PlatformStack(app, 'team-pager', { config: configs[2], alarmActions: PagerRouting.factory });
  addPolicyPacks(app, { cacheDirectory: VALIDATION_CACHE });
  const assembly = app.synth();
  [fleet, database, routing] = ['team-latency', 'team-tuned-db', 'team-pager'].map((s) => assembly.getStackByName(s).template as CfnTemplate);
  reports = readValidationReport(assembly.directory);
});

describe('extension examples keep the platform\'s policies', () => {
  it('pass cdk-nag and the Control Tower controls with no new finding', () => {
    expect(unacknowledgedFindings(reports)).toEqual([]);
  });
});

describe('1. a fleet subclass that adds step scaling on p99 latency', () => {
  it('adds a step scaling policy driven by a p99 TargetResponseTime alarm', () => {
    const t = Template.fromJSON(fleet);
    t.hasResourceProperties('AWS::AutoScaling::ScalingPolicy', {
      PolicyType: 'StepScaling',
      AdjustmentType: 'ChangeInCapacity',
      StepAdjustments: [{ MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 1, ScalingAdjustment: 2 }, { MetricIntervalLowerBound: 1, ScalingAdjustment: 4 }],
    });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'TargetResponseTime', ExtendedStatistic: 'p99', Threshold: 1, EvaluationPeriods: 3 });
  });

  it('keeps the platform\'s target tracking on CPU and requests', () => {
    const types = Object.values(resourcesOfType(fleet, 'AWS::AutoScaling::ScalingPolicy')).map((p) => p.Properties?.PolicyType);
    expect(types.filter((t) => t === 'TargetTrackingScaling')).toHaveLength(2);
    expect(types.filter((t) => t === 'StepScaling')).toHaveLength(2);
  });
});

describe('2. a database subclass that adds a parameter and an alarm', () => {
  it('adds work_mem to the platform\'s parameters', () => {
    Template.fromJSON(database).hasResourceProperties('AWS::RDS::DBParameterGroup', {
      Parameters: { work_mem: '16384', 'pg_stat_statements.track': 'all', statement_timeout: '900000', 'rds.force_ssl': '1' },
    });
  });

  it('adds a deadlock alarm that follows the naming and action strategies, in the DB cause composite', () => {
    const t = Template.fromJSON(database);
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'team-tuned-db-db-writer-deadlocks', MetricName: 'Deadlocks', AlarmActions: [{ Ref: Match.stringLikeRegexp('^AlarmTopicsWarning') }] });
    const dbHealth = Object.values(resourcesOfType(database, 'AWS::CloudWatch::CompositeAlarm')).find((c) => c.Properties?.AlarmName === 'team-tuned-db-db-health');
    expect(JSON.stringify(dbHealth?.Properties?.AlarmRule)).toContain('DatabaseWriterDeadlocksAlarm');
  });
});

describe('3. a custom alarm-action strategy that routes critical alarms to a second topic', () => {
  const actionsOf = (name: string) =>
    JSON.stringify(Object.values(resourcesOfType(routing, 'AWS::CloudWatch::Alarm')).find((a) => a.Properties?.AlarmName === name)?.Properties?.AlarmActions);

  it('sends critical alarms to the paging topic and the incident topic', () => {
    const actions = actionsOf('team-pager-db-writer-connections');
    expect(actions).toContain('AlarmTopicsCritical');
    expect(actions).toContain('IncidentTopic');
  });

  it('leaves warning alarms on the warning topic only', () => {
    const actions = actionsOf('team-pager-db-writer-cpu');
    expect(actions).toContain('AlarmTopicsWarning');
    expect(actions).not.toContain('IncidentTopic');
  });

  it('creates the second topic encrypted with the alarm key', () => {
    Template.fromJSON(routing).hasResourceProperties('AWS::SNS::Topic', { DisplayName: 'team incident tool', KmsMasterKeyId: Match.anyValue() });
  });
});

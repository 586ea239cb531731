import { Tags, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  addPolicyPacks,
  assertInvariants,
  BUILTIN_ENVIRONMENTS,
  deepMerge,
  PlatformStack,
  resolveEnvironments,
} from 'loadbearing/platform';
import { readValidationReport, resourcesOfType, unacknowledgedFindings, type CfnTemplate, type PluginReport } from '../support/assembly';
import { testApp, VALIDATION_CACHE } from '../support/test-app';
import { PagerRouting } from './pager-routing';
import { TeamRules } from './team-rules';
import { TunedDatabase } from './tuned-database';
import { addUploadsBucket } from './uploads-bucket';

/** A team's prod environment, under its own stack name. */
function teamConfig(stackName: string) {
  return resolveEnvironments({ prod: deepMerge(BUILTIN_ENVIRONMENTS.prod, { stackName }) }, 'team.json')[0];
}

let database: CfnTemplate;
let routing: CfnTemplate;
let reports: PluginReport[];

/**
 * One app, one synth: two team stacks, with the platform's policy gates. The examples import the
 * package by name, as a team does. (Example 1, a fleet subclass, is the team app of
 * docs/extending.md: test/integration/consumer-package.test.ts installs the package into an
 * empty project and synthesizes it.)
 */
beforeAll(() => {
  const app = testApp();
  const configs = [teamConfig('team-tuned-db'), teamConfig('team-pager')];
  // The platform's invariants hold for the team configs (they throw otherwise).
  assertInvariants(configs);
  new PlatformStack(app, 'team-tuned-db', { config: configs[0], components: { database: TunedDatabase } });
  new PlatformStack(app, 'team-pager', { config: configs[1], alarmActions: PagerRouting.factory });
  addPolicyPacks(app, { cacheDirectory: VALIDATION_CACHE });
  const assembly = app.synth();
  [database, routing] = ['team-tuned-db', 'team-pager'].map((s) => assembly.getStackByName(s).template as CfnTemplate);
  reports = readValidationReport(assembly.directory);
});

describe("extension examples keep the platform's policies", () => {
  it('pass cdk-nag and the Control Tower controls with no new finding', () => {
    expect(unacknowledgedFindings(reports)).toEqual([]);
  });
});

describe('2. a database subclass that adds a parameter and an alarm', () => {
  it("adds work_mem to the platform's parameters", () => {
    Template.fromJSON(database).hasResourceProperties('AWS::RDS::DBParameterGroup', {
      Parameters: { work_mem: '16384', 'pg_stat_statements.track': 'all', statement_timeout: '900000', 'rds.force_ssl': '1' },
    });
  });

  it('adds a deadlock alarm that follows the naming and action strategies, in the DB cause composite', () => {
    const t = Template.fromJSON(database);
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'team-tuned-db-db-writer-deadlocks',
      MetricName: 'Deadlocks',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^AlarmTopicsWarning') }],
    });
    const dbHealth = Object.values(resourcesOfType(database, 'AWS::CloudWatch::CompositeAlarm')).find(
      (c) => c.Properties?.AlarmName === 'team-tuned-db-db-health',
    );
    expect(JSON.stringify(dbHealth?.Properties?.AlarmRule)).toContain('DatabaseWriterDeadlocksAlarm');
  });
});

describe('3. a custom alarm-action strategy that routes critical alarms to a second topic', () => {
  const actionsOf = (name: string) =>
    JSON.stringify(
      Object.values(resourcesOfType(routing, 'AWS::CloudWatch::Alarm')).find((a) => a.Properties?.AlarmName === name)?.Properties
        ?.AlarmActions,
    );

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
    Template.fromJSON(routing).hasResourceProperties('AWS::SNS::Topic', {
      DisplayName: 'team incident tool',
      KmsMasterKeyId: Match.anyValue(),
    });
  });
});

describe('4 and 5. a bucket of the team that passes every gate, and a rule of the team', () => {
  let template: CfnTemplate;
  let findings: string[];
  beforeAll(() => {
    const app = testApp();
    const stack = new PlatformStack(app, 'team-uploads', { config: teamConfig('team-uploads') });
    addUploadsBucket(stack);
    // A bucket with a class the team does not have: the team's rule must catch it.
    Tags.of(new s3.Bucket(stack, 'Scratch', { enforceSSL: true })).add('data-class', 'secret');
    addPolicyPacks(app, { cacheDirectory: VALIDATION_CACHE });
    Validations.of(app).addPlugins(new TeamRules(app));
    const assembly = app.synth();
    template = assembly.getStackByName('team-uploads').template as CfnTemplate;
    findings = unacknowledgedFindings(readValidationReport(assembly.directory));
  });

  it("leaves no finding on the uploads bucket or the fleet role in any pack, the team's included", () => {
    expect(findings.filter((f) => !f.includes('/Scratch/'))).toEqual([]);
  });

  it("reports the team's rule on a misclassified bucket, beside the platform's findings there", () => {
    const scratch = findings.filter((f) => f.includes('/Scratch/'));
    expect(scratch).toContain('Team Team-S3DataClass at team-uploads/Scratch/Resource');
    expect(scratch.some((f) => f.startsWith('AwsSolutions '))).toBe(true);
  });

  it("tells the app the bucket's name through an SSM parameter its role may read", () => {
    const [param] = Object.values(resourcesOfType(template, 'AWS::SSM::Parameter')).filter((p) =>
      String(p.Properties?.Name).endsWith('/team/uploads-bucket'),
    );
    expect(param?.Properties?.Name).toBe('/team-uploads/team/uploads-bucket');
    const [paramId] = Object.entries(resourcesOfType(template, 'AWS::SSM::Parameter')).find(([, p]) => p === param)!;
    const statements = Object.values(resourcesOfType(template, 'AWS::IAM::Policy')).flatMap(
      (p) => (p.Properties!.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] }).Statement,
    );
    expect(
      statements.some(
        (st) => [st.Action].flat().some((a) => a.startsWith('ssm:GetParameter')) && JSON.stringify(st.Resource).includes(paramId),
      ),
    ).toBe(true);
  });

  it('grants the fleet role the uploads prefix only', () => {
    const fleetPolicy = JSON.stringify(resourcesOfType(template, 'AWS::IAM::Policy'));
    expect(fleetPolicy).toContain('/uploads/*');
    expect(fleetPolicy).not.toMatch(/"s3:\*|s3:GetObject\*|s3:PutObject\*/);
  });
});

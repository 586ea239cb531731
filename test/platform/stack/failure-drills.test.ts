import { beforeAll, describe, expect, inject, it } from 'vitest';
import { CFN_MAX_RESOURCES, LIMIT_SHARE } from '../../../lib/model/invariants/hard-limits';
import { DRILL_TAGS, DRILL_TARGET_TAG, DRILLS, drillTemplates, isNoDrill } from '../../../lib/model/failure-modes/drills';
import { FAILURE_MODES } from '../../../lib/model/failure-modes/modes';
import { stopRules } from '../../../lib/model/failure-modes/stop-rules';
import { readTemplate, resourcesOfType, type CfnResource, type CfnTemplate } from '../../support/assembly';
import { addPlatform } from '../../../lib/platform/platform-app';
import { environment, synthPlatform } from '../../support/platform-variants';
import { testApp } from '../../support/test-app';

const dir = inject('assemblyDir');
let staging: CfnTemplate;
beforeAll(() => {
  staging = readTemplate(dir, 'loadbearing-staging');
});

type Props = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const props = (r: CfnResource) => r.Properties as Props;
const templates = (t: CfnTemplate) => Object.values(resourcesOfType(t, 'AWS::FIS::ExperimentTemplate')).map(props);
const byTags = (t: CfnTemplate, mode: string, zone?: string) =>
  templates(t).filter((p) => p.Tags[DRILL_TAGS.drill] === mode && (zone === undefined || p.Tags[DRILL_TAGS.zone] === zone));
const one = (t: CfnTemplate, mode: string, zone?: string) => {
  const found = byTags(t, mode, zone);
  expect(found, `${mode} ${zone ?? ''}`).toHaveLength(1);
  return found[0]!;
};
const logicalIdOf = (value: unknown) =>
  (value as { 'Fn::GetAtt'?: string[]; Ref?: string })['Fn::GetAtt']?.[0] ?? (value as { Ref?: string }).Ref;
/** The statements of the managed policy attached to a template's role. */
function roleStatements(t: CfnTemplate, template: Props): Props[] {
  const roleId = logicalIdOf(template.RoleArn)!;
  const policyIds = (props(t.Resources[roleId]!).ManagedPolicyArns as unknown[]).map(logicalIdOf);
  return policyIds.flatMap((id) => props(t.Resources[id!]!).PolicyDocument.Statement as Props[]);
}
const actionsOf = (statements: Props[]) => statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]) as string[]);
const fleetRef = { Ref: 'FleetASG9541CF7F' };
const variant = (config: Parameters<typeof synthPlatform>[0]) => synthPlatform(config) as unknown as CfnTemplate;

describe('failure drills in the staging template', () => {
  it('has a template for every applicable drill, per AZ where the drill is per AZ, and none for modes without a drill', () => {
    const config = environment('staging');
    const expected = drillTemplates(config)
      .map((d) => `${d.mode}${d.zone ? `@${d.zone}` : ''}`)
      .sort();
    const actual = templates(staging)
      .map((p) => `${p.Tags[DRILL_TAGS.drill]}${p.Tags[DRILL_TAGS.zone] ? `@${p.Tags[DRILL_TAGS.zone]}` : ''}`)
      .sort();
    expect(actual).toEqual(expected);
    for (const [mode, d] of Object.entries(DRILLS)) {
      const applies = FAILURE_MODES.get(mode as never)!.applies(config).applies;
      if (isNoDrill(d) || !applies) expect(byTags(staging, mode), mode).toHaveLength(0);
      else expect(byTags(staging, mode).length, mode).toBe(d.perZone ? 3 : 1);
    }
    // Spot: staging's On-Demand base covers its minimum size, so there is nothing to interrupt.
    expect(byTags(staging, 'spot-interruption')).toHaveLength(0);
  });

  it('tags each template with the stack, the mode and the AZ, and runs it in one account, failing on an empty target', () => {
    for (const p of templates(staging)) {
      expect(p.Tags[DRILL_TAGS.stack]).toBe('loadbearing-staging');
      expect(p.Tags.Name).toMatch(/^loadbearing-staging-/);
      expect(p.ExperimentOptions).toEqual({ AccountTargeting: 'single-account', EmptyTargetResolutionMode: 'fail' });
    }
  });

  it('stops each drill on the alarms of its stop rules, built from the impact budget, never on service-health', () => {
    const config = environment('staging');
    for (const p of templates(staging)) {
      const mode = p.Tags[DRILL_TAGS.drill] as string;
      const rules = stopRules(FAILURE_MODES.get(mode as never)!, config);
      // One metric alarm per rule is a stop condition (FIS allows 5 per template).
      expect(p.StopConditions.map((c: Props) => c.Source)).toEqual(rules.map(() => 'aws:cloudwatch:alarm'));
      const conditions = p.StopConditions.map((c: Props) => props(staging.Resources[logicalIdOf(c.Value)!]!));
      const names =
        rules.length === 1 ? [`loadbearing-staging-drill-${mode}-stop`] : rules.map((r) => `loadbearing-staging-drill-${mode}-${r.id}`);
      expect(conditions.map((a: Props) => a.AlarmName)).toEqual(names);
      for (const [i, a] of conditions.entries()) {
        expect(a.AlarmDescription).toMatch(/^\[warning\]/);
        expect([a.Threshold, a.EvaluationPeriods, a.DatapointsToAlarm]).toEqual([
          rules[i]!.threshold,
          rules[i]!.minutes,
          rules[i]!.minutes,
        ]);
        expect(a.Period ?? a.Metrics?.find((m: Props) => m.MetricStat)?.MetricStat.Period).toBe(60);
        expect(a.AlarmName).not.toContain('service-health');
      }
      // With several rules, the composite `-stop` says the same and notifies; its members do not.
      const stop = Object.values(staging.Resources)
        .map(props)
        .find((a) => a?.AlarmName === `loadbearing-staging-drill-${mode}-stop`)!;
      if (rules.length > 1) {
        const members = [...new Set(JSON.stringify(stop.AlarmRule).match(/FailureDrills[A-Za-z0-9]+/g) ?? [])].map((id) =>
          props(staging.Resources[id]!),
        );
        expect(members.map((m) => m.AlarmName).sort()).toEqual([...names].sort());
        for (const m of members) expect(m.AlarmActions ?? []).toEqual([]);
      }
      expect(stop.AlarmActions.length).toBeGreaterThan(0);
    }
    const azLoss = Object.values(resourcesOfType(staging, 'AWS::CloudWatch::Alarm'))
      .map(props)
      .filter((a) => String(a.AlarmName).startsWith('loadbearing-staging-drill-az-loss-'));
    const hosts = azLoss.find((a) => String(a.AlarmName).endsWith('healthy-hosts'))!;
    expect([hosts.Threshold, hosts.ComparisonOperator, hosts.TreatMissingData, hosts.EvaluationPeriods, hosts.DatapointsToAlarm]).toEqual([
      2,
      'LessThanThreshold',
      'breaching',
      2,
      2,
    ]);
    expect(hosts.AlarmActions ?? []).toEqual([]);
    const ceiling = azLoss.find((a) => String(a.AlarmName).endsWith('error-ceiling'))!;
    expect([ceiling.Threshold, ceiling.EvaluationPeriods]).toEqual([34, 2]);
    expect(JSON.stringify(ceiling.Metrics)).toContain('100 * (FILL(elb, 0) + FILL(target, 0)) / FILL(requests, 1)');
  });

  it("instance-loss terminates one running instance of the stack's group, with a role that may terminate only those", () => {
    const p = one(staging, 'instance-loss');
    expect(p.Actions).toEqual({
      terminate: { ActionId: 'aws:ec2:terminate-instances', Description: expect.any(String), Targets: { Instances: 'fleet' } },
    });
    expect(p.Targets.fleet).toEqual({
      ResourceType: 'aws:ec2:instance',
      ResourceTags: { 'aws:autoscaling:groupName': fleetRef },
      Filters: [{ Path: 'State.Name', Values: ['running'] }],
      SelectionMode: 'COUNT(1)',
    });
    const statements = roleStatements(staging, p);
    const terminate = statements.find((s) => s.Action === 'ec2:TerminateInstances')!;
    expect(terminate.Resource).toBe('arn:aws:ec2:us-east-1:222222222222:instance/*');
    expect(terminate.Condition).toEqual({ StringEquals: { 'aws:ResourceTag/aws:autoscaling:groupName': fleetRef } });
    expect(actionsOf(statements)).not.toContain('ec2:StopInstances');
  });

  it("az-loss stops the AZ's instances, blocks launches there, cuts its app subnet, interrupts the cache AZ power and reboots the replica placed there", () => {
    const b = one(staging, 'az-loss', 'us-east-1b');
    expect(
      Object.fromEntries(Object.entries(b.Actions as Props).map(([k, a]) => [k, [a.ActionId, a.Parameters ?? {}, a.Targets]])),
    ).toEqual({
      stopInstances: [
        'aws:ec2:stop-instances',
        { startInstancesAfterDuration: 'PT10M', completeIfInstancesTerminated: 'true' },
        { Instances: 'zoneInstances' },
      ],
      blockLaunches: [
        'aws:ec2:asg-insufficient-instance-capacity-error',
        { availabilityZoneIdentifiers: 'us-east-1b', duration: 'PT10M', percentage: '100' },
        { AutoScalingGroups: 'fleetGroup' },
      ],
      cutSubnet: ['aws:network:disrupt-connectivity', { scope: 'all', duration: 'PT10M' }, { Subnets: 'zoneSubnets' }],
      cachePower: ['aws:elasticache:replicationgroup-interrupt-az-power', { duration: 'PT10M' }, { ReplicationGroups: 'cacheNodes' }],
      rebootReplicas: ['aws:rds:reboot-db-instances', {}, { DBInstances: 'zoneReplicas' }],
    });
    expect(b.Targets.zoneInstances.Filters).toContainEqual({ Path: 'Placement.AvailabilityZone', Values: ['us-east-1b'] });
    expect(b.Targets.zoneInstances.ResourceTags).toEqual({ 'aws:autoscaling:groupName': fleetRef });
    expect(b.Targets.fleetGroup.ResourceTags).toEqual({ [DRILL_TARGET_TAG]: 'loadbearing-staging/fleet' });
    // The ElastiCache AZ-power target accepts tags with the AZ parameter only, and only one ID or tag kind per target.
    expect(b.Targets.cacheNodes).toEqual({
      ResourceType: 'aws:elasticache:replicationgroup',
      ResourceTags: { [DRILL_TARGET_TAG]: 'loadbearing-staging/cache' },
      Parameters: { availabilityZoneIdentifier: 'us-east-1b' },
      SelectionMode: 'ALL',
    });
    expect(JSON.stringify(b.Targets.zoneSubnets.ResourceArns)).toContain('NetworkVpcappSubnet2Subnet');
    expect(JSON.stringify(b.Targets.zoneReplicas.ResourceArns)).toContain('DatabaseReplica1ED560A1F');
    for (const target of Object.values(b.Targets as Props)) {
      expect(target.ResourceArns !== undefined && target.ResourceTags !== undefined, 'ARNs and tags together').toBe(false);
      expect(target.ResourceArns !== undefined && target.Filters !== undefined, 'ARNs and filters together').toBe(false);
      expect((target.ResourceArns ?? []).length).toBeLessThanOrEqual(5);
    }
    // us-east-1a holds no replica (replica 1 is in the AZ after the first): no reboot there.
    expect(Object.keys(one(staging, 'az-loss', 'us-east-1a').Actions)).not.toContain('rebootReplicas');
    // The cache's nodes are where the cache resource puts them; an AZ without one gets no cache
    // action (its empty target would fail the whole experiment).
    const cacheZones = props(staging.Resources.Cache18F6EE16!).PreferredCacheClusterAZs as string[];
    expect(cacheZones).toEqual(['us-east-1a', 'us-east-1b']);
    for (const zone of ['us-east-1a', 'us-east-1b', 'us-east-1c']) {
      const t = one(staging, 'az-loss', zone);
      expect(Object.keys(t.Actions).includes('cachePower'), zone).toBe(cacheZones.includes(zone));
      expect(Object.keys(t.Targets).includes('cacheNodes'), zone).toBe(cacheZones.includes(zone));
    }
    const statements = roleStatements(staging, b);
    const inject = statements.find((s) => s.Action === 'ec2:InjectApiError')!;
    expect(inject.Condition.StringEquals).toEqual({ 'ec2:FisActionId': 'aws:ec2:asg-insufficient-instance-capacity-error' });
    expect(JSON.stringify(inject.Condition['ForAllValues:ArnLike'])).toContain('autoScalingGroupName/');
    expect(statements.find((s) => s.Action === 'elasticache:InterruptClusterAzPower')!.Resource).toBe(
      'arn:aws:elasticache:us-east-1:222222222222:replicationgroup:loadbearing-staging-cache',
    );
    expect(
      statements.find((s) => s.Action === 'ec2:DeleteNetworkAcl' || (Array.isArray(s.Action) && s.Action.includes('ec2:DeleteNetworkAcl')))!
        .Condition,
    ).toEqual({ StringEquals: { 'ec2:ResourceTag/managedByFIS': 'true' } });
    expect(actionsOf(statements)).toEqual(
      expect.arrayContaining([
        'ec2:StopInstances',
        'ec2:StartInstances',
        'rds:RebootDBInstance',
        'tag:GetResources',
        'logs:CreateLogDelivery',
      ]),
    );
    expect(actionsOf(statements)).not.toContain('ec2:TerminateInstances');
  });

  it('tags the group and the replication group for FIS (not the instances), only where drills are on', () => {
    const group = props(staging.Resources.FleetASG9541CF7F!);
    expect(group.Tags).toContainEqual({ Key: DRILL_TARGET_TAG, Value: 'loadbearing-staging/fleet', PropagateAtLaunch: false });
    expect(props(staging.Resources.Cache18F6EE16!).Tags).toContainEqual({ Key: DRILL_TARGET_TAG, Value: 'loadbearing-staging/cache' });
    const dev = readTemplate(dir, 'loadbearing-dev');
    expect(JSON.stringify(dev)).not.toContain(DRILL_TARGET_TAG);
  });

  it('capacity-shortage-in-an-az blocks launches in one AZ, then terminates an instance there after a wait', () => {
    const p = one(staging, 'capacity-shortage-in-an-az', 'us-east-1c');
    expect(p.Actions.blockLaunches.Parameters).toEqual({ availabilityZoneIdentifiers: 'us-east-1c', duration: 'PT10M', percentage: '100' });
    expect(p.Actions.settle).toMatchObject({ ActionId: 'aws:fis:wait', Parameters: { duration: 'PT1M' } });
    expect(p.Actions.terminateOne).toMatchObject({
      ActionId: 'aws:ec2:terminate-instances',
      StartAfter: ['settle'],
      Targets: { Instances: 'zoneInstance' },
    });
    expect(p.Targets.zoneInstance.SelectionMode).toBe('COUNT(1)');
  });

  it('db-failover reboots the writer with failover; replica-loss reboots one replica', () => {
    const db = one(staging, 'db-failover');
    expect(db.Actions.failover).toMatchObject({ ActionId: 'aws:rds:reboot-db-instances', Parameters: { forceFailover: 'true' } });
    expect(JSON.stringify(db.Targets.writer.ResourceArns)).toContain('DatabaseWriter7794273E');
    expect(JSON.stringify(roleStatements(staging, db).find((s) => s.Action === 'rds:RebootDBInstance')!.Resource)).toContain(
      'DatabaseWriter7794273E',
    );
    const replica = one(staging, 'replica-loss');
    expect(replica.Targets.replica.SelectionMode).toBe('COUNT(1)');
    expect(replica.Actions.reboot.Parameters).toBeUndefined();
  });

  it('cpu-stress and dependency-latency run the AWS FIS SSM documents on the fleet, the latency on the DB endpoints only', () => {
    const cpu = one(staging, 'cpu-stress');
    expect(cpu.Actions.stress).toMatchObject({
      ActionId: 'aws:ssm:send-command',
      Parameters: { documentArn: 'arn:aws:ssm:us-east-1::document/AWSFIS-Run-CPU-Stress', duration: 'PT10M' },
    });
    // staging: at most 6 instances > 5 per action, so the 3 that always run.
    expect(cpu.Targets.fleet.SelectionMode).toBe('COUNT(3)');
    const doc = JSON.stringify(cpu.Actions.stress.Parameters.documentParameters);
    expect(doc).toContain('DurationSeconds');
    expect(doc).toContain('LoadPercent');
    const latency = one(staging, 'dependency-latency');
    expect(latency.Actions.delay.Parameters.documentArn).toBe('arn:aws:ssm:us-east-1::document/AWSFIS-Run-Network-Latency-Sources');
    const params = JSON.stringify(latency.Actions.delay.Parameters.documentParameters);
    for (const part of [
      'Sources',
      'TrafficType',
      'egress',
      'DelayMilliseconds',
      '200',
      'DatabaseWriter7794273E',
      'DatabaseReplica1ED560A1F',
    ])
      expect(params).toContain(part);
    const statements = roleStatements(staging, latency);
    expect(statements.find((s) => s.Action === 'ssm:SendCommand' && !s.Condition)!.Resource).toBe(
      'arn:aws:ssm:us-east-1::document/AWSFIS-Run-Network-Latency-Sources',
    );
    // The action's own permissions and the target's DescribeInstances; the documents run under the instance profile.
    for (const t of [cpu, latency])
      expect(
        actionsOf(roleStatements(staging, t))
          .filter((a) => !a.startsWith('logs:'))
          .sort(),
      ).toEqual(['ec2:DescribeInstances', 'ssm:CancelCommand', 'ssm:ListCommands', 'ssm:SendCommand', 'ssm:SendCommand']);
    expect(statements.find((s) => s.Action === 'ssm:SendCommand' && s.Condition)!.Condition).toEqual({
      StringEquals: { 'aws:ResourceTag/aws:autoscaling:groupName': fleetRef },
    });
  });

  it('gray-az slows, then drops packets of, the instances of one AZ (one template per AZ), through the AWS FIS SSM documents', () => {
    for (const zone of ['us-east-1a', 'us-east-1b', 'us-east-1c']) {
      const gray = one(staging, 'gray-az', zone);
      expect(gray.Targets.zoneInstances).toMatchObject({
        ResourceType: 'aws:ec2:instance',
        SelectionMode: 'ALL',
        Filters: [
          { Path: 'State.Name', Values: ['running'] },
          { Path: 'Placement.AvailabilityZone', Values: [zone] },
        ],
      });
      expect(gray.Actions.slow).toMatchObject({
        ActionId: 'aws:ssm:send-command',
        Parameters: { documentArn: 'arn:aws:ssm:us-east-1::document/AWSFIS-Run-Network-Latency', duration: 'PT5M' },
        Targets: { Instances: 'zoneInstances' },
      });
      expect(gray.Actions.lossy).toMatchObject({
        ActionId: 'aws:ssm:send-command',
        Parameters: { documentArn: 'arn:aws:ssm:us-east-1::document/AWSFIS-Run-Network-Packet-Loss', duration: 'PT5M' },
        StartAfter: ['slow'],
      });
      expect(JSON.parse(gray.Actions.slow.Parameters.documentParameters)).toEqual({
        DelayMilliseconds: '300',
        DurationSeconds: '300',
        InstallDependencies: 'True',
      });
      expect(JSON.parse(gray.Actions.lossy.Parameters.documentParameters)).toMatchObject({ LossPercent: '10', DurationSeconds: '300' });
      const documents = roleStatements(staging, gray)
        .filter((x) => x.Action === 'ssm:SendCommand' && !x.Condition)
        .flatMap((x) => (Array.isArray(x.Resource) ? x.Resource : [x.Resource]));
      expect(documents.sort()).toEqual([
        'arn:aws:ssm:us-east-1::document/AWSFIS-Run-Network-Latency',
        'arn:aws:ssm:us-east-1::document/AWSFIS-Run-Network-Packet-Loss',
      ]);
      // Stopped like the other drills: by the alarms of its stop rules (error ceiling, errors too long, p99).
      expect(new Set(gray.StopConditions.map((c: Props) => c.Source))).toEqual(new Set(['aws:cloudwatch:alarm']));
      expect(gray.StopConditions.length).toBeGreaterThanOrEqual(3);
    }
  });

  it("scopes ssm:SendCommand of the SSM drills to the stack's instances with a condition key SSM evaluates for SendCommand on an instance", () => {
    // The Service Authorization Reference for AWS Systems Manager lists, for SendCommand and its
    // `instance` resource type (an EC2 instance ARN), exactly these condition keys
    // (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssystemsmanager.html).
    // A key outside them (ec2:ResourceTag/..., for one) is never in the request context of
    // SendCommand, so StringEquals on it never matches and the drill fails with AccessDenied.
    const sarKeys = [/^aws:ResourceTag\/.+$/, /^ssm:resourceTag\/.+$/];
    const drills = ['cpu-stress', 'dependency-latency', 'gray-az'].filter((mode) => byTags(staging, mode).length > 0);
    expect(drills).toEqual(['cpu-stress', 'dependency-latency', 'gray-az']);
    for (const mode of drills) {
      const onInstances = roleStatements(staging, byTags(staging, mode)[0]!).filter(
        (s) => actionsOf([s]).includes('ssm:SendCommand') && JSON.stringify(s.Resource).includes(':instance/'),
      );
      expect(onInstances, mode).toHaveLength(1);
      const condition = onInstances[0]!.Condition as Record<string, Record<string, unknown>>;
      const keys = Object.values(condition).flatMap((byKey) => Object.keys(byKey));
      for (const key of keys)
        expect(
          sarKeys.some((k) => k.test(key)),
          `${mode}: ${key}`,
        ).toBe(true);
      expect(condition, mode).toEqual({ StringEquals: { 'aws:ResourceTag/aws:autoscaling:groupName': fleetRef } });
    }
  });

  it("cache-primary-failover runs the stack's TestFailover automation with its own role, passed to SSM only", () => {
    const p = one(staging, 'cache-loss');
    expect(p.Tags.Name).toBe('loadbearing-staging-cache-primary-failover');
    expect(p.Targets).toEqual({});
    expect(p.Actions.failover.ActionId).toBe('aws:ssm:start-automation-execution');
    const documents = Object.values(resourcesOfType(staging, 'AWS::SSM::Document')).map(props);
    expect(documents).toHaveLength(1);
    expect(documents[0]!.DocumentType).toBe('Automation');
    const steps = documents[0]!.Content.mainSteps as Props[];
    expect(steps[0]).toEqual({
      name: 'testFailover',
      action: 'aws:executeAwsApi',
      timeoutSeconds: 60,
      inputs: { Service: 'elasticache', Api: 'TestFailover', ReplicationGroupId: 'loadbearing-staging-cache', NodeGroupId: '0001' },
    });
    // FIS must not stop the automation before the automation's own worst case: every step at its timeout.
    const seconds = (iso: string) => Number(/^PT(\d+)([MS])$/.exec(iso)![1]) * (iso.endsWith('M') ? 60 : 1);
    const worstCase = steps.reduce(
      (sum, step) => sum + (step.action === 'aws:sleep' ? seconds(step.inputs.Duration) : step.timeoutSeconds),
      0,
    );
    expect(steps.map((step) => step.action)).toEqual(['aws:executeAwsApi', 'aws:sleep', 'aws:waitForAwsResourceProperty']);
    expect(worstCase).toBe(60 + 60 + 600);
    expect(seconds(p.Actions.failover.Parameters.maxDuration)).toBeGreaterThan(worstCase);
    const passRole = roleStatements(staging, p).find((s) => s.Action === 'iam:PassRole')!;
    expect(passRole.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'ssm.amazonaws.com' } });
    const automationRole = props(staging.Resources[logicalIdOf(passRole.Resource)!]!);
    expect(automationRole.AssumeRolePolicyDocument.Statement[0].Principal).toEqual({ Service: 'ssm.amazonaws.com' });
  });

  it('lets every stop condition of a sustained fault fire within the fault, at a p99 the app can reach', () => {
    const config = environment('staging');
    const drills = drillTemplates(config);
    for (const p of templates(staging)) {
      const mode = p.Tags[DRILL_TAGS.drill] as string;
      const drill = drills.find((d) => d.mode === mode)!;
      const alarms = p.StopConditions.map((c: Props) => props(staging.Resources[logicalIdOf(c.Value)!]!));
      for (const a of alarms) {
        if (drill.fault === 'sustained') {
          // The breaching datapoints, and the first minute, which can straddle the fault's start.
          expect((a.EvaluationPeriods + 1) * 60, `${a.AlarmName} in a ${drill.faultSeconds} s fault`).toBeLessThanOrEqual(
            drill.faultSeconds,
          );
          expect(a.AlarmDescription).toContain('FIS stops it');
        } else {
          expect(a.AlarmDescription).toContain('judged by loadbearing drill');
        }
      }
    }
    const p99 = Object.values(resourcesOfType(staging, 'AWS::CloudWatch::Alarm'))
      .map(props)
      .filter((a) => /^loadbearing-staging-drill-.*-p99$/.test(String(a.AlarmName)));
    // TargetResponseTime never exceeds the request timeout: a p99 threshold at or above it could never fire.
    for (const a of p99) expect([a.ExtendedStatistic, a.Threshold < config.app.requestTimeoutSeconds], a.AlarmName).toEqual(['p99', true]);
    expect(p99.map((a) => [a.AlarmName, a.Threshold, a.EvaluationPeriods])).toEqual([
      ['loadbearing-staging-drill-gray-az-p99', 3.3, 2],
      ['loadbearing-staging-drill-cpu-stress-p99', 2, 2],
      ['loadbearing-staging-drill-dependency-latency-p99', 4, 2],
      ['loadbearing-staging-drill-cache-loss-p99', 2.25, 2],
    ]);
  });

  it('logs every experiment to one encrypted log group with a year of retention, kept on delete', () => {
    const arns = new Set(templates(staging).map((p) => JSON.stringify(p.LogConfiguration)));
    expect(arns.size).toBe(1);
    const config = templates(staging)[0]!.LogConfiguration;
    expect(config.LogSchemaVersion).toBe(2);
    const group = staging.Resources[logicalIdOf(config.CloudWatchLogsConfiguration.LogGroupArn)!]!;
    expect(group.Type).toBe('AWS::Logs::LogGroup');
    expect(props(group).RetentionInDays).toBe(365);
    // Under /aws/vendedlogs/: delivery set-up then leaves the account's 5,120-character Logs resource policy alone.
    expect(props(group).LogGroupName).toBe('/aws/vendedlogs/fis/loadbearing-staging');
    expect(props(group).KmsKeyId).toBeDefined();
    // Kept on delete and replacement; deleted only when its own first create is rolled back.
    expect(group.DeletionPolicy).toBe('RetainExceptOnCreate');
  });

  it('lets FIS assume each drill role only for experiments of its own account and region', () => {
    for (const p of templates(staging)) {
      const role = props(staging.Resources[logicalIdOf(p.RoleArn)!]!);
      expect(role.AssumeRolePolicyDocument.Statement[0]).toMatchObject({
        Principal: { Service: 'fis.amazonaws.com' },
        Condition: {
          StringEquals: { 'aws:SourceAccount': '222222222222' },
          ArnLike: { 'aws:SourceArn': 'arn:aws:fis:us-east-1:222222222222:experiment/*' },
        },
      });
    }
  });
});

describe('failure drills by environment', () => {
  it('dev and prod have none by default; prod gets them when enabled, within the resource headroom (HL-4)', () => {
    expect(templates(readTemplate(dir, 'loadbearing-dev'))).toHaveLength(0);
    expect(templates(readTemplate(dir, 'loadbearing-prod'))).toHaveLength(0);
    const prod = variant(environment('prod', { failureDrills: { enabled: true, cpuLoadPercent: 100 } }));
    expect(templates(prod).length).toBe(
      drillTemplates(environment('prod', { failureDrills: { enabled: true, cpuLoadPercent: 100 } })).length,
    );
    expect(Object.keys(prod.Resources).length).toBeLessThan(CFN_MAX_RESOURCES * LIMIT_SHARE);
  });

  it('adds the spot drill only where Spot instances run at the minimum size', () => {
    const withSpot = environment('staging', {
      fleet: { minCapacity: 3, maxCapacity: 6, spotPercentAboveBase: 50, onDemandBaseCapacity: 2 },
    });
    const t = variant(withSpot);
    const spot = one(t, 'spot-interruption');
    expect(spot.Targets.spot).toMatchObject({ ResourceType: 'aws:ec2:spot-instance', SelectionMode: 'COUNT(1)' });
    expect(spot.Actions.interrupt).toMatchObject({
      ActionId: 'aws:ec2:send-spot-instance-interruptions',
      Parameters: { durationBeforeInterruption: 'PT2M' },
      Targets: { SpotInstances: 'spot' },
    });
  });

  it('makes templates only for the AZs in failureDrills.zones', () => {
    const t = variant(environment('staging', { failureDrills: { zones: ['us-east-1b'] } }));
    expect(byTags(t, 'az-loss').map((p) => p.Tags[DRILL_TAGS.zone])).toEqual(['us-east-1b']);
    expect(byTags(t, 'capacity-shortage-in-an-az').map((p) => p.Tags[DRILL_TAGS.zone])).toEqual(['us-east-1b']);
  });
});

describe("failure drills in the network team's VPC (network.existingVpc)", () => {
  const AZS = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
  const id = (prefix: string, tier: number, az: number) => `${prefix}-0${tier}${az}${'0'.repeat(14)}`;
  const tier = (n: number) => Object.fromEntries(AZS.map((az, i) => [az, { subnetId: id('subnet', n, i), routeTableId: id('rtb', n, i) }]));
  const EXISTING = {
    vpcId: 'vpc-0123456789abcdef0',
    subnets: { public: tier(1), app: tier(2), data: tier(3) },
    appEgress: { kind: 'nat' as const, natGatewayIds: Object.fromEntries(AZS.map((az, i) => [az, id('nat', 4, i)])) },
  };
  const REASON = 'the network team gave these app subnets to this stack alone';
  const NACL_ACTIONS = ['ec2:CreateNetworkAcl', 'ec2:CreateNetworkAclEntry', 'ec2:DeleteNetworkAcl', 'ec2:ReplaceNetworkAclAssociation'];

  function synth(failureDrills: Record<string, unknown> = {}): { template: CfnTemplate; info: string[] } {
    const config = environment('staging', { network: { existingVpc: EXISTING }, failureDrills } as never);
    const app = testApp({ templatesOnly: true });
    addPlatform(app, [config], { policies: false });
    const artifact = app.synth().getStackByName(config.stackName);
    return {
      template: artifact.template as CfnTemplate,
      info: artifact.messages.filter((m) => m.level === 'info').map((m) => String(m.entry.data)),
    };
  }

  it('leaves the subnet cut and its network-ACL permissions out of az-loss, keeps the rest of the drill, and says so at synth', () => {
    const { template, info } = synth();
    for (const zone of AZS) {
      const t = one(template, 'az-loss', zone);
      expect(Object.keys(t.Actions), zone).not.toContain('cutSubnet');
      expect(Object.keys(t.Targets), zone).not.toContain('zoneSubnets');
      expect(Object.keys(t.Actions), zone).toEqual(expect.arrayContaining(['stopInstances', 'blockLaunches']));
      const actions = actionsOf(roleStatements(template, t));
      for (const action of NACL_ACTIONS) expect(actions, `${zone} ${action}`).not.toContain(action);
    }
    // Nothing in the whole template may change a network ACL of the network team's VPC.
    expect(JSON.stringify(template)).not.toContain('NetworkAcl');
    expect(info.filter((m) => m.startsWith('failureDrills:'))).toEqual([
      'failureDrills: the az-loss drill leaves out the app-subnet cut (aws:network:disrupt-connectivity): network.existingVpc vpc-0123456789abcdef0 belongs to the network team, and the action swaps the network ACL of the whole subnet, cutting off every other workload in it (in a VPC shared through RAM only the owner may change its network ACLs); the fault stays the stopped instances, blocked launches, cache power and replica reboots. To keep the cut, set failureDrills.disruptSharedSubnets with a reason.',
    ]);
  });

  it('keeps the cut with failureDrills.disruptSharedSubnets, on the given app subnet and VPC', () => {
    const { template, info } = synth({ disruptSharedSubnets: { reason: REASON } });
    const b = one(template, 'az-loss', 'us-east-1b');
    expect(b.Actions.cutSubnet).toMatchObject({ ActionId: 'aws:network:disrupt-connectivity', Targets: { Subnets: 'zoneSubnets' } });
    expect(JSON.stringify(b.Targets.zoneSubnets.ResourceArns)).toContain(`subnet/${id('subnet', 2, 1)}`);
    const statements = roleStatements(template, b);
    expect(actionsOf(statements)).toEqual(expect.arrayContaining(NACL_ACTIONS));
    const onVpc = statements.find((s) => s.Action === 'ec2:CreateNetworkAcl' && JSON.stringify(s.Resource).includes(':vpc/'))!;
    expect(JSON.stringify(onVpc.Resource)).toContain(`:vpc/${EXISTING.vpcId}`);
    expect(info.filter((m) => m.startsWith('failureDrills:'))).toEqual([]);
  });

  it("built-in environments (the stack's own VPC) keep the cut and print nothing about it", () => {
    expect(Object.keys(one(staging, 'az-loss', 'us-east-1a').Actions)).toContain('cutSubnet');
    expect(drillTemplates(environment('staging')).some((t) => t.leftOut)).toBe(false);
  });
});

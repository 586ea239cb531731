import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { markdownReport } from '../../../lib/platform/review/markdown-report';
import { changedLeaves, changeSummary } from '../../../lib/platform/review/report-parts';
import { reviewTemplates } from '../../../lib/platform/review/review';
import { MAX_LISTED, textReport } from '../../../lib/platform/review/text-report';
import type { Template, TemplateResource } from '../../../lib/platform/review/templates';
import { UPDATE_NOTES, updateNotes } from '../../../lib/platform/review/update-notes';
import { PROJECT_ROOT } from '../../support/run-cdk';

/**
 * Notes next to in-place changes that restart or roll something: a DB instance class (restart
 * or failover), a cache node type (online scaling), a launch template or a group's instance types
 * (a fleet roll). Each rule on hand-made templates, then the whole review on prod's template.
 */
type Resources = Record<string, TemplateResource>;
const none = () => 'none' as const;
const notesOf = (before: Resources, after: Resources, id: string) =>
  (updateNotes({ Resources: before }, { Resources: after }, none).get(id) ?? []).map((n) => `${n.rule}: ${n.text}`);

const db = (properties: Record<string, unknown>): TemplateResource => ({
  Type: 'AWS::RDS::DBInstance',
  Properties: { Engine: 'postgres', DBInstanceClass: 'db.r7g.large', ...properties },
});

describe('rds-instance-class', () => {
  const change = (properties: Record<string, unknown>) =>
    notesOf({ Db: db(properties) }, { Db: db({ ...properties, DBInstanceClass: 'db.r7g.xlarge' }) }, 'Db');

  it('a Multi-AZ writer: a failover, typically 60-120 s in which writes fail', () => {
    expect(change({ MultiAZ: true })).toEqual([
      'rds-instance-class: the writer restarts with a failover: RDS changes the standby to db.r7g.xlarge first, then fails over to it ' +
        '(typically 60-120 s in which the writer refuses connections and writes fail), then changes the old primary',
    ]);
  });

  it('a single-AZ writer: downtime for the change', () => {
    expect(change({})).toEqual([
      'rds-instance-class: the writer restarts with downtime (single-AZ): RDS moves it to a new host of db.r7g.xlarge and restarts the database; ' +
        'connections and writes fail until its recovery completes',
    ]);
  });

  it('a read replica: its reads fail meanwhile, the writer is not named', () => {
    const [note] = change({ SourceDBInstanceIdentifier: { Ref: 'Writer' } });
    expect(note).toContain('the read replica restarts with downtime (single-AZ)');
    expect(note).toContain('reads through it fail until its recovery completes');
  });

  it('ApplyImmediately false: at the next maintenance window, not during the deploy', () => {
    expect(change({ MultiAZ: 'true', ApplyImmediately: false })[0]).toMatch(
      /^rds-instance-class: at the next maintenance window, not during this deploy \(ApplyImmediately false\): the writer restarts with a failover/,
    );
  });

  it('no note for an Aurora cluster member (not what the sources cover), nor when the class is unchanged', () => {
    expect(change({ DBClusterIdentifier: { Ref: 'Cluster' } })).toEqual([]);
    expect(notesOf({ Db: db({}) }, { Db: db({ AllocatedStorage: '200' }) }, 'Db')).toEqual([]);
  });
});

describe('cache-node-type', () => {
  const cache = (properties: Record<string, unknown>): TemplateResource => ({
    Type: 'AWS::ElastiCache::ReplicationGroup',
    Properties: { Engine: 'valkey', EngineVersion: '8.0', AutomaticFailoverEnabled: true, CacheNodeType: 'cache.r7g.large', ...properties },
  });
  const change = (properties: Record<string, unknown>, to = 'cache.r7g.xlarge') =>
    notesOf({ Cache: cache(properties) }, { Cache: cache({ ...properties, CacheNodeType: to }) }, 'Cache')[0];

  it('Valkey 7.2+ or Redis OSS 5.0.5+ with automatic failover: online scaling, what it does, and the brief break of old connections', () => {
    const expected =
      'cache-node-type: scales online to cache.r7g.xlarge: ElastiCache launches nodes of the new type, copies the data and syncs the replicas, ' +
      'then points the endpoints at them; the cache keeps serving, and connections to the old nodes break briefly (seconds) when they are deleted; ' +
      'the time grows with the data';
    expect(change({})).toBe(expected);
    expect(change({ Engine: 'redis', EngineVersion: '5.0.6' })).toBe(expected);
    expect(change({ Engine: 'redis', EngineVersion: '6.x' })).toBe(expected);
  });

  it('an older engine, or no automatic failover: the interruption AWS describes for those', () => {
    expect(change({ Engine: 'redis', EngineVersion: '4.0.10' })).toContain(
      'reads and writes on the primary may stop briefly while the DNS entries change',
    );
    expect(change({ AutomaticFailoverEnabled: false })).toContain(
      'without automatic failover expect downtime (AWS estimates about 60 s for a single node',
    );
  });

  it('between data tiering (r6gd) and other node types: the update fails', () => {
    expect(change({}, 'cache.r6gd.xlarge')).toContain('ElastiCache does not scale between a data-tiering node type (r6gd) and one without');
  });
});

describe('launch-template-roll and group-roll', () => {
  const launchTemplate = (instanceType: string, name?: string): TemplateResource => ({
    Type: 'AWS::EC2::LaunchTemplate',
    Properties: { LaunchTemplateData: { InstanceType: instanceType }, ...(name ? { LaunchTemplateName: name } : {}) },
  });
  const group = (
    overrides: string[],
    version: unknown = { 'Fn::GetAtt': ['Lt', 'LatestVersionNumber'] },
    subnets = ['a', 'b'],
  ): TemplateResource => ({
    Type: 'AWS::AutoScaling::AutoScalingGroup',
    Properties: {
      MinSize: '4',
      VPCZoneIdentifier: subnets,
      MixedInstancesPolicy: {
        LaunchTemplate: {
          LaunchTemplateSpecification: { LaunchTemplateId: { Ref: 'Lt' }, Version: version },
          Overrides: overrides.map((InstanceType) => ({ InstanceType })),
        },
      },
    },
    UpdatePolicy: {
      AutoScalingRollingUpdate: { MaxBatchSize: 2, MinInstancesInService: 4, PauseTime: 'PT10M', WaitOnResourceSignals: true },
    },
  });
  const ROLL =
    "rolls the fleet Asg: 4 instances (MinSize 4; more if it has scaled out), 2 at a time keeping 4 in service (each new batch starts before the old one stops), each batch waits up to 10 min for its instances' signals: 2 batches, at most about 20 min";

  it('new launch template data (the user data of a release): the roll is noted at the launch template', () => {
    const notes = updateNotes(
      { Resources: { Lt: launchTemplate('m7g.large'), Asg: group(['m7g.large']) } },
      { Resources: { Lt: launchTemplate('m7g.xlarge'), Asg: group(['m7g.large']) } },
      none,
    );
    expect([...notes.keys()]).toEqual(['Lt']);
    expect(notes.get('Lt')).toEqual([{ rule: 'launch-template-roll', text: `new launch template version: ${ROLL}` }]);
  });

  it("the fleet's instance type (the launch template and the group's overrides): one roll, noted once", () => {
    const notes = updateNotes(
      { Resources: { Lt: launchTemplate('m7g.large'), Asg: group(['m7g.large', 'r7g.large']) } },
      { Resources: { Lt: launchTemplate('c7g.large'), Asg: group(['c7g.large', 'r7g.large']) } },
      none,
      { Lt: '/team-prod/Fleet/LaunchTemplate' },
    );
    expect(notes.get('Lt')?.[0]?.text).toBe(`new launch template version: ${ROLL}`);
    expect(notes.get('Asg')).toEqual([
      { rule: 'group-roll', text: 'one roll with the new version of Fleet/LaunchTemplate: noted there', sameAs: 'Lt' },
    ]);
  });

  it("the group's own change (its subnets): the roll is noted at the group", () => {
    const notes = updateNotes(
      { Resources: { Lt: launchTemplate('m7g.large'), Asg: group(['m7g.large']) } },
      { Resources: { Lt: launchTemplate('m7g.large'), Asg: group(['m7g.large'], undefined, ['c', 'd']) } },
      none,
    );
    expect(notes.get('Asg')).toEqual([{ rule: 'group-roll', text: ROLL }]);
  });

  it('a launch template replaced (a new name): the group still rolls', () => {
    const replaced = (id: string) => (id === 'Lt' ? ('yes' as const) : ('none' as const));
    const notes = updateNotes(
      { Resources: { Lt: launchTemplate('m7g.large', 'a'), Asg: group(['m7g.large']) } },
      { Resources: { Lt: launchTemplate('m7g.large', 'b'), Asg: group(['m7g.large']) } },
      replaced,
    );
    expect(notes.get('Lt')?.[0]?.text).toBe(`new launch template (replaced): ${ROLL}`);
  });

  it('a group that launches "$Latest" or a fixed version: no roll, and it says what happens instead', () => {
    const latest = updateNotes(
      { Resources: { Lt: launchTemplate('m7g.large'), Asg: group(['m7g.large'], '$Latest') } },
      { Resources: { Lt: launchTemplate('m7g.xlarge'), Asg: group(['m7g.large'], '$Latest') } },
      none,
    );
    expect(latest.get('Lt')?.[0]?.text).toBe(
      'new launch template version: Asg launches "$Latest": its text does not change, so CloudFormation replaces no running instance; new instances launch with the new version',
    );
    const pinned = updateNotes(
      { Resources: { Lt: launchTemplate('m7g.large'), Asg: group(['m7g.large'], '3') } },
      { Resources: { Lt: launchTemplate('m7g.xlarge'), Asg: group(['m7g.large'], '3') } },
      none,
    );
    expect(pinned.get('Lt')?.[0]?.text).toContain(
      'Asg launches version "3": its text does not change, so no instance, running or new, uses the new version',
    );
  });

  it('no note for a launch template no group uses, nor for a group the deploy creates or replaces', () => {
    expect(notesOf({ Lt: launchTemplate('m7g.large') }, { Lt: launchTemplate('m7g.xlarge') }, 'Lt')).toEqual([]);
    expect(notesOf({ Lt: launchTemplate('m7g.large') }, { Lt: launchTemplate('m7g.xlarge'), Asg: group(['m7g.large']) }, 'Lt')).toEqual([]);
    const groupReplaced = (id: string) => (id === 'Asg' ? ('yes' as const) : ('none' as const));
    const notes = updateNotes(
      { Resources: { Lt: launchTemplate('m7g.large'), Asg: group(['m7g.large']) } },
      { Resources: { Lt: launchTemplate('m7g.xlarge'), Asg: group(['c7g.large']) } },
      groupReplaced,
    );
    expect(notes.size).toBe(0);
  });

  it('every rule names its sources', () => {
    for (const rule of UPDATE_NOTES) {
      expect(rule.sources.length, rule.id).toBeGreaterThan(0);
      for (const url of rule.sources) expect(url).toMatch(/^https:\/\//);
    }
  });
});

describe('subnet groups that lose subnets (RDS and ElastiCache)', () => {
  const group = (type: string, subnets: string[]): TemplateResource => ({ Type: type, Properties: { SubnetIds: subnets } });
  for (const [type, rule] of [
    ['AWS::RDS::DBSubnetGroup', 'subnet-group-shrinks'],
    ['AWS::ElastiCache::SubnetGroup', 'cache-subnet-group-shrinks'],
  ] as const) {
    it(`${type}: a removed subnet is named, with the late failure it can cause`, () => {
      const [note] = notesOf({ G: group(type, ['subnet-a', 'subnet-b']) }, { G: group(type, ['subnet-a', 'subnet-c']) }, 'G');
      expect(note).toMatch(
        new RegExp(`^${rule}: loses 1 subnet \\(subnet-b\\): if .+ use one of them, the update fails late and rolls back`),
      );
    });
    it(`${type}: no note when subnets are only added`, () => {
      expect(notesOf({ G: group(type, ['subnet-a']) }, { G: group(type, ['subnet-a', 'subnet-b']) }, 'G')).toEqual([]);
    });
  }
});

describe("the review of prod's template: the instance class of the DB and of the fleet", () => {
  const before = JSON.parse(
    readFileSync(join(PROJECT_ROOT, 'test/platform/stack/__snapshots__/loadbearing-prod.template.json'), 'utf8'),
  ) as Template & {
    Resources: Resources;
  };
  const after = structuredClone(before);
  const props = (id: string) => after.Resources[id]!.Properties as Record<string, any>;
  props('DatabaseWriter7794273E').DBInstanceClass = 'db.r7g.xlarge';
  props('FleetLaunchTemplate3FC2FEAE').LaunchTemplateData.InstanceType = 'm7g.xlarge';
  props('FleetASG9541CF7F').MixedInstancesPolicy.LaunchTemplate.Overrides[0].InstanceType = 'm7g.xlarge';
  const paths = { FleetASG9541CF7F: '/loadbearing-prod/Fleet/ASG', FleetLaunchTemplate3FC2FEAE: '/loadbearing-prod/Fleet/LaunchTemplate' };
  const review = reviewTemplates(
    { label: 'base', templates: new Map([['loadbearing-prod', before]]), paths: new Map([['loadbearing-prod', paths]]) },
    { label: 'head', templates: new Map([['loadbearing-prod', after]]) },
    [],
  );

  it('the text report: each note on the line below its change; nothing blocks', () => {
    const text = textReport(review, { allowListEntries: 0 });
    expect(review.exitCode).toBe(0);
    expect(text).toContain(
      '  modified  AWS::RDS::DBInstance  DatabaseWriter7794273E  [stateful]  DBInstanceClass "db.r7g.large" -> "db.r7g.xlarge"\n' +
        '            the writer restarts with a failover: RDS changes the standby to db.r7g.xlarge first',
    );
    expect(text).toContain(
      '  modified  AWS::EC2::LaunchTemplate  FleetLaunchTemplate3FC2FEAE  Fleet/LaunchTemplate  LaunchTemplateData.InstanceType "m7g.large" -> "m7g.xlarge"\n' +
        '            new launch template version: rolls the fleet Fleet/ASG by instance refresh (Rolling): 6 instances (MinSize 6; more if it has scaled out), keeping 100-134% of the desired capacity healthy: about 2 at a time',
    );
    expect(text).toMatch(
      /checkpoints at 33%, 66%, 100%, waiting 10 min at each; then 15 min of bake time before the update counts as done; it fails \(and the update rolls back\) when any of 2 alarms goes into ALARM \(launch-template-roll\)\n/,
    );
    expect(text).toContain(
      '  modified  AWS::AutoScaling::AutoScalingGroup  FleetASG9541CF7F  Fleet/ASG  MixedInstancesPolicy.LaunchTemplate.Overrides[0].InstanceType "m7g.large" -> "m7g.xlarge"\n' +
        '            one roll with the new version of Fleet/LaunchTemplate: noted there (group-roll)\n',
    );
    // The verdict counts the writer's restart and the fleet roll (once, though two changes make it).
    expect(text).toMatch(/Result: no blocking changes \(1 stack changed; 2 restarts or rolls while it deploys: see the notes\)\.\n$/);
  });

  it("the Markdown report: the note in the change's row", () => {
    const md = markdownReport(review, { allowListEntries: 0 });
    expect(md).toMatch(
      /\| modified \(stateful\) \| `AWS::RDS::DBInstance` \| `DatabaseWriter7794273E` \| {2}\| DBInstanceClass "db\.r7g\.large" -> "db\.r7g\.xlarge" \*\*the writer restarts with a failover: .*\*\* \(`rds-instance-class`\) \|/,
    );
    expect(md).toContain('**new launch template version: rolls the fleet Fleet/ASG by instance refresh (Rolling): 6 instances');
  });

  it('a noted change is listed even past the cut of a long list (a tag on every resource)', () => {
    const tagged = structuredClone(after);
    for (const r of Object.values(tagged.Resources)) {
      const p = (r.Properties ?? {}) as Record<string, unknown>;
      if (Array.isArray(p.Tags))
        (r as { Properties: Record<string, unknown> }).Properties = { ...p, Tags: [...p.Tags, { Key: 'team', Value: 'x' }] };
    }
    const big = reviewTemplates(
      { label: 'base', templates: new Map([['loadbearing-prod', before]]) },
      { label: 'head', templates: new Map([['loadbearing-prod', tagged]]) },
      [],
    );
    const changes = big.stacks[0]!.changes;
    expect(changes.length).toBeGreaterThan(MAX_LISTED);
    expect(changes.findIndex((c) => c.logicalId === 'FleetLaunchTemplate3FC2FEAE')).toBeGreaterThanOrEqual(MAX_LISTED);
    const text = textReport(big, { allowListEntries: 0 });
    expect(text).toContain('new launch template version: rolls the fleet');
    expect(text).toContain('the writer restarts with a failover');
    const listed = text.split('\n').filter((l) => /^ {2}(modified|added|removed|replaced|refused) /.test(l)).length;
    expect(text).toContain(`... and ${changes.length - listed} more (see --details or --markdown)`);
  });
});

describe('what changed inside an object property (no --details needed to see the new instance type)', () => {
  it('names the values that changed, by path, at most three per property', () => {
    expect(changedLeaves({ a: { b: 1, c: [1, 2] } }, { a: { b: 2, c: [1, 3] } }, 'P')).toEqual([
      { path: 'P.a.b', before: 1, after: 2 },
      { path: 'P.a.c[1]', before: 2, after: 3 },
    ]);
    // An intrinsic function or a list of another length is one value.
    expect(changedLeaves({ Ref: 'A' }, { Ref: 'B' }, 'P').map((l) => l.path)).toEqual(['P']);
    expect(changedLeaves([1], [1, 2], 'Tags').map((l) => l.path)).toEqual(['Tags (1 -> 2 items)']);
    const summary = changeSummary({
      logicalId: 'X',
      type: 'AWS::EC2::LaunchTemplate',
      kind: 'modified',
      impact: 'WILL_UPDATE',
      stateful: false,
      attributes: [],
      properties: [
        {
          name: 'LaunchTemplateData',
          impact: 'WILL_UPDATE',
          before: { A: 1, B: 1, C: 1, D: 1, UserData: { 'Fn::Base64': 'x' } },
          after: { A: 2, B: 2, C: 2, D: 2, UserData: { 'Fn::Base64': 'y' } },
        },
        { name: 'Tags', impact: 'WILL_UPDATE', before: { 'Fn::If': ['c', 1, 2] }, after: { 'Fn::If': ['c', 1, 3] } },
      ],
    });
    expect(summary).toBe('LaunchTemplateData.A 1 -> 2, LaunchTemplateData.B 1 -> 2, LaunchTemplateData.C 1 -> 2 (+2 more), Tags');
  });
});

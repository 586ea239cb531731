import { deepEqual } from '@aws-cdk/cloudformation-diff/lib/diff/util';
import { displayPath } from './construct-paths';
import { fleetRoll, launchTemplatesOf } from './fleet-roll';
import { referencedIds } from './template-references';
import type { Template, TemplateResource } from './templates';

/** One resource's change, as a note rule sees it. */
export interface NoteContext {
  readonly logicalId: string;
  readonly before: Template;
  readonly after: Template;
  /** Whether the deploy replaces a resource (the review's analysis). */
  readonly replacement: (logicalId: string) => 'none' | 'maybe' | 'yes';
  /** Construct paths by logical ID, where known. */
  readonly paths: Readonly<Record<string, string>>;
}

/**
 * An in-place update that interrupts what runs (a restart, a failover, a fleet roll), documented
 * with its sources: the review writes its note next to the change, so a "modified" line says
 * what the deploy will do to the running system.
 */
export interface UpdateNoteRule {
  readonly id: string;
  readonly type: string;
  /** The properties whose change the note is about. */
  readonly properties: readonly string[];
  /** Also for a resource the deploy replaces (a replaced launch template still rolls the groups that use it). */
  readonly whenReplaced?: boolean;
  /** What AWS does, one sentence (docs/reviewing-changes.md). */
  readonly reason: string;
  readonly sources: readonly string[];
  /**
   * The note for this change, from both templates; undefined when the rule does not cover it.
   * `sameAs`: another change's note already describes this interruption (one fleet roll).
   */
  readonly note: (change: NoteContext) => string | { readonly text: string; readonly sameAs: string } | undefined;
}

/** A note on one change: the rule and what it says. */
export interface UpdateNote {
  readonly rule: string;
  readonly text: string;
  /** The logical ID whose note describes the same interruption (counted once). */
  readonly sameAs?: string;
}

const resource = (t: Template, id: string): TemplateResource | undefined => t.Resources?.[id];
const prop = (r: TemplateResource | undefined, name: string): unknown => r?.Properties?.[name];
const isTrue = (v: unknown) => v === true || v === 'true';
const isFalse = (v: unknown) => v === false || v === 'false';

/** `7.2.4` -> [7, 2, 4]; `6.x` -> [6, 0, 0]; undefined for anything else. */
export function versionParts(version: unknown): [number, number, number] | undefined {
  if (typeof version !== 'string' && typeof version !== 'number') return undefined;
  const parts = String(version)
    .split('.')
    .map((p) => (p === 'x' ? 0 : Number(p)));
  if (parts.length === 0 || parts.some((p) => !Number.isInteger(p) || p < 0)) return undefined;
  const [major = 0, minor = 0, patch = 0] = parts;
  return [major, minor, patch];
}

function atLeast(version: [number, number, number], minimum: [number, number, number]): boolean {
  for (let i = 0; i < 3; i++) if (version[i] !== minimum[i]) return version[i]! > minimum[i]!;
  return true;
}

/** The roll notes of a launch template's change: one per group that launches from it (and is not new or replaced). */
function launchTemplateRolls(c: NoteContext): string | undefined {
  const replaced = c.replacement(c.logicalId) === 'yes';
  const label = (id: string) => displayPath(c.paths[id]) ?? id;
  const notes = Object.entries(c.after.Resources ?? {})
    .filter(([id, r]) => r.Type === 'AWS::AutoScaling::AutoScalingGroup' && resource(c.before, id) && c.replacement(id) !== 'yes')
    .filter(([, r]) => launchTemplatesOf(r).has(c.logicalId))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([id, group]) => {
      const versions = launchTemplateVersions(group, c.logicalId);
      const literal = versions.find((v) => !referencedIds(v).has(c.logicalId));
      if (replaced || literal === undefined) return fleetRoll(c.after, id, c.paths);
      // A literal version: the group's own text does not change, so CloudFormation does not update it.
      return literal === '$Latest'
        ? `${label(id)} launches "$Latest": its text does not change, so CloudFormation replaces no running instance; new instances launch with the new version`
        : `${label(id)} launches version ${JSON.stringify(literal)}: its text does not change, so no instance, running or new, uses the new version`;
    });
  return notes.length > 0
    ? `${replaced ? 'new launch template (replaced)' : 'new launch template version'}: ${notes.join('; ')}`
    : undefined;
}

/** The Version values of the group's launch template specifications that name this launch template. */
function launchTemplateVersions(group: TemplateResource, launchTemplate: string): unknown[] {
  const found: unknown[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      value.forEach(visit);
      return;
    }
    if (typeof value !== 'object' || value === null) return;
    const spec = value as Record<string, unknown>;
    if (
      'Version' in spec &&
      (referencedIds(spec.LaunchTemplateId).has(launchTemplate) || referencedIds(spec.LaunchTemplateName).has(launchTemplate))
    )
      found.push(spec.Version);
    for (const inner of Object.values(spec)) visit(inner);
  };
  visit([group.Properties?.LaunchTemplate, group.Properties?.MixedInstancesPolicy]);
  return found;
}

/** A launch template of the group whose new version this deploy makes (its data changed, or it is replaced). */
function changedLaunchTemplate(c: NoteContext, groupId: string): string | undefined {
  return [...launchTemplatesOf(resource(c.after, groupId))].sort().find((id) => {
    const [was, is] = [resource(c.before, id), resource(c.after, id)];
    if (!was || !is || is.Type !== 'AWS::EC2::LaunchTemplate') return false;
    return c.replacement(id) === 'yes' || !deepEqual(prop(was, 'LaunchTemplateData'), prop(is, 'LaunchTemplateData'));
  });
}

/**
 * In-place changes that restart or roll something, with what AWS does. The review shows each
 * note next to its change (text and Markdown reports); the table in docs/reviewing-changes.md is
 * generated from this list. Add an entry only with a source.
 */
export const UPDATE_NOTES: readonly UpdateNoteRule[] = [
  {
    id: 'rds-instance-class',
    type: 'AWS::RDS::DBInstance',
    properties: ['DBInstanceClass'],
    reason:
      'a new instance class restarts the instance: Multi-AZ, RDS changes the standby first and fails over to it (typically 60-120 s), then ' +
      'changes the old primary; single-AZ, it moves the instance to a new host and restarts the database (down until its recovery completes). ' +
      'CloudFormation applies it during the deploy unless ApplyImmediately is false',
    sources: [
      'https://repost.aws/knowledge-center/rds-performance-impact',
      'https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.MultiAZ.Failover.html',
      'https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-rds-dbinstance.html#cfn-rds-dbinstance-applyimmediately',
    ],
    note: (c) => {
      const db = resource(c.after, c.logicalId);
      // An Aurora cluster's instance: another mechanism, not covered by these sources.
      if (prop(db, 'DBClusterIdentifier') !== undefined) return undefined;
      const to = prop(db, 'DBInstanceClass');
      const replica = prop(db, 'SourceDBInstanceIdentifier') !== undefined;
      const what = replica ? 'read replica' : 'writer';
      const when = isFalse(prop(db, 'ApplyImmediately'))
        ? 'at the next maintenance window, not during this deploy (ApplyImmediately false): '
        : '';
      if (isTrue(prop(db, 'MultiAZ')))
        return (
          `${when}the ${what} restarts with a failover: RDS changes the standby to ${String(to)} first, then fails over to it ` +
          `(typically 60-120 s in which the ${what} refuses connections${replica ? '' : ' and writes fail'}), then changes the old primary`
        );
      return (
        `${when}the ${what} restarts with downtime (single-AZ): RDS moves it to a new host of ${String(to)} and restarts the database; ` +
        `${replica ? 'reads through it fail' : 'connections and writes fail'} until its recovery completes`
      );
    },
  },
  {
    id: 'cache-node-type',
    type: 'AWS::ElastiCache::ReplicationGroup',
    properties: ['CacheNodeType'],
    reason:
      'a new node type scales the cache online (Valkey 7.2+, Redis OSS 5.0.5+, automatic failover on): ElastiCache launches nodes of the new type, ' +
      'copies the data to them and syncs the replicas, points the DNS entries at them, then deletes the old nodes, which breaks their ' +
      'connections briefly (seconds); older engines may interrupt the primary while the DNS changes, a single node about 60 s. ' +
      'It does not scale between data-tiering (r6gd) and other node types',
    sources: [
      'https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/Scaling.RedisReplGrps.html',
      'https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/redis-cluster-vertical-scaling.html',
      'https://docs.aws.amazon.com/AmazonElastiCache/latest/red-ug/CacheNodes.NodeMigration.html',
    ],
    note: (c) => {
      const [was, is] = [resource(c.before, c.logicalId), resource(c.after, c.logicalId)];
      const [from, to] = [String(prop(was, 'CacheNodeType')), String(prop(is, 'CacheNodeType'))];
      const tiering = (type: string) => /^cache\.r6gd\./.test(type);
      if (tiering(from) !== tiering(to))
        return `ElastiCache does not scale between a data-tiering node type (r6gd) and one without (${from} -> ${to}): this update fails; move to a new cache instead`;
      const engine = typeof prop(is, 'Engine') === 'string' ? String(prop(is, 'Engine')).toLowerCase() : 'redis';
      const version = versionParts(prop(is, 'EngineVersion'));
      const online = version !== undefined && atLeast(version, engine === 'valkey' ? [7, 2, 0] : [5, 0, 5]);
      if (!isTrue(prop(is, 'AutomaticFailoverEnabled')))
        return `scales to ${to} through new nodes and a DNS change; without automatic failover expect downtime (AWS estimates about 60 s for a single node, mostly DNS propagation)`;
      if (!online)
        return `scales to ${to} through new nodes and a DNS change; on this engine version (older than Valkey 7.2 / Redis OSS 5.0.5) reads and writes on the primary may stop briefly while the DNS entries change`;
      return (
        `scales online to ${to}: ElastiCache launches nodes of the new type, copies the data and syncs the replicas, then points the endpoints at them; ` +
        'the cache keeps serving, and connections to the old nodes break briefly (seconds) when they are deleted; the time grows with the data'
      );
    },
  },
  {
    id: 'launch-template-roll',
    type: 'AWS::EC2::LaunchTemplate',
    properties: ['LaunchTemplateData', 'LaunchTemplateName'],
    whenReplaced: true,
    reason:
      "new launch template data is a new version; a group that launches its latest version (Fn::GetAtt LatestVersionNumber) gets a new LaunchTemplate, which CloudFormation rolls out by the group's UpdatePolicy (rolling, replacing or instance refresh), derived from the template; with no such policy running instances keep the old version",
    sources: [
      'https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-updatepolicy.html',
      'https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_UpdateAutoScalingGroup.html',
      'https://github.com/kubernetes-retired/kube-aws/pull/1531',
    ],
    note: launchTemplateRolls,
  },
  {
    id: 'group-roll',
    type: 'AWS::AutoScaling::AutoScalingGroup',
    properties: ['LaunchTemplate', 'MixedInstancesPolicy', 'VPCZoneIdentifier', 'LaunchConfigurationName'],
    reason:
      "a change of the group's launch template, mixed instances policy (its instance types), subnets or launch configuration is rolled out by its UpdatePolicy, as above",
    sources: [
      'https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-updatepolicy.html',
      'https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-autoscaling-autoscalinggroup.html#cfn-autoscaling-autoscalinggroup-vpczoneidentifier',
      'https://github.com/aws-cloudformation/cloudformation-coverage-roadmap/issues/406',
    ],
    note: (c) => {
      const launchTemplate = changedLaunchTemplate(c, c.logicalId);
      if (launchTemplate === undefined) return fleetRoll(c.after, c.logicalId, c.paths);
      return {
        text: `one roll with the new version of ${displayPath(c.paths[launchTemplate]) ?? launchTemplate}: noted there`,
        sameAs: launchTemplate,
      };
    },
  },
  {
    id: 'subnet-group-shrinks',
    type: 'AWS::RDS::DBSubnetGroup',
    properties: ['SubnetIds'],
    reason:
      'a subnet group that loses subnets is modified in place, but RDS refuses a subnet change that does not fit the instances in the group ' +
      '(SubnetAlreadyInUse, InvalidSubnet): the update can fail late and roll back. Move the instances first, or keep the subnets',
    sources: ['https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBSubnetGroup.html'],
    note: (c) => removedSubnetsNote(c, 'the DB instances and the proxy'),
  },
  {
    id: 'cache-subnet-group-shrinks',
    type: 'AWS::ElastiCache::SubnetGroup',
    properties: ['SubnetIds'],
    reason:
      'a cache subnet group that loses subnets is modified in place, but ElastiCache refuses a subnet change its nodes do not fit ' +
      '(SubnetInUse, InvalidSubnet): the update can fail late and roll back. Move the nodes first, or keep the subnets',
    sources: ['https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_ModifyCacheSubnetGroup.html'],
    note: (c) => removedSubnetsNote(c, 'the cache nodes'),
  },
];

/** The note for a subnet group that loses subnets (none when it only gains some). */
function removedSubnetsNote(c: NoteContext, users: string): string | undefined {
  const ids = (r: TemplateResource | undefined) => {
    const list = prop(r, 'SubnetIds');
    // A Ref or an intrinsic list: nothing to compare member by member.
    return new Set(Array.isArray(list) ? list.map((v) => JSON.stringify(v)) : []);
  };
  const [was, is] = [ids(resource(c.before, c.logicalId)), ids(resource(c.after, c.logicalId))];
  const removed = [...was].filter((v) => !is.has(v));
  if (removed.length === 0) return undefined;
  return (
    `loses ${removed.length} subnet${removed.length === 1 ? '' : 's'} (${removed
      .map((v) => JSON.parse(v) as unknown)
      .map((v) => (typeof v === 'string' ? v : JSON.stringify(v)))
      .join(', ')}): ` + `if ${users} use one of them, the update fails late and rolls back; move them first, or keep the subnets`
  );
}

/**
 * The notes of every change between two templates of a stack, by logical ID: for each resource
 * on both sides whose noted properties changed (and that the deploy does not replace, unless the
 * rule is about replacements too), every rule that covers it.
 */
export function updateNotes(
  before: Template,
  after: Template,
  replacement: NoteContext['replacement'],
  paths: Readonly<Record<string, string>> = {},
): Map<string, UpdateNote[]> {
  const notes = new Map<string, UpdateNote[]>();
  for (const [id, is] of Object.entries(after.Resources ?? {})) {
    const was = before.Resources?.[id];
    if (!was || was.Type !== is.Type) continue;
    for (const rule of UPDATE_NOTES) {
      if (rule.type !== is.Type || (!rule.whenReplaced && replacement(id) === 'yes')) continue;
      if (rule.properties.every((p) => deepEqual(was.Properties?.[p], is.Properties?.[p]))) continue;
      const note = rule.note({ logicalId: id, before, after, replacement, paths });
      if (note === undefined) continue;
      const entry: UpdateNote = typeof note === 'string' ? { rule: rule.id, text: note } : { rule: rule.id, ...note };
      notes.set(id, [...(notes.get(id) ?? []), entry]);
    }
  }
  return notes;
}

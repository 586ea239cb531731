import { referencedIds } from './template-references';
import type { Template, TemplateResource } from './templates';

/** Why a property of a resource changes in a deploy. */
export type ChangeCause =
  /** Its value in the template changed. */
  | { readonly kind: 'text' }
  /** It refers to `source`, which is replaced: the value it resolves to changes. */
  | { readonly kind: 'reference'; readonly source: string };

/** One property change of one resource, with both templates, as the rules below see it. */
export interface UpdateContext {
  readonly logicalId: string;
  readonly property: string;
  readonly cause: ChangeCause;
  readonly before: Template;
  readonly after: Template;
  /** Whether the deploy replaces a resource (the analysis so far). */
  readonly replacement: (logicalId: string) => 'none' | 'maybe' | 'yes';
}

/** A documented AWS rule about an update, with the pages that state or show it. */
export interface UpdateRule {
  readonly id: string;
  readonly type: string;
  readonly property: string;
  /** Whether the rule covers this change. */
  readonly applies: (change: UpdateContext) => boolean;
  /** What AWS does, one sentence. */
  readonly reason: string;
  readonly sources: readonly string[];
}

/** An update the CloudFormation spec calls mutable (no replacement) but AWS refuses: the deploy fails there and rolls back. */
export interface RefusedUpdate extends UpdateRule {
  /** A few words for a chain: `update refused by AWS (<short>)`. */
  readonly short: string;
  readonly fix: string;
}

const before = (c: UpdateContext): TemplateResource | undefined => c.before.Resources?.[c.logicalId];
const after = (c: UpdateContext): TemplateResource | undefined => c.after.Resources?.[c.logicalId];
const prop = (r: TemplateResource | undefined, name: string): unknown => r?.Properties?.[name];

/** A replaced subnet the group lists is in another VPC: its VPC is replaced too, or its VpcId changed. */
function movesVpc(c: UpdateContext): boolean {
  if (c.cause.kind !== 'reference') return false;
  const [was, is] = [c.before.Resources?.[c.cause.source], c.after.Resources?.[c.cause.source]];
  if (is?.Type !== 'AWS::EC2::Subnet') return false;
  const vpcId = prop(is, 'VpcId');
  return (
    JSON.stringify(prop(was, 'VpcId')) !== JSON.stringify(vpcId) || [...referencedIds(vpcId)].some((vpc) => c.replacement(vpc) !== 'none')
  );
}

/** `17.9` -> 17; undefined for anything that is not a literal version. */
export function majorVersion(version: unknown): number | undefined {
  if (typeof version !== 'string' && typeof version !== 'number') return undefined;
  const major = Number(String(version).split('.')[0]);
  return Number.isInteger(major) && major > 0 ? major : undefined;
}

function isTrue(value: unknown): boolean {
  return value === true || value === 'true';
}

/**
 * Updates that the spec calls mutable but AWS refuses. The review treats each as a failed
 * deploy: the resource cannot be updated, and neither can what depends on it. Add an entry only
 * with a source: an AWS page, or a public report of the error.
 */
export const REFUSED_UPDATES: readonly RefusedUpdate[] = [
  {
    id: 'db-subnet-group-vpc-move',
    type: 'AWS::RDS::DBSubnetGroup',
    property: 'SubnetIds',
    applies: movesVpc,
    short: 'a DB subnet group cannot move to another VPC',
    reason:
      'RDS rejects new subnets in another VPC for a DB subnet group ("The new Subnets are not in the same Vpc as the existing subnet group"), ' +
      'so the instances in it cannot follow the VPC: the deploy fails halfway, or the database must be replaced',
    fix: 'keep the VPC (revert network.cidr or what replaces it); moving a database to a new VPC is a migration: snapshot, restore into a new environment, cut over',
    sources: ['https://github.com/aws/aws-cdk/issues/26135', 'https://github.com/hashicorp/terraform-provider-aws/issues/27459'],
  },
  {
    id: 'cache-subnet-group-vpc-move',
    type: 'AWS::ElastiCache::SubnetGroup',
    property: 'SubnetIds',
    applies: movesVpc,
    short: 'a cache subnet group cannot move to another VPC',
    reason:
      "a cache subnet group belongs to one VPC, and the nodes of a running cache stay in its subnets (changing a replication group's " +
      'CacheSubnetGroupName requires a new cache): the cache cannot follow the VPC',
    fix: 'keep the VPC (revert network.cidr or what replaces it); a cache in a new VPC is a new cache: plan the warm-up',
    sources: [
      'https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_CacheSubnetGroup.html',
      'https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-elasticache-replicationgroup.html#cfn-elasticache-replicationgroup-cachesubnetgroupname',
      'https://github.com/aws/aws-cdk/issues/26135',
    ],
  },
  {
    id: 'rds-major-version-without-allow',
    type: 'AWS::RDS::DBInstance',
    property: 'EngineVersion',
    applies: (c) => {
      const [from, to] = [majorVersion(prop(before(c), 'EngineVersion')), majorVersion(prop(after(c), 'EngineVersion'))];
      return (
        c.cause.kind === 'text' &&
        from !== undefined &&
        to !== undefined &&
        from !== to &&
        !isTrue(prop(after(c), 'AllowMajorVersionUpgrade'))
      );
    },
    short: 'major version change without `allowMajorVersionUpgrade`',
    reason:
      'major version change without `allowMajorVersionUpgrade`: RDS refuses an EngineVersion of another major version unless AllowMajorVersionUpgrade is set',
    fix: 'set database.allowMajorVersionUpgrade to true in the same change (runbook: docs/reviewing-changes.md, "PostgreSQL engine upgrades"), or keep the major version',
    sources: [
      'https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-rds-dbinstance.html#cfn-rds-dbinstance-allowmajorversionupgrade',
      'https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBInstance.html',
    ],
  },
];

/** The parameter group a DB instance names, when it is a resource of the template. */
function parameterGroupFamily(template: Template, instance: TemplateResource | undefined): string | undefined {
  const [id] = [...referencedIds(prop(instance, 'DBParameterGroupName'))];
  const family = id === undefined ? undefined : template.Resources?.[id]?.Properties?.Family;
  return typeof family === 'string' ? family : undefined;
}

/** A PostgreSQL writer whose major version goes up, with AllowMajorVersionUpgrade set: the new major, else undefined. */
function allowedMajorUpgrade(c: Pick<UpdateContext, 'before' | 'after'>, logicalId: string): number | undefined {
  const [old, next] = [c.before.Resources?.[logicalId], c.after.Resources?.[logicalId]];
  if (prop(next, 'Engine') !== 'postgres' || !isTrue(prop(next, 'AllowMajorVersionUpgrade'))) return undefined;
  const [from, to] = [majorVersion(prop(old, 'EngineVersion')), majorVersion(prop(next, 'EngineVersion'))];
  return from !== undefined && to !== undefined && to > from ? to : undefined;
}

/** Whether the instance (for a read replica: its writer) moves to another major engine version. */
function majorChanges(c: UpdateContext): boolean {
  const [writer] = [...referencedIds(prop(after(c), 'SourceDBInstanceIdentifier'))];
  const id = writer ?? c.logicalId;
  const [from, to] = [
    majorVersion(prop(c.before.Resources?.[id], 'EngineVersion')),
    majorVersion(prop(c.after.Resources?.[id], 'EngineVersion')),
  ];
  return from !== to;
}

/**
 * Changes the spec calls a possible replacement (`maybe`) that a documented AWS behaviour proves
 * to be in place. The review treats a conditional replacement of a stateful resource as a
 * replacement unless one of these rules covers it.
 */
export const IN_PLACE_RULES: readonly UpdateRule[] = [
  {
    id: 'parameter-group-same-family',
    type: 'AWS::RDS::DBInstance',
    property: 'DBParameterGroupName',
    applies: (c) => {
      const family = parameterGroupFamily(c.after, after(c));
      return family !== undefined && family === parameterGroupFamily(c.before, before(c)) && !majorChanges(c);
    },
    reason:
      "a new parameter group of the same family, the engine's major version unchanged: RDS applies it to the instance in place (the " +
      'CloudFormation property says an update restarts the instance when the group has static parameters, or when its parameters change)',
    sources: [
      'https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBInstance.html',
      'https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-rds-dbinstance.html#cfn-rds-dbinstance-dbparametergroupname',
    ],
  },
  {
    id: 'postgres-major-upgrade',
    type: 'AWS::RDS::DBInstance',
    property: 'DBParameterGroupName',
    applies: (c) => {
      const instance = after(c);
      const [writer] = [...referencedIds(prop(instance, 'SourceDBInstanceIdentifier'))];
      // The writer: its own major upgrade, to a parameter group of the new family.
      // An in-Region read replica (no EngineVersion of its own): its writer's upgrade, same family.
      const major =
        writer === undefined
          ? allowedMajorUpgrade(c, c.logicalId)
          : prop(instance, 'EngineVersion') === undefined
            ? allowedMajorUpgrade(c, writer)
            : undefined;
      return major !== undefined && parameterGroupFamily(c.after, instance) === `postgres${major}`;
    },
    reason:
      "an in-place major version upgrade: AllowMajorVersionUpgrade is set, the new parameter group is of the new major's family (RDS requires one " +
      'for a major upgrade with a custom group), and RDS upgrades in-Region read replicas together with the primary',
    sources: [
      'https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBInstance.html',
      'https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_UpgradeDBInstance.PostgreSQL.html',
      'https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_UpgradeDBInstance.PostgreSQL.MajorVersion.Process.html',
    ],
  },
];

/** The first rule of `rules` that covers the change. */
export function ruleFor<R extends UpdateRule>(rules: readonly R[], type: string, change: UpdateContext): R | undefined {
  return rules.find((r) => r.type === type && r.property === change.property && r.applies(change));
}

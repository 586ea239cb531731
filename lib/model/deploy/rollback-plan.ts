import { createMinutes } from './create-times';
import type { StackEnvironment } from './intrinsics';
import { referencedIds, resourceDependencies, type CfnResource, type CfnTemplate } from './template';
import { transformResources } from './transforms';

/** One resource in the create order. */
export interface PlannedResource {
  readonly logicalId: string;
  readonly type: string;
  /** What CloudFormation waits for before it starts this one. */
  readonly dependsOn: readonly string[];
  readonly minutes: number;
  readonly source: string;
  /** Estimated start and finish (minutes after the create starts), everything in parallel that can be. */
  readonly start: number;
  readonly finish: number;
  /** Set when a transform adds it (not in cdk.out). */
  readonly addedBy?: string;
}

/** Why a rollback at a failure point cannot finish, or why a retry would fail. */
export interface RollbackBlocker {
  readonly logicalId: string;
  readonly type: string;
  readonly reason: string;
  readonly fix: string;
}

export interface FailurePoint {
  /** The resource whose create fails. */
  readonly failing: string;
  /** Estimated minutes after the start when it fails (at the end of its create: the worst case). */
  readonly at: number;
  /** Complete by then, in the estimated schedule. */
  readonly created: readonly string[];
  /** Still being created by then (the failing one included). */
  readonly inFlight: readonly string[];
  /** What the rollback could not delete, or would leave in a retry's way, whatever the timing. */
  readonly blockers: readonly RollbackBlocker[];
  /**
   * What may make the rollback fail, on a premise that is not verified (see `mayStrand`), in the
   * estimated schedule. Not counted in `strands`: the plan still exits 0, and prints them.
   */
  readonly warnings: readonly RollbackBlocker[];
}

export interface RollbackPlan {
  readonly resources: readonly PlannedResource[];
  readonly criticalPath: readonly string[];
  readonly criticalMinutes: number;
  readonly failurePoints: readonly FailurePoint[];
  /** True when some failure point leaves a stack that cannot roll back or be retried. */
  readonly strands: boolean;
  /** True when some failure point has a warning (may strand, unverified). */
  readonly mayStrand: boolean;
}

/** The property that holds a fixed physical name, for the types where a leftover blocks a retry. */
const NAME_PROPERTY: Readonly<Record<string, string>> = {
  'AWS::S3::Bucket': 'BucketName',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::SecretsManager::Secret': 'Name',
  'AWS::RDS::DBInstance': 'DBInstanceIdentifier',
  'AWS::RDS::DBCluster': 'DBClusterIdentifier',
  'AWS::ElastiCache::ReplicationGroup': 'ReplicationGroupId',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::SSM::Parameter': 'Name',
  'AWS::IAM::Role': 'RoleName',
  'AWS::KMS::Alias': 'AliasName',
  'AWS::RDS::DBProxy': 'DBProxyName',
  'AWS::ElasticLoadBalancingV2::LoadBalancer': 'Name',
  'AWS::ElasticLoadBalancingV2::TargetGroup': 'Name',
  'AWS::WAFv2::WebACL': 'Name',
  'AWS::FIS::ExperimentTemplate': 'ExperimentTemplateName',
};

/**
 * Types whose `DeletionPolicy: Snapshot` takes a final snapshot on delete: refused for an instance
 * that is still being created or has failed ("a final snapshot cannot be taken"), which fails the
 * rollback of its own create (docs/adr/0004-deletion-protection-switched-on-last.md). The types
 * CloudFormation snapshots: "AWS::EC2::Volume, AWS::ElastiCache::CacheCluster,
 * AWS::ElastiCache::ReplicationGroup, AWS::RDS::DBInstance, AWS::RDS::DBCluster, and
 * AWS::Redshift::Cluster" (https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.CfnDeletionPolicy.html),
 * plus the Neptune and DocumentDB clusters.
 */
const SNAPSHOT_ON_DELETE_TYPES = new Set([
  'AWS::RDS::DBInstance',
  'AWS::RDS::DBCluster',
  'AWS::ElastiCache::ReplicationGroup',
  'AWS::ElastiCache::CacheCluster',
  'AWS::Neptune::DBCluster',
  'AWS::DocDB::DBCluster',
  'AWS::Redshift::Cluster',
  'AWS::EC2::Volume',
]);

/**
 * Whether CloudFormation's delete asks for a final snapshot: a Snapshot policy on a snapshot type,
 * except for an RDS read replica or cluster member ("Final snapshots are not allowed for read
 * replicas and cluster instances": the RDS handler skips them, DeleteHandler.java in
 * https://github.com/aws-cloudformation/aws-cloudformation-resource-providers-rds).
 */
function takesFinalSnapshot(r: CfnResource): boolean {
  if (effectiveDeletionPolicy(r) !== 'Snapshot' || !SNAPSHOT_ON_DELETE_TYPES.has(r.Type)) return false;
  const p = r.Properties ?? {};
  return !(r.Type === 'AWS::RDS::DBInstance' && (p.SourceDBInstanceIdentifier !== undefined || p.DBClusterIdentifier !== undefined));
}

/**
 * The deletion policy CloudFormation applies: the template's, or its default, which is Delete
 * except that "The default policy is Snapshot for AWS::RDS::DBCluster resources and for
 * AWS::RDS::DBInstance resources that don't specify the DBClusterIdentifier property"
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html).
 * So an L1 CfnDBInstance or CfnDBCluster without a policy strands a rollback like an explicit Snapshot.
 */
export function effectiveDeletionPolicy(r: CfnResource): string {
  if (r.DeletionPolicy !== undefined) return r.DeletionPolicy;
  if (r.Type === 'AWS::RDS::DBCluster') return 'Snapshot';
  if (r.Type === 'AWS::RDS::DBInstance' && r.Properties?.DBClusterIdentifier === undefined) return 'Snapshot';
  return 'Delete';
}

/**
 * Types that ElastiCache deletes only when they are available: DeleteReplicationGroup raises
 * InvalidReplicationGroupState, "The requested replication group is not in the available state"
 * (https://docs.aws.amazon.com/sdkfornet/v3/apidocs/items/ElastiCache/MIElastiCacheDeleteReplicationGroupDeleteReplicationGroupRequest.html),
 * and DeleteCacheCluster is not valid for "A cluster that is not in the available state"
 * (https://docs.aws.amazon.com/sdkfornet/v3/apidocs/items/ElastiCache/MElastiCacheDeleteCacheClusterAsyncDeleteCacheClusterRequestCancellationToken.html).
 * Whether CloudFormation's handler waits out `creating` before it deletes is not public (review
 * 20b, N1), so a failure point where one may still be creating is a warning, not a blocker.
 */
const DELETED_ONLY_WHEN_AVAILABLE_TYPES = new Set(['AWS::ElastiCache::ReplicationGroup', 'AWS::ElastiCache::CacheCluster']);

/** Types that deliver logs into an S3 bucket they name. */
const LOG_DELIVERY_TYPES = new Set([
  'AWS::ElasticLoadBalancingV2::LoadBalancer',
  'AWS::CloudFront::Distribution',
  'AWS::EC2::FlowLog',
  'AWS::WAFv2::LoggingConfiguration',
  'AWS::S3::Bucket',
]);

/** Whether the template switches deletion protection on in the template itself (the API then refuses a delete). */
function protectedInTemplate(r: CfnResource): string | undefined {
  const p = r.Properties ?? {};
  const on = (v: unknown) => v === true || v === 'true';
  switch (r.Type) {
    case 'AWS::RDS::DBInstance':
    case 'AWS::RDS::DBCluster':
      return on(p.DeletionProtection) ? 'DeletionProtection is true: RDS refuses to delete it' : undefined;
    case 'AWS::ElasticLoadBalancingV2::LoadBalancer':
      return Array.isArray(p.LoadBalancerAttributes) &&
        p.LoadBalancerAttributes.some(
          (a) => (a as { Key?: string }).Key === 'deletion_protection.enabled' && on((a as { Value?: unknown }).Value),
        )
        ? 'deletion_protection.enabled is true: ELB refuses to delete it'
        : undefined;
    case 'AWS::DynamoDB::Table':
    case 'AWS::Logs::LogGroup':
      return on(p.DeletionProtectionEnabled) ? 'DeletionProtectionEnabled is true: the service refuses to delete it' : undefined;
    case 'AWS::EC2::Instance':
      return on(p.DisableApiTermination) ? 'DisableApiTermination is true: EC2 refuses to terminate it' : undefined;
    default:
      return undefined;
  }
}

/**
 * The first create of a template, ordered as CloudFormation orders it (by Ref, Fn::GetAtt,
 * Fn::Sub and DependsOn; unrelated resources in parallel), with estimated create times, and every
 * failure point checked: if that resource's create fails, can the rollback delete everything that
 * may exist by then, and can the create be retried?
 *
 * What may exist when X fails: every resource that does not depend on X (CloudFormation may have
 * started it, in any order), and X itself. What is sure to exist: what X depends on. A guard that
 * lifts deletion protection or empties a bucket counts only when it is sure to exist.
 */
export function planFirstCreate(template: CfnTemplate, _env?: StackEnvironment): RollbackPlan {
  const resources: Record<string, CfnResource> = { ...(template.Resources ?? {}) };
  const addedBy = new Map<string, string>();
  const deps = new Map<string, Set<string>>();
  for (const id of Object.keys(resources)) deps.set(id, new Set(resourceDependencies(template, id)));
  for (const t of transformResources(template)) {
    resources[t.logicalId] = t.resource;
    addedBy.set(t.logicalId, t.transform);
    deps.set(
      t.logicalId,
      referencedIds(t.resource.Properties, (id) => id in (template.Resources ?? {})),
    );
    deps.get(t.addedFor)!.add(t.logicalId);
  }
  const ids = Object.keys(resources).sort();
  const order = topologicalOrder(ids, deps);

  // Ancestors (sure to exist when a resource starts) and descendants (cannot have started before it completes).
  const ancestors = new Map<string, Set<string>>();
  for (const id of order) {
    const set = new Set<string>();
    for (const d of deps.get(id)!) {
      set.add(d);
      for (const a of ancestors.get(d)!) set.add(a);
    }
    ancestors.set(id, set);
  }
  const descendants = new Map<string, Set<string>>(ids.map((id) => [id, new Set<string>()]));
  for (const [id, set] of ancestors) for (const a of set) descendants.get(a)!.add(id);

  const planned = new Map<string, PlannedResource>();
  for (const id of order) {
    const r = resources[id]!;
    const { minutes, source } = createMinutes(r.Type, r);
    const dependsOn = [...deps.get(id)!].sort();
    const start = Math.max(0, ...dependsOn.map((d) => planned.get(d)!.finish));
    planned.set(id, {
      logicalId: id,
      type: r.Type,
      dependsOn,
      minutes,
      source,
      start,
      finish: start + minutes,
      ...(addedBy.has(id) ? { addedBy: addedBy.get(id)! } : {}),
    });
  }
  const byFinish = [...planned.values()].sort((a, b) => b.finish - a.finish || a.logicalId.localeCompare(b.logicalId));
  const criticalPath: string[] = [];
  for (let node: PlannedResource | undefined = byFinish[0]; node; ) {
    criticalPath.unshift(node.logicalId);
    // The dependency that finished last is the one it waited for.
    node = node.dependsOn.map((d) => planned.get(d)!).sort((a, b) => b.finish - a.finish || a.logicalId.localeCompare(b.logicalId))[0];
  }

  const checker = new BlockerCheck(resources, ancestors, descendants);
  const failurePoints: FailurePoint[] = [...planned.values()]
    .sort((a, b) => a.start - b.start || a.logicalId.localeCompare(b.logicalId))
    .map((p) => {
      const at = p.finish;
      const created: string[] = [];
      const inFlight: string[] = [];
      for (const q of planned.values()) {
        if (q.logicalId === p.logicalId || (q.start < at && q.finish > at)) inFlight.push(q.logicalId);
        else if (q.finish <= at && !descendants.get(p.logicalId)!.has(q.logicalId)) created.push(q.logicalId);
      }
      return {
        failing: p.logicalId,
        at,
        created: created.sort(),
        inFlight: inFlight.sort(),
        blockers: checker.blockersWhen(p.logicalId),
        warnings: stillCreatingWhen(p, planned, resources, ancestors, descendants),
      };
    });
  return {
    resources: order.map((id) => planned.get(id)!),
    criticalPath,
    criticalMinutes: byFinish[0]?.finish ?? 0,
    failurePoints,
    strands: failurePoints.some((f) => f.blockers.length > 0),
    mayStrand: failurePoints.some((f) => f.warnings.length > 0),
  };
}

/**
 * The caches the rollback may have to delete while they are still being created when `failing`
 * fails: in the estimated schedule, a cache's create overlaps the failing resource's (a create can
 * fail at its start as well as at its end), and nothing orders them (the cache is neither sure to
 * be complete, an ancestor, nor unable to have started, a descendant). A cache the rollback keeps
 * (Retain) is not deleted; one with DeletionPolicy Snapshot is already a blocker. Its own failure
 * leaves it failed, not creating, and is not counted.
 */
function stillCreatingWhen(
  failing: PlannedResource,
  planned: ReadonlyMap<string, PlannedResource>,
  resources: Readonly<Record<string, CfnResource>>,
  ancestors: ReadonlyMap<string, ReadonlySet<string>>,
  descendants: ReadonlyMap<string, ReadonlySet<string>>,
): RollbackBlocker[] {
  const warnings: RollbackBlocker[] = [];
  for (const [id, r] of Object.entries(resources)) {
    if (!DELETED_ONLY_WHEN_AVAILABLE_TYPES.has(r.Type) || id === failing.logicalId) continue;
    if (r.DeletionPolicy === 'Retain' || effectiveDeletionPolicy(r) === 'Snapshot') continue;
    if (ancestors.get(failing.logicalId)!.has(id) || descendants.get(failing.logicalId)!.has(id)) continue;
    const cache = planned.get(id)!;
    if (!(cache.start < failing.finish && cache.finish > failing.start)) continue;
    warnings.push({
      logicalId: id,
      type: r.Type,
      reason:
        'may strand: ElastiCache refuses a delete while creating (unverified whether CloudFormation waits), and the rollback may reach it ' +
        `while it is still being created (estimated ${cache.start.toFixed(1)}-${cache.finish.toFixed(1)} min)`,
      fix: 'make it depend on the resources that can fail while it is created (DependsOn), so it starts after them (PlatformStack does so for the listener, the web ACLs and CloudFront)',
    });
  }
  return warnings;
}

function topologicalOrder(ids: readonly string[], deps: ReadonlyMap<string, ReadonlySet<string>>): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, path: string[]) => {
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'visiting')
      throw new Error(`circular dependency: ${[...path, id].join(' -> ')} (CloudFormation refuses the template)`);
    state.set(id, 'visiting');
    for (const d of [...deps.get(id)!].sort()) visit(d, [...path, id]);
    state.set(id, 'done');
    order.push(id);
  };
  for (const id of ids) visit(id, []);
  return order;
}

/** The rules that make a rollback fail or leave a retry's way blocked. */
class BlockerCheck {
  private readonly guards: { id: string; covers: Set<string> }[];
  private readonly autoDeletes: { id: string; bucket: string }[];
  private readonly edgeFunctions = new Map<string, string>();

  constructor(
    private readonly resources: Readonly<Record<string, CfnResource>>,
    private readonly ancestors: ReadonlyMap<string, ReadonlySet<string>>,
    private readonly descendants: ReadonlyMap<string, ReadonlySet<string>>,
  ) {
    const known = (id: string) => id in resources;
    // A guard lifts protection when it is deleted during the rollback of a create (RollbackGuard).
    this.guards = Object.entries(resources)
      .filter(([, r]) => r.Type === 'Custom::RollbackGuard')
      .map(([id, r]) => ({
        id,
        covers: referencedIds({ a: r.Properties?.DbInstanceIdentifiers, b: r.Properties?.LoadBalancerArns }, known),
      }));
    this.autoDeletes = Object.entries(resources)
      .filter(([, r]) => r.Type === 'Custom::S3AutoDeleteObjects')
      .flatMap(([id, r]) => [...referencedIds(r.Properties?.BucketName, known)].map((bucket) => ({ id, bucket })));
    for (const [id, r] of Object.entries(resources)) {
      if (r.Type !== 'AWS::CloudFront::Distribution') continue;
      for (const [, ref] of JSON.stringify(r.Properties ?? {}).matchAll(/"LambdaFunctionARN":\{"Ref":"([^"]+)"\}/g)) {
        this.edgeFunctions.set(ref!, id);
        const fn = (resources[ref!]?.Properties?.FunctionName as { Ref?: string } | undefined)?.Ref;
        if (fn) this.edgeFunctions.set(fn, id);
      }
    }
  }

  /** What may exist when `failing` fails: it, and everything that does not depend on it. */
  private mayExist(failing: string, id: string): boolean {
    return id === failing || !this.descendants.get(failing)!.has(id);
  }

  /** Sure to exist when `failing` fails, or whenever `existing` exists. */
  private sureToExist(failing: string, id: string, existing?: string): boolean {
    return this.ancestors.get(failing)!.has(id) || (existing !== undefined && this.ancestors.get(existing)!.has(id));
  }

  public blockersWhen(failing: string): RollbackBlocker[] {
    const blockers: RollbackBlocker[] = [];
    for (const [id, r] of Object.entries(this.resources)) {
      if (!this.mayExist(failing, id)) continue;
      const block = (reason: string, fix: string) => blockers.push({ logicalId: id, type: r.Type, reason, fix });
      const protection = protectedInTemplate(r);
      if (protection) {
        const guarded = this.guards.some((g) => g.covers.has(id) && this.ancestors.get(g.id)!.has(id) && this.sureToExist(failing, g.id));
        if (!guarded)
          block(
            `${protection}, and no rollback guard that lifts it is sure to exist by then`,
            'leave deletion protection out of the template and switch it on last (RollbackGuard.of(stack).protectDatabase / protectLoadBalancer)',
          );
      }
      if (takesFinalSnapshot(r) && !this.ancestors.get(failing)!.has(id)) {
        block(
          `DeletionPolicy Snapshot${r.DeletionPolicy === undefined ? " (CloudFormation's default for this type)" : ''}: the rollback deletes it with a final snapshot, which is refused while it is ${id === failing ? 'failed' : 'still being created'} ("a final snapshot cannot be taken"), and the rollback fails`,
          'use DeletionPolicy RetainExceptOnCreate with UpdateReplacePolicy Snapshot (applySnapshotPolicy): deleted without a snapshot when its own create rolls back, kept on every later delete',
        );
      }
      if (r.DeletionPolicy === 'Retain' && NAME_PROPERTY[r.Type] && this.fixedName(r.Properties?.[NAME_PROPERTY[r.Type]!])) {
        block(
          `DeletionPolicy Retain keeps it under the fixed name ${JSON.stringify(r.Properties?.[NAME_PROPERTY[r.Type]!])}: the retry fails with "already exists"`,
          'use RetainExceptOnCreate (deleted when its create rolls back), or a generated name',
        );
      }
      if (r.Type === 'AWS::S3::Bucket' && r.DeletionPolicy !== 'Retain') {
        const writers = Object.keys(this.resources).filter((w) => w !== id && this.mayExist(failing, w) && this.writesTo(w, id));
        const unsafe = writers.filter((w) => !this.autoDeletes.some((a) => a.bucket === id && this.sureToExist(failing, a.id, w)));
        if (unsafe.length > 0)
          block(
            `${unsafe[0]} may have written objects to it, and S3 refuses to delete a bucket that is not empty (no auto-delete is sure to run first)`,
            'retain the bucket (DeletionPolicy Retain, generated name), or make its writers depend on its auto-delete custom resource',
          );
      }
      const distribution = this.edgeFunctions.get(id);
      if (distribution && r.DeletionPolicy !== 'Retain' && this.mayExist(failing, distribution)) {
        block(
          `runs at the edge for ${distribution}: Lambda refuses to delete it while CloudFront still holds its replicas (hours after the distribution is gone)`,
          'retain Lambda@Edge functions and versions (DeletionPolicy Retain, generated names)',
        );
      }
      if ((r.Type.startsWith('Custom::') || r.Type === 'AWS::CloudFormation::CustomResource') && id !== failing) {
        const problem = this.handlerProblem(id, r);
        if (problem)
          block(
            problem,
            "make the custom resource depend on its handler function and the handler's policies, so the rollback deletes it first",
          );
      }
    }
    return blockers;
  }

  /** A name that is the same on a retry: no reference to a resource of the stack or to the stack ID. */
  private fixedName(name: unknown): boolean {
    if (name === undefined) return false;
    const refs = referencedIds(name, (id) => id in this.resources || id === 'AWS::StackId');
    const text = JSON.stringify(name);
    return refs.size === 0 && !text.includes('AWS::StackId');
  }

  /**
   * Whether a resource may put objects into the bucket once it exists: a service that delivers
   * logs there (ALB, CloudFront, VPC flow logs, WAF, S3 server access logging), or an IAM policy
   * or role that grants s3:PutObject on it (an app, a function).
   */
  private writesTo(writer: string, bucket: string): boolean {
    const r = this.resources[writer]!;
    const refersToBucket = (v: unknown) => referencedIds(v, (id) => id === bucket).has(bucket);
    if (LOG_DELIVERY_TYPES.has(r.Type)) return refersToBucket(r.Properties);
    if (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::Role' || r.Type === 'AWS::IAM::ManagedPolicy') {
      const statements = JSON.stringify(r.Properties ?? {});
      if (!refersToBucket(r.Properties)) return false;
      return /"s3:(PutObject|Put\*|\*)"/.test(statements);
    }
    return false;
  }

  /** A custom resource whose handler (or its permissions) the rollback may delete before it. */
  private handlerProblem(id: string, r: CfnResource): string | undefined {
    const token = r.Properties?.ServiceToken as { 'Fn::GetAtt'?: unknown } | undefined;
    const att = token?.['Fn::GetAtt'];
    const fn = Array.isArray(att) && typeof att[0] === 'string' ? att[0] : undefined;
    if (!fn || this.resources[fn]?.Type !== 'AWS::Lambda::Function') {
      return token === undefined ? 'it has no ServiceToken' : undefined; // a handler outside the stack: nothing here deletes it
    }
    const role = (this.resources[fn]!.Properties?.Role as { 'Fn::GetAtt'?: unknown } | undefined)?.['Fn::GetAtt'];
    const roleId = Array.isArray(role) && typeof role[0] === 'string' ? role[0] : undefined;
    for (const [pid, p] of Object.entries(this.resources)) {
      if (p.Type !== 'AWS::IAM::Policy' || !roleId) continue;
      if (!referencedIds(p.Properties?.Roles, (x) => x === roleId).has(roleId)) continue;
      if (!this.ancestors.get(id)!.has(pid))
        return `its handler's policy ${pid} does not come before it: the rollback may delete the permissions first and the handler then fails its delete`;
    }
    return undefined;
  }
}

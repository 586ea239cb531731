import { Writable } from 'node:stream';
import { formatDifferences, fullDiff, type ResourceDifference, type TemplateDiff } from '@aws-cdk/cloudformation-diff';
import { constructPaths, displayPath } from './construct-paths';
import { analyzeImpacts, dominantEffect, type ChainStep, type ImpactAnalysis, type ResourceImpact } from './impact-analysis';
import { renderValue } from './render-value';
import { pairRenames, type UnpairedResource } from './rename-detection';
import { rollbackRisks, type RollbackRisk } from './rollback-risks';
import { isStatefulType } from './stateful-types';
import type { Template } from './templates';
import { updateNotes, type UpdateNote } from './update-notes';

export { renderValue } from './render-value';

/**
 * What the guard blocks on a stateful resource: a deploy that loses it (destroys, replaces or
 * possibly replaces it, or orphans it), that cannot update it because AWS refuses an update it
 * needs (UPDATE_REFUSED: the deploy fails there and rolls back), or that turns its deletion
 * protection off (WILL_UNPROTECT: from the moment CloudFormation updates it, one delete loses it).
 */
export const BLOCKING_IMPACTS = ['WILL_DESTROY', 'WILL_REPLACE', 'MAY_REPLACE', 'WILL_ORPHAN', 'UPDATE_REFUSED', 'WILL_UNPROTECT'] as const;
export type BlockingImpact = (typeof BLOCKING_IMPACTS)[number];

/** `refused`: an update of it that AWS refuses (see REFUSED_UPDATES): the deploy fails there. */
export type ChangeKind = 'added' | 'removed' | 'modified' | 'replaced' | 'refused';

export interface PropertyChange {
  readonly name: string;
  /** The library's impact of this property's change (`WILL_REPLACE`, `MAY_REPLACE`, `WILL_UPDATE`...). */
  readonly impact: string;
  readonly before: unknown;
  readonly after: unknown;
}

export interface ResourceChange {
  readonly logicalId: string;
  /** The new type; for a removal, the old one. */
  readonly type: string;
  /** The old type, when a replacement changed it. */
  readonly previousType?: string;
  /** Full construct path, when the template carries it. */
  readonly path?: string;
  readonly kind: ChangeKind;
  /** The library's resource impact (`WILL_CREATE`, `WILL_UPDATE`, `WILL_REPLACE`, ...). */
  readonly impact: string;
  readonly stateful: boolean;
  /** Changed properties (updates only). */
  readonly properties: readonly PropertyChange[];
  /** Changed resource attributes other than properties: DeletionPolicy, Metadata, DependsOn... */
  readonly attributes: readonly string[];
  /** A possible replacement that a documented rule proves in place: the rule's ID and what it says. */
  readonly inPlace?: string;
  /** What the update does to the running system (a restart, a failover, a fleet roll): see UPDATE_NOTES. */
  readonly notes?: readonly UpdateNote[];
}

/** A resource a deploy affects although its own template text does not change: it refers to a replaced or refused one. */
export interface ReferenceImpact {
  readonly logicalId: string;
  readonly type: string;
  readonly path?: string;
  readonly effect: ChainStep['effect'];
  readonly stateful: boolean;
  /** The chain from the root change to this resource. */
  readonly chain: string;
}

/** A stateful resource a deploy would destroy, replace or orphan. */
export interface Hazard {
  readonly stack: string;
  readonly logicalId: string;
  readonly type: string;
  readonly path?: string;
  readonly impact: BlockingImpact;
  /** What happens and why, one sentence; for an effect through references, the chain from its root. */
  readonly reason: string;
  /** The usual fix when the loss is not intended (the allow-list is for when it is). */
  readonly fix: string;
  /** The added resource this one was paired with (a logical ID change). */
  readonly renamedTo?: { readonly logicalId: string; readonly path?: string };
}

export interface StackReview {
  readonly stack: string;
  /** `added`: only the new side has the stack; `removed`: only the old side has it. */
  readonly presence: 'both' | 'added' | 'removed';
  readonly changes: readonly ResourceChange[];
  /** Resources affected only through references (the template text of each is unchanged). */
  readonly impacts: readonly ReferenceImpact[];
  readonly hazards: readonly Hazard[];
  /** Non-blocking findings worth a reviewer's attention. */
  readonly warnings: readonly string[];
  /** Changes whose rollback can fail (not blocking here; `loadbearing deploy` asks for --approve-stateful). */
  readonly rollbackRisks: readonly RollbackRisk[];
  /** Changes outside Resources (outputs, parameters, conditions...), by section. */
  readonly otherSections: readonly string[];
  /** The library's IAM statement and managed-policy tables (header row first), empty without changes. */
  readonly iamTables: readonly (readonly string[][])[];
  /** The library's security group rule table (header row first), empty without changes. */
  readonly securityGroupTable: readonly string[][];
  /** The library's full property-level diff, without colours. */
  readonly details: string;
}

const PROTECTIVE_POLICIES = new Set(['Retain', 'Snapshot', 'RetainExceptOnCreate']);

/**
 * Compares one stack's templates and finds the stateful resources a deploy would destroy,
 * replace, orphan or fail to update, following replacements through references
 * (`analyzeImpacts`). `before` or `after` is undefined when the stack exists on one side only.
 * `knownPaths` adds construct paths the templates do not carry (from the assembly metadata);
 * `configChanges` (e.g. `network.cidr "10.0.0.0/16" -> "10.1.0.0/16"`) start the chains of this
 * stack, as the config edits the templates come from.
 */
export function reviewStack(
  stack: string,
  before: Template | undefined,
  after: Template | undefined,
  knownPaths: Readonly<Record<string, string>> = {},
  configChanges: readonly string[] = [],
): StackReview {
  if (after === undefined) return removedStack(stack, before ?? {});
  const diff = fullDiff(before ?? {}, after);
  const paths = { ...knownPaths, ...constructPaths(before), ...constructPaths(after) };
  const analysis = analyzeImpacts(before ?? {}, after);

  const notes = updateNotes(before ?? {}, after, (id) => analysis.impacts.get(id)?.replacement ?? 'none', paths);
  const changes: ResourceChange[] = [];
  diff.resources.forEachDifference((logicalId, d) => {
    const change = withAnalysis(describeChange(logicalId, d, paths[logicalId]), analysis.impacts.get(logicalId));
    const noted = notes.get(logicalId);
    changes.push(noted ? { ...change, notes: noted } : change);
  });
  changes.sort(byKindThenId);

  const removedStateful = changes.filter((c) => c.kind === 'removed' && c.stateful);
  const renames = pairRenames(
    removedStateful.map((c) => unpaired(c, before)),
    changes.filter((c) => c.kind === 'added').map((c) => unpaired(c, after)),
  );

  const hazards: Hazard[] = [];
  const warnings: string[] = [];
  for (const change of changes) {
    if (!change.stateful) continue;
    const renamedTo = renames.get(change.logicalId);
    const hazard = removalHazard(stack, change, renamedTo === undefined ? undefined : { logicalId: renamedTo, path: paths[renamedTo] });
    if (hazard) hazards.push(hazard);
    if (change.kind === 'modified' || change.kind === 'replaced' || change.kind === 'refused')
      warnings.push(...weakenedProtection(change, diff.resources.get(change.logicalId)));
  }
  for (const change of changes) {
    if (change.kind !== 'modified' && change.kind !== 'replaced' && change.kind !== 'refused') continue;
    const p = protectionChange(change, before, after);
    if (p?.kind === 'off') {
      hazards.push({
        stack,
        logicalId: change.logicalId,
        type: change.type,
        ...(change.path === undefined ? {} : { path: change.path }),
        impact: 'WILL_UNPROTECT',
        reason: `${p.what} true -> false: CloudFormation sends the new value, so the deployed resource loses its deletion protection during this update`,
        fix: `leave ${p.what} out of the template instead (the stack's RollbackGuard switches it on, and CloudFormation leaves an absent setting as it is: docs/adr/0004-deletion-protection-switched-on-last.md), or restore true`,
      });
    } else if (p?.kind === 'handed-over') {
      warnings.push(
        `${change.logicalId} (${change.type}): ${p.what} true -> (left out): CloudFormation does not send a setting the template leaves out, so the deployed resource stays protected; ` +
          (p.guarded
            ? 'the RollbackGuard switches it on for new stacks (ADR 0004)'
            : 'but nothing in the new template switches it on: a new stack would be created unprotected'),
      );
    }
  }
  const chain = new ChainText(analysis, paths, configChanges);
  hazards.push(...impactHazards(stack, analysis, chain, paths, before ?? {}, after));
  // A move to another VPC replaces what cannot move; it is the cause of whatever else the chains found for those resources.
  for (const moved of vpcMoveHazards(stack, before, after, paths)) {
    const at = hazards.findIndex((h) => h.logicalId === moved.logicalId);
    if (at >= 0) hazards.splice(at, 1, moved);
    else hazards.push(moved);
  }
  warnings.push(...triggerWarnings(before, after, changes));

  const changed = new Set(changes.map((c) => c.logicalId));
  const impacts = [...analysis.impacts.values()]
    // Everything that refers to a refused resource is blocked with it; the stateful ones are the news.
    .filter(
      (i) => !changed.has(i.logicalId) && dominantEffect(i) !== undefined && (dominantEffect(i) !== 'blocked' || isStatefulType(i.type)),
    )
    .map((i) => {
      const steps = analysis.chain(i.logicalId);
      return {
        logicalId: i.logicalId,
        type: i.type,
        ...(paths[i.logicalId] === undefined ? {} : { path: paths[i.logicalId] }),
        effect: steps[steps.length - 1]!.effect,
        stateful: isStatefulType(i.type),
        chain: chain.render(steps),
      };
    })
    .sort((a, b) => a.logicalId.localeCompare(b.logicalId));

  return {
    stack,
    presence: before === undefined ? 'added' : 'both',
    changes,
    impacts,
    hazards,
    warnings,
    rollbackRisks: rollbackRisks(before, after, paths),
    otherSections: otherSections(diff),
    iamTables: [diff.iamChanges.summarizeStatements(), diff.iamChanges.summarizeManagedPolicies()]
      .filter((t) => t.length > 1)
      .map(stripTable),
    securityGroupTable: diff.securityGroupChanges.hasChanges ? stripTable(diff.securityGroupChanges.summarize()) : [],
    details: diff.isEmpty ? '' : renderDetails(diff, paths),
  };
}

/**
 * The library calls a change with a possible replacement "replaced"; a proven in-place one is a
 * modification, and one AWS refuses is `refused`.
 */
function withAnalysis(change: ResourceChange, impact: ResourceImpact | undefined): ResourceChange {
  if (impact && (change.kind === 'modified' || change.kind === 'replaced') && dominantEffect(impact) === 'update refused')
    return { ...change, kind: 'refused' };
  if (!impact || impact.inPlace.length === 0 || impact.replacement !== 'none' || change.kind !== 'replaced') return change;
  const { rule, property } = impact.inPlace[0]!;
  return {
    ...change,
    kind: 'modified',
    impact: 'WILL_UPDATE',
    properties: change.properties.map((p) => (p.name === property ? { ...p, impact: 'WILL_UPDATE' } : p)),
    inPlace: `${rule.id}: ${rule.reason}`,
  };
}

/** Chains as one line: `config network.cidr ... → Network/Vpc replaced (...) → ... → Database/Writer cannot be updated: blocked`. */
class ChainText {
  constructor(
    private readonly analysis: ImpactAnalysis,
    private readonly paths: Readonly<Record<string, string>>,
    private readonly configChanges: readonly string[],
  ) {}

  public of(logicalId: string): string {
    return this.render(this.analysis.chain(logicalId));
  }

  /** A direct change, after the config changes it comes from. */
  public rooted(text: string): string {
    return this.configChanges.length > 0 ? `config ${this.configChanges.join(', ')} → ${text}` : text;
  }

  public render(steps: readonly ChainStep[]): string {
    const links = steps.map((s) => {
      const label = displayPath(this.paths[s.logicalId]) ?? s.logicalId;
      if (s.effect === 'blocked') return `${label} cannot be updated: blocked`;
      if (s.effect === 'update refused') return `${label} update refused by AWS (${s.detail})`;
      return `${label} ${s.effect} (${s.detail})`;
    });
    const root = this.configChanges.length > 0 ? [`config ${this.configChanges.join(', ')}`] : [];
    return [...root, ...links].join(' → ');
  }
}

/** The hazards of replacements, refused updates and blocked updates, direct or through references. */
function impactHazards(
  stack: string,
  analysis: ImpactAnalysis,
  chain: ChainText,
  paths: Readonly<Record<string, string>>,
  before: Template,
  after: Template,
): Hazard[] {
  const hazards: Hazard[] = [];
  const typeOf = (id: string) => after.Resources?.[id]?.Type ?? before.Resources?.[id]?.Type ?? 'unknown';
  const stateful = (id: string) => isStatefulType(before.Resources?.[id]?.Type) || isStatefulType(after.Resources?.[id]?.Type);
  const base = (id: string) => ({ stack, logicalId: id, type: typeOf(id), ...(paths[id] === undefined ? {} : { path: paths[id] }) });
  const impacts = [...analysis.impacts.values()].sort((a, b) => a.logicalId.localeCompare(b.logicalId));
  const blockedStateful = new Set(impacts.filter((i) => dominantEffect(i) === 'blocked' && stateful(i.logicalId)).map((i) => i.blockedBy!));

  for (const i of impacts) {
    const id = i.logicalId;
    const effect = dominantEffect(i);
    if (effect === 'replaced' || effect === 'may be replaced') {
      if (!stateful(id)) continue;
      const may = effect === 'may be replaced';
      const cause = i.cause!;
      if (cause.kind === 'reference') {
        const root = analysis.chain(id)[0]!;
        hazards.push({
          ...base(id),
          impact: may ? 'MAY_REPLACE' : 'WILL_REPLACE',
          reason: `${may ? 'may be' : 'would be'} replaced by a new, empty resource through references: ${chain.of(id)}`,
          fix: `revert the root change (${displayPath(paths[root.logicalId]) ?? root.logicalId}: ${root.detail}), or plan a migration`,
        });
      } else if (cause.kind === 'type') {
        hazards.push({
          ...base(id),
          impact: 'WILL_REPLACE',
          reason: `would be replaced by a new, empty resource: the resource type changed (${cause.from} -> ${cause.to})`,
          fix: 'revert the type change',
        });
      } else {
        const why = cause.properties.map(
          (p) =>
            `${p.property} ${renderValue(p.before)} -> ${renderValue(p.after)} (${p.behaviour === 'replace' ? 'requires replacement' : 'may cause replacement'})`,
        );
        hazards.push({
          ...base(id),
          impact: may ? 'MAY_REPLACE' : 'WILL_REPLACE',
          reason: `${may ? 'may be' : 'would be'} replaced by a new, empty resource: ${why.join('; ')}`,
          fix: `revert the change to ${cause.properties.map((p) => p.property).join(', ')}`,
        });
      }
    } else if (effect === 'update refused' && (stateful(id) || !blockedStateful.has(id))) {
      // A refused update of a stateful resource, or of one nothing stateful depends on: the deploy fails here.
      const refused = i.refused!;
      const what =
        refused.cause.kind === 'text'
          ? chain.rooted(
              `${refused.property} ${renderValue(before.Resources?.[id]?.Properties?.[refused.property])} -> ${renderValue(after.Resources?.[id]?.Properties?.[refused.property])}`,
            )
          : chain.of(id);
      hazards.push({
        ...base(id),
        impact: 'UPDATE_REFUSED',
        reason: `cannot be updated: ${what}: ${refused.rule.reason}`,
        fix: refused.rule.fix,
      });
    } else if (effect === 'blocked' && stateful(id)) {
      const refused = analysis.impacts.get(i.blockedBy!)!.refused!;
      hazards.push({
        ...base(id),
        impact: 'UPDATE_REFUSED',
        reason: `cannot be updated: ${chain.of(id)} (${refused.rule.reason})`,
        fix: refused.rule.fix,
      });
    }
  }
  return hazards;
}

function describeChange(logicalId: string, d: ResourceDifference, path: string | undefined): ResourceChange {
  const oldType = d.oldResourceType;
  const newType = d.newResourceType;
  const impact = String(d.changeImpact);
  const kind: ChangeKind = d.isAddition
    ? 'added'
    : d.isRemoval
      ? 'removed'
      : impact === 'WILL_REPLACE' || impact === 'MAY_REPLACE'
        ? 'replaced'
        : 'modified';
  const properties = Object.entries(d.propertyUpdates).map(([name, p]) => ({
    name,
    impact: String(p.changeImpact ?? 'WILL_UPDATE'),
    before: p.oldValue,
    after: p.newValue,
  }));
  return {
    logicalId,
    type: newType ?? oldType ?? 'unknown',
    ...(oldType !== undefined && newType !== undefined && oldType !== newType ? { previousType: oldType } : {}),
    ...(path === undefined ? {} : { path }),
    kind,
    impact,
    // What a deploy loses is the old resource: judge by the old type (or the new one, for a type change).
    stateful: kind !== 'added' && (isStatefulType(oldType) || (kind === 'replaced' && isStatefulType(newType))),
    properties: kind === 'added' || kind === 'removed' ? [] : properties,
    attributes: Object.keys(d.otherChanges).filter((k) => d.otherChanges[k]?.isDifferent),
  };
}

/** The rollback trigger alarm names a template records (lib/platform/platform-stack.ts, DELIVERY_METADATA). */
export function recordedRollbackTriggers(template: Template | undefined): string[] {
  const delivery = (template?.Metadata as Record<string, { rollbackTriggers?: unknown }> | undefined)?.['loadbearing:delivery'];
  return Array.isArray(delivery?.rollbackTriggers) ? delivery.rollbackTriggers.filter((n): n is string => typeof n === 'string') : [];
}

/**
 * A rollback trigger of the deployed stack that this deploy deletes or replaces. CloudFormation
 * keeps a stack's triggers for every later update ("saves the rollback triggers specified for a
 * stack and applies them to any subsequent update operations",
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-rollback-triggers.html),
 * and a trigger that is missing fails the operation, which then rolls back
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_RollbackTrigger.html).
 */
function triggerWarnings(before: Template | undefined, after: Template, changes: readonly ResourceChange[]): string[] {
  const alarms = (t: Template | undefined) =>
    new Map(
      Object.entries(t?.Resources ?? {})
        .filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm' && typeof r.Properties?.AlarmName === 'string')
        .map(([id, r]) => [r.Properties!.AlarmName as string, id]),
    );
  const [was, is] = [alarms(before), alarms(after)];
  const replaced = new Set(changes.filter((c) => c.kind === 'replaced').map((c) => c.logicalId));
  return recordedRollbackTriggers(before).flatMap((name) => {
    const id = is.get(name);
    const what = id === undefined ? 'deletes' : replaced.has(id) ? 'replaces' : undefined;
    if (!what) return [];
    return [
      `rollback trigger alarm ${name} (${was.get(name) ?? 'not in the baseline'}): this deploy ${what} it, and CloudFormation keeps the stack's triggers between deploys: ` +
        'a plain `cdk deploy` would fail on the missing trigger and roll back. Deploy with `npx loadbearing deploy`, which passes the new trigger list, ' +
        'or pass `--rollback-trigger-alarm-arns` with the triggers that remain (docs/delivering.md, "Rollback triggers").',
    ];
  });
}

function removalHazard(stack: string, change: ResourceChange, renamedTo: Hazard['renamedTo']): Hazard | undefined {
  if (change.kind !== 'removed' || (change.impact !== 'WILL_DESTROY' && change.impact !== 'WILL_ORPHAN')) return undefined;
  const base = { stack, logicalId: change.logicalId, type: change.type, ...(change.path === undefined ? {} : { path: change.path }) };
  const orphan = change.impact === 'WILL_ORPHAN';
  if (renamedTo) {
    const path = displayPath(change.path);
    return {
      ...base,
      impact: change.impact,
      renamedTo,
      reason:
        `logical ID changed: ${change.logicalId} -> ${renamedTo.logicalId}, the resource would be replaced: data loss ` +
        `(the old one ${orphan ? 'orphaned by DeletionPolicy Retain' : 'deleted'}, ${renamedTo.logicalId} created empty)`,
      fix: `restore the construct ID${path ? ` (${path})` : ''}, or pin the old logical ID with overrideLogicalId('${change.logicalId}')`,
    };
  }
  return {
    ...base,
    impact: change.impact,
    reason: orphan
      ? 'removed from the template: orphaned by DeletionPolicy Retain, it keeps running (and costing) outside the stack, unmanaged and unwatched'
      : 'removed from the template: CloudFormation would delete it and its data',
    fix: 'restore the construct, or the config that creates it',
  };
}

/** Weaker protection on a stateful resource that stays: not a loss yet, but the next one would be. */
function weakenedProtection(change: ResourceChange, d: ResourceDifference | undefined): string[] {
  if (!d) return [];
  const where = `${change.logicalId} (${change.type})`;
  const warnings: string[] = [];
  for (const attribute of ['DeletionPolicy', 'UpdateReplacePolicy']) {
    const c = d.otherChanges[attribute];
    if (c?.isDifferent && PROTECTIVE_POLICIES.has(String(c.oldValue)) && !PROTECTIVE_POLICIES.has(String(c.newValue))) {
      warnings.push(
        `${where}: ${attribute} ${String(c.oldValue)} -> ${c.newValue === undefined ? '(none: Delete)' : String(c.newValue)}; a later removal or replacement would delete its data`,
      );
    }
  }
  // DeletionProtection true -> false is a hazard (WILL_UNPROTECT), true -> left out a note: protectionChange.
  return warnings;
}

/**
 * A change to a resource's deletion protection in the template: `off` (true -> false, which
 * CloudFormation applies) or `handed-over` (true -> left out, which it does not; then `guarded`
 * says whether a RollbackGuard of the new template switches it on).
 */
function protectionChange(
  change: ResourceChange,
  before: Template | undefined,
  after: Template,
): { kind: 'off' | 'handed-over'; what: string; guarded: boolean } | undefined {
  const read = (t: Template | undefined): unknown => {
    const r = t?.Resources?.[change.logicalId];
    if (!r?.Properties) return undefined;
    if (r.Type === 'AWS::ElasticLoadBalancingV2::LoadBalancer') {
      const attributes = r.Properties.LoadBalancerAttributes;
      return Array.isArray(attributes)
        ? (attributes.find((a) => (a as { Key?: string }).Key === 'deletion_protection.enabled') as { Value?: unknown } | undefined)?.Value
        : undefined;
    }
    return r.Type === 'AWS::RDS::DBInstance' || r.Type === 'AWS::RDS::DBCluster' ? r.Properties.DeletionProtection : undefined;
  };
  const what = change.type === 'AWS::ElasticLoadBalancingV2::LoadBalancer' ? 'deletion_protection.enabled' : 'DeletionProtection';
  const was = read(before);
  const now = read(after);
  if (!isTrue(was)) return undefined;
  if (now !== undefined && !isTrue(now)) return { kind: 'off', what, guarded: false };
  if (now !== undefined) return undefined;
  const guarded = Object.values(after.Resources ?? {}).some(
    (r) => r.Type === 'Custom::RollbackGuard' && JSON.stringify(r.Properties ?? {}).includes(`"Ref":"${change.logicalId}"`),
  );
  return { kind: 'handed-over', what, guarded };
}

/** Resources that cannot move between VPCs in place: they are replaced, new and empty, in the other VPC. */
const VPC_BOUND_TYPES = new Set([
  'AWS::RDS::DBInstance',
  'AWS::RDS::DBProxy',
  'AWS::ElastiCache::ReplicationGroup',
  'AWS::ElasticLoadBalancingV2::LoadBalancer',
]);

/** The VPC of a template: one it creates (`created:<logical ID>`), or the existing one its security groups name. */
function vpcIdentity(template: Template | undefined): string | undefined {
  const resources = Object.entries(template?.Resources ?? {});
  const created = resources.find(([, r]) => r.Type === 'AWS::EC2::VPC');
  if (created) return `created:${created[0]}`;
  const ids = resources
    .filter(([, r]) => r.Type === 'AWS::EC2::SecurityGroup' && typeof r.Properties?.VpcId === 'string')
    .map(([, r]) => r.Properties!.VpcId as string);
  return ids[0];
}

/**
 * Switching an environment between a VPC the stack creates and an existing one (or between two
 * existing ones) moves every resource that lives in subnets. The DB instances, the proxy, the cache
 * and the ALB cannot move: CloudFormation replaces them with new, empty ones in the other VPC.
 */
function vpcMoveHazards(stack: string, before: Template | undefined, after: Template, paths: Readonly<Record<string, string>>): Hazard[] {
  const [from, to] = [vpcIdentity(before), vpcIdentity(after)];
  if (!from || !to || from === to) return [];
  const describe = (v: string) => (v.startsWith('created:') ? "the stack's own VPC" : `existing VPC ${v}`);
  return Object.entries(after.Resources ?? {})
    .filter(([id, r]) => VPC_BOUND_TYPES.has(r.Type) && before?.Resources?.[id]?.Type === r.Type)
    .map(([id, r]) => ({
      stack,
      logicalId: id,
      type: r.Type,
      ...(paths[id] === undefined ? {} : { path: paths[id] }),
      impact: 'WILL_REPLACE' as const,
      reason: `moves from ${describe(from)} to ${describe(to)}: it cannot move between VPCs in place: the update fails, or replaces it with a new, empty one`,
      fix: 'keep this environment in its VPC; to use another VPC, create a new environment there and migrate the data (docs/configuration.md, "An existing VPC")',
    }));
}

function removedStack(stack: string, before: Template): StackReview {
  const resources = Object.entries(before.Resources ?? {});
  const stateful = resources.filter(([, r]) => isStatefulType(r.Type)).length;
  return {
    stack,
    presence: 'removed',
    changes: [],
    impacts: [],
    hazards: [],
    rollbackRisks: [],
    warnings: [
      `stack ${stack} is no longer synthesized (${resources.length} resources, ${stateful} stateful). A deploy leaves the deployed stack alone; ` +
        '`cdk destroy` or deleting it would delete every resource without a Retain policy.',
    ],
    otherSections: [],
    iamTables: [],
    securityGroupTable: [],
    details: '',
  };
}

function otherSections(diff: TemplateDiff): string[] {
  const sections: [string, number][] = [
    ['Outputs', diff.outputs.differenceCount],
    ['Parameters', diff.parameters.differenceCount],
    ['Conditions', diff.conditions.differenceCount],
    ['Mappings', diff.mappings.differenceCount],
    ['Metadata', diff.metadata.differenceCount],
    ['other sections', diff.unknown.differenceCount + (diff.description?.isDifferent ? 1 : 0) + (diff.transform?.isDifferent ? 1 : 0)],
  ];
  return sections.filter(([, n]) => n > 0).map(([name, n]) => `${name}: ${n} changed`);
}

function unpaired(change: ResourceChange, template: Template | undefined): UnpairedResource {
  const properties = template?.Resources?.[change.logicalId]?.Properties;
  return {
    logicalId: change.logicalId,
    type: change.type,
    ...(change.path === undefined ? {} : { path: change.path }),
    ...(properties ? { properties } : {}),
  };
}

const KIND_ORDER: Record<ChangeKind, number> = { removed: 0, replaced: 1, refused: 2, added: 3, modified: 4 };
function byKindThenId(a: ResourceChange, b: ResourceChange): number {
  return KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || a.logicalId.localeCompare(b.logicalId);
}

function isTrue(v: unknown): boolean {
  return v === true || v === 'true';
}

// The formatter colours its output when chalk thinks the terminal supports it; the report is
// plain text and Markdown, so strip the codes rather than depend on import order.
// biome-ignore lint/suspicious/noControlCharactersInRegex: the escape character is what an ANSI colour code starts with
const ANSI = /\u001b\[[0-9;]*m/g;
export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

function stripTable(table: string[][]): string[][] {
  return table.map((row) => row.map(stripAnsi));
}

function renderDetails(diff: TemplateDiff, paths: Record<string, string>): string {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  (sink as Writable & { columns?: number }).columns = 120;
  formatDifferences(sink, diff, paths);
  return stripAnsi(chunks.join('')).trimEnd();
}

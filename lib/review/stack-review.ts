import { Writable } from 'node:stream';
import { formatDifferences, fullDiff, type ResourceDifference, type TemplateDiff } from '@aws-cdk/cloudformation-diff';
import { constructPaths, displayPath } from './construct-paths';
import { pairRenames, type UnpairedResource } from './rename-detection';
import { isStatefulType } from './stateful-types';
import type { Template } from './templates';

/** The impacts that lose the live resource: the guard blocks them on stateful types. */
export const DESTRUCTIVE_IMPACTS = ['WILL_DESTROY', 'WILL_REPLACE', 'MAY_REPLACE', 'WILL_ORPHAN'] as const;
export type DestructiveImpact = (typeof DESTRUCTIVE_IMPACTS)[number];

export type ChangeKind = 'added' | 'removed' | 'modified' | 'replaced';

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
}

/** A stateful resource a deploy would destroy, replace or orphan. */
export interface Hazard {
  readonly stack: string;
  readonly logicalId: string;
  readonly type: string;
  readonly path?: string;
  readonly impact: DestructiveImpact;
  /** What happens and why, one sentence. */
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
  readonly hazards: readonly Hazard[];
  /** Non-blocking findings worth a reviewer's attention. */
  readonly warnings: readonly string[];
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
 * replace or orphan. `before` or `after` is undefined when the stack exists on one side only.
 * `knownPaths` adds construct paths the templates do not carry (from the assembly metadata).
 */
export function reviewStack(
  stack: string,
  before: Template | undefined,
  after: Template | undefined,
  knownPaths: Readonly<Record<string, string>> = {},
): StackReview {
  if (after === undefined) return removedStack(stack, before ?? {});
  const diff = fullDiff(before ?? {}, after);
  const paths = { ...knownPaths, ...constructPaths(before), ...constructPaths(after) };

  const changes: ResourceChange[] = [];
  diff.resources.forEachDifference((logicalId, d) => {
    changes.push(describeChange(logicalId, d, paths[logicalId]));
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
    const hazard = hazardOf(stack, change, renamedTo === undefined ? undefined : { logicalId: renamedTo, path: paths[renamedTo] });
    if (hazard) hazards.push(hazard);
    if (change.kind === 'modified' || change.kind === 'replaced') warnings.push(...weakenedProtection(change, diff.resources.get(change.logicalId)));
  }

  return {
    stack,
    presence: before === undefined ? 'added' : 'both',
    changes,
    hazards,
    warnings,
    otherSections: otherSections(diff),
    iamTables: [diff.iamChanges.summarizeStatements(), diff.iamChanges.summarizeManagedPolicies()].filter((t) => t.length > 1).map(stripTable),
    securityGroupTable: diff.securityGroupChanges.hasChanges ? stripTable(diff.securityGroupChanges.summarize()) : [],
    details: diff.isEmpty ? '' : renderDetails(diff, paths),
  };
}

function describeChange(logicalId: string, d: ResourceDifference, path: string | undefined): ResourceChange {
  const oldType = d.oldResourceType;
  const newType = d.newResourceType;
  const impact = String(d.changeImpact);
  const kind: ChangeKind = d.isAddition ? 'added' : d.isRemoval ? 'removed' : impact === 'WILL_REPLACE' || impact === 'MAY_REPLACE' ? 'replaced' : 'modified';
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

function hazardOf(stack: string, change: ResourceChange, renamedTo: Hazard['renamedTo']): Hazard | undefined {
  const base = { stack, logicalId: change.logicalId, type: change.type, ...(change.path === undefined ? {} : { path: change.path }) };
  if (change.kind === 'removed' && (change.impact === 'WILL_DESTROY' || change.impact === 'WILL_ORPHAN')) {
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
  if (change.kind === 'replaced') {
    const causes = change.properties.filter((p) => p.impact === 'WILL_REPLACE' || p.impact === 'MAY_REPLACE');
    const why =
      causes.length > 0
        ? causes.map((p) => `${p.name} ${renderValue(p.before)} -> ${renderValue(p.after)} (${p.impact === 'WILL_REPLACE' ? 'requires replacement' : 'may cause replacement'})`).join('; ')
        : `the resource type changed (${change.previousType ?? '?'} -> ${change.type})`;
    return {
      ...base,
      impact: change.impact as DestructiveImpact,
      reason: `${change.impact === 'MAY_REPLACE' ? 'may be' : 'would be'} replaced by a new, empty resource: ${why}`,
      fix: causes.length > 0 ? `revert the change to ${causes.map((p) => p.name).join(', ')}` : 'revert the type change',
    };
  }
  return undefined;
}

/** Weaker protection on a stateful resource that stays: not a loss yet, but the next one would be. */
function weakenedProtection(change: ResourceChange, d: ResourceDifference | undefined): string[] {
  if (!d) return [];
  const where = `${change.logicalId} (${change.type})`;
  const warnings: string[] = [];
  for (const attribute of ['DeletionPolicy', 'UpdateReplacePolicy']) {
    const c = d.otherChanges[attribute];
    if (c?.isDifferent && PROTECTIVE_POLICIES.has(String(c.oldValue)) && !PROTECTIVE_POLICIES.has(String(c.newValue))) {
      warnings.push(`${where}: ${attribute} ${String(c.oldValue)} -> ${c.newValue === undefined ? '(none: Delete)' : String(c.newValue)}; a later removal or replacement would delete its data`);
    }
  }
  const protection = change.properties.find((p) => p.name === 'DeletionProtection');
  if (protection && isTrue(protection.before) && !isTrue(protection.after)) {
    warnings.push(`${where}: DeletionProtection ${renderValue(protection.before)} -> ${renderValue(protection.after)}`);
  }
  return warnings;
}

function removedStack(stack: string, before: Template): StackReview {
  const resources = Object.entries(before.Resources ?? {});
  const stateful = resources.filter(([, r]) => isStatefulType(r.Type)).length;
  return {
    stack,
    presence: 'removed',
    changes: [],
    hazards: [],
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
  return { logicalId: change.logicalId, type: change.type, ...(change.path === undefined ? {} : { path: change.path }), ...(properties ? { properties } : {}) };
}

const KIND_ORDER: Record<ChangeKind, number> = { removed: 0, replaced: 1, added: 2, modified: 3 };
function byKindThenId(a: ResourceChange, b: ResourceChange): number {
  return KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || a.logicalId.localeCompare(b.logicalId);
}

function isTrue(v: unknown): boolean {
  return v === true || v === 'true';
}

/** A value for a one-line message: compact JSON, shortened. */
export function renderValue(value: unknown): string {
  if (value === undefined) return '(none)';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

// The formatter colours its output when chalk thinks the terminal supports it; the report is
// plain text and Markdown, so strip the codes rather than depend on import order.
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

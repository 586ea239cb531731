import type { AllowEntry } from './allow-list';
import { displayPath } from './construct-paths';
import type { Review } from './review';
import { renderValue, type ChangeKind, type Hazard, type ReferenceImpact, type ResourceChange, type StackReview } from './stack-review';

/** `2 added, 1 removed, ...` for one stack, kinds with no change left out. */
export function countSummary(stack: StackReview): string {
  if (stack.presence === 'removed') return 'no longer synthesized';
  const counts = (['added', 'removed', 'modified', 'replaced', 'refused'] as ChangeKind[])
    .map((kind) => [kind, stack.changes.filter((c) => c.kind === kind).length] as const)
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => `${n} ${kind}`);
  const through = stack.impacts.length > 0 ? [`${stack.impacts.length} affected through references`] : [];
  const parts = [...counts, ...through, ...stack.otherSections];
  const prefix = stack.presence === 'added' ? 'new stack: ' : '';
  return parts.length === 0 ? `${prefix}no changes` : prefix + parts.join(', ');
}

/**
 * What changed in a resource, short: `Threshold 80 -> 70, Tags`. Inside an object, the values
 * that changed (at most MAX_LEAVES per property): `LaunchTemplateData.InstanceType "c7g.large" ->
 * "c7g.xlarge"`, so a config change can be recognized without --details.
 */
export function changeSummary(change: ResourceChange): string {
  const properties = change.properties.map((p) => {
    const scalar = isScalar(p.before) && isScalar(p.after);
    const note = p.impact === 'WILL_REPLACE' ? ' (requires replacement)' : p.impact === 'MAY_REPLACE' ? ' (may cause replacement)' : '';
    if (scalar) return `${p.name} ${renderValue(p.before)} -> ${renderValue(p.after)}${note}`;
    const leaves = changedLeaves(p.before, p.after, p.name);
    const shown = leaves
      .slice(0, MAX_LEAVES)
      .map((l) => (isScalar(l.before) && isScalar(l.after) ? `${l.path} ${renderValue(l.before)} -> ${renderValue(l.after)}` : l.path));
    const more = leaves.length > MAX_LEAVES ? ` (+${leaves.length - MAX_LEAVES} more)` : '';
    return leaves.length === 1 && leaves[0]!.path === p.name ? `${p.name}${note}` : `${shown.join(', ')}${more}${note}`;
  });
  const parts = [...properties, ...change.attributes];
  if (change.inPlace) parts.push(`in place (${change.inPlace.split(':')[0]})`);
  if (change.kind === 'removed') parts.unshift(change.impact === 'WILL_ORPHAN' ? 'orphaned (DeletionPolicy Retain)' : 'deleted');
  if (change.kind === 'replaced' && properties.length === 0) parts.unshift('type changed');
  return parts.join(', ');
}

/** Changed values shown per property, the rest counted. */
const MAX_LEAVES = 3;

interface Leaf {
  readonly path: string;
  readonly before: unknown;
  readonly after: unknown;
}

/**
 * The innermost values that differ between two property values, with their paths: objects by key,
 * arrays of the same length by index. An intrinsic function (`Ref`, `Fn::*`) or a list that
 * changed length is one value.
 */
export function changedLeaves(before: unknown, after: unknown, path: string): Leaf[] {
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  if (Array.isArray(before) && Array.isArray(after)) {
    if (before.length !== after.length)
      return [{ path: `${path} (${before.length} -> ${after.length} items)`, before: undefined, after: {} }];
    return before.flatMap((b, i) => changedLeaves(b, after[i], `${path}[${i}]`));
  }
  if (isPlainObject(before) && isPlainObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    return keys.flatMap((k) => changedLeaves(before[k], after[k], `${path}.${k}`));
  }
  return [{ path, before, after }];
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  return !Object.keys(v).some((k) => k === 'Ref' || k.startsWith('Fn::'));
}

function isScalar(v: unknown): boolean {
  return v === undefined || v === null || ['string', 'number', 'boolean'].includes(typeof v);
}

/** The effect on a resource reached through references, as a change kind: `replaced`, `maybe`, `refused`, `blocked`. */
export function impactKind(impact: ReferenceImpact): string {
  return { replaced: 'replaced', 'may be replaced': 'maybe', 'update refused': 'refused', blocked: 'blocked' }[impact.effect];
}

/** `2 stateful resources would be destroyed, replaced or orphaned, or could not be updated, or would lose deletion protection` */
export function blockedHeadline(review: Review): string {
  const refused = review.blocking.some((h) => h.impact === 'UPDATE_REFUSED');
  const unprotected = review.blocking.some((h) => h.impact === 'WILL_UNPROTECT');
  const lost = review.blocking.some((h) => h.impact !== 'UPDATE_REFUSED' && h.impact !== 'WILL_UNPROTECT');
  const what = [
    lost ? 'would be destroyed, replaced or orphaned' : '',
    refused ? 'could not be updated (AWS refuses the update)' : '',
    unprotected ? 'would lose deletion protection' : '',
  ]
    .filter(Boolean)
    .join(', or ');
  return `${plural(review.blocking.length, 'stateful resource')} ${what}`;
}

/** `DatabaseWriter7794273E AWS::RDS::DBInstance (Database/Writer)` */
export function resourceLabel(r: { logicalId: string; type: string; path?: string }): string {
  const path = displayPath(r.path);
  return `${r.logicalId} ${r.type}${path ? ` (${path})` : ''}`;
}

/** A ready-to-paste allow-list entry for a hazard. */
export function allowListSnippet(hazard: Hazard): string {
  return JSON.stringify({
    stack: hazard.stack,
    logicalId: hazard.logicalId,
    impact: hazard.impact,
    reason: '<why the data may go: snapshot or migration plan>',
  });
}

/** One line for an allow-list entry that matches nothing (exit 2). */
export function staleError(entry: AllowEntry, allowListPath: string): string {
  return (
    `allow-list entry ${entry.stack} / ${entry.logicalId}${entry.impact ? ` (${entry.impact})` : ''} in ${allowListPath} matches nothing in this diff: ` +
    'remove it if its change is deployed, or fix its stack, logicalId or impact'
  );
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

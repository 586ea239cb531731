import { deepEqual } from '@aws-cdk/cloudformation-diff/lib/diff/util';
import { renderValue } from './render-value';
import { propertyReferences } from './template-references';
import type { Template } from './templates';
import { updateBehaviour, type UpdateBehaviour } from './update-behaviour';
import {
  IN_PLACE_RULES,
  REFUSED_UPDATES,
  ruleFor,
  type ChangeCause,
  type RefusedUpdate,
  type UpdateContext,
  type UpdateRule,
} from './update-rules';

/** Whether a deploy replaces a resource: certainly, possibly (the spec's "maybe"), or not. */
export type ReplacementLevel = 'none' | 'maybe' | 'yes';

const RANK: Record<ReplacementLevel, number> = { none: 0, maybe: 1, yes: 2 };

/** A property whose new value in the template replaces (or may replace) the resource. */
export interface PropertyReplacement {
  readonly property: string;
  readonly before: unknown;
  readonly after: unknown;
  readonly behaviour: Exclude<UpdateBehaviour, 'update'>;
}

/** Why a resource is (or may be) replaced. */
export type ReplacementCause =
  | { readonly kind: 'text'; readonly properties: readonly PropertyReplacement[] }
  | { readonly kind: 'type'; readonly from: string; readonly to: string }
  /** `property` refers to `source`, which is replaced, and changing it replaces (or may replace) this resource. */
  | {
      readonly kind: 'reference';
      readonly source: string;
      readonly property: string;
      readonly behaviour: Exclude<UpdateBehaviour, 'update'>;
    };

/** What a deploy does to one resource, beyond an ordinary in-place update. */
export interface ResourceImpact {
  readonly logicalId: string;
  readonly type: string;
  replacement: ReplacementLevel;
  /** Why it is replaced; the first cause that reached its level. */
  cause?: ReplacementCause;
  /** An update of it that AWS refuses (see REFUSED_UPDATES). */
  refused?: { readonly rule: RefusedUpdate; readonly property: string; readonly cause: ChangeCause };
  /** The refused resource it refers to: it cannot be updated either. */
  blockedBy?: string;
  /** Possible replacements a documented rule proves to be in place (see IN_PLACE_RULES). */
  readonly inPlace: { readonly rule: UpdateRule; readonly property: string }[];
}

/**
 * What decides a resource's fate in a deploy, most severe first: a certain replacement (a new
 * resource, so nothing to refuse), an update AWS refuses (the deploy fails there), an update
 * blocked by a refused one it depends on, then a possible replacement.
 */
export function dominantEffect(i: ResourceImpact): ChainStep['effect'] | undefined {
  if (i.replacement === 'yes') return 'replaced';
  if (i.refused) return 'update refused';
  if (i.blockedBy !== undefined) return 'blocked';
  return i.replacement === 'maybe' ? 'may be replaced' : undefined;
}

/** One link of a chain, root first. */
export interface ChainStep {
  readonly logicalId: string;
  readonly type: string;
  readonly effect: 'replaced' | 'may be replaced' | 'update refused' | 'blocked';
  /** Which property, and why: `CidrBlock "10.0.0.0/16" -> "10.1.0.0/16" requires replacement`. */
  readonly detail: string;
}

export interface ImpactAnalysis {
  /** Every resource a deploy replaces, may replace, cannot update, or updates only by a proven rule. */
  readonly impacts: ReadonlyMap<string, ResourceImpact>;
  /** How the effect on a resource comes about, from its root cause (a template change) to the resource itself. */
  chain(logicalId: string): ChainStep[];
}

/**
 * Follows a change through the template: when a resource is replaced, every `Ref`, `Fn::GetAtt`
 * and `Fn::Sub` of it resolves to a new value, so each resource that refers to it sees a changed
 * property, though its template text is the same. That property's update behaviour (from the
 * CloudFormation spec) decides what happens to the dependent: replaced, possibly replaced, or
 * updated in place, where an update AWS refuses (REFUSED_UPDATES) blocks it and what depends on
 * it. A possible replacement that a documented rule proves in place (IN_PLACE_RULES) is not one.
 *
 * Terminates on any input, cycles included: a resource's replacement level only rises (none ->
 * maybe -> yes) and it is revisited only when it rises. Adding a replacement cause never lowers
 * any resource's level. Only resources on both sides are followed: a new resource is created with
 * its new values.
 */
export function analyzeImpacts(before: Template, after: Template): ImpactAnalysis {
  const old = before.Resources ?? {};
  const next = after.Resources ?? {};
  const impacts = new Map<string, ResourceImpact>();
  const impact = (id: string): ResourceImpact => {
    let i = impacts.get(id);
    if (!i) impacts.set(id, (i = { logicalId: id, type: next[id]?.Type ?? old[id]?.Type ?? 'unknown', replacement: 'none', inPlace: [] }));
    return i;
  };
  const raise = (id: string, level: ReplacementLevel, cause: ReplacementCause): boolean => {
    const i = impact(id);
    if (RANK[level] < RANK[i.replacement]) return false;
    if (RANK[level] === RANK[i.replacement]) {
      // Same level: a reference leads further up to the root than the resource's own text change
      // (a subnet's CIDR changes because its VPC's does). Never a loop back to the resource itself.
      if (i.cause?.kind === 'text' && cause.kind === 'reference' && !leadsTo(cause.source, id)) i.cause = cause;
      return false;
    }
    i.replacement = level;
    i.cause = cause;
    return true;
  };
  /** Whether following the replacement causes up from `from` reaches `target`. */
  const leadsTo = (from: string, target: string): boolean => {
    const seen = new Set<string>();
    for (let at: string | undefined = from; at !== undefined && !seen.has(at); ) {
      if (at === target) return true;
      seen.add(at);
      const cause: ReplacementCause | undefined = impacts.get(at)?.cause;
      at = cause?.kind === 'reference' ? cause.source : undefined;
    }
    return false;
  };
  const replacement = (id: string): ReplacementLevel => impacts.get(id)?.replacement ?? 'none';
  const context = (logicalId: string, property: string, cause: ChangeCause): UpdateContext => ({
    logicalId,
    property,
    cause,
    before,
    after,
    replacement,
  });
  // In-place changes (text, or references to replaced resources), judged against REFUSED_UPDATES once replacements are known.
  const updates: { id: string; property: string; cause: ChangeCause }[] = [];
  const provenInPlace = (id: string, property: string, cause: ChangeCause): boolean => {
    const rule = ruleFor(IN_PLACE_RULES, next[id]!.Type, context(id, property, cause));
    if (rule) impact(id).inPlace.push({ rule, property });
    return rule !== undefined;
  };

  // 1. Changes in the template text: the roots.
  const ids = Object.keys(next)
    .filter((id) => old[id] !== undefined)
    .sort();
  for (const id of ids) {
    const [was, is] = [old[id]!, next[id]!];
    if (was.Type !== is.Type) {
      raise(id, 'yes', { kind: 'type', from: was.Type, to: is.Type });
      continue;
    }
    const replacing: PropertyReplacement[] = [];
    const names = [...new Set([...Object.keys(was.Properties ?? {}), ...Object.keys(is.Properties ?? {})])].sort();
    for (const property of names) {
      const [from, to] = [was.Properties?.[property], is.Properties?.[property]];
      if (deepEqual(from, to)) continue;
      const behaviour = updateBehaviour(is.Type, property);
      if (behaviour === 'update') updates.push({ id, property, cause: { kind: 'text' } });
      else if (behaviour === 'replace' || !provenInPlace(id, property, { kind: 'text' }))
        replacing.push({ property, before: from, after: to, behaviour });
    }
    if (replacing.length > 0)
      raise(id, replacing.some((p) => p.behaviour === 'replace') ? 'yes' : 'maybe', { kind: 'text', properties: replacing });
  }

  // 2. Through references: who refers to a replaced resource, in which property.
  const dependents = new Map<string, { id: string; property: string }[]>();
  for (const id of ids) {
    for (const [property, targets] of propertyReferences(next[id]!)) {
      for (const target of targets) {
        if (!dependents.has(target)) dependents.set(target, []);
        dependents.get(target)!.push({ id, property });
      }
    }
  }
  const queue = [...impacts.values()].filter((i) => i.replacement !== 'none').map((i) => i.logicalId);
  while (queue.length > 0) {
    const source = queue.shift()!;
    const level = impacts.get(source)!.replacement;
    for (const { id, property } of dependents.get(source) ?? []) {
      const cause: ChangeCause = { kind: 'reference', source };
      const behaviour = updateBehaviour(next[id]!.Type, property);
      if (behaviour === 'update') {
        updates.push({ id, property, cause });
        continue;
      }
      if (behaviour === 'maybe' && provenInPlace(id, property, cause)) continue;
      const target: ReplacementLevel = behaviour === 'replace' && level === 'yes' ? 'yes' : 'maybe';
      if (raise(id, target, { kind: 'reference', source, property, behaviour })) queue.push(id);
    }
  }

  // 3. Updates AWS refuses. (A replaced resource is created new, with its new values: nothing to refuse.)
  for (const { id, property, cause } of updates) {
    if (replacement(id) === 'yes' || impacts.get(id)?.refused) continue;
    const rule = ruleFor(REFUSED_UPDATES, next[id]!.Type, context(id, property, cause));
    if (rule) impact(id).refused = { rule, property, cause };
  }

  // 4. A resource whose update AWS refuses blocks the resources that refer to it.
  for (const refused of [...impacts.values()]
    .filter((i) => i.refused && i.replacement !== 'yes')
    .sort((a, b) => a.logicalId.localeCompare(b.logicalId))) {
    for (const { id } of dependents.get(refused.logicalId) ?? []) {
      if (id !== refused.logicalId && !impact(id).blockedBy) impact(id).blockedBy = refused.logicalId;
    }
  }

  for (const [id, i] of impacts) {
    if (i.replacement === 'none' && !i.refused && !i.blockedBy && i.inPlace.length === 0) impacts.delete(id);
  }

  function chainOf(id: string, seen = new Set<string>()): ChainStep[] {
    const i = impacts.get(id);
    if (!i || seen.has(id)) return [];
    seen.add(id);
    const effect = dominantEffect(i);
    if (effect === undefined) return [];
    if (effect === 'update refused') {
      const refused = i.refused!;
      const upstream = refused.cause.kind === 'reference' ? chainOf(refused.cause.source, seen) : [];
      return [...upstream, { logicalId: id, type: i.type, effect, detail: `${refused.property}: ${refused.rule.short}` }];
    }
    if (effect === 'blocked') return [...chainOf(i.blockedBy!, seen), { logicalId: id, type: i.type, effect, detail: 'cannot be updated' }];
    const cause = i.cause;
    if (cause?.kind === 'reference') {
      return [
        ...chainOf(cause.source, seen),
        {
          logicalId: id,
          type: i.type,
          effect,
          detail: `${cause.property} ${cause.behaviour === 'replace' ? 'requires replacement' : 'may cause replacement'}`,
        },
      ];
    }
    if (cause?.kind === 'type') return [{ logicalId: id, type: i.type, effect, detail: `type ${cause.from} -> ${cause.to}` }];
    const detail = (cause?.properties ?? [])
      .map(
        (p) =>
          `${p.property} ${renderValue(p.before)} -> ${renderValue(p.after)} ${p.behaviour === 'replace' ? 'requires replacement' : 'may cause replacement'}`,
      )
      .join('; ');
    return [{ logicalId: id, type: i.type, effect, detail }];
  }

  return { impacts, chain: (id) => chainOf(id) };
}

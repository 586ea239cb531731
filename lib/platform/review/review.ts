import { applyAllowList, type AllowEntry, type AllowedHazard } from './allow-list';
import { reviewStack, type Hazard, type StackReview } from './stack-review';
import type { TemplateSet } from './templates';

/** The outcome of comparing two sets of templates. */
export interface Review {
  readonly base: string;
  readonly head: string;
  /** Every stack on either side, by name. */
  readonly stacks: readonly StackReview[];
  /** Stateful resources a deploy would destroy, replace or orphan, not allowed: the run fails. */
  readonly blocking: readonly Hazard[];
  /** Hazards the allow-list accepts, with its reason. */
  readonly allowed: readonly AllowedHazard[];
  /** Allow-list entries for a stack of this review that match nothing in it. */
  readonly stale: readonly AllowEntry[];
  /** Whether any template differs at all. */
  readonly changed: boolean;
  /** 0: nothing blocking; 1: a blocking change. */
  readonly exitCode: 0 | 1;
}

export interface ReviewOptions {
  /** Config changes per stack (see `configChanges`): the roots of that stack's chains. */
  readonly configChanges?: ReadonlyMap<string, readonly string[]>;
}

/**
 * Compares every stack of `base` with the same stack in `head` and applies the allow-list.
 * Entries for stacks outside this review (not synthesized on either side) are not judged.
 */
export function reviewTemplates(
  base: TemplateSet,
  head: TemplateSet,
  allowList: readonly AllowEntry[],
  options: ReviewOptions = {},
): Review {
  const names = [...new Set([...base.templates.keys(), ...head.templates.keys()])].sort();
  const stacks = names.map((name) =>
    reviewStack(
      name,
      base.templates.get(name),
      head.templates.get(name),
      { ...head.paths?.get(name), ...base.paths?.get(name) },
      options.configChanges?.get(name) ?? [],
    ),
  );
  const { blocking, allowed, stale } = applyAllowList(
    stacks.flatMap((s) => s.hazards),
    allowList.filter((e) => names.includes(e.stack)),
  );
  return {
    base: base.label,
    head: head.label,
    stacks,
    blocking,
    allowed,
    stale,
    changed: stacks.some(isChanged),
    exitCode: blocking.length > 0 ? 1 : 0,
  };
}

export function isChanged(stack: StackReview): boolean {
  return stack.presence !== 'both' || stack.changes.length > 0 || stack.otherSections.length > 0;
}

import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { formatProblems, problemsFromZod, renderValue, type ConfigProblem } from '../../model/config/config-error';
import { ALWAYS, matching, violation } from '../../model/config/schema-helpers';
import { BLOCKING_IMPACTS, type Hazard } from './stack-review';

/**
 * Where loadbearing's own repository keeps its allow-list, relative to the project root: read
 * when it exists and neither `--allow-list` nor the config file's `review.allowReplacements`
 * names another. A team's project names its own in its config file.
 */
export const DEFAULT_ALLOW_LIST = 'lib/platform/review/allow-replacements.json';

const PLACEHOLDER =
  /^(todo|tbd|fixme|n\/?a|none|test|testing|wip|reason|because|ok|yes|deliberate|intended|intentional|approved|needed|required)\b/i;
const MIN_REASON_LENGTH = 20;
const MIN_REASON_WORDS = 4;

const REASON_FIX =
  'say why the data may go or how it survives, e.g. "dev cache holds only sessions; users log in again" or "restored from snapshot lb-prod-2024-06-01 into the new instance".';

function checkReason(reason: string | undefined, ctx: z.RefinementCtx): void {
  if (reason === undefined) {
    violation(ctx, ['reason'], undefined, 'required: every allowed loss needs a reason', REASON_FIX);
    return;
  }
  const text = reason.trim();
  const words = text.split(/\s+/).filter(Boolean).length;
  if (text.length < MIN_REASON_LENGTH || words < MIN_REASON_WORDS || (PLACEHOLDER.test(text) && words < 6)) {
    violation(
      ctx,
      ['reason'],
      reason,
      `must explain why losing this resource is acceptable (at least ${MIN_REASON_LENGTH} characters and ${MIN_REASON_WORDS} words, not a placeholder)`,
      REASON_FIX,
    );
  }
}

const entrySchema = z
  .strictObject({
    stack: z.string().min(1).describe('Stack name, e.g. loadbearing-prod.'),
    logicalId: matching(
      /^[A-Za-z0-9]+$/,
      'must be a CloudFormation logical ID (letters and digits)',
      'copy the logical ID from the `npm run diff` output (for a rename: the old ID), e.g. "DatabaseWriter7794273E".',
    ).describe('Logical ID of the resource that is lost (for a rename: the old ID).'),
    impact: z.enum(BLOCKING_IMPACTS).optional().describe('Only allow this impact. @default - any blocking impact'),
    reason: z.string().optional().describe('Why the loss is acceptable, and the snapshot or migration plan.'),
  })
  // ALWAYS: report a bad reason together with the entry's other problems.
  .superRefine((entry, ctx) => {
    // A reason of the wrong type is already reported by z.string().
    if (entry.reason === undefined || typeof entry.reason === 'string') checkReason(entry.reason, ctx);
  }, ALWAYS)
  .transform((entry) => entry as typeof entry & { reason: string });

const fileSchema = z
  .strictObject({
    $comment: z.string().optional(),
    allowed: z.array(entrySchema),
  })
  .superRefine((file, ctx) => {
    const seen = new Map<string, number>();
    file.allowed.forEach((e, i) => {
      const key = `${e.stack}/${e.logicalId}/${e.impact ?? '*'}`;
      const first = seen.get(key);
      if (first !== undefined) {
        violation(
          ctx,
          ['allowed', i],
          { stack: e.stack, logicalId: e.logicalId },
          `duplicates allowed[${first}]`,
          'remove one of the two entries.',
        );
      }
      seen.set(key, i);
    });
  });

/** A deliberate destruction or replacement of a stateful resource, reviewed and explained. */
export type AllowEntry = z.output<typeof entrySchema>;

/** An invalid allow-list: every problem with its path, value, rule and fix. */
export class AllowListError extends Error {
  public readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[], source: string) {
    super(formatProblems(problems, source).replace(/^Invalid loadbearing configuration/, 'Invalid allow-list'));
    this.name = 'AllowListError';
    this.problems = problems;
  }
}

export function isAllowListError(e: unknown): e is AllowListError {
  return e instanceof Error && e.name === 'AllowListError' && Array.isArray((e as AllowListError).problems);
}

/** Validates an allow-list document; throws an AllowListError listing every bad entry. */
export function parseAllowList(json: unknown, source: string): AllowEntry[] {
  const result = fileSchema.safeParse(json, { reportInput: true });
  if (!result.success) throw new AllowListError(problemsFromZod(result.error.issues, [], fileSchema), source);
  return result.data.allowed;
}

/**
 * Reads the allow-list. A missing file at the default location means "nothing allowed"; a
 * missing file the user named is a mistake. (`locateAllowList` decides which file.)
 */
export function loadAllowList(path: string, required: boolean): AllowEntry[] {
  if (!existsSync(path)) {
    if (!required) return [];
    throw new AllowListError(
      [
        {
          path: '(file)',
          value: renderValue(path),
          rule: 'does not exist',
          fix: 'create it with {"allowed": []} (docs/reviewing-changes.md, "The allow-list"), or correct the path.',
        },
      ],
      path,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new AllowListError(
      [{ path: '(file)', value: renderValue(path), rule: `is not valid JSON: ${(e as Error).message}`, fix: 'fix the JSON syntax.' }],
      path,
    );
  }
  return parseAllowList(json, path);
}

export function allows(entry: AllowEntry, hazard: Hazard): boolean {
  return (
    entry.stack === hazard.stack && entry.logicalId === hazard.logicalId && (entry.impact === undefined || entry.impact === hazard.impact)
  );
}

export interface AllowedHazard {
  readonly hazard: Hazard;
  readonly entry: AllowEntry;
}

export interface AllowListResult {
  readonly blocking: readonly Hazard[];
  readonly allowed: readonly AllowedHazard[];
  /** Entries that match nothing in this diff: already deployed, or a typo. */
  readonly stale: readonly AllowEntry[];
}

/** Splits hazards into blocking and allowed, and finds entries that matched nothing. */
export function applyAllowList(hazards: readonly Hazard[], entries: readonly AllowEntry[]): AllowListResult {
  const blocking: Hazard[] = [];
  const allowed: AllowedHazard[] = [];
  const used = new Set<AllowEntry>();
  for (const hazard of hazards) {
    const entry = entries.find((e) => allows(e, hazard));
    if (entry) {
      allowed.push({ hazard, entry });
      used.add(entry);
    } else {
      blocking.push(hazard);
    }
  }
  return { blocking, allowed, stale: entries.filter((e) => !used.has(e)) };
}

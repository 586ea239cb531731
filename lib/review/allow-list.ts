import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError, problemsFromZod, renderValue } from '../config/config-error';
import { violation } from '../config/schema-helpers';
import { DESTRUCTIVE_IMPACTS, type Hazard } from './stack-review';

/** Where the allow-list lives, relative to the project root. */
export const DEFAULT_ALLOW_LIST = 'review/allow-replacements.json';

const PLACEHOLDER = /^(todo|tbd|fixme|n\/?a|none|test|testing|wip|reason|because|ok|yes|deliberate|intended|intentional|approved|needed|required)\b/i;
const MIN_REASON_LENGTH = 20;
const MIN_REASON_WORDS = 4;

const reasonSchema = z.string().superRefine((reason, ctx) => {
  const text = reason.trim();
  const words = text.split(/\s+/).filter(Boolean).length;
  if (text.length < MIN_REASON_LENGTH || words < MIN_REASON_WORDS || (PLACEHOLDER.test(text) && words < 6)) {
    violation(
      ctx,
      [],
      reason,
      `must explain why losing this resource is acceptable (at least ${MIN_REASON_LENGTH} characters and ${MIN_REASON_WORDS} words, not a placeholder)`,
      'say why the data may go or how it survives, e.g. "dev cache holds only sessions; users log in again" or "restored from snapshot lb-prod-2024-06-01 into the new instance".',
    );
  }
});

const entrySchema = z.strictObject({
  stack: z.string().min(1).describe('Stack name, e.g. loadbearing-prod.'),
  logicalId: z
    .string()
    .regex(/^[A-Za-z0-9]+$/, { message: 'must be a CloudFormation logical ID (letters and digits)' })
    .describe('Logical ID of the resource that is lost (for a rename: the old ID).'),
  impact: z.enum(DESTRUCTIVE_IMPACTS).optional().describe('Only allow this impact. @default - any destructive impact'),
  reason: reasonSchema.describe('Why the loss is acceptable, and the snapshot or migration plan.'),
});

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
        violation(ctx, ['allowed', i], { stack: e.stack, logicalId: e.logicalId }, `duplicates allowed[${first}]`, 'remove one of the two entries.');
      }
      seen.set(key, i);
    });
  });

/** A deliberate destruction or replacement of a stateful resource, reviewed and explained. */
export type AllowEntry = z.infer<typeof entrySchema>;

/** Validates an allow-list document; throws a ConfigError listing every bad entry. */
export function parseAllowList(json: unknown, source: string): AllowEntry[] {
  const result = fileSchema.safeParse(json, { reportInput: true });
  if (!result.success) throw new ConfigError(problemsFromZod(result.error.issues, [], fileSchema), source);
  return result.data.allowed;
}

/**
 * Reads the allow-list. A missing file at the default location means "nothing allowed"; a
 * missing file the user named is a mistake.
 */
export function loadAllowList(path: string, required: boolean): AllowEntry[] {
  if (!existsSync(path)) {
    if (!required) return [];
    throw new ConfigError([{ path: '(file)', value: renderValue(path), rule: 'does not exist', fix: `create it (see README, "Reviewing changes") or omit --allow-list to use ${DEFAULT_ALLOW_LIST}.` }], path);
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigError([{ path: '(file)', value: renderValue(path), rule: `is not valid JSON: ${(e as Error).message}`, fix: 'fix the JSON syntax.' }], path);
  }
  return parseAllowList(json, path);
}

export function allows(entry: AllowEntry, hazard: Hazard): boolean {
  return entry.stack === hazard.stack && entry.logicalId === hazard.logicalId && (entry.impact === undefined || entry.impact === hazard.impact);
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

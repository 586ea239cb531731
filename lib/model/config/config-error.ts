import { z } from 'zod';

/** One problem found in a loadbearing configuration. */
export interface ConfigProblem {
  /** Dotted path of the offending field, e.g. `environments.prod.fleet.minCapacity`. */
  readonly path: string;
  /** The offending value, rendered as JSON (`undefined` when the field is missing). */
  readonly value: string;
  /** The rule the value breaks. */
  readonly rule: string;
  /** How to fix it. */
  readonly fix: string;
}

/**
 * Thrown for invalid user input (config files, construct settings, invariant violations).
 *
 * The entry point prints `message` and exits non-zero without a stack trace: a config mistake
 * is not a bug in the platform, so a stack trace would only hide the answer.
 */
export class ConfigError extends Error {
  public readonly problems: readonly ConfigProblem[];

  /**
   * @param what what was invalid, for the first line: the configuration, or (`extensionError`)
   * the use of an extension point: a hook, a subclass or a strategy.
   */
  constructor(problems: readonly ConfigProblem[], source: string, what = 'loadbearing configuration') {
    super(formatProblems(problems, source, what));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export function isConfigError(e: unknown): e is ConfigError {
  return e instanceof Error && e.name === 'ConfigError' && Array.isArray((e as ConfigError).problems);
}

export function formatProblems(problems: readonly ConfigProblem[], source: string, what = 'loadbearing configuration'): string {
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  const lines = [`Invalid ${what} (${count}) in ${source}:`];
  for (const p of problems) {
    lines.push(`  - ${p.path} = ${p.value}`);
    lines.push(`      rule: ${p.rule}`);
    lines.push(`      fix:  ${p.fix}`);
  }
  return lines.join('\n');
}

/**
 * A mistake made through an extension point (a hook a subclass overrides, a strategy object, a
 * construct's props): reported like a config error, naming the hook, the bad value, the rule
 * and the fix, so `PlatformApp.run` prints it without a stack trace.
 *
 * @param hook the extension point, e.g. `AppFleet.bootCommands()` in `team-prod/Fleet`
 */
export function extensionError(hook: string, value: unknown, rule: string, fix: string): ConfigError {
  return new ConfigError(
    [{ path: hook, value: renderValue(value), rule, fix }],
    'a subclass, hook or strategy',
    'use of a loadbearing extension point',
  );
}

/** Renders a value for an error message: JSON, shortened. */
export function renderValue(value: unknown): string {
  if (value === undefined) return '(missing)';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** The custom-issue `params` every hand-written rule in the schema supplies. */
export interface RuleParams {
  readonly value?: unknown;
  readonly fix: string;
}

/** Converts zod issues into problems with a path, the value, the rule and a fix. */
export function problemsFromZod(
  issues: readonly z.core.$ZodIssue[],
  pathPrefix: readonly (string | number)[],
  schema: z.ZodType,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of issues) {
    const path = [...pathPrefix, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))];
    if (issue.code === 'unrecognized_keys') {
      const known = keysAt(schema, issue.path);
      for (const key of issue.keys) {
        const suggestion = closest(key, known);
        problems.push({
          path: joinPath([...path, key]),
          value: renderValue((issue.input as Record<string, unknown> | undefined)?.[key]),
          rule: 'unknown field (typo?)',
          fix: suggestion
            ? `did you mean "${suggestion}"? Rename the field, or remove it.`
            : `remove it. Known fields here: ${known.join(', ') || '(none)'}.`,
        });
      }
      continue;
    }
    if (issue.code === 'invalid_key') {
      // A record key that breaks the key schema: the key's own rule and fix, at the key's path.
      problems.push(...problemsFromZod(issue.issues, path, schema));
      continue;
    }
    if (issue.code === 'invalid_union' && issue.message !== 'Invalid input') {
      // A union with its own message (e.g. app.workers: "auto" or a number) says best what it takes.
      problems.push({
        path: joinPath(path),
        value: renderValue(issue.input),
        rule: issue.message,
        fix: `see ${joinPath(path)} in the config reference (docs/configuration.md).`,
      });
      continue;
    }
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      // Report the branch that got furthest: the one with the fewest issues.
      const best = [...issue.errors].sort((a, b) => a.length - b.length)[0];
      problems.push(...problemsFromZod(best, path, schema));
      continue;
    }
    const { rule, fix } = describeIssue(issue);
    const params = (issue as { params?: RuleParams }).params;
    const value = params && 'value' in params ? params.value : issue.input;
    problems.push({ path: joinPath(path), value: renderValue(value), rule, fix });
  }
  return problems;
}

function describeIssue(issue: z.core.$ZodIssue): { rule: string; fix: string } {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined
        ? { rule: `required (${issue.expected})`, fix: `set this field to a ${issue.expected}.` }
        : { rule: `must be a ${issue.expected}`, fix: `use a ${issue.expected} value.` };
    case 'too_small': {
      const op = issue.inclusive === false ? '>' : '>=';
      const what = issue.origin === 'array' ? 'the number of items' : issue.origin === 'string' ? 'the length' : 'the value';
      return { rule: `${what} must be ${op} ${String(issue.minimum)}`, fix: `use a value ${op} ${String(issue.minimum)}.` };
    }
    case 'too_big': {
      const op = issue.inclusive === false ? '<' : '<=';
      const what = issue.origin === 'array' ? 'the number of items' : issue.origin === 'string' ? 'the length' : 'the value';
      return { rule: `${what} must be ${op} ${String(issue.maximum)}`, fix: `use a value ${op} ${String(issue.maximum)}.` };
    }
    case 'invalid_value': {
      const options = issue.values.map((v) => JSON.stringify(v));
      const suggestion = typeof issue.input === 'string' ? closest(issue.input, issue.values.map(String)) : undefined;
      return {
        rule: `must be one of ${options.join(', ')}`,
        fix: suggestion ? `did you mean "${suggestion}"?` : `pick one of ${options.join(', ')}.`,
      };
    }
    case 'not_multiple_of':
      return { rule: `must be a multiple of ${String(issue.divisor)}`, fix: `round it to a multiple of ${String(issue.divisor)}.` };
    default: {
      // invalid_format, custom and anything newer: the rule is the message, the fix from the params.
      const params = (issue as { params?: RuleParams }).params;
      return { rule: issue.message, fix: params?.fix ?? 'see the config reference in docs/configuration.md.' };
    }
  }
}

/** The field names the schema accepts at `path` (for "did you mean" suggestions). */
function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let current: z.ZodType | undefined = unwrap(schema);
  for (const segment of path) {
    if (current instanceof z.ZodObject) current = unwrap(current.shape[String(segment)]);
    else if (current instanceof z.ZodRecord) current = unwrap(current.valueType as z.ZodType);
    else if (current instanceof z.ZodArray) current = unwrap(current.element as z.ZodType);
    else return [];
  }
  return current instanceof z.ZodObject ? Object.keys(current.shape) : [];
}

function unwrap(schema: z.ZodType | undefined): z.ZodType | undefined {
  let s = schema;
  for (;;) {
    if (s instanceof z.ZodOptional || s instanceof z.ZodDefault || s instanceof z.ZodPrefault || s instanceof z.ZodNullable) {
      s = s.unwrap() as z.ZodType;
    } else if (s instanceof z.ZodPipe) {
      s = s.in as z.ZodType;
    } else {
      return s;
    }
  }
}

function joinPath(path: readonly (string | number)[]): string {
  return path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '') || '(root)';
}

/** The candidate closest to `input` by edit distance, if it is close enough to be a typo. */
export function closest(input: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(input.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(input.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}

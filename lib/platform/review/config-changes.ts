import { renderValue } from './render-value';

/**
 * What changed in a config file between two versions, per stack: `network.cidr "10.0.0.0/16" ->
 * "10.1.0.0/16"`, one entry per changed leaf of an environment (arrays compare as a whole).
 * The stack of an environment is its `stackName`, or `loadbearing-<name>`. Unreadable JSON gives
 * no changes (the synth of that side reports it). These start the review's chains: the template
 * changes of a stack come from its environment's config changes.
 */
export function configChanges(base: string | undefined, head: string | undefined): Map<string, string[]> {
  const [before, after] = [environments(base), environments(head)];
  const result = new Map<string, string[]>();
  for (const name of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
    const changes = leafChanges(before[name], after[name]);
    if (changes.length === 0) continue;
    const stackName = stackOf(after[name]) ?? stackOf(before[name]) ?? `loadbearing-${name}`;
    result.set(stackName, changes);
  }
  return result;
}

function environments(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  try {
    const json = JSON.parse(text) as { environments?: unknown };
    return isRecord(json.environments) ? json.environments : {};
  } catch {
    return {};
  }
}

function stackOf(environment: unknown): string | undefined {
  return isRecord(environment) && typeof environment.stackName === 'string' ? environment.stackName : undefined;
}

function leafChanges(before: unknown, after: unknown, path = ''): string[] {
  // A section on one side only: its leaves, against nothing.
  if (
    (isRecord(before) || before === undefined) &&
    (isRecord(after) || after === undefined) &&
    (before !== undefined || after !== undefined)
  ) {
    const [b, a] = [(before ?? {}) as Record<string, unknown>, (after ?? {}) as Record<string, unknown>];
    return [...new Set([...Object.keys(b), ...Object.keys(a)])]
      .sort()
      .flatMap((key) => leafChanges(b[key], a[key], path ? `${path}.${key}` : key));
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  return [`${path || '(environment)'} ${renderValue(before)} -> ${renderValue(after)}`];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

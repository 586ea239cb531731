/**
 * The alarm naming and severity contract of ADR 0001:
 * `<stack>-<component>-<signal>`, description starting with `[critical]` or `[warning]`.
 */

/** Components in request-path order (the canary, a synthetic client, first), then the failure drills' stop alarms; the CLI groups and sorts by this order. */
export const COMPONENTS = ['canary', 'cdn', 'alb', 'fleet', 'app', 'db', 'cache', 'service', 'drill'] as const;

export type Component = (typeof COMPONENTS)[number] | 'other';
export type Severity = 'critical' | 'warning';

/** Position of a component in request-path order; `other` sorts last. */
export function componentOrder(component: Component): number {
  const i = (COMPONENTS as readonly string[]).indexOf(component);
  return i === -1 ? COMPONENTS.length : i;
}

/** The naming strategy's prefix for a stack: `<stack>-`. */
export function stackPrefix(stack: string): string {
  return `${stack}-`;
}

/**
 * Splits an alarm name into component and signal. A name outside the prefix, or with a
 * component the ADR does not know, is `other` with the whole remainder as signal.
 */
export function parseAlarmName(name: string, prefix: string): { component: Component; signal: string } {
  const rest = name.startsWith(prefix) ? name.slice(prefix.length) : name;
  const dash = rest.indexOf('-');
  const head = dash === -1 ? rest : rest.slice(0, dash);
  if ((COMPONENTS as readonly string[]).includes(head)) {
    return { component: head as Component, signal: dash === -1 ? '' : rest.slice(dash + 1) };
  }
  return { component: 'other', signal: rest };
}

/** Severity from the description prefix; a missing or unknown prefix means `warning`. */
export function parseSeverity(description: string | undefined): Severity {
  return /^\s*\[critical\]/i.test(description ?? '') ? 'critical' : 'warning';
}

export type DbRole = { role: 'writer' } | { role: 'replica'; replica: number } | { role: 'proxy' } | { role: 'unknown' };

/** The database role a db signal starts with: `writer-`, `replica-<n>-` or `proxy-`. */
export function parseDbRole(signal: string): DbRole {
  if (/^writer(-|$)/.test(signal)) return { role: 'writer' };
  if (/^proxy(-|$)/.test(signal)) return { role: 'proxy' };
  const replica = /^replica-(\d+)(-|$)/.exec(signal);
  if (replica) return { role: 'replica', replica: Number(replica[1]) };
  return { role: 'unknown' };
}

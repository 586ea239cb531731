import { UsageError } from './errors.js';

const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000 } as const;
const DURATION = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/** Examples shown in every duration error message. */
export const DURATION_EXAMPLES = '30s, 10m, 1h, 2h30m, 1d';

/**
 * Parses a duration such as `30s`, `10m`, `1h`, `2h30m` or `1d` into milliseconds.
 * Units must appear in the order d, h, m, s; the result must be greater than zero.
 * @throws UsageError naming the flag and the bad value.
 */
export function parseDuration(text: string, flag: string): number {
  const match = DURATION.exec(text.trim());
  if (!match || text.trim() === '') {
    throw new UsageError(`invalid duration "${text}" for ${flag}: use e.g. ${DURATION_EXAMPLES}`);
  }
  const [, d, h, m, s] = match;
  const ms = Number(d ?? 0) * UNIT_MS.d + Number(h ?? 0) * UNIT_MS.h + Number(m ?? 0) * UNIT_MS.m + Number(s ?? 0) * UNIT_MS.s;
  if (ms <= 0) {
    throw new UsageError(`invalid duration "${text}" for ${flag}: must be greater than zero`);
  }
  return ms;
}

/** Formats milliseconds compactly, largest units first: 9_000_000 -> "2h30m". */
export function formatDuration(ms: number): string {
  let rest = Math.max(0, Math.round(ms / 1000)) * 1000;
  if (rest === 0) return '0s';
  let out = '';
  for (const [unit, size] of Object.entries(UNIT_MS)) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out;
}

/** Age of a past instant in one coarse unit: "45s ago", "3m ago", "5h ago", "2d ago". */
export function formatAge(thenMs: number, nowMs: number): string {
  const s = Math.max(0, Math.floor((nowMs - thenMs) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86_400)}d ago`;
}

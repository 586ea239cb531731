import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatAge, formatDuration, parseDuration } from '../../lib/ops/duration.js';
import { UsageError } from '../../lib/ops/errors.js';

describe('parseDuration', () => {
  it.each([
    ['30s', 30_000],
    ['10m', 600_000],
    ['1h', 3_600_000],
    ['2h30m', 9_000_000],
    ['1d', 86_400_000],
    ['1d2h3m4s', 93_784_000],
    ['90s', 90_000],
  ])('parses %s', (text, ms) => {
    expect(parseDuration(text, '--bake')).toBe(ms);
  });

  it.each(['', '10', '10x', '1m1h', '-5s', '1.5h', 'ten minutes', '5 m'])(
    'rejects %j with a one-line message naming flag and value',
    (text) => {
      expect(() => parseDuration(text, '--bake')).toThrow(UsageError);
      expect(() => parseDuration(text, '--bake')).toThrow(`invalid duration "${text}" for --bake: use e.g. 30s, 10m, 1h, 2h30m, 1d`);
    },
  );

  it('rejects zero', () => {
    expect(() => parseDuration('0s', '--interval')).toThrow('invalid duration "0s" for --interval: must be greater than zero');
  });

  it('reads back whatever formatDuration writes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000_000 }), (seconds) => {
        expect(parseDuration(formatDuration(seconds * 1000), '--x')).toBe(seconds * 1000);
      }),
    );
  });
});

describe('formatDuration', () => {
  it('writes the largest units first', () => {
    expect(formatDuration(9_000_000)).toBe('2h30m');
    expect(formatDuration(61_000)).toBe('1m1s');
    expect(formatDuration(0)).toBe('0s');
  });
});

describe('formatAge', () => {
  const now = Date.parse('2026-01-01T12:00:00Z');
  it.each([
    [45_000, '45s ago'],
    [3 * 60_000 + 59_000, '3m ago'],
    [5 * 3_600_000, '5h ago'],
    [2 * 86_400_000 + 1, '2d ago'],
    [-5_000, '0s ago'],
  ])('%d ms ago is %s', (ago, text) => {
    expect(formatAge(now - ago, now)).toBe(text);
  });
});

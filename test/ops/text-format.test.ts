import { describe, expect, it } from 'vitest';
import { alignColumns, formatNumber, isoSeconds, truncate } from '../../lib/ops/text-format.js';

describe('text formatting', () => {
  it('truncates long text with an ellipsis and flattens whitespace', () => {
    expect(truncate('a\nb   c', 10)).toBe('a b c');
    expect(truncate('Threshold Crossed: 1 out of the last 1 datapoints', 20)).toBe('Threshold Crossed:…');
    expect(truncate('x'.repeat(50), 20)).toBe(`${'x'.repeat(19)}…`);
  });

  it('pads all columns but the last', () => {
    expect(
      alignColumns([
        ['OK', 'a', 'x'],
        ['ALARM', 'bbb', 'y'],
      ]),
    ).toEqual(['OK     a    x', 'ALARM  bbb  y']);
  });

  it('writes ISO times without milliseconds', () => {
    expect(isoSeconds(new Date('2026-11-25T07:53:00.123Z'))).toBe('2026-11-25T07:53:00Z');
  });

  it.each([
    [1234, '1.2k'],
    [1200, '1.2k'],
    [2_500_000, '2.5M'],
    [82.14, '82.1'],
    [0.4123, '0.41'],
    [0.004, '0.004'],
    [1.234, '1.23'],
    [45, '45'],
    [150.6, '151'],
    [0, '0'],
  ])('formats %d as %s', (value, text) => {
    expect(formatNumber(value)).toBe(text);
  });
});

import { describe, expect, it } from 'vitest';
import { HttpError } from '../src/http-error';
import { MAX_PAGE, parseLimit } from '../src/items';

const refused = (f: () => unknown) => {
  try {
    f();
  } catch (error) {
    expect(error).toBeInstanceOf(HttpError);
    return (error as HttpError).status;
  }
  throw new Error('accepted');
};

describe('strict parsing of what a client sends', () => {
  it('limit is decimal digits only, 1 to MAX_PAGE', () => {
    expect(parseLimit(null)).toBe(20);
    expect(parseLimit('16')).toBe(16);
    expect(parseLimit(String(MAX_PAGE))).toBe(MAX_PAGE);
    expect(parseLimit('016')).toBe(16);
    for (const raw of [
      '0x10',
      '0b11',
      '0o7',
      '1e1',
      '+5',
      ' 5',
      '5 ',
      '5.0',
      '',
      '0',
      '-1',
      '00000',
      String(MAX_PAGE + 1),
      '１６',
      'Infinity',
    ])
      expect(
        refused(() => parseLimit(raw)),
        JSON.stringify(raw),
      ).toBe(400);
  });
});

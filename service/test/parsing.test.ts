import { describe, expect, it } from 'vitest';
import { HttpError } from '../src/http-error';
import { decodeCursor, encodeCursor, MAX_PAGE, parseLimit } from '../src/items';

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

describe('a pagination cursor is validated before any query', () => {
  const cursor = (text: string) => Buffer.from(text).toString('base64url');
  it('takes the cursors the service writes', () => {
    const item = { createdAt: '2024-02-29T23:59:59.999999Z', id: '42' };
    expect(decodeCursor(encodeCursor(item))).toEqual(item);
    expect(decodeCursor(cursor('0001-01-01T00:00:00.000000Z|1'))).toEqual({ createdAt: '0001-01-01T00:00:00.000000Z', id: '1' });
  });
  it.each([
    '2024-13-45T99:99:99.000000Z|1',
    '2023-02-29T00:00:00.000000Z|1',
    '2024-04-31T00:00:00.000000Z|1',
    '2024-01-01T24:00:00.000000Z|1',
    '2024-01-01T23:60:00.000000Z|1',
    '2024-01-01T23:59:60.000000Z|1',
    '0000-01-01T00:00:00.000000Z|1',
    '2024-00-10T00:00:00.000000Z|1',
    '2024-01-00T00:00:00.000000Z|1',
    '2024-01-01T00:00:00.000000Z|0',
    '2024-01-01T00:00:00.000000Z|9999999999999999999',
    'not a cursor',
  ])('refuses %s with a 400, before any query', (text) => {
    expect(refused(() => decodeCursor(cursor(text)))).toBe(400);
  });
});

import { describe, expect, it } from 'vitest';
import { certificateCovers, uncoveredNames } from '../../lib/ops/certificate-coverage.js';

describe('certificateCovers', () => {
  it('covers the same name, case-insensitively and without a trailing dot', () => {
    expect(certificateCovers(['prod.example.com'], 'prod.example.com')).toBe(true);
    expect(certificateCovers(['Prod.Example.com.'], 'prod.example.com')).toBe(true);
    expect(certificateCovers(['prod.example.com'], 'dev.example.com')).toBe(false);
  });

  it('a wildcard covers exactly one label: not the apex, not two labels', () => {
    expect(certificateCovers(['*.example.com'], 'www.example.com')).toBe(true);
    expect(certificateCovers(['*.example.com'], 'example.com')).toBe(false);
    expect(certificateCovers(['*.example.com'], 'a.b.example.com')).toBe(false);
    expect(certificateCovers(['*.prod.example.com'], 'origin.prod.example.com')).toBe(true);
    expect(certificateCovers(['*.example.com'], 'www.example.org')).toBe(false);
  });

  it('a wildcard alias is covered only by the same wildcard', () => {
    expect(certificateCovers(['*.example.com'], '*.example.com')).toBe(true);
    expect(certificateCovers(['www.example.com'], '*.example.com')).toBe(false);
    expect(certificateCovers(['*.com'], '*.example.com')).toBe(false);
  });

  it('uncoveredNames keeps the order of the names asked for', () => {
    expect(uncoveredNames(['example.com', '*.example.com'], ['example.com', 'a.b.example.com', 'www.example.com', 'x.org'])).toEqual([
      'a.b.example.com',
      'x.org',
    ]);
  });
});

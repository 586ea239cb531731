import { describe, it } from 'vitest';
import { PREREQUISITES_HINT } from '../../../proving-ground/src/local-stack/prerequisites';

export const inCi = !!process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0';

/**
 * Why `suite` cannot run here (the reasons that are set: each names a missing binary), or
 * undefined. Outside CI the caller skips the suite and a loud banner says what is missing and
 * how to get it; with CI set, a failing test stands in for the suite, so a missing server never
 * passes silently.
 */
export function suiteUnavailable(suite: string, reasons: readonly (string | undefined)[]): string | undefined {
  const missing = reasons.filter(Boolean).join('; ');
  if (!missing) return undefined;
  const banner = [
    '',
    '='.repeat(78),
    `  ${suite} ${inCi ? 'FAIL (CI is set)' : 'SKIPPED'}: ${missing}`,
    `  ${PREREQUISITES_HINT}`,
    '='.repeat(78),
    '',
  ].join('\n');
  console.warn(banner);
  if (inCi)
    describe(suite, () =>
      it('has its servers available in CI', () => {
        throw new Error(banner);
      }),
    );
  return missing;
}

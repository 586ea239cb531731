import { describe, it } from 'vitest';
import { motoUnavailable, postgresUnavailable, redisUnavailable, serviceNodeUnavailable } from '../../../proving-ground/src/local-stack';

const inCi = !!process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0';

/**
 * Why the service's integration tests cannot run here (moto, PostgreSQL 15, redis-server or a Node.js 22 for the service
 * missing), or undefined. Outside CI the suite is skipped with a loud banner; with CI set, a
 * failing test stands in for it, so a missing server never passes silently.
 */
export function serviceTestsUnavailable(suite: string): string | undefined {
  const missing = [motoUnavailable(), postgresUnavailable(), redisUnavailable(), serviceNodeUnavailable()].filter(Boolean).join('; ');
  if (!missing) return undefined;
  const banner = ['', '='.repeat(78), `  ${suite} ${inCi ? 'FAIL (CI is set)' : 'SKIPPED'}: ${missing}`, '='.repeat(78), ''].join('\n');
  console.warn(banner);
  if (inCi)
    describe(suite, () =>
      it('has its servers available in CI', () => {
        throw new Error(banner);
      }),
    );
  return missing;
}

/** A request to the service, timed on the client. */
export async function call(
  url: string,
  init: RequestInit & { json?: unknown } = {},
): Promise<{ status: number; body: any; headers: Headers; ms: number }> {
  const started = performance.now();
  const { json, ...rest } = init;
  const response = await fetch(url, {
    ...rest,
    body: json !== undefined ? JSON.stringify(json) : rest.body,
    headers: { ...(json !== undefined ? { 'content-type': 'application/json' } : {}), ...(rest.headers as Record<string, string>) },
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: response.status, body, headers: response.headers, ms: performance.now() - started };
}

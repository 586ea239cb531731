import { motoUnavailable, postgresUnavailable, redisUnavailable, serviceNodeUnavailable } from '../../../proving-ground/src/local-stack';
import { suiteUnavailable } from './prerequisites';

/**
 * Why the service's integration tests cannot run here (moto, PostgreSQL 15-17, redis-server or a
 * Node.js 22 for the service missing), or undefined; `extra` adds reasons (HAProxy for the proving
 * ground). Skipped with a banner outside CI, failed under CI (suiteUnavailable).
 */
export function serviceTestsUnavailable(suite: string, extra: readonly (string | undefined)[] = []): string | undefined {
  return suiteUnavailable(suite, [motoUnavailable(), postgresUnavailable(), redisUnavailable(), serviceNodeUnavailable(), ...extra]);
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

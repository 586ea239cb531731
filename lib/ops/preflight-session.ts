import type { Clock } from './clock.js';
import { DeadlineExceededError, errorName, isAccessDenied, isCredentialsError, RetriesExhaustedError } from './errors.js';
import type { PreflightVerdict } from './preflight-check.js';
import { TemplateFactError } from './preflight-template.js';
import { guardedCall, type RetryPolicy } from './retry.js';

/**
 * What every SDK client of preflight is built with: the region of the check, the profile, the
 * SDK's own retries off (the session retries each call with the CLI's policy, within the deadline)
 * and per-call timeouts (the SDK has none by default), as the CloudWatch client of the other
 * commands.
 */
export interface PreflightClientConfig {
  readonly region: string;
  readonly profile?: string;
  readonly maxAttempts: number;
  readonly requestHandler: { readonly connectionTimeout: number; readonly requestTimeout: number; readonly throwOnRequestTimeout: boolean };
}

export interface PreflightSessionOptions {
  /** @default - the SDK's chain (AWS_PROFILE, then `default`) */
  readonly profile?: string;
  readonly connectionTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly retryPolicy: RetryPolicy;
  readonly clock: Clock;
  /** Aborts at the --timeout deadline. */
  readonly signal: AbortSignal;
}

/** One AWS call of preflight failed: the IAM action it needed, and why. */
export class AwsCallError extends Error {
  override readonly name = 'AwsCallError';
  constructor(
    readonly action: string,
    override readonly cause: unknown,
  ) {
    super(`${errorName(cause)} calling ${action}`);
  }
}

/**
 * The AWS side of one preflight run: one client per service and region (built on first use by the
 * check that needs it, from the module it imported on use), every call retried and bounded, and
 * values that several checks share computed once.
 */
export class PreflightSession {
  /** The IAM action of every call made, in order (retries not repeated). */
  readonly actions: string[] = [];
  private readonly clients = new Map<string, { destroy(): void }>();
  private readonly memos = new Map<string, Promise<unknown>>();

  constructor(private readonly options: PreflightSessionOptions) {}

  get clock(): Clock {
    return this.options.clock;
  }

  /** The client of `service` in `region`, made once with `make`. */
  client<C extends { destroy(): void }>(service: string, region: string, make: (config: PreflightClientConfig) => C): C {
    const key = `${service}@${region}`;
    let client = this.clients.get(key) as C | undefined;
    if (!client) {
      client = make({
        region,
        ...(this.options.profile ? { profile: this.options.profile } : {}),
        maxAttempts: 1,
        requestHandler: {
          connectionTimeout: this.options.connectionTimeoutMs,
          requestTimeout: this.options.requestTimeoutMs,
          throwOnRequestTimeout: true,
        },
      });
      this.clients.set(key, client);
    }
    return client;
  }

  /**
   * One read-only call: retried on throttling and transient errors with the CLI's policy, raced
   * against the deadline.
   * @param action the IAM action the call needs, e.g. `servicequotas:GetServiceQuota`
   * @throws AwsCallError naming `action`
   */
  async call<T>(action: string, send: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    this.actions.push(action);
    const { retryPolicy, clock, signal } = this.options;
    try {
      return await guardedCall(() => send(signal), retryPolicy, clock, signal);
    } catch (err) {
      throw new AwsCallError(action, err);
    }
  }

  /** `compute` once per key; later callers share its promise (and its error). */
  memo<T>(key: string, compute: () => Promise<T>): Promise<T> {
    let value = this.memos.get(key) as Promise<T> | undefined;
    if (!value) {
      value = compute();
      value.catch(() => undefined);
      this.memos.set(key, value);
    }
    return value;
  }

  destroy(): void {
    for (const client of this.clients.values()) client.destroy();
    this.clients.clear();
  }
}

/** A credentials error (none found, or rejected): it ends preflight with exit 2 instead of a row. */
export function isCredentialsFailure(err: unknown): boolean {
  return isCredentialsError(err instanceof AwsCallError ? err.cause : err);
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT']);

/** A body the SDK could not parse: an HTML error page of a proxy, or an endpoint without this API. */
function isUnparsable(err: unknown): boolean {
  const e = err as { name?: string; message?: string } | undefined;
  return e?.name === 'SyntaxError' || /Deserialization error/.test(e?.message ?? '');
}

function firstLine(text: string | undefined): string {
  return (text ?? '').split('\n', 1)[0]!.trim();
}

/** The `unknown` verdict of a check that threw: the error's code, and the IAM action it needed. */
export function failureVerdict(err: unknown): PreflightVerdict {
  if (err instanceof AwsCallError) {
    const { action, cause } = err;
    if (cause instanceof DeadlineExceededError) {
      return {
        status: 'unknown',
        detail: `not answered: ${cause.message.replace(/ \(overall deadline.*$/, '')} (at ${action})`,
        fix: 'raise --timeout, or run preflight again',
      };
    }
    const last = cause instanceof RetriesExhaustedError ? cause.cause : cause;
    const tries = cause instanceof RetriesExhaustedError ? `, ${cause.attempts} attempts` : '';
    if (isUnparsable(last)) {
      const status = last as { $metadata?: { httpStatusCode?: number }; $response?: { statusCode?: number } };
      const http = status.$metadata?.httpStatusCode ?? status.$response?.statusCode;
      return {
        status: 'unknown',
        detail:
          `${errorName(last)} calling ${action}${tries}: the endpoint answered ${http ? `HTTP ${http}` : ''} with a body that is not an AWS API response`.replace(
            'answered  with',
            'answered with',
          ),
        fix: `check AWS_ENDPOINT_URL and any proxy: the endpoint does not implement ${action}`,
      };
    }
    if (cause instanceof RetriesExhaustedError) {
      const code = errorName(cause.cause);
      return {
        status: 'unknown',
        detail: `${code} calling ${action}, ${cause.attempts} attempts: ${firstLine((cause.cause as Error)?.message)}`,
        fix: `AWS throttled or failed ${action}: run preflight again later (the credentials need ${action})`,
      };
    }
    const code = errorName(cause);
    const message = firstLine((cause as Error)?.message);
    if (isAccessDenied(cause)) {
      return {
        status: 'unknown',
        detail: `${code} calling ${action}: ${message}`,
        fix: `grant ${action} to these credentials (docs/deploying.md, "Before the first deploy", lists every permission preflight needs)`,
      };
    }
    const netCode = (cause as { code?: string })?.code;
    if (UNREACHABLE.has(netCode ?? '') || code === 'TimeoutError') {
      return {
        status: 'unknown',
        detail: `${code} calling ${action}: the endpoint did not answer (${message})`,
        fix: 'check the network, the region and AWS_ENDPOINT_URL, then run preflight again',
      };
    }
    return {
      status: 'unknown',
      detail: `${code} calling ${action}: ${message}`,
      fix: `check the error above; the credentials need ${action}`,
    };
  }
  if (err instanceof TemplateFactError) {
    return {
      status: 'unknown',
      detail: `cannot read the template: ${err.message}`,
      fix: 'check this one by hand, or synthesize the stack with literal values',
    };
  }
  return {
    status: 'unknown',
    detail: `${errorName(err)}: ${firstLine((err as Error)?.message ?? String(err))}`,
    fix: 'an unexpected error: run preflight again, and report it if it stays',
  };
}

/**
 * The one error shape of the platform's HTTP edge: `{"error": "<code>", "message": "<text>"}`.
 * The WAF's rate-limit 429 (`waf.blockResponse.body`), the service's 4xx and 5xx and its shed
 * 503s all use it, so a client parses one shape whichever layer answered.
 */
export interface ErrorBody {
  readonly error: string;
  readonly message: string;
}

/** Error codes the reference service answers with. */
export const ERROR_CODES = [
  'bad_request',
  'invalid_json',
  'request_timeout',
  'headers_too_large',
  'expectation_failed',
  'payload_too_large',
  'unsupported_media_type',
  'not_found',
  'method_not_allowed',
  'idempotency_key_required',
  'idempotency_key_reused',
  'conflict',
  'overloaded',
  'deadline_exceeded',
  'unavailable',
  'internal',
  'rate_limited',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export function errorBody(error: ErrorCode, message: string): ErrorBody {
  return { error, message };
}

/** True when `value` has exactly the error shape. */
export function isErrorBody(value: unknown): value is ErrorBody {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value).sort();
  return (
    keys.length === 2 &&
    keys[0] === 'error' &&
    keys[1] === 'message' &&
    typeof (value as ErrorBody).error === 'string' &&
    typeof (value as ErrorBody).message === 'string'
  );
}

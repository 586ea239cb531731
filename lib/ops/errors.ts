/** A mistake in how the CLI was called: printed as one line, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A problem the operator has to fix that is not a flag: printed as one line, exit code 2. */
export class OperatorError extends Error {
  override readonly name = 'OperatorError';
}

/** No alarm matched the stack's prefix. */
export class UnknownStackError extends Error {
  override readonly name = 'UnknownStackError';
  constructor(readonly prefix: string) {
    super(
      `no alarms found with prefix "${prefix}": check the stack name and region (--region / AWS_REGION), ` +
        'or pass --prefix if your alarms use a custom naming strategy',
    );
  }
}

/** The overall deadline (--timeout, or bake + --timeout for gate) passed. */
export class DeadlineExceededError extends Error {
  override readonly name = 'DeadlineExceededError';
  /** @param from who did not answer in time, for the message */
  constructor(
    readonly timeoutMs: number,
    from = 'CloudWatch',
  ) {
    super(`gave up after ${formatSeconds(timeoutMs)} without a complete answer from ${from} (overall deadline; raise it with --timeout)`);
  }
}

function formatSeconds(ms: number): string {
  return `${Math.round(ms / 100) / 10}s`;
}

/** A retryable error persisted through every attempt the retry policy allowed. */
export class RetriesExhaustedError extends Error {
  override readonly name = 'RetriesExhaustedError';
  constructor(
    override readonly cause: unknown,
    readonly attempts: number,
  ) {
    super(`${errorName(cause)} after ${attempts} attempts`);
  }
}

type ErrorLike = {
  name?: string;
  message?: string;
  code?: string;
  address?: string;
  port?: number;
  hostname?: string;
  $metadata?: { httpStatusCode?: number };
  /** The raw HTTP response the SDK attaches when it cannot parse the body. */
  $response?: { statusCode?: number; headers?: Record<string, string | undefined> };
};

function asErrorLike(err: unknown): ErrorLike {
  return typeof err === 'object' && err !== null ? (err as ErrorLike) : { message: String(err) };
}

/** The error's name, or its network code (ECONNRESET...) when that says more. */
export function errorName(err: unknown): string {
  const e = asErrorLike(err);
  if (e.code && (!e.name || e.name === 'Error')) return e.code;
  return e.name ?? 'Error';
}

const ACCESS_DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'UnauthorizedAccess']);
const BAD_CREDENTIALS = new Set([
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidSignatureException',
]);

/** An AWS access-denied error (by name, or HTTP 403). */
export function isAccessDenied(err: unknown): boolean {
  const e = asErrorLike(err);
  return ACCESS_DENIED.has(e.name ?? '') || e.$metadata?.httpStatusCode === 403;
}

/** Credentials the SDK could not find, or that AWS rejected. */
export function isCredentialsError(err: unknown): boolean {
  const e = asErrorLike(err);
  return e.name === 'CredentialsProviderError' || /could not load credentials/i.test(e.message ?? '') || BAD_CREDENTIALS.has(e.name ?? '');
}

/** Where the SDK sends CloudWatch requests, for error messages (the SDK reads the same variables). */
export function describeEndpoint(env: NodeJS.ProcessEnv, region: string | undefined): string {
  return env.AWS_ENDPOINT_URL_CLOUDWATCH ?? env.AWS_ENDPOINT_URL ?? `https://monitoring.${region ?? '<region>'}.amazonaws.com`;
}

/** The permissions the drill command needs from FIS, for an access-denied message. */
export const FIS_PERMISSIONS =
  'fis:ListExperimentTemplates, fis:StartExperiment, fis:TagResource, fis:GetExperiment and fis:StopExperiment';

/** Marks an error as one of an AWS FIS call, so the message names FIS and its permissions, not CloudWatch. */
export function fromFis(err: unknown): unknown {
  if (typeof err === 'object' && err !== null) Object.defineProperty(err, 'fromFis', { value: true, configurable: true });
  return err;
}

function isFromFis(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { fromFis?: boolean }).fromFis === true;
}

/**
 * Turns any error into one line for an operator. Known AWS and network failures get a
 * message that says what to do; anything else keeps its name and message.
 */
export function describeError(err: unknown, endpoint: string): string {
  if (err instanceof RetriesExhaustedError) {
    return `${describeError(isFromFis(err) ? fromFis(err.cause) : err.cause, endpoint)} (gave up after ${err.attempts} attempts)`;
  }
  const e = asErrorLike(err);
  const name = e.name ?? '';
  const message = firstLine(e.message ?? '');
  if (
    err instanceof UsageError ||
    err instanceof OperatorError ||
    err instanceof UnknownStackError ||
    err instanceof DeadlineExceededError
  ) {
    return message;
  }
  if (name === 'CredentialsProviderError' || /could not load credentials/i.test(message)) {
    return 'no AWS credentials found: use --profile / AWS_PROFILE, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY';
  }
  if (/region is missing/i.test(message)) {
    return 'no AWS region configured: pass --region or set AWS_REGION (or a region in your profile)';
  }
  if (isFromFis(err) && (ACCESS_DENIED.has(name) || e.$metadata?.httpStatusCode === 403)) {
    return `access denied by FIS (${name || 'HTTP 403'}): ${message} (the drill needs ${FIS_PERMISSIONS})`;
  }
  if (
    isFromFis(err) &&
    !(e.code === 'ECONNREFUSED' || e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN' || name === 'TimeoutError' || e.code === 'ETIMEDOUT')
  ) {
    if (!BAD_CREDENTIALS.has(name) && name !== 'CredentialsProviderError' && !/region is missing|could not load credentials/i.test(message))
      return `FIS ${name || 'Error'}: ${message}`;
  }
  if (ACCESS_DENIED.has(name) || e.$metadata?.httpStatusCode === 403) {
    return `access denied by CloudWatch (${name || 'HTTP 403'}): ${message} (needs cloudwatch:DescribeAlarms and cloudwatch:GetMetricData)`;
  }
  if (BAD_CREDENTIALS.has(name)) {
    return `AWS rejected the credentials (${name}): ${message}`;
  }
  if (e.code === 'ECONNREFUSED') {
    const where = e.address ? `${e.address}:${e.port}` : endpoint;
    return `cannot reach CloudWatch endpoint ${endpoint}: connection refused at ${where}`;
  }
  if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') {
    const host = e.hostname ? `host ${e.hostname}` : 'host';
    return `cannot reach CloudWatch endpoint ${endpoint}: ${host} not found (${e.code}); check --region and AWS_ENDPOINT_URL`;
  }
  if (name === 'SyntaxError' || /Deserialization error/.test(e.message ?? '')) {
    return unparsableResponse(e, endpoint);
  }
  if (name === 'TimeoutError' || e.code === 'ETIMEDOUT') {
    return `CloudWatch endpoint ${endpoint} did not answer in time (${message})`;
  }
  return `${name || 'Error'}: ${message}`;
}

/**
 * An answer the SDK could not parse: an error page of a proxy or load balancer, or an endpoint
 * that is not CloudWatch. The body itself (often a whole HTML page) says nothing an operator
 * needs; its status and kind do.
 */
function unparsableResponse(e: ErrorLike, endpoint: string): string {
  const status = e.$metadata?.httpStatusCode ?? e.$response?.statusCode;
  const type = Object.entries(e.$response?.headers ?? {})
    .find(([k]) => k.toLowerCase() === 'content-type')?.[1]
    ?.split(';')[0]
    ?.trim();
  const html = /html/i.test(type ?? '') || /"\s*<(!doctype|html)/i.test(e.message ?? '');
  const body = html ? 'an HTML page' : type ? `a ${type} body` : 'a body';
  return `CloudWatch endpoint ${endpoint} answered ${status ? `HTTP ${status}` : 'a request'} with ${body}, not a CloudWatch API response (a proxy or load balancer in the way, or AWS_ENDPOINT_URL pointing elsewhere?)`;
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0]!.trim();
}

import { ArcError } from './arc-zonal-shift-client.js';
import { DeadlineExceededError, errorName, isAccessDenied, RetriesExhaustedError } from './errors.js';
import { AwsCallError } from './preflight-session.js';
import { missingProfileAdvice } from './target-options.js';
import type { ZonalShiftAction } from './zonal-shift-input.js';

// One line, with the fix, for every way a zonal-shift call can fail.

/**
 * The IAM actions of `zonal-shift` (Service Authorization Reference:
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonapplicationrecoverycontroller-zonalshift.html).
 * ARC needs no Elastic Load Balancing or Auto Scaling permission to shift their managed resources
 * (https://docs.aws.amazon.com/r53recovery/latest/dg/security_iam_service-with-iam-zonal-shift.html).
 */
export const ZONAL_SHIFT_PERMISSIONS: Readonly<Record<ZonalShiftAction, readonly string[]>> = {
  status: [
    'cloudformation:ListStackResources',
    'ec2:DescribeAvailabilityZones',
    'arc-zonal-shift:ListManagedResources',
    'arc-zonal-shift:GetManagedResource',
  ],
  start: [
    'cloudformation:ListStackResources',
    'ec2:DescribeAvailabilityZones',
    'arc-zonal-shift:ListManagedResources',
    'arc-zonal-shift:GetManagedResource',
    'arc-zonal-shift:StartZonalShift',
  ],
  cancel: [
    'cloudformation:ListStackResources',
    'ec2:DescribeAvailabilityZones',
    'arc-zonal-shift:ListManagedResources',
    'arc-zonal-shift:GetManagedResource',
    'arc-zonal-shift:CancelZonalShift',
  ],
};

const REJECTED_CREDENTIALS = new Set([
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'SignatureDoesNotMatch',
  'InvalidSignatureException',
  'ExpiredToken',
  'ExpiredTokenException',
  'AuthFailure',
]);
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE']);

export interface ZonalShiftFailureContext {
  readonly action: ZonalShiftAction;
  /** Where ARC requests go, for an unreachable or unparsable endpoint. */
  readonly arcEndpoint: string;
  readonly profile?: string;
  readonly env: NodeJS.ProcessEnv;
}

function firstLine(text: string | undefined): string {
  return (text ?? '').split('\n', 1)[0]!.trim();
}

/** The SDK's chain found no credentials: one line naming the ways to give some. */
export function zonalShiftNoCredentialsLine(err: unknown, profile: string | undefined, env: NodeJS.ProcessEnv): string {
  const advice = missingProfileAdvice(err, profile, env);
  if (advice) return advice;
  const via = profile ?? env.AWS_PROFILE;
  return via
    ? `no AWS credentials from profile "${via}" (${firstLine((err as Error)?.message)}); fix: refresh them (aws sso login --profile ${via}), or pass another --profile`
    : 'no AWS credentials: the SDK found none (environment, shared config and credentials files, SSO, container or instance role); fix: pass --profile <name> (or set AWS_PROFILE), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY';
}

/** A failed call (an AwsCallError naming its IAM action, or any error) as one line with the fix. */
export function describeZonalShiftFailure(err: unknown, ctx: ZonalShiftFailureContext): string {
  const action = err instanceof AwsCallError ? err.action : undefined;
  const raw = err instanceof AwsCallError ? err.cause : err;
  if (raw instanceof DeadlineExceededError) return `${raw.message}${action ? `, at ${action}` : ''}`;
  const attempts = raw instanceof RetriesExhaustedError ? raw.attempts : undefined;
  const cause = raw instanceof RetriesExhaustedError ? raw.cause : raw;
  const name = errorName(cause);
  const message = firstLine((cause as Error)?.message ?? String(cause));
  const at = action ? ` calling ${action}` : '';
  const tries = attempts ? ` (${attempts} attempts)` : '';
  if (name === 'CredentialsProviderError' || /could not load credentials/i.test(message))
    return zonalShiftNoCredentialsLine(cause, ctx.profile, ctx.env);
  if (REJECTED_CREDENTIALS.has(name))
    return `AWS rejected the credentials${at} (${name}): ${message}; fix: refresh them (e.g. aws sso login), or pass another --profile`;
  if (isAccessDenied(cause))
    return `access denied${at} (${name}): ${message}; fix: grant ${action ?? 'the action'} to these credentials (zonal-shift ${ctx.action} needs ${ZONAL_SHIFT_PERMISSIONS[ctx.action].join(', ')})`;
  const code = (cause as { code?: string })?.code;
  const arc = action?.startsWith('arc-zonal-shift:') ?? cause instanceof ArcError;
  if (UNREACHABLE.has(code ?? '') || name === 'TimeoutError')
    return `no answer${at}${tries}: ${code ?? name} (${message})${arc ? ` from ${ctx.arcEndpoint}` : ''}; fix: check the network, --region and AWS_ENDPOINT_URL`;
  if (name === 'UnparsableResponse')
    return `${ctx.arcEndpoint} answered ${message}${at}; fix: check AWS_ENDPOINT_URL and any proxy in the way`;
  if (attempts) return `${name}${at}, ${attempts} attempts: ${message}; fix: AWS throttled or failed the call, run the command again later`;
  return `${name}${at}: ${message}`;
}

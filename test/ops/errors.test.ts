import { describe, expect, it } from 'vitest';
import {
  DeadlineExceededError,
  describeEndpoint,
  describeError,
  RetriesExhaustedError,
  UnknownStackError,
  UsageError,
} from '../../lib/ops/errors.js';

const endpoint = 'https://monitoring.eu-west-1.amazonaws.com';
const awsError = (name: string, message: string, status = 400) =>
  Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
const netError = (code: string, extra: object = {}) => Object.assign(new Error(`connect ${code}`), { code, ...extra });

describe('describeError', () => {
  it.each([
    [new UsageError('invalid duration "x" for --bake'), 'invalid duration "x" for --bake'],
    [
      new UnknownStackError('shop-'),
      'no alarms found with prefix "shop-": check the stack name and region (--region / AWS_REGION), or pass --prefix',
    ],
    [
      new DeadlineExceededError(60_000),
      'gave up after 60s without a complete answer from CloudWatch (overall deadline; raise it with --timeout)',
    ],
    [
      Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }),
      'no AWS credentials found: use --profile / AWS_PROFILE',
    ],
    [new Error('Region is missing'), 'no AWS region configured: pass --region or set AWS_REGION'],
    [
      awsError('AccessDenied', 'User: arn:aws:iam::1:user/x is not authorized to perform: cloudwatch:DescribeAlarms', 403),
      'access denied by CloudWatch (AccessDenied): User: arn:aws:iam::1:user/x is not authorized',
    ],
    [
      awsError('UnrecognizedClientException', 'The security token included in the request is invalid.'),
      'AWS rejected the credentials (UnrecognizedClientException)',
    ],
    [
      netError('ECONNREFUSED', { address: '127.0.0.1', port: 4566 }),
      `cannot reach CloudWatch endpoint ${endpoint}: connection refused at 127.0.0.1:4566`,
    ],
    [
      netError('ENOTFOUND', { hostname: 'monitoring.xx-nowhere-1.amazonaws.com' }),
      `cannot reach CloudWatch endpoint ${endpoint}: host monitoring.xx-nowhere-1.amazonaws.com not found (ENOTFOUND)`,
    ],
    [
      Object.assign(new Error('a request has exceeded the configured 10000 ms requestTimeout.'), { name: 'TimeoutError' }),
      `CloudWatch endpoint ${endpoint} did not answer in time`,
    ],
    [awsError('InvalidParameterValue', 'bad\nsecond line'), 'InvalidParameterValue: bad'],
  ])('%s', (err, expected) => {
    const line = describeError(err, endpoint);
    expect(line).toContain(expected);
    expect(line).not.toContain('\n');
    expect(line).not.toMatch(/\n\s+at /);
  });

  it('says how often a retryable error was tried', () => {
    const line = describeError(new RetriesExhaustedError(awsError('Throttling', 'Rate exceeded'), 5), endpoint);
    expect(line).toBe('Throttling: Rate exceeded (gave up after 5 attempts)');
  });
});

describe('describeEndpoint', () => {
  it('prefers the service-specific variable, then the global one, then the regional default', () => {
    expect(describeEndpoint({ AWS_ENDPOINT_URL: 'http://a', AWS_ENDPOINT_URL_CLOUDWATCH: 'http://b' }, 'us-east-1')).toBe('http://b');
    expect(describeEndpoint({ AWS_ENDPOINT_URL: 'http://a' }, 'us-east-1')).toBe('http://a');
    expect(describeEndpoint({}, 'eu-west-1')).toBe('https://monitoring.eu-west-1.amazonaws.com');
  });
});

import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  type DescribeAlarmsCommandInput,
  type DescribeAlarmsCommandOutput,
  type GetMetricDataCommandInput,
  type GetMetricDataCommandOutput,
} from '@aws-sdk/client-cloudwatch';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Clock } from './clock.js';
import { guardedCall, type RetryPolicy } from './retry.js';

export interface CloudWatchClientOptions {
  /** @default - the SDK's chain: AWS_REGION, then the profile's region */
  readonly region?: string;
  /** @default - the SDK's chain: AWS_PROFILE, then `default` */
  readonly profile?: string;
  /** Time to establish a TCP/TLS connection. */
  readonly connectionTimeoutMs: number;
  /** Time for one request and its whole response. */
  readonly requestTimeoutMs: number;
}

/**
 * A CloudWatch client with per-call timeouts (the SDK has none by default, so a silent
 * endpoint would hang forever) and without SDK retries: `CloudWatchGateway` retries once,
 * explicitly. Endpoint and credentials come from the SDK's own chain, which reads
 * AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_CLOUDWATCH, AWS_PROFILE, AWS_REGION, config files...
 */
export function createCloudWatchClient(options: CloudWatchClientOptions): CloudWatchClient {
  return new CloudWatchClient({
    ...(options.region ? { region: options.region } : {}),
    ...(options.profile ? { profile: options.profile } : {}),
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({
      connectionTimeout: options.connectionTimeoutMs,
      requestTimeout: options.requestTimeoutMs,
      throwOnRequestTimeout: true,
    }),
  });
}

/** Requests sent per operation, retries included. */
export interface CallCounts {
  DescribeAlarms: number;
  GetMetricData: number;
}

/**
 * The two CloudWatch operations the CLI uses, each retried with backoff and bounded by
 * the command's overall deadline (the signal).
 */
export class CloudWatchGateway {
  readonly calls: CallCounts = { DescribeAlarms: 0, GetMetricData: 0 };

  constructor(
    private readonly client: CloudWatchClient,
    private readonly retryPolicy: RetryPolicy,
    private readonly clock: Clock,
    private readonly signal: AbortSignal,
  ) {}

  describeAlarms(input: DescribeAlarmsCommandInput): Promise<DescribeAlarmsCommandOutput> {
    return this.send('DescribeAlarms', () => this.client.send(new DescribeAlarmsCommand(input), { abortSignal: this.signal }));
  }

  getMetricData(input: GetMetricDataCommandInput): Promise<GetMetricDataCommandOutput> {
    return this.send('GetMetricData', () => this.client.send(new GetMetricDataCommand(input), { abortSignal: this.signal }));
  }

  private send<T>(operation: keyof CallCounts, call: () => Promise<T>): Promise<T> {
    return guardedCall(
      () => {
        this.calls[operation]++;
        return call();
      },
      this.retryPolicy,
      this.clock,
      this.signal,
    );
  }
}

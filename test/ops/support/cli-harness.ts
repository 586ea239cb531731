import type { DescribeAlarmsCommandInput, MetricAlarm, CompositeAlarm } from '@aws-sdk/client-cloudwatch';
import type { Clock } from '../../../lib/ops/clock.js';
import { runCli, type CliEnvironment } from '../../../lib/ops/cli.js';
import type { RetryPolicy } from '../../../lib/ops/retry.js';

export interface Capture {
  write(chunk: string): boolean;
  readonly isTTY: boolean;
  readonly columns?: number;
  text: string;
}

export function capture(isTTY = false, columns?: number): Capture {
  return {
    text: '',
    isTTY,
    ...(columns ? { columns } : {}),
    write(chunk: string) {
      this.text += chunk;
      return true;
    },
  };
}

/** 2026-11-25T08:00:00Z: alarms in fixtures changed state relative to this. */
export const NOW = Date.parse('2026-11-25T08:00:00Z');

/** A clock frozen at NOW whose sleeps return at once (for commands that do not wait). */
export const frozenClock: Clock = { now: () => NOW, random: () => 0, sleep: async () => undefined };

/** Retries without waiting, so throttling tests need no timers. */
export const fastRetry: RetryPolicy = { maxAttempts: 5, baseDelayMs: 1, maxDelayMs: 1, maxTotalMs: 1_000 };

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function run(argv: string[], environment: Partial<CliEnvironment> = {}): Promise<CliRun> {
  const stdout = capture();
  const stderr = capture();
  const code = await runCli(argv, { stdout, stderr, clock: frozenClock, retryPolicy: fastRetry, env: {}, ...environment });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

export function metricAlarm(
  name: string,
  state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA',
  options: {
    description?: string;
    reason?: string;
    agoMs?: number;
    namespace?: string;
    metric?: string;
    dimensions?: Record<string, string>;
  } = {},
): MetricAlarm {
  return {
    AlarmName: name,
    AlarmDescription: options.description ?? '[warning] test alarm',
    StateValue: state,
    StateReason: options.reason ?? `reason of ${name}`,
    StateUpdatedTimestamp: new Date(NOW - (options.agoMs ?? 180_000)),
    Namespace: options.namespace ?? 'AWS/ApplicationELB',
    MetricName: options.metric ?? 'HTTPCode_ELB_5XX_Count',
    Dimensions: Object.entries(options.dimensions ?? {}).map(([Name, Value]) => ({ Name, Value })),
  };
}

export function compositeAlarm(name: string, state: 'OK' | 'ALARM', description = '[critical] service health'): CompositeAlarm {
  return {
    AlarmName: name,
    AlarmDescription: description,
    StateValue: state,
    StateReason: `reason of ${name}`,
    StateUpdatedTimestamp: new Date(NOW - 60_000),
  };
}

/**
 * A DescribeAlarms fake that pages through `alarms` like CloudWatch: MaxRecords per page,
 * NextToken as the offset.
 */
export function pagedAlarms(alarms: MetricAlarm[]) {
  return (input: DescribeAlarmsCommandInput) => {
    const start = Number(input.NextToken ?? 0);
    const end = start + (input.MaxRecords ?? 50);
    const matching = alarms.filter((a) => a.AlarmName!.startsWith(input.AlarmNamePrefix ?? ''));
    return {
      MetricAlarms: matching.slice(start, end),
      CompositeAlarms: [],
      ...(end < matching.length ? { NextToken: String(end) } : {}),
    };
  };
}

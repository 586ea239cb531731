import { fleetBootTimingInput, type FleetSettings } from './fleet-settings';

/**
 * The fleet's boot timeline, in one place.
 *
 * Every step of the boot script runs under `timeout <budget>` with exactly the budget below, the
 * health wait ends at a deadline, and each health probe has its own timeout. From those numbers
 * come the two that CloudFormation and Auto Scaling act on:
 *
 * - the **signal timeout** (the creation policy and the launch lifecycle hook's heartbeat): how long a
 *   new instance has to report; it must be longer than the slowest possible boot, or CloudFormation
 *   gives up on an instance that is about to report (and reports nothing about why);
 * - the **ELB health-check grace period**: how long Auto Scaling leaves a booting instance alone;
 *   it must cover the slowest possible boot up to its verdict, or ELB health checks replace an
 *   instance that is still installing (the platform's first deploys did exactly that 5.5 min in).
 *
 * Nothing else in the platform spells these numbers: the boot script (constructs/app-fleet.ts),
 * the Auto Scaling group, the config checks and the deploying doc all read them from here.
 */

/** What bounds a boot step, for the docs and the arithmetic test. */
export type StepBound = 'timeout' | 'deadline' | 'assumed';

export interface BootStep {
  readonly name: string;
  readonly seconds: number;
  readonly bound: StepBound;
  readonly what: string;
}

/**
 * Budgets of the fixed boot steps, in seconds. The boot script wraps each in `timeout`, so a
 * hung step (a stuck mirror, a dead DNS resolver) fails the boot with its name instead of
 * running into the signal timeout.
 */
export const BOOT_STEP_SECONDS = {
  /**
   * From the launch to the user data running: EC2 pending to running, then cloud-init. The only
   * step the platform cannot bound; an assumption with room (AL2023 optimizes for this path:
   * https://docs.aws.amazon.com/linux/al2023/ug/compare-with-al2.html).
   */
  instanceStart: 90,
  /** `dnf install` of the runtime, the CloudWatch agent and unzip from the regional AL2023 repositories. */
  packages: 240,
  /** Writing the agent config and starting the CloudWatch agent. */
  logAgent: 60,
  /** Fetching the release object from the asset bucket and unpacking it. */
  fetchRelease: 120,
  /** Writing the unit, `systemctl daemon-reload` and `systemctl enable --now`. */
  serviceStart: 30,
} as const;

/** Each IMDSv2 request of the boot script (`curl --max-time`); a read is a token PUT and a GET. */
export const IMDS_REQUEST_SECONDS = 2;
/** One instance-metadata read on the exit path (the instance ID, the target lifecycle state). */
export const IMDS_READ_SECONDS = 2 * IMDS_REQUEST_SECONDS;
/**
 * The exit path's AWS calls (the signal, the lifecycle action): up to `tries` tries, each under
 * `timeout trySeconds`, with a pause of `pauseSeconds` after each failed try. The boot script is
 * rendered from these numbers (constructs/boot-script.ts).
 */
export const EXIT_CALL = { tries: 3, trySeconds: 10, pauseSeconds: 1 } as const;
/** One retried exit-path call, worst case. */
export const EXIT_CALL_SECONDS = EXIT_CALL.tries * (EXIT_CALL.trySeconds + EXIT_CALL.pauseSeconds);
/** The wait-condition report of a failed boot (`timeout 10 curl`). */
export const REPORT_SECONDS = 10;
/** The pause after it, so the reason lands before the group's failure cancels the wait condition. */
export const REPORT_PAUSE_SECONDS = 15;
/** On a failed boot: the wait-condition report and the pause after it. */
export const FAILURE_REPORT_SECONDS = REPORT_SECONDS + REPORT_PAUSE_SECONDS;
/** `aws cloudformation signal-resource`, retried. */
export const SIGNAL_SECONDS = EXIT_CALL_SECONDS;
/**
 * With a launching lifecycle hook (a warm pool): the target lifecycle state (IMDS), this
 * instance's lifecycle state (one describe call, not retried) and the retried
 * complete-lifecycle-action.
 */
export const LIFECYCLE_SECONDS = IMDS_READ_SECONDS + EXIT_CALL.trySeconds + EXIT_CALL_SECONDS;
/** Slack between the slowest boot and the signal timeout. */
export const SIGNAL_MARGIN_SECONDS = 60;
/**
 * The signal timeout's upper bound: one hour. A rolling update's pause time may be at most that
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-updatepolicy.html),
 * and a stack that moves to the instance refresh is rolled back under its old rolling update once
 * (ADR 0007); the boot report's timeout and the launch lifecycle hook's heartbeat derive from it.
 */
export const MAX_SIGNAL_TIMEOUT_SECONDS = 3600;

/** The health wait after the service starts: the boot verdict. */
export interface HealthWait {
  /** Deadline after the service starts; past it, the boot fails ("stays unhealthy"). */
  readonly waitSeconds: number;
  /** Each probe's own timeout (`curl --max-time`). */
  readonly probeTimeoutSeconds: number;
  /** Pause between probes. */
  readonly probeIntervalSeconds: number;
}

export interface BootTimingInput {
  readonly healthWait: HealthWait;
  /** Budget of the app's install hook (runtime `provided`); 0 when there is none. */
  readonly installHookSeconds: number;
  /** An explicit signal timeout; @default - derived (the slowest boot + margin, rounded up to a minute) */
  readonly signalTimeoutSeconds?: number;
  /** An explicit grace period; @default - derived (the slowest boot to its verdict, rounded up to a minute) */
  readonly gracePeriodSeconds?: number;
  /**
   * Whether a launching lifecycle hook holds new instances in Pending:Wait until the boot completes
   * it (a warm pool): the exit path then also completes the lifecycle action. @default false
   */
  readonly lifecycleHook?: boolean;
  /** An explicit instance warm-up; @default - derived (see {@link BootTiming.instanceWarmupSeconds}) */
  readonly instanceWarmupSeconds?: number;
}

export interface BootTiming {
  /** Every step from launch to verdict, in order, with its worst case. */
  readonly steps: readonly BootStep[];
  /** Worst case of the health wait: the deadline, then one more pause and one more probe (the check follows each probe), and 1 s of clock granularity. */
  readonly healthWaitWorstSeconds: number;
  /** Launch to the verdict (healthy, or failed), worst case. */
  readonly verdictSeconds: number;
  /**
   * From the verdict to the script's end, worst case: the instance ID (IMDS), the report and its
   * pause (a failed boot), the retried signal and, with a lifecycle hook, the lifecycle action.
   */
  readonly exitSeconds: number;
  /** Launch to the last signal sent, worst case: the verdict and the exit path. */
  readonly signalledSeconds: number;
  readonly signalTimeoutSeconds: number;
  readonly gracePeriodSeconds: number;
  /**
   * The group's default instance warm-up: how long after InService a new instance's metrics stay
   * out of the scaling metrics. Without a lifecycle hook an instance is InService at launch and
   * serves nothing before its boot's verdict, so the default is the grace period (the boot to its
   * verdict); a scale-out instance counted earlier, idle, drags the average down and the group
   * under-shoots. With the hook it becomes InService only once healthy, so the default is
   * {@link WARM_START_SETTLE_SECONDS}.
   */
  readonly instanceWarmupSeconds: number;
  readonly healthWait: HealthWait;
}

/**
 * Warm-up of an instance that entered service healthy (held by a launching lifecycle hook until
 * then): one period of its own metrics. The launch template enables detailed monitoring, which
 * publishes EC2 metrics at one-minute periods
 * (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/manage-detailed-monitoring.html).
 */
export const WARM_START_SETTLE_SECONDS = 60;

const ceilToMinute = (s: number) => Math.ceil(s / 60) * 60;

/** The boot timeline and the numbers derived from it. */
export function bootTiming(input: BootTimingInput): BootTiming {
  const { healthWait } = input;
  const healthWaitWorstSeconds = healthWait.waitSeconds + healthWait.probeIntervalSeconds + healthWait.probeTimeoutSeconds + 1;
  const s = BOOT_STEP_SECONDS;
  const steps: BootStep[] = [
    { name: 'instance start', seconds: s.instanceStart, bound: 'assumed', what: 'EC2 launch until the user data runs' },
    { name: 'packages', seconds: s.packages, bound: 'timeout', what: 'dnf install of the runtime, the CloudWatch agent and unzip' },
    { name: 'log agent', seconds: s.logAgent, bound: 'timeout', what: 'CloudWatch agent config and start' },
    { name: 'release', seconds: s.fetchRelease, bound: 'timeout', what: 'fetch the release object from the asset bucket and unpack it' },
    ...(input.installHookSeconds > 0
      ? [
          {
            name: 'install hook',
            seconds: input.installHookSeconds,
            bound: 'timeout' as const,
            what: "the app's own install command (app.artifact.installTimeoutSeconds)",
          },
        ]
      : []),
    { name: 'service start', seconds: s.serviceStart, bound: 'timeout', what: 'systemd unit written, enabled and started' },
    {
      name: 'health wait',
      seconds: healthWaitWorstSeconds,
      bound: 'deadline',
      what: `GET the health path until it answers: deadline ${healthWait.waitSeconds} s, then one more pause (${healthWait.probeIntervalSeconds} s) and probe (${healthWait.probeTimeoutSeconds} s)`,
    },
  ];
  const verdictSeconds = steps.reduce((sum, step) => sum + step.seconds, 0);
  const exitSeconds = IMDS_READ_SECONDS + FAILURE_REPORT_SECONDS + SIGNAL_SECONDS + (input.lifecycleHook ? LIFECYCLE_SECONDS : 0);
  const signalledSeconds = verdictSeconds + exitSeconds;
  const gracePeriodSeconds = input.gracePeriodSeconds ?? ceilToMinute(verdictSeconds);
  return {
    steps,
    healthWaitWorstSeconds,
    verdictSeconds,
    exitSeconds,
    signalledSeconds,
    signalTimeoutSeconds: input.signalTimeoutSeconds ?? ceilToMinute(signalledSeconds + SIGNAL_MARGIN_SECONDS),
    gracePeriodSeconds,
    instanceWarmupSeconds: input.instanceWarmupSeconds ?? (input.lifecycleHook ? WARM_START_SETTLE_SECONDS : gracePeriodSeconds),
    healthWait,
  };
}

/** A broken boot arithmetic, with the field to change (paths relative to the environment). */
export interface BootTimingProblem {
  readonly path: string;
  readonly value: number;
  readonly rule: string;
  readonly fix: string;
}

/** Where the inputs come from in a config file, for the messages. */
export interface BootTimingPaths {
  readonly signalTimeout: string;
  readonly gracePeriod: string;
  readonly healthWait: string;
  readonly installHook?: string;
}

/** What is wrong with the timeline: an explicit number that a slow boot would break, or a derived one past AWS's limit. */
export function bootTimingProblems(input: BootTimingInput, paths: BootTimingPaths): BootTimingProblem[] {
  const t = bootTiming(input);
  const problems: BootTimingProblem[] = [];
  const worst = t.steps.map((step) => `${step.name} ${step.seconds}`).join(' + ');
  const needed = t.signalledSeconds + SIGNAL_MARGIN_SECONDS;
  if (input.signalTimeoutSeconds !== undefined && input.signalTimeoutSeconds < needed) {
    problems.push({
      path: paths.signalTimeout,
      value: input.signalTimeoutSeconds,
      rule: `must be >= ${needed} s: the slowest boot takes ${t.verdictSeconds} s to its verdict (${worst}), then ${t.exitSeconds} s to report and signal, and ${SIGNAL_MARGIN_SECONDS} s of margin; a shorter timeout gives up on an instance that is about to signal`,
      fix: `raise it to ${needed} or more (or leave it unset: ${ceilToMinute(needed)}), or shorten ${paths.healthWait}${paths.installHook ? ` or ${paths.installHook}` : ''}.`,
    });
  }
  if (input.gracePeriodSeconds !== undefined && input.gracePeriodSeconds < t.verdictSeconds) {
    problems.push({
      path: paths.gracePeriod,
      value: input.gracePeriodSeconds,
      rule: `must be >= ${t.verdictSeconds} s, the slowest boot up to its verdict (${worst}): ELB health checks would replace instances that are still booting`,
      fix: `raise it to ${t.verdictSeconds} or more (or leave it unset: ${ceilToMinute(t.verdictSeconds)}).`,
    });
  }
  if (t.signalTimeoutSeconds > MAX_SIGNAL_TIMEOUT_SECONDS) {
    const path = input.signalTimeoutSeconds !== undefined ? paths.signalTimeout : (paths.installHook ?? paths.healthWait);
    problems.push({
      path,
      value: input.signalTimeoutSeconds ?? input.installHookSeconds,
      rule: `makes the signal timeout ${t.signalTimeoutSeconds} s, above the platform's bound of ${MAX_SIGNAL_TIMEOUT_SECONDS} s (CloudFormation's limit for a rolling update's pause time, which a migrating stack's rollback still uses; the boot's worst case: ${worst})`,
      fix: `shorten ${paths.installHook ? `${paths.installHook} or ` : ''}${paths.healthWait} so the slowest boot fits in an hour.`,
    });
  }
  return problems;
}

/** The boot timeline of an environment: its fleet settings and its app's install hook. */
export function environmentBootTiming(config: {
  readonly fleet: FleetSettings;
  readonly app: { readonly artifact?: { readonly installCommand?: string; readonly installTimeoutSeconds: number } };
}): BootTiming {
  const artifact = config.app.artifact;
  return bootTiming(fleetBootTimingInput(config.fleet, artifact?.installCommand ? artifact.installTimeoutSeconds : 0));
}

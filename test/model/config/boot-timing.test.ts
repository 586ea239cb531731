import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BOOT_STEP_SECONDS,
  bootTiming,
  bootTimingProblems,
  environmentBootTiming,
  EXIT_CALL,
  FAILURE_REPORT_SECONDS,
  IMDS_READ_SECONDS,
  LIFECYCLE_SECONDS,
  MAX_SIGNAL_TIMEOUT_SECONDS,
  SIGNAL_MARGIN_SECONDS,
  SIGNAL_SECONDS,
  WARM_START_SETTLE_SECONDS,
  type BootTimingInput,
} from '../../../lib/model/config/boot-timing';
import { isConfigError } from '../../../lib/model/config/config-error';
import { builtinEnvironments, deepMerge, resolveEnvironments } from '../../../lib/model/config/load-config';
import { BUILTIN_ENVIRONMENTS } from '../../../lib/model/config/builtin-environments';
import {
  healthWaitCommands,
  logAgentCommands,
  packageCommands,
  preambleCommands,
  releaseCommands,
  serviceCommands,
} from '../../../constructs/boot-script';

const PATHS = {
  signalTimeout: 'fleet.rollingUpdate.signalTimeoutSeconds',
  gracePeriod: 'fleet.healthCheckGracePeriodSeconds',
  healthWait: 'fleet.boot.healthWaitSeconds',
  installHook: 'app.artifact.installTimeoutSeconds',
};

const inputs = fc.record({
  healthWait: fc.record({
    waitSeconds: fc.integer({ min: 10, max: 600 }),
    probeTimeoutSeconds: fc.integer({ min: 1, max: 10 }),
    probeIntervalSeconds: fc.integer({ min: 1, max: 30 }),
  }),
  installHookSeconds: fc.oneof(fc.constant(0), fc.integer({ min: 10, max: 1800 })),
  lifecycleHook: fc.boolean(),
});

/**
 * The boot script's health loop, step by step: probe (up to its own timeout), check the
 * deadline with bash's whole-second SECONDS, pause. Probe durations are chosen by the caller
 * (adversarially, in the property). Returns the time the loop gives up.
 */
function healthLoopGivesUpAt(
  wait: { waitSeconds: number; probeTimeoutSeconds: number; probeIntervalSeconds: number },
  start: number,
  probeDurations: readonly number[],
): number {
  let t = start;
  const deadline = Math.floor(start) + wait.waitSeconds;
  for (let i = 0; ; i++) {
    t += Math.min(probeDurations[i % probeDurations.length], wait.probeTimeoutSeconds);
    if (Math.floor(t) >= deadline) return t - start;
    t += wait.probeIntervalSeconds;
  }
}

describe('the boot timeline (lib/model/config/boot-timing.ts)', () => {
  it('derives a signal timeout that outlasts the slowest boot, every step at its budget, and a grace period that covers it to its verdict', () => {
    fc.assert(
      fc.property(inputs, (input) => {
        const t = bootTiming(input);
        const fixed = Object.values(BOOT_STEP_SECONDS).reduce((a, b) => a + b, 0);
        const health = input.healthWait.waitSeconds + input.healthWait.probeIntervalSeconds + input.healthWait.probeTimeoutSeconds + 1;
        // Worst case by hand: every fixed step at its timeout, the hook at its budget, the health
        // wait to its deadline plus one more pause and one more probe (each try's own timeout).
        expect(t.verdictSeconds).toBe(fixed + input.installHookSeconds + health);
        // The exit path by hand: the instance ID from IMDS (a token PUT and a GET, 2 s each), the
        // report (10 s) and its pause (15 s), three tries of the signal (10 s each, 1 s pause after
        // each); with a lifecycle hook also the target state (IMDS), one describe (10 s) and three
        // tries of complete-lifecycle-action.
        const exit = 4 + 10 + 15 + 3 * (10 + 1) + (input.lifecycleHook ? 4 + 10 + 3 * (10 + 1) : 0);
        expect(t.exitSeconds).toBe(exit);
        expect(t.signalledSeconds).toBe(t.verdictSeconds + exit);
        expect(exit).toBe(IMDS_READ_SECONDS + FAILURE_REPORT_SECONDS + SIGNAL_SECONDS + (input.lifecycleHook ? LIFECYCLE_SECONDS : 0));
        expect(t.signalTimeoutSeconds).toBeGreaterThanOrEqual(t.signalledSeconds + SIGNAL_MARGIN_SECONDS);
        expect(t.signalTimeoutSeconds % 60).toBe(0);
        expect(t.gracePeriodSeconds).toBeGreaterThanOrEqual(t.verdictSeconds);
        expect(t.gracePeriodSeconds).toBeLessThan(t.signalTimeoutSeconds);
        // The warm-up: a new instance serves nothing before its verdict, unless the hook kept it
        // out of service until then; never longer than the grace period (invariant SA-2).
        expect(t.instanceWarmupSeconds).toBe(input.lifecycleHook ? WARM_START_SETTLE_SECONDS : t.gracePeriodSeconds);
        expect(t.instanceWarmupSeconds).toBeLessThanOrEqual(t.gracePeriodSeconds);
        // Past CloudFormation's hour the config is refused (below), never silently clipped.
        const tooLong = bootTimingProblems(input, PATHS).some((p) => p.rule.includes(`limit of ${MAX_SIGNAL_TIMEOUT_SECONDS} s`));
        expect(tooLong).toBe(t.signalTimeoutSeconds > MAX_SIGNAL_TIMEOUT_SECONDS);
      }),
      { numRuns: 500 },
    );
  });

  it('bounds the health loop by its worst case, whatever each probe takes (up to its own timeout) and wherever the clock starts', () => {
    fc.assert(
      fc.property(
        inputs,
        fc.array(fc.double({ min: 0, max: 10, noNaN: true }), { minLength: 1, maxLength: 20 }),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        (input, probes, fraction) => {
          const gaveUp = healthLoopGivesUpAt(input.healthWait, 1000 + fraction, probes);
          expect(gaveUp).toBeLessThanOrEqual(bootTiming(input).healthWaitWorstSeconds);
          expect(gaveUp).toBeGreaterThanOrEqual(input.healthWait.waitSeconds - 1);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("ends the built-in environments' slowest boot before their signal timeout, and fails a crashing app within about 2 minutes of its start", () => {
    for (const env of builtinEnvironments()) {
      const t = environmentBootTiming(env);
      expect(t.signalledSeconds, env.name).toBeLessThan(t.signalTimeoutSeconds);
      expect(t.verdictSeconds, env.name).toBeLessThanOrEqual(t.gracePeriodSeconds);
      // After the app starts, a failure ("stays unhealthy"; exiting is caught at the next probe)
      // reaches the wait condition (10 s for the report) within 2 minutes, the group's signal within 2.9
      // (the launch lifecycle action is completed with ABANDON after the FAILURE signal).
      expect(t.healthWaitWorstSeconds + 10, env.name).toBeLessThanOrEqual(120);
      expect(t.healthWaitWorstSeconds + t.exitSeconds - LIFECYCLE_SECONDS, env.name).toBeLessThanOrEqual(170);
    }
  });

  it('refuses an explicit signal timeout or grace period the slowest boot would overrun', () => {
    const input: BootTimingInput = {
      healthWait: { waitSeconds: 120, probeTimeoutSeconds: 2, probeIntervalSeconds: 3 },
      installHookSeconds: 0,
      signalTimeoutSeconds: 600,
      gracePeriodSeconds: 300,
    };
    const problems = bootTimingProblems(input, PATHS);
    expect(problems.map((p) => p.path)).toEqual(['fleet.rollingUpdate.signalTimeoutSeconds', 'fleet.healthCheckGracePeriodSeconds']);
    expect(problems[0].rule).toMatch(
      /must be >= 788 s: the slowest boot takes 666 s to its verdict \(instance start 90 \+ packages 240 .* health wait 126\), then 62 s to report and signal/,
    );
    expect(problems[1].rule).toMatch(/must be >= 666 s/);
    expect(bootTimingProblems({ ...input, signalTimeoutSeconds: 788, gracePeriodSeconds: 666 }, PATHS)).toEqual([]);
  });

  it('is what the boot script enforces: each step under `timeout` with its budget, the health loop with its deadline, interval and probe timeout', () => {
    const wait = { waitSeconds: 77, probeTimeoutSeconds: 4, probeIntervalSeconds: 6 };
    const script = [
      ...packageCommands(22),
      ...logAgentCommands([]),
      ...releaseCommands({ bucket: 'b', key: 'k.zip', layout: 'directory' }, 'eu-west-1'),
      ...serviceCommands('[Unit]'),
      ...healthWaitCommands(8080, '/healthz', wait),
    ].join('\n');
    expect(script).toContain(`timeout ${BOOT_STEP_SECONDS.packages} dnf install`);
    expect(script).toContain(`timeout ${BOOT_STEP_SECONDS.logAgent} /opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl`);
    expect(script).toContain(`timeout ${BOOT_STEP_SECONDS.fetchRelease} aws s3 cp`);
    // The reload and the start share the step's one budget.
    expect(script).toContain(
      `timeout ${BOOT_STEP_SECONDS.serviceStart} sh -c 'systemctl daemon-reload && systemctl enable --now loadbearing-app'`,
    );
    expect(script.match(/systemctl daemon-reload/g)).toHaveLength(1);
    expect(script).toContain('lb_deadline=$((SECONDS + 77))');
    expect(script).toContain('--connect-timeout 4 --max-time 4 http://127.0.0.1:8080/healthz');
    expect(script).toContain('sleep 6');
  });

  it('is what the exit path does: IMDS reads, retried calls and the report, each bounded by the numbers it counts', () => {
    // With a lifecycle hook: the preamble also holds the lifecycle calls and the watcher's functions.
    const script = preambleCommands({ stackName: 's', groupLogicalId: 'G', region: 'r', reasonUrl: 'u', lifecycleHookName: 'h' }).join(
      '\n',
    );
    expect(script).toContain(
      `for attempt in $(seq ${EXIT_CALL.tries}); do\n    timeout ${EXIT_CALL.trySeconds} "$@" && return 0\n    sleep ${EXIT_CALL.pauseSeconds}`,
    );
    expect(script.match(/--max-time 2 /g)).toHaveLength(2);
    expect(script).toContain(`timeout ${EXIT_CALL.trySeconds} aws autoscaling describe-auto-scaling-instances`);
    // Every AWS call goes through the retried, bounded lb_call, or has its own timeout.
    const calls = script.split('\n').filter((line: string) => /\baws [a-z]/.test(line));
    expect(calls.length).toBeGreaterThanOrEqual(4);
    for (const line of calls) expect(line, line).toMatch(/lb_call aws|timeout \d+ aws/);
    expect(script).toContain('timeout 10 curl -fsS -o /dev/null -X PUT');
    expect(script).toContain('sleep 15');
  });
});

describe('boot timing in a config file', () => {
  const prodWith = (change: Record<string, unknown>) => ({ prod: deepMerge(BUILTIN_ENVIRONMENTS.prod, change) });
  const errorFor = (change: Record<string, unknown>) => {
    try {
      resolveEnvironments(prodWith(change), 'test.json');
    } catch (e) {
      if (isConfigError(e)) return e.message;
      throw e;
    }
    throw new Error('expected a ConfigError');
  };

  it('names the field, the value, the worst case and the fix', () => {
    const message = errorFor({ fleet: { rollingUpdate: { signalTimeoutSeconds: 600 }, healthCheckGracePeriodSeconds: 300 } });
    expect(message).toMatch(
      /environments\.prod\.fleet\.rollingUpdate\.signalTimeoutSeconds = 600\n +rule: must be >= 805 s: the slowest boot takes 636 s to its verdict/,
    );
    expect(message).toMatch(/fix: +raise it to 805 or more \(or leave it unset: 840\), or shorten fleet\.boot\.healthWaitSeconds/);
    expect(message).toMatch(/environments\.prod\.fleet\.healthCheckGracePeriodSeconds = 300\n +rule: must be >= 636 s/);
  });

  it("lengthens the derived timeouts by the install hook's budget", () => {
    const base = environmentBootTiming(builtinEnvironments().find((e) => e.name === 'prod')!);
    const withHook = bootTiming({ healthWait: base.healthWait, installHookSeconds: 300 });
    expect(withHook.verdictSeconds - base.verdictSeconds).toBe(300);
    expect(withHook.signalTimeoutSeconds).toBeGreaterThan(base.signalTimeoutSeconds);
  });
});

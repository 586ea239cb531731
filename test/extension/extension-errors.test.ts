import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { AppFleet, type AlarmFactory, Database, type DatabaseAlarmTargets, LoadBalancer } from 'loadbearing';
import { BUILTIN_ENVIRONMENTS, deepMerge, PlatformApp, resolveEnvironments } from 'loadbearing/platform';
import { describe, expect, it } from 'vitest';

/**
 * Mistakes a team makes through an extension point (a hook a subclass overrides, a strategy)
 * are reported like config errors: the hook, the bad value, the rule and the fix, with no
 * stack trace, and nothing synthesized.
 */
function synthWith(components: Record<string, unknown>, overrides: Record<string, unknown> = {}): { code: number; stderr: string } {
  let stderr = '';
  const [config] = resolveEnvironments({ dev: deepMerge(BUILTIN_ENVIRONMENTS.dev, { stackName: 'team-dev', ...overrides }) }, 'team.json');
  const code = PlatformApp.run(
    (app) => app.addEnvironments({ environments: [config], stackProps: { components } }),
    { policies: false, outdir: mkdtempSync(join(tmpdir(), 'lb-ext-')) },
    {
      stderr: (t) => (stderr += t),
    },
  );
  process.exitCode = 0;
  return { code, stderr };
}

function expectExtensionError(r: { code: number; stderr: string }, ...patterns: RegExp[]): void {
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/^\nInvalid use of a loadbearing extension point \(1 problem\) in a subclass, hook or strategy:\n/);
  for (const p of patterns) expect(r.stderr).toMatch(p);
  // No stack trace: no "at <function> (<file>:<line>:<col>)" frames.
  expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
}

const writerCpu = (factory: AlarmFactory, scope: Database, targets: DatabaseAlarmTargets, signal: string) =>
  factory.alarm(scope, 'MyCpuAlarm', {
    component: 'db',
    signal,
    severity: 'warning',
    metric: new cloudwatch.Metric({
      namespace: 'AWS/RDS',
      metricName: 'CPUUtilization',
      dimensionsMap: { DBInstanceIdentifier: targets.writer.instanceIdentifier },
    }),
    threshold: 90,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.MISSING,
    description: 'A team alarm.',
  });

describe('extension errors', () => {
  it('names the alarm key a subclass reuses, where it is used, and the keys of its component', () => {
    class DoubleCpu extends Database {
      protected override createAlarms(factory: AlarmFactory, targets: DatabaseAlarmTargets): cloudwatch.Alarm[] {
        return [...super.createAlarms(factory, targets), writerCpu(factory, this, targets, 'writer-cpu')];
      }
    }
    expectExtensionError(
      synthWith({ database: DoubleCpu }),
      /- AlarmFactory\.alarm\(scope team-dev\/Database, id "MyCpuAlarm"\) = "db-writer-cpu"\n/,
      /rule: the alarm key "db-writer-cpu" is already used by team-dev\/Database\/\w+/,
      /fix: +give the new alarm another signal; the keys of db so far: db-writer-cpu, .*db-writer-/,
    );
  });

  it('names a signal that is not kebab-case', () => {
    class ShoutingAlarm extends Database {
      protected override createAlarms(factory: AlarmFactory, targets: DatabaseAlarmTargets): cloudwatch.Alarm[] {
        return [...super.createAlarms(factory, targets), writerCpu(factory, this, targets, 'Writer_Hot')];
      }
    }
    expectExtensionError(
      synthWith({ database: ShoutingAlarm }),
      /the alarm name of component db = "Writer_Hot"/,
      /fix: +rename the signal, e\.g\. "writer-hot"/,
    );
  });

  it('names a boot command that would exit the boot script before it signals', () => {
    class EarlyExit extends AppFleet {
      protected override bootCommands(...args: Parameters<AppFleet['bootCommands']>): string[] {
        return [...super.bootCommands(...args), 'test -f /etc/agent.conf || exit 0'];
      }
    }
    // `|| exit 0` mid-line passes synth; at boot, the exit trap reports it as a failed boot
    // (test/integration/boot-script.test.ts), since the script never reached its end.
    expect(synthWith({ fleet: EarlyExit }).code).toBe(0);
    class Exits extends AppFleet {
      protected override bootCommands(...args: Parameters<AppFleet['bootCommands']>): string[] {
        return [...super.bootCommands(...args), 'yum install -y my-agent', 'exit 0'];
      }
    }
    expectExtensionError(
      synthWith({ fleet: Exits }),
      /- AppFleet\.bootCommands\(\) of team-dev\/Fleet\[\d+\] = "exit 0"/,
      /rule: a boot command must not exit the boot script: it would end the boot before the app is installed and checked/,
    );
  });

  it('names a boot command that is not a string (a typo that returned undefined)', () => {
    class Undefined extends AppFleet {
      protected override bootCommands(...args: Parameters<AppFleet['bootCommands']>): string[] {
        return [...super.bootCommands(...args), undefined as unknown as string];
      }
    }
    expectExtensionError(
      synthWith({ fleet: Undefined }),
      /bootCommands\(\) of team-dev\/Fleet\[\d+\] = \(missing\)/,
      /rule: every boot command is a non-empty string/,
    );
  });

  it("names what is missing when an override drops the platform's user-facing alarms", () => {
    class Silent extends LoadBalancer {
      protected override createAlarms(): cloudwatch.Alarm[] {
        return [];
      }
    }
    // Without the canary, whose failures are user-facing too (its alarm would keep service-health meaningful).
    const noCanary = {
      delivery: {
        canary: { enabled: false },
        rollbackTriggers: ['alb-target-5xx-rate', 'alb-elb-5xx-rate', 'alb-latency-p99', 'alb-healthy-hosts-low'],
      },
    };
    expectExtensionError(
      synthWith({ loadBalancer: Silent }, noCanary),
      /- createAlarms\(\) of the LoadBalancer or Edge \(or ServiceHealth userFacingKeys\) = \["cdn-5xx-rate"/,
      /fix: +call super\.createAlarms\(\.\.\.\) in your override/,
    );
  });
});

describe('policy gate and template invariant failures through PlatformApp.run', () => {
  it('end with one line naming the report, not a stack trace (a boot script over 16 KB: HL-6)', () => {
    class Big extends AppFleet {
      protected override bootCommands(...args: Parameters<AppFleet['bootCommands']>): string[] {
        return [...super.bootCommands(...args), `echo ${'x'.repeat(8000)}`];
      }
    }
    const r = synthWith({ fleet: Big });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^\nsynth stopped: the policy gates or template invariants found the problems listed above; report: \S+validation-report\.json\n\n$/,
    );
  });
});

describe('a createAlarms override that forgot its return', () => {
  it('names the hook and says to return the array', () => {
    class Forgetful extends Database {
      protected override createAlarms(factory: AlarmFactory, targets: DatabaseAlarmTargets): cloudwatch.Alarm[] {
        super.createAlarms(factory, targets);
        return undefined as unknown as cloudwatch.Alarm[];
      }
    }
    expectExtensionError(
      synthWith({ database: Forgetful }),
      /- Database\.createAlarms\(\) of team-dev\/Database = \(missing\)\n +rule: must return the array of alarms it created/,
      /fix: +return \[\.\.\.super\.createAlarms\(\.\.\.\), \.\.\.yourAlarms\]/,
    );
  });
});

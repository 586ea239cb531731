import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completionCommands, healthWaitCommands, preambleCommands } from '../../constructs/boot-script';
import { freePort, startProcess, waitFor, type ManagedProcess } from '../../proving-ground/src/local-stack/processes';
import { runBash, startReportServer, writeStub, type ReportServer } from './support/boot-harness';

/**
 * The boot script's verdict, run for real in bash: the generated preamble (exit trap, report,
 * signal) and health wait, against the tiny artifact (test/fixtures/tiny-app) on loopback. Only
 * what needs AWS or systemd is stubbed on PATH: `aws` records the signal, `systemctl` says what
 * the test wants, IMDS answers an instance ID, and `sleep` is capped at 0.2 s (the loop's
 * deadline uses bash's clock, so the bounds still hold). The wait condition is a local server
 * that records the report.
 */
const TINY_APP = join(__dirname, '..', 'fixtures', 'tiny-app', 'server.js');
const WAIT = { waitSeconds: 3, probeTimeoutSeconds: 1, probeIntervalSeconds: 1 };

let work: string;
let reportServer: ReportServer;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'loadbearing-boot-'));
  const bin = join(work, 'bin');
  mkdirSync(bin);
  const stub = (name: string, body: string) => writeStub(bin, name, body);
  stub(
    'aws',
    ['echo "$*" >> "$STUB_LOG"', 'case "$*" in *describe-auto-scaling-instances*) echo "${STUB_ASG_INSTANCE:-}" ;; esac'].join('\n'),
  );
  stub(
    'systemctl',
    [
      'case "$*" in',
      '  *NRestarts*) echo "${STUB_RESTARTS:-0}" ;;',
      '  *ExecMainStatus*) echo 2 ;;',
      '  *is-active*) [ "${STUB_ACTIVE:-1}" = 1 ] ;;',
      'esac',
    ].join('\n'),
  );
  stub(
    'curl',
    'case "$*" in *169.254.169.254*api/token*) echo token ;; *169.254.169.254*) echo i-0test ;; *) exec /usr/bin/curl "$@" ;; esac',
  );
  stub('sleep', 'exec /usr/bin/sleep 0.2');
  reportServer = await startReportServer((method, body) => `${method} ${body}`);
});

afterAll(async () => {
  await reportServer.close();
  rmSync(work, { recursive: true, force: true });
});

/** Runs the preamble, `middle` and the health wait for `appPort`; returns the exit code, output, signals and the time taken. */
async function boot(appPort: number, middle: string[] = [], env: Record<string, string> = {}, hook = false) {
  const log = join(work, `aws-${Date.now()}.log`);
  writeFileSync(log, '');
  reportServer.reports.length = 0;
  const script = [
    ...preambleCommands({
      stackName: 'loadbearing-test',
      groupLogicalId: 'FleetASG',
      region: 'eu-west-1',
      reasonUrl: reportServer.url,
      ...(hook ? { lifecycleHookName: 'loadbearing-launch', warmPool: false } : {}),
    }),
    ...middle,
    ...healthWaitCommands(appPort, '/healthz', WAIT),
    ...completionCommands(),
  ].join('\n');
  const started = Date.now();
  const { code, output } = await runBash(script, {
    ...process.env,
    PATH: `${join(work, 'bin')}:${process.env.PATH}`,
    STUB_LOG: log,
    ...env,
  });
  return {
    code,
    output,
    seconds: (Date.now() - started) / 1000,
    signals: readFileSync(log, 'utf8').trim().split('\n').filter(Boolean),
    reports: [...reportServer.reports],
  };
}

describe("the boot script's verdict, in bash", () => {
  let app: ManagedProcess | undefined;
  let appPort: number;

  beforeAll(async () => {
    appPort = await freePort();
    app = startProcess(process.execPath, [TINY_APP], { env: { ...process.env, APP_PORT: String(appPort), APP_RUNTIME: 'local' } });
    await waitFor(
      'the tiny app',
      async () => (await fetch(`http://127.0.0.1:${appPort}/healthz`)).ok,
      10_000,
      () => app!.output(),
    );
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('signals SUCCESS (group and wait condition) once the app answers its health path', async () => {
    const run = await boot(appPort);
    expect(run.code, run.output).toBe(0);
    expect(run.signals).toEqual([
      'cloudformation signal-resource --region eu-west-1 --stack-name loadbearing-test --logical-resource-id FleetASG --unique-id i-0test --status SUCCESS',
    ]);
    expect(run.reports).toEqual(['PUT {"Status":"SUCCESS","Reason":"healthy","UniqueId":"i-0test","Data":"SUCCESS"}']);
  });

  it('fails at the deadline when nothing answers, reporting why first, within the worst case of the health wait', async () => {
    const dead = await freePort();
    const run = await boot(dead);
    expect(run.code).toBe(1);
    expect(run.reports).toHaveLength(1);
    const report = JSON.parse(run.reports[0].slice(4)) as { Status: string; Reason: string; UniqueId: string };
    expect(report).toMatchObject({ Status: 'FAILURE', UniqueId: 'i-0test' });
    expect(report.Reason).toMatch(new RegExp(`^health wait: no answer from http://127\\.0\\.0\\.1:${dead}/healthz within 3 s`));
    expect(run.signals).toEqual([
      `cloudformation signal-resource --region eu-west-1 --stack-name loadbearing-test --logical-resource-id FleetASG --unique-id i-0test --status FAILURE`,
    ]);
    expect(run.output).toContain('loadbearing-boot: FAILED on i-0test: health wait: no answer');
    // Deadline + one pause + one probe (+1 s of clock granularity), plus process start-up.
    expect(run.seconds).toBeLessThan(WAIT.waitSeconds + WAIT.probeIntervalSeconds + WAIT.probeTimeoutSeconds + 1 + 3);
  });

  it('fails at once when the app has exited (systemd restarted it), without waiting for the deadline', async () => {
    const dead = await freePort();
    const run = await boot(dead, [], { STUB_RESTARTS: '1' });
    expect(run.code).toBe(1);
    expect(JSON.parse(run.reports[0].slice(4)).Reason).toMatch(/^health wait: the app exited \(status 2\)/);
    expect(run.seconds).toBeLessThan(WAIT.waitSeconds);
  });

  it('reports the step a failing command belongs to, and signals FAILURE', async () => {
    const run = await boot(appPort, ['lb_step packages', 'false']);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.reports[0].slice(4))).toMatchObject({ Status: 'FAILURE', Reason: 'packages: exit code 1' });
    expect(run.signals.at(-1)).toMatch(/--status FAILURE$/);
  });

  it("reports an early exit 0 (a team's `test -f x || exit 0`) as a failed boot, never as SUCCESS", async () => {
    const run = await boot(appPort, ['lb_step agent', 'test -f /nonexistent/agent.conf || exit 0']);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.reports[0].slice(4))).toMatchObject({
      Status: 'FAILURE',
      Reason: 'agent: the boot script exited before its end (an exit in bootCommands )',
    });
    expect(run.signals.at(-1)).toMatch(/--status FAILURE$/);
  });

  it('with the launch hook of every group (no warm pool): completes CONTINUE, then signals, when healthy', async () => {
    const run = await boot(appPort, [], { STUB_ASG_INSTANCE: 'lb-asg Pending:Wait 7' }, true);
    expect(run.code, run.output).toBe(0);
    expect(run.signals).toEqual([
      'autoscaling describe-auto-scaling-instances --region eu-west-1 --instance-ids i-0test --query AutoScalingInstances[0].[AutoScalingGroupName,LifecycleState,LaunchTemplate.Version] --output text',
      'autoscaling complete-lifecycle-action --region eu-west-1 --auto-scaling-group-name lb-asg --lifecycle-hook-name loadbearing-launch --instance-id i-0test --lifecycle-action-result CONTINUE',
      'cloudformation signal-resource --region eu-west-1 --stack-name loadbearing-test --logical-resource-id FleetASG --unique-id i-0test --status SUCCESS',
    ]);
    expect(run.output).not.toContain('lifecycle watcher');
  });

  it('with the launch hook: abandons the instance after a failed boot (under a refresh, nothing else stops it serving)', async () => {
    const dead = await freePort();
    const run = await boot(dead, [], { STUB_ASG_INSTANCE: 'lb-asg Pending:Wait 7', STUB_RESTARTS: '1' }, true);
    expect(run.code).toBe(1);
    expect(run.signals.slice(-2)).toEqual([
      'autoscaling describe-auto-scaling-instances --region eu-west-1 --instance-ids i-0test --query AutoScalingInstances[0].[AutoScalingGroupName,LifecycleState,LaunchTemplate.Version] --output text',
      'autoscaling complete-lifecycle-action --region eu-west-1 --auto-scaling-group-name lb-asg --lifecycle-hook-name loadbearing-launch --instance-id i-0test --lifecycle-action-result ABANDON',
    ]);
    expect(run.signals).toContain(
      'cloudformation signal-resource --region eu-west-1 --stack-name loadbearing-test --logical-resource-id FleetASG --unique-id i-0test --status FAILURE',
    );
  });

  it('with the launch hook on a first create (the hook is not there yet): says so and signals', async () => {
    const run = await boot(appPort, [], { STUB_ASG_INSTANCE: 'lb-asg InService 7' }, true);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain('no lifecycle action waits (InService): nothing to complete');
    expect(run.signals.at(-1)).toMatch(/--status SUCCESS$/);
  });

  it('keeps the reason one safe line of JSON whatever the app printed', async () => {
    const run = await boot(appPort, ['lb_step "service start"', 'lb_fail "quote \\" backslash \\\\ newline $(printf \'a\\nb\')"']);
    const body = run.reports[0].slice(4);
    expect(() => JSON.parse(body)).not.toThrow();
    expect(JSON.parse(body).Reason).toBe('service start: quote   backslash   newline a b');
  });
});

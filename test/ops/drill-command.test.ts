import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudWatchClient, DescribeAlarmsCommand, type CompositeAlarm, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import {
  FisClient,
  GetExperimentCommand,
  ListExperimentTemplatesCommand,
  StartExperimentCommand,
  StopExperimentCommand,
} from '@aws-sdk/client-fis';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { BUILTIN_ENVIRONMENTS } from '../../lib/model/config/builtin-environments';
import { systemClock } from '../../lib/ops/clock.js';
import type { DrillPlan } from '../../lib/ops/drill-plan.js';
import type { DrillJson } from '../../lib/ops/drill-report.js';
import { NOW, run, type CliRun } from './support/cli-harness.js';

const cw = mockClient(CloudWatchClient);
// The FIS client of the only @aws-sdk/client-fis the registry has (3.523) is typed against an older
// @smithy/types than the mock library's: the stub is used untyped.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const fis: any = mockClient(FisClient as never);
// Test files share modules (isolate: false): put the real clients back for the next file.
afterAll(() => {
  cw.restore();
  fis.restore();
});
beforeEach(() => {
  cw.reset();
  fis.reset();
});
afterEach(() => vi.useRealTimers());
// The command loads these on use; load them first, so no test waits for real I/O on fake timers.
beforeAll(async () => {
  await import('../../lib/model/failure-modes/index.js');
  await import('../../lib/model/config/index.js');
});

const STACK = 'loadbearing-staging';
const START = NOW;
type State = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

/** An alarm whose state is a function of the time since the start (seconds). */
interface ScriptedAlarm {
  key: string;
  composite?: boolean;
  severity?: 'critical' | 'warning';
  /** [fromSecond, state] changes, in order; OK before the first. */
  timeline: [number, State][];
}

function stateAt(alarm: ScriptedAlarm, now: number): { state: State; since: number } {
  let state: State = 'OK';
  let since = START - 3_600_000;
  for (const [at, s] of alarm.timeline) {
    if (now >= START + at * 1000) {
      state = s;
      since = START + at * 1000;
    }
  }
  return { state, since };
}

function describeAlarms(alarms: ScriptedAlarm[]) {
  return () => {
    const now = Date.now();
    const metric: MetricAlarm[] = [];
    const composite: CompositeAlarm[] = [];
    for (const a of alarms) {
      const { state, since } = stateAt(a, now);
      const common = {
        AlarmName: `${STACK}-${a.key}`,
        AlarmDescription: `[${a.severity ?? 'warning'}] ${a.key}`,
        StateValue: state,
        StateReason: `${a.key} is ${state}`,
        StateUpdatedTimestamp: new Date(since),
      };
      if (a.composite) composite.push(common);
      else
        metric.push({
          ...common,
          Namespace: 'AWS/ApplicationELB',
          MetricName: 'UnHealthyHostCount',
          Period: 60,
          EvaluationPeriods: 5,
          Dimensions: [],
        });
    }
    return { MetricAlarms: metric, CompositeAlarms: composite };
  };
}

const BASELINE: ScriptedAlarm[] = [
  { key: 'alb-target-5xx-rate', severity: 'critical', timeline: [] },
  { key: 'fleet-cpu-high', timeline: [] },
  { key: 'service-health', composite: true, severity: 'critical', timeline: [] },
  { key: 'drill-instance-loss-stop', composite: true, timeline: [] },
];

function template(mode: string, id = 'EXT1', extra: Record<string, string> = {}) {
  return {
    id,
    description: `${STACK} drill ${mode}`,
    tags: { 'loadbearing:stack': STACK, 'loadbearing:drill': mode, Name: `${STACK}-${mode}`, ...extra },
  };
}

/** FIS answers: the templates, a started experiment, and its state as a function of the time since the start. */
function fisScript(
  experimentState: (seconds: number) => { status: string; reason?: string; endedAt?: number },
  templates = [template('instance-loss')],
) {
  fis.on(ListExperimentTemplatesCommand).resolves({ experimentTemplates: templates });
  fis.on(StartExperimentCommand).resolves({ experiment: { id: 'EXP1', state: { status: 'initiating' } } });
  fis.on(GetExperimentCommand).callsFake(() => {
    const s = experimentState((Date.now() - START) / 1000);
    return {
      experiment: {
        id: 'EXP1',
        state: { status: s.status as never, reason: s.reason },
        ...(s.endedAt !== undefined ? { endTime: new Date(START + s.endedAt * 1000) } : {}),
      },
    };
  });
  fis.on(StopExperimentCommand).resolves({ experiment: { id: 'EXP1', state: { status: 'stopping' } } });
}

/** Runs the CLI on fake timers (the clock, the sleeps and the wall-clock bound), advancing them until it exits. */
async function drill(argv: string[]): Promise<CliRun> {
  vi.useFakeTimers({ now: START, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  let settled = false;
  const result = run(['drill', ...argv], { clock: systemClock }).finally(() => (settled = true));
  for (let i = 0; !settled && i < 20_000; i++) {
    await vi.advanceTimersByTimeAsync(5_000);
    await new Promise((resolve) => setImmediate(resolve));
  }
  return result;
}

const json = (r: CliRun) => JSON.parse(r.stdout) as DrillJson;
const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });

describe('loadbearing drill', () => {
  it('passes when an expected alarm detects the fault and every alarm recovers within the budget', async () => {
    cw.on(DescribeAlarmsCommand).callsFake(
      describeAlarms([
        ...BASELINE,
        {
          key: 'alb-unhealthy-hosts',
          timeline: [
            [120, 'ALARM'],
            [300, 'OK'],
          ],
        },
      ]),
    );
    fisScript(() => ({ status: 'completed', endedAt: 0 }));
    const r = await drill(['instance-loss', '--env', 'staging', '--json']);
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    const out = json(r);
    expect(out).toMatchObject({
      result: 'pass',
      exitCode: 0,
      detected: true,
      recovered: true,
      stopConditionFired: false,
      timeToDetectSeconds: 120,
      experimentId: 'EXP1',
      templateId: 'EXT1',
    });
    expect(out.timeToRecoverSeconds).toBe(300);
    expect(out.expectedAlarmsFired).toEqual([`${STACK}-alb-unhealthy-hosts`]);
    expect(out.unexpectedAlarms).toEqual([]);
    expect(r.stderr).toContain('drill instance-loss: ');
    // A retried StartExperiment must not start a second experiment.
    expect(fis.commandCalls(StartExperimentCommand)[0]!.args[0].input).toMatchObject({
      experimentTemplateId: 'EXT1',
      clientToken: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
  });

  it('reports the times in text, and the alarms that were not expected', async () => {
    cw.on(DescribeAlarmsCommand).callsFake(
      describeAlarms([
        ...BASELINE.filter((a) => a.key !== 'service-health'),
        {
          key: 'alb-unhealthy-hosts',
          timeline: [
            [60, 'ALARM'],
            [240, 'OK'],
          ],
        },
        {
          key: 'service-health',
          composite: true,
          severity: 'critical',
          timeline: [
            [60, 'ALARM'],
            [180, 'OK'],
          ],
        },
      ]),
    );
    fisScript(() => ({ status: 'completed', endedAt: 0 }));
    const r = await drill(['instance-loss', '--env', 'staging']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^drill instance-loss on loadbearing-staging: starting the experiment of template EXT1\nPASS: drill instance-loss on loadbearing-staging/,
    );
    expect(r.stdout).toContain('time to detect:   1m (loadbearing-staging-alb-unhealthy-hosts)');
    expect(r.stdout).toContain('unexpected:       loadbearing-staging-service-health');
  });

  it('fails (exit 1) when no expected alarm fires', async () => {
    cw.on(DescribeAlarmsCommand).callsFake(describeAlarms([...BASELINE, { key: 'alb-unhealthy-hosts', timeline: [] }]));
    fisScript(() => ({ status: 'completed', endedAt: 0 }));
    const r = await drill(['instance-loss', '--env', 'staging', '--json']);
    expect(r.code).toBe(1);
    const out = json(r);
    expect(out).toMatchObject({ result: 'fail', detected: false, recovered: true, timeToDetectSeconds: null });
    expect(out.failures.join()).toContain('undetected');
    // It waited the detection window before it concluded.
    expect(out.elapsedSeconds).toBeGreaterThanOrEqual(out.detectWithinSeconds);
  });

  it('fails (exit 1) when the stack does not recover in time', async () => {
    cw.on(DescribeAlarmsCommand).callsFake(describeAlarms([...BASELINE, { key: 'alb-unhealthy-hosts', timeline: [[60, 'ALARM']] }]));
    fisScript(() => ({ status: 'completed', endedAt: 0 }));
    const r = await drill(['instance-loss', '--env', 'staging', '--json']);
    expect(r.code).toBe(1);
    const out = json(r);
    expect(out).toMatchObject({ detected: true, recovered: false, timeToRecoverSeconds: null });
    expect(out.failures.join()).toContain('did not recover');
    expect(out.recoverWithinSeconds).toBe(35 + 300 + 30);
  });

  it('fails (exit 1) when the stop condition fires and FIS stops the experiment', async () => {
    cw.on(DescribeAlarmsCommand).callsFake(
      describeAlarms([
        ...BASELINE.filter((a) => !a.key.startsWith('drill-')),
        {
          key: 'alb-unhealthy-hosts',
          timeline: [
            [60, 'ALARM'],
            [400, 'OK'],
          ],
        },
        {
          key: 'drill-instance-loss-stop',
          composite: true,
          timeline: [
            [150, 'ALARM'],
            [350, 'OK'],
          ],
        },
        { key: 'drill-az-loss-stop', composite: true, timeline: [[150, 'ALARM']] },
      ]),
    );
    fisScript((t) =>
      t < 150 ? { status: 'running' } : { status: 'stopped', reason: 'Experiment stopped by a stop condition.', endedAt: 150 },
    );
    const r = await drill(['instance-loss', '--env', 'staging', '--json']);
    expect(r.code).toBe(1);
    const out = json(r);
    expect(out).toMatchObject({ stopConditionFired: true, experiment: { status: 'stopped' } });
    expect(out.failures.join()).toContain('stop condition fired');
    // Another drill's stop alarm (an overlapping budget) is noted, not counted as unexpected, and does not block recovery.
    expect(out.otherDrillAlarms).toEqual([`${STACK}-drill-az-loss-stop`]);
    expect(out.unexpectedAlarms).toEqual([]);
    expect(out.recovered).toBe(true);
  });

  it('exits 2 when the experiment is stopped by hand, not by its stop condition (inconclusive, not a fired stop condition)', async () => {
    cw.on(DescribeAlarmsCommand).callsFake(
      describeAlarms([
        ...BASELINE,
        {
          key: 'alb-unhealthy-hosts',
          timeline: [
            [60, 'ALARM'],
            [200, 'OK'],
          ],
        },
      ]),
    );
    fisScript((t) => (t < 120 ? { status: 'running' } : { status: 'stopped', reason: 'Stopping Experiment.', endedAt: 120 }));
    const r = await drill(['instance-loss', '--env', 'staging']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `loadbearing: error: the experiment EXP1 was stopped, but not by its stop condition (${STACK}-drill-instance-loss-stop never in ALARM; FIS says: Stopping Experiment.)`,
    );
    expect(r.stdout).not.toContain('FAIL');
    // It was over already: nothing to stop.
    expect(fis.commandCalls(StopExperimentCommand)).toHaveLength(0);
  });

  it("takes FIS's word for a stop condition when the stop alarm was already back to OK at the check (exit 1)", async () => {
    cw.on(DescribeAlarmsCommand).callsFake(
      describeAlarms([
        ...BASELINE,
        {
          key: 'alb-unhealthy-hosts',
          timeline: [
            [60, 'ALARM'],
            [200, 'OK'],
          ],
        },
      ]),
    );
    fisScript((t) =>
      t < 120 ? { status: 'running' } : { status: 'stopped', reason: 'Experiment stopped by a stop condition.', endedAt: 120 },
    );
    const r = await drill(['instance-loss', '--env', 'staging', '--json']);
    expect(r.code).toBe(1);
    expect(json(r)).toMatchObject({ stopConditionFired: true, experiment: { status: 'stopped' } });
  });

  it('refuses to start (exit 2) while an alarm of the stack is in ALARM', async () => {
    cw.on(DescribeAlarmsCommand).callsFake(describeAlarms([...BASELINE, { key: 'db-writer-cpu', timeline: [[-60, 'ALARM']] }]));
    fisScript(() => ({ status: 'completed' }));
    const r = await drill(['instance-loss', '--env', 'staging']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      `loadbearing: error: refusing to start: 1 alarm(s) of ${STACK} in ALARM (${STACK}-db-writer-cpu); a drill starts from a healthy stack (see: loadbearing status --stack ${STACK})`,
    );
    expect(fis.commandCalls(StartExperimentCommand)).toHaveLength(0);
  });

  describe('on prod', () => {
    let dir: string;
    let config: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'drill-prod-'));
      config = join(dir, 'environments.json');
      writeFileSync(
        config,
        JSON.stringify({ environments: { prod: { ...BUILTIN_ENVIRONMENTS.prod, failureDrills: { enabled: true, cpuLoadPercent: 100 } } } }),
      );
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('refuses without --confirm <stack> (exit 2), before any AWS call', async () => {
      const r = await drill(['db-failover', '--env', 'prod', '--config', config]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toBe(
        'loadbearing: error: refusing to run a drill on the prod stack loadbearing-prod without --confirm loadbearing-prod',
      );
      expect(fis.calls()).toHaveLength(0);
      expect(cw.calls()).toHaveLength(0);
      const wrong = await drill(['db-failover', '--env', 'prod', '--config', config, '--confirm', 'loadbearing-staging']);
      expect(wrong.code).toBe(2);
    });

    it('runs with --confirm <stack>', async () => {
      cw.on(DescribeAlarmsCommand).callsFake((input: { AlarmNamePrefix?: string }) => {
        expect(input.AlarmNamePrefix).toBe('loadbearing-prod-');
        return {
          MetricAlarms: [
            {
              AlarmName: 'loadbearing-prod-alb-target-5xx-rate',
              AlarmDescription: '[critical] x',
              StateValue: Date.now() >= START + 60_000 && Date.now() < START + 200_000 ? 'ALARM' : 'OK',
              StateUpdatedTimestamp: new Date(START + 60_000),
              Period: 60,
              EvaluationPeriods: 5,
            },
          ],
        };
      });
      fis.on(ListExperimentTemplatesCommand).resolves({
        experimentTemplates: [{ id: 'EXTP', tags: { 'loadbearing:stack': 'loadbearing-prod', 'loadbearing:drill': 'db-failover' } }],
      });
      fis.on(StartExperimentCommand).resolves({ experiment: { id: 'EXP1' } });
      fis.on(GetExperimentCommand).resolves({ experiment: { id: 'EXP1', state: { status: 'completed' }, endTime: new Date(START) } });
      const r = await drill(['db-failover', '--env', 'prod', '--config', config, '--confirm', 'loadbearing-prod', '--json']);
      expect(r.stderr).not.toContain('error');
      expect(r.code).toBe(0);
      expect(json(r)).toMatchObject({ stack: 'loadbearing-prod', templateId: 'EXTP', timeToDetectSeconds: 60 });
    });
  });

  it('retries FIS throttling with backoff and carries on', async () => {
    cw.on(DescribeAlarmsCommand).callsFake(
      describeAlarms([
        ...BASELINE,
        {
          key: 'alb-unhealthy-hosts',
          timeline: [
            [60, 'ALARM'],
            [120, 'OK'],
          ],
        },
      ]),
    );
    fisScript(() => ({ status: 'completed', endedAt: 0 }));
    fis
      .on(ListExperimentTemplatesCommand)
      .rejectsOnce(throttled())
      .rejectsOnce(throttled())
      .resolves({ experimentTemplates: [template('instance-loss')] });
    fis
      .on(StartExperimentCommand)
      .rejectsOnce(throttled())
      .resolves({ experiment: { id: 'EXP1' } });
    const r = await drill(['instance-loss', '--env', 'staging', '--json']);
    expect(r.code).toBe(0);
    expect(fis.commandCalls(ListExperimentTemplatesCommand)).toHaveLength(3);
    // The retried start carries the same client token: FIS starts one experiment.
    const tokens = fis
      .commandCalls(StartExperimentCommand)
      .map((c: { args: [{ input: { clientToken: string } }] }) => c.args[0].input.clientToken);
    expect(tokens).toHaveLength(2);
    expect(new Set(tokens).size).toBe(1);
  });

  it('gives up (exit 2) when throttling outlasts the retries', async () => {
    fis.on(ListExperimentTemplatesCommand).rejects(throttled());
    const r = await drill(['instance-loss', '--env', 'staging']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('loadbearing: error: FIS ThrottlingException: Rate exceeded (gave up after 5 attempts)');
  });

  it('names FIS and the permissions it needs when FIS denies access (exit 2)', async () => {
    fis.on(ListExperimentTemplatesCommand).rejects(
      Object.assign(new Error('User: arn:aws:iam::222222222222:user/ci is not authorized to perform: fis:ListExperimentTemplates'), {
        name: 'AccessDeniedException',
        $metadata: { httpStatusCode: 403 },
      }),
    );
    const r = await drill(['instance-loss', '--env', 'staging']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      'loadbearing: error: access denied by FIS (AccessDeniedException): User: arn:aws:iam::222222222222:user/ci is not authorized to perform: fis:ListExperimentTemplates (the drill needs fis:ListExperimentTemplates, fis:StartExperiment, fis:TagResource, fis:GetExperiment and fis:StopExperiment)',
    );
    expect(fis.commandCalls(ListExperimentTemplatesCommand)).toHaveLength(1);
  });

  it('stops the experiment and exits 2 at the wall-clock bound', async () => {
    cw.on(DescribeAlarmsCommand).callsFake(describeAlarms([...BASELINE, { key: 'alb-unhealthy-hosts', timeline: [[60, 'ALARM']] }]));
    fisScript(() => ({ status: 'running' }));
    const r = await drill(['instance-loss', '--env', 'staging', '--timeout', '5m']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('stopped experiment EXP1');
    expect(r.stderr).toContain(
      "loadbearing: error: gave up after 5m (the drill's wall-clock bound; raise it with --timeout): experiment EXP1 was stopped",
    );
    expect(fis.commandCalls(StopExperimentCommand)[0]!.args[0].input).toEqual({ id: 'EXP1' });
  });

  it('exits 2 when the experiment fails (e.g. a target resolved to nothing)', async () => {
    cw.on(DescribeAlarmsCommand).callsFake(describeAlarms(BASELINE));
    fisScript(
      () => ({ status: 'failed', reason: 'Target resolution returned empty set for target zoneInstances', endedAt: 1 }),
      [template('az-loss', 'EXTA', { 'loadbearing:zone': 'us-east-1b' })],
    );
    const r = await drill(['az-loss', '--env', 'staging', '--zone', 'us-east-1b']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('the experiment EXP1 failed: Target resolution returned empty set for target zoneInstances');
  });

  it("exits 2 when no template carries the drill's tags", async () => {
    fisScript(() => ({ status: 'completed' }), [template('az-loss', 'EXTA', { 'loadbearing:zone': 'us-east-1a' })]);
    const r = await drill(['az-loss', '--env', 'staging', '--zone', 'us-east-1b']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'no FIS experiment template tagged loadbearing:stack=loadbearing-staging, loadbearing:drill=az-loss, loadbearing:zone=us-east-1b in us-east-1',
    );
  });

  it.each([
    [
      ['bogus', '--env', 'staging'],
      'unknown failure mode "bogus" (modes: traffic-spike, instance-loss, worker-crash, az-loss, gray-az, capacity-shortage-in-an-az, spot-interruption, cpu-stress, db-failover, replica-loss, replica-lag, dependency-latency, cache-loss, client-retries, bad-release, slow-release)',
    ],
    [
      ['az-loss', '--env', 'dev'],
      'environment dev has no failure drills (failureDrills.enabled is false): set it in the config and deploy, or pick an environment that has them',
    ],
    [
      ['az-loss', '--env', 'staging', '--interval', '30 seconds'],
      'invalid duration "30 seconds" for --interval: use e.g. 30s, 10m, 1h, 2h30m, 1d',
    ],
    [['az-loss', '--env', 'staging', '--timeout', '1h-ish'], 'invalid duration "1h-ish" for --timeout: use e.g. 30s, 10m, 1h, 2h30m, 1d'],
    [['traffic-spike', '--env', 'staging'], 'failure mode traffic-spike has no drill: FIS injects faults'],
    [
      ['spot-interruption', '--env', 'staging'],
      'no spot-interruption drill in staging: the On-Demand base (3) covers fleet.minCapacity (3)',
    ],
    [
      ['az-loss', '--env', 'staging', '--zone', 'us-east-1z'],
      'no az-loss template for --zone us-east-1z in staging (zones: us-east-1a, us-east-1b, us-east-1c)',
    ],
    [['az-loss', '--env', 'nowhere'], 'unknown environment "nowhere" (known: dev, staging, prod)'],
    [['az-loss', '--env', 'staging', '--region', 'us-east1'], '--region "us-east1" is not an AWS region; fix: did you mean "us-east-1"?'],
    [['--env', 'staging'], 'missing <mode>, e.g. loadbearing drill az-loss --env staging; see: loadbearing drill --help'],
    [['az-loss', 'db-failover', '--env', 'staging'], "Unexpected argument 'db-failover'"],
  ])('rejects %j with one line and exit 2, before any AWS call', async (argv, message) => {
    const r = await drill(argv);
    expect(r.code).toBe(2);
    expect(r.stderr.startsWith(`loadbearing: error: ${message}`)).toBe(true);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(fis.calls()).toHaveLength(0);
    expect(cw.calls()).toHaveLength(0);
  });

  it('explains with --dry-run what an environment without drills needs, then the plan it would have (exit 1, no AWS call)', async () => {
    const r = await drill(['az-loss', '--env', 'dev', '--dry-run']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^loadbearing-dev \(dev\) has no failure drills deployed: failureDrills\.enabled is false/);
    expect(r.stdout).toContain('1. failureDrills.enabled: true in a config file (-c configFile=<file>) copying the built-in dev;');
    expect(r.stdout).toMatch(/2\. a deploy of loadbearing-dev: it adds \d+ FIS experiment templates/);
    expect(r.stdout).toContain('drill az-loss on loadbearing-dev (dev, us-east-1) in us-east-1a: plan, nothing started');
    const json = JSON.parse((await drill(['az-loss', '--env', 'dev', '--dry-run', '--json'])).stdout) as {
      deployed: boolean;
      needs: string[];
      plan: DrillPlan;
    };
    expect(json.deployed).toBe(false);
    expect(json.plan.stack).toBe('loadbearing-dev');
    expect(fis.calls()).toHaveLength(0);
    expect(cw.calls()).toHaveLength(0);
  });

  it('takes --stack and --region as overrides of the environment, also in the tags it looks for', async () => {
    const plan = JSON.parse(
      (await drill(['az-loss', '--env', 'staging', '--dry-run', '--json', '--stack', 'lb-stg-blue', '--region', 'eu-west-1'])).stdout,
    ) as DrillPlan;
    expect(plan.stack).toBe('lb-stg-blue');
    expect(plan.region).toBe('eu-west-1');
    expect(plan.findBy['loadbearing:stack']).toBe('lb-stg-blue');
    expect(plan.stopAlarm.startsWith('lb-stg-blue-')).toBe(true);
    expect(JSON.stringify(plan)).not.toContain('loadbearing-staging');
  });

  it('prints the plan of az-loss with --dry-run, from config alone', async () => {
    const r = await drill(['az-loss', '--env', 'staging', '--dry-run', '--zone', 'us-east-1b']);
    expect(r.code).toBe(0);
    expect(fis.calls()).toHaveLength(0);
    expect(cw.calls()).toHaveLength(0);
    for (const line of [
      'drill az-loss on loadbearing-staging (staging, us-east-1) in us-east-1b: plan, nothing started',
      'loadbearing:stack=loadbearing-staging, loadbearing:drill=az-loss, loadbearing:zone=us-east-1b',
      'other AZs: us-east-1a, us-east-1c (choose with --zone)',
      'stopInstances: aws:ec2:stop-instances',
      'startInstancesAfterDuration=PT10M, completeIfInstancesTerminated=true',
      'blockLaunches: aws:ec2:asg-insufficient-instance-capacity-error',
      'availabilityZoneIdentifiers=us-east-1b, duration=PT10M, percentage=100',
      'cutSubnet: aws:network:disrupt-connectivity',
      'cachePower: aws:elasticache:replicationgroup-interrupt-az-power',
      'rebootReplicas: aws:rds:reboot-db-instances',
      'Stop condition: loadbearing-staging-drill-az-loss-stop in ALARM',
      'Detection: one of alb-unhealthy-hosts, fleet-in-service-low in ALARM',
    ]) {
      expect(r.stdout).toContain(line);
    }
    const plan = JSON.parse((await drill(['az-loss', '--env', 'staging', '--dry-run', '--json'])).stdout) as DrillPlan;
    expect(plan).toMatchObject({
      mode: 'az-loss',
      zone: 'us-east-1a',
      otherZones: ['us-east-1b', 'us-east-1c'],
      needsConfirmation: false,
      faultSeconds: 600,
    });
    expect(plan.actions.map((a) => a.name)).toEqual(['stopInstances', 'blockLaunches', 'cutSubnet', 'cachePower']);
    // No cache node in us-east-1c: no cache action, and the plan says why.
    const c = await drill(['az-loss', '--env', 'staging', '--dry-run', '--zone', 'us-east-1c']);
    expect(c.stdout).not.toContain('cachePower');
    expect(c.stdout).toContain(
      'not in this AZ: No cache node in us-east-1c (the nodes are in us-east-1a, us-east-1b): the cache is not touched.',
    );
    expect(c.stdout).toContain('FIS then stops the experiment and the drill fails.');
  });

  it("says in the az-loss plan that the subnet cut is left out in the network team's VPC, and why", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'drill-vpc-'));
    try {
      const azs = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
      const id = (prefix: string, n: number, i: number) => `${prefix}-0${n}${i}${'0'.repeat(14)}`;
      const tier = (n: number) =>
        Object.fromEntries(azs.map((az, i) => [az, { subnetId: id('subnet', n, i), routeTableId: id('rtb', n, i) }]));
      const existingVpc = {
        vpcId: 'vpc-0123456789abcdef0',
        subnets: { public: tier(1), app: tier(2), data: tier(3) },
        appEgress: { kind: 'nat', natGatewayIds: Object.fromEntries(azs.map((az, i) => [az, id('nat', 4, i)])) },
      };
      const config = join(dir, 'environments.json');
      const write = (failureDrills: object) =>
        writeFileSync(
          config,
          JSON.stringify({ environments: { staging: { ...BUILTIN_ENVIRONMENTS.staging, network: { existingVpc }, failureDrills } } }),
        );
      write({});
      const r = await drill(['az-loss', '--env', 'staging', '--config', config, '--dry-run']);
      expect(r.code).toBe(0);
      expect(r.stdout).not.toContain('cutSubnet');
      expect(r.stdout).toContain(
        '  left out here: the app-subnet cut (aws:network:disrupt-connectivity): network.existingVpc vpc-0123456789abcdef0 belongs to the network team, and the action swaps the network ACL of the whole subnet, cutting off every other workload in it (in a VPC shared through RAM only the owner may change its network ACLs); the fault stays the stopped instances, blocked launches, cache power and replica reboots. To keep the cut, set failureDrills.disruptSharedSubnets with a reason.\n',
      );
      const plan = JSON.parse(
        (await drill(['az-loss', '--env', 'staging', '--config', config, '--dry-run', '--json'])).stdout,
      ) as DrillPlan;
      expect(plan.actions.map((a) => a.name)).toEqual(['stopInstances', 'blockLaunches', 'cachePower']);
      expect(plan.leftOut).toHaveLength(1);
      // Opted in with a reason: the cut is back, nothing is left out.
      write({ disruptSharedSubnets: { reason: 'the network team gave these app subnets to this stack alone' } });
      const optedIn = JSON.parse(
        (await drill(['az-loss', '--env', 'staging', '--config', config, '--dry-run', '--json'])).stdout,
      ) as DrillPlan;
      expect(optedIn.actions.map((a) => a.name)).toEqual(['stopInstances', 'blockLaunches', 'cutSubnet', 'cachePower']);
      expect(optedIn.leftOut).toEqual([]);
      // Other drills are whole: nothing left out.
      const other = JSON.parse(
        (await drill(['db-failover', '--env', 'staging', '--config', config, '--dry-run', '--json'])).stdout,
      ) as DrillPlan;
      expect(other.leftOut).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says that a one-shot drill is judged by its stop alarm, not stopped by it', async () => {
    const r = await drill(['db-failover', '--env', 'staging', '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Fault: one shot');
    expect(r.stdout).toContain(
      'The fault is over before FIS could stop anything: this command judges it by the same alarm, and the drill fails.',
    );
  });
});

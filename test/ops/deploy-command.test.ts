import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CloudFormationClient,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  GetTemplateCommand,
  type StackEvent,
} from '@aws-sdk/client-cloudformation';
import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  type CompositeAlarm,
  type DescribeAlarmsCommandInput,
  type MetricAlarm,
} from '@aws-sdk/client-cloudwatch';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { CommandRegistry } from '../../lib/ops/command.js';
import type { CdkRunner } from '../../lib/ops/deploy-cdk.js';
import { createDeployCommand, type DeployDeps } from '../../lib/ops/deploy-command.js';
import type { PreflightReport } from '../../lib/ops/preflight-report.js';
import { readTemplate } from '../support/assembly';
import type { Clock } from '../../lib/ops/clock.js';
import { NOW, run } from './support/cli-harness.js';

/** Sleeps return at once, but after the timers due (a loop that polls must let Ctrl-C in). */
const yieldingClock: Clock = { now: () => NOW, random: () => 0, sleep: () => new Promise((resolve) => setImmediate(resolve)) };

/**
 * `loadbearing deploy` end to end: the command as the CLI runs it, against aws-sdk-client-mock
 * (CloudFormation, CloudWatch, STS) and a CDK CLI stand-in (the stubbed runner; one test runs a
 * stub executable through the real runner). Every outcome of issue 25: deployed, rolled back by a
 * trigger, stateful refused, a stack in a bad state, bad input; and Ctrl-C, break-glass, a first
 * create, a failed bake.
 */
const cfn = mockClient(CloudFormationClient);
const cw = mockClient(CloudWatchClient);
const sts = mockClient(STSClient);
afterAll(() => {
  cfn.restore();
  cw.restore();
  sts.restore();
});

const STACK = 'loadbearing-staging';
const ACCOUNT = '222222222222';
const REGION = 'us-east-1';
const arn = (name: string) => `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${name}`;
const TRIGGERS = ['alb-target-5xx-rate', 'alb-elb-5xx-rate', 'alb-latency-p99', 'alb-healthy-hosts-low'].map((k) => `${STACK}-${k}`);

let template: Record<string, unknown>;
let dir: string;
beforeAll(() => {
  template = readTemplate(inject('assemblyDir'), STACK) as unknown as Record<string, unknown>;
});

/** What the CloudFormation stand-in holds: the stack's status, its template and its events (newest first). */
interface World {
  status?: string;
  deployed?: Record<string, unknown>;
  events: StackEvent[];
  storedTriggers: string[];
  alarms: MetricAlarm[];
  bakeAlarms: MetricAlarm[];
  bakeComposites: CompositeAlarm[];
}
let world: World;
let calls: { synth: string[][]; deploy: string[][] };

function event(status: string, logicalId: string, type: string, reason?: string): StackEvent {
  const n = world.events.length + 1;
  return {
    EventId: `e${n}`,
    StackName: STACK,
    StackId: 'id',
    Timestamp: new Date(Date.UTC(2026, 11, 7, 12, 0, n)),
    LogicalResourceId: logicalId,
    ResourceType: type,
    ResourceStatus: status as StackEvent['ResourceStatus'],
    ...(reason ? { ResourceStatusReason: reason } : {}),
  };
}
const push = (...es: [string, string, string, string?][]) => {
  for (const e of es) world.events.unshift(event(...e));
};

/** The CDK CLI stand-in: synth writes `synthesized` into the assembly; deploy plays `script` on the world. */
function cdk(script: (w: World) => number, synthesized: () => Record<string, unknown> = () => template): CdkRunner {
  return {
    async synth(o) {
      calls.synth.push([...o.context]);
      mkdirSync(o.outDir, { recursive: true });
      writeFileSync(join(o.outDir, `${o.stack}.template.json`), JSON.stringify(synthesized()));
      return { code: 0, output: 'Successfully synthesized' };
    },
    deploy(o) {
      calls.deploy.push([...o.args]);
      return { done: Promise.resolve({ code: script(world), output: 'deploy output' }), interrupt: () => undefined };
    },
  };
}

const passingPreflight: DeployDeps['preflight'] = async ({ env }) =>
  ({ environment: env.name, exitCode: 0, summary: { pass: 9, fail: 0, unknown: 0, manual: 1 }, rows: [] }) as unknown as PreflightReport;

async function deploy(args: string[], deps: DeployDeps) {
  const registry = new CommandRegistry().register(
    createDeployCommand({ cwd: dir, preflight: passingPreflight, onInterrupt: () => () => undefined, ...deps }),
  );
  return run(['deploy', '--env', 'staging', '--out', join(dir, 'cdk.out'), ...args], { registry, clock: yieldingClock });
}

beforeEach(() => {
  cfn.reset();
  cw.reset();
  sts.reset();
  dir = mkdtempSync(join(tmpdir(), 'lb-deploy-'));
  calls = { synth: [], deploy: [] };
  world = {
    status: 'UPDATE_COMPLETE',
    deployed: template,
    events: [],
    storedTriggers: TRIGGERS.map(arn),
    alarms: TRIGGERS.map((n) => ({ AlarmName: n, AlarmArn: arn(n), StateValue: 'OK' })),
    bakeAlarms: [],
    bakeComposites: [],
  };
  push(['UPDATE_COMPLETE', STACK, 'AWS::CloudFormation::Stack']);
  sts.on(GetCallerIdentityCommand).resolves({ Account: ACCOUNT });
  cfn.on(DescribeStacksCommand).callsFake(() => {
    if (world.status === undefined) {
      const e = new Error(`Stack with id ${STACK} does not exist`);
      e.name = 'ValidationError';
      throw e;
    }
    return {
      Stacks: [
        {
          StackName: STACK,
          StackStatus: world.status,
          CreationTime: new Date(0),
          RollbackConfiguration: { RollbackTriggers: world.storedTriggers.map((Arn) => ({ Arn, Type: 'AWS::CloudWatch::Alarm' })) },
        },
      ],
    };
  });
  cfn.on(GetTemplateCommand).callsFake(() => ({ TemplateBody: JSON.stringify(world.deployed) }));
  cfn.on(DescribeStackEventsCommand).callsFake(() => ({ StackEvents: [...world.events] }));
  cw.on(DescribeAlarmsCommand).callsFake((input: DescribeAlarmsCommandInput) =>
    input.AlarmNames
      ? { MetricAlarms: world.alarms.filter((a) => input.AlarmNames!.includes(a.AlarmName!)) }
      : // As DescribeAlarms does: without AlarmTypes only metric alarms, composites only when asked for
        // (https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/cloudwatch/aws.sdk.kotlin.services.cloudwatch.model/-describe-alarms-request/alarm-types.html).
        {
          MetricAlarms: !input.AlarmTypes || input.AlarmTypes.includes('MetricAlarm') ? world.bakeAlarms : [],
          CompositeAlarms: input.AlarmTypes?.includes('CompositeAlarm') ? world.bakeComposites : [],
        },
  );
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** An update CloudFormation completes, with a refresh of the fleet. */
const completes = (w: World) => {
  push(
    ['UPDATE_IN_PROGRESS', STACK, 'AWS::CloudFormation::Stack', 'User Initiated'],
    ['UPDATE_IN_PROGRESS', 'FleetASG9541CF7F', 'AWS::AutoScaling::AutoScalingGroup'],
    ['UPDATE_COMPLETE', 'FleetASG9541CF7F', 'AWS::AutoScaling::AutoScalingGroup'],
    ['UPDATE_COMPLETE', STACK, 'AWS::CloudFormation::Stack'],
  );
  w.status = 'UPDATE_COMPLETE';
  return 0;
};

describe('loadbearing deploy', () => {
  it('deploys: the triggers that exist, the monitoring time, a line per event, the bake, exit 0', async () => {
    const r = await deploy([], { cdk: cdk(completes) });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(calls.deploy[0]).toEqual([
      'deploy',
      STACK,
      '--app',
      join(dir, 'cdk.out'),
      '--require-approval',
      'never',
      '--progress',
      'events',
      '--rollback-trigger-alarm-arns',
      ...TRIGGERS.map(arn),
      '--monitoring-time-minutes',
      '5',
    ]);
    expect(r.stdout).toContain('diff guard: 0 resource change(s), 0 blocking, 0 whose rollback can fail');
    expect(r.stdout).toContain('rollback triggers: 4 alarm(s), 5 min of monitoring after the update');
    // A line per event of this deploy, none of the history before it.
    const lines = r.stdout.split('\n').filter((l) => /^\d\d:\d\d:\d\d {2}/.test(l));
    expect(lines).toHaveLength(4);
    expect(lines[1]).toMatch(/UPDATE_IN_PROGRESS\s+AWS::AutoScaling::AutoScalingGroup {2}FleetASG9541CF7F$/);
    expect(r.stdout).toContain(`bake: 5 min, the critical alarms of ${STACK} watched`);
    expect(r.stdout).toMatch(/verdict: deployed: loadbearing-staging is UPDATE_COMPLETE, no critical alarm in 5 min of bake\n$/);
    // 5 minutes at 30 s: 11 reads of the alarms.
    expect(cw.commandCalls(DescribeAlarmsCommand).filter((c) => !c.args[0].input.AlarmNames)).toHaveLength(11);
  });

  it('reports a rollback by a trigger with its reason, exit 1', async () => {
    const rollsBack = (w: World) => {
      push(
        ['UPDATE_IN_PROGRESS', STACK, 'AWS::CloudFormation::Stack', 'User Initiated'],
        ['UPDATE_COMPLETE', 'FleetASG9541CF7F', 'AWS::AutoScaling::AutoScalingGroup'],
        [
          'UPDATE_ROLLBACK_IN_PROGRESS',
          STACK,
          'AWS::CloudFormation::Stack',
          `Rollback triggered by CloudWatch alarm ${arn(TRIGGERS[0]!)}: the alarm is in ALARM`,
        ],
        ['UPDATE_ROLLBACK_COMPLETE', STACK, 'AWS::CloudFormation::Stack'],
      );
      w.status = 'UPDATE_ROLLBACK_COMPLETE';
      return 1;
    };
    const r = await deploy([], { cdk: cdk(rollsBack) });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`verdict: rolled back: Rollback triggered by CloudWatch alarm ${arn(TRIGGERS[0]!)}: the alarm is in ALARM`);
    expect(r.stdout).not.toContain('bake:');
  });

  it('reports a release the refresh stopped: the failed resource and its reason', async () => {
    const refreshFails = (w: World) => {
      push(
        ['UPDATE_IN_PROGRESS', STACK, 'AWS::CloudFormation::Stack', 'User Initiated'],
        [
          'UPDATE_FAILED',
          'FleetASG9541CF7F',
          'AWS::AutoScaling::AutoScalingGroup',
          'Instance refresh failed: alarm loadbearing-staging-release-r1-errors is in ALARM',
        ],
        [
          'UPDATE_ROLLBACK_IN_PROGRESS',
          STACK,
          'AWS::CloudFormation::Stack',
          'The following resource(s) failed to update: [FleetASG9541CF7F].',
        ],
        ['UPDATE_ROLLBACK_COMPLETE', STACK, 'AWS::CloudFormation::Stack'],
      );
      w.status = 'UPDATE_ROLLBACK_COMPLETE';
      return 1;
    };
    const r = await deploy([], { cdk: cdk(refreshFails) });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      'verdict: rolled back: FleetASG9541CF7F (AWS::AutoScaling::AutoScalingGroup) UPDATE_FAILED: Instance refresh failed: alarm loadbearing-staging-release-r1-errors is in ALARM',
    );
  });

  it('refuses a change whose rollback can fail without --approve-stateful, and says why; deploys it with the flag', async () => {
    const deployed = structuredClone(template) as { Resources: Record<string, { Properties: Record<string, unknown> }> };
    deployed.Resources.DatabaseWriter7794273E!.Properties.EngineVersion = '17.5';
    world.deployed = deployed;
    const refused = await deploy([], { cdk: cdk(completes) });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('rollback can fail: DatabaseWriter7794273E (AWS::RDS::DBInstance): EngineVersion "17.5" -> "17.9"');
    expect(refused.stdout).toContain('RDS upgrades an engine but never downgrades it');
    expect(refused.stdout).toMatch(/verdict: refused: 1 change\(s\) whose rollback can fail .* with --approve-stateful/);
    expect(calls.deploy).toEqual([]);
    const approved = await deploy(['--approve-stateful'], { cdk: cdk(completes) });
    expect(approved.code).toBe(0);
    expect(approved.stdout).toContain('approved with --approve-stateful');
  });

  it('refuses what the diff guard blocks (a stateful resource replaced), before anything is deployed', async () => {
    const deployed = structuredClone(template) as { Resources: Record<string, { Properties: Record<string, unknown> }> };
    deployed.Resources.DatabaseWriter7794273E!.Properties.DBInstanceIdentifier = 'another-name';
    world.deployed = deployed;
    const r = await deploy([], { cdk: cdk(completes) });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/BLOCKED DatabaseWriter7794273E \(AWS::RDS::DBInstance\) WILL_REPLACE/);
    expect(calls.deploy).toEqual([]);
  });

  it.each([
    ['ROLLBACK_COMPLETE', /its first create failed and was rolled back.*delete-stack/],
    ['UPDATE_IN_PROGRESS', /another operation is running on it; fix: wait until it ends/],
    ['UPDATE_ROLLBACK_FAILED', /a rollback could not finish.*"A stuck rollback".*npx cdk rollback loadbearing-staging/],
    ['DELETE_FAILED', /a delete of this stack failed half-way/],
  ])('stops on a stack in %s with one line saying what to do, exit 1', async (status, line) => {
    world.status = status;
    const r = await deploy([], { cdk: cdk(completes) });
    expect(r.code).toBe(1);
    const said = r.stdout.split('\n').filter((l) => l.startsWith(STACK));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(line);
    expect(calls.deploy).toEqual([]);
  });

  it('refuses to start while a rollback trigger is in ALARM (it would roll back at once), naming break-glass', async () => {
    world.alarms[2] = { ...world.alarms[2]!, StateValue: 'ALARM', StateReason: 'p99 above 2 s' };
    const r = await deploy([], { cdk: cdk(completes) });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`trigger in ALARM: ${TRIGGERS[2]}: p99 above 2 s`);
    expect(r.stdout).toContain('--break-glass');
    expect(calls.deploy).toEqual([]);
  });

  it('passes the new trigger list when a stored trigger is gone (a plain cdk deploy would fail on it)', async () => {
    world.storedTriggers = [...TRIGGERS.map(arn), arn(`${STACK}-alb-old-signal`)];
    const r = await deploy([], { cdk: cdk(completes) });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`the stack's stored triggers no longer watched: ${STACK}-alb-old-signal`);
    expect(calls.deploy[0]).toContain(arn(TRIGGERS[3]!));
    expect(calls.deploy[0]).not.toContain(arn(`${STACK}-alb-old-signal`));
  });

  it('on a first create: runs the plan and the preflight, deploys without triggers and says so', async () => {
    world.status = undefined;
    world.events = [];
    world.storedTriggers = [];
    const creates = (w: World) => {
      push(
        ['CREATE_IN_PROGRESS', STACK, 'AWS::CloudFormation::Stack', 'User Initiated'],
        ['CREATE_COMPLETE', STACK, 'AWS::CloudFormation::Stack'],
      );
      w.status = 'CREATE_COMPLETE';
      return 0;
    };
    let preflights = 0;
    const r = await deploy([], {
      cdk: cdk(creates),
      preflight: async (o) => {
        preflights++;
        return passingPreflight(o);
      },
    });
    expect(r.code).toBe(0);
    expect(preflights).toBe(1);
    expect(r.stdout).toContain('stack: loadbearing-staging does not exist: a first create');
    expect(r.stdout).toMatch(/plan: every failure point of the first create rolls back \(\d+ resources\)/);
    expect(r.stdout).toContain('preflight: all 9 checks passed');
    expect(r.stdout).toContain('rollback triggers: none: a first create makes the alarms');
    expect(calls.deploy[0]).not.toContain('--rollback-trigger-alarm-arns');
    expect(cfn.commandCalls(GetTemplateCommand)).toHaveLength(0);
  });

  it('on a first create: a failed preflight stops it before the deploy', async () => {
    world.status = undefined;
    const failing: DeployDeps['preflight'] = async (o) =>
      ({
        ...(await passingPreflight(o)),
        exitCode: 1,
        result: 'fail',
        stack: STACK,
        account: ACCOUNT,
        region: REGION,
        template: 't',
        summary: { pass: 8, fail: 1, unknown: 0, manual: 0 },
        rows: [{ id: 'vcpu-on-demand', check: 'On-Demand vCPU quota', status: 'fail', detail: 'needs 48, quota 32', fix: 'ask for 64' }],
        notRun: null,
      }) as PreflightReport;
    const r = await deploy([], { cdk: cdk(completes), preflight: failing });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('needs 48, quota 32');
    expect(r.stdout).toContain('verdict: refused: the preflight found what would fail the first create');
    expect(calls.deploy).toEqual([]);
  });

  it('judges the bake: a critical alarm in ALARM makes the verdict a failure, exit 1', async () => {
    world.bakeAlarms = [
      { AlarmName: `${STACK}-alb-target-5xx-rate`, AlarmDescription: '[critical] 5xx', StateValue: 'ALARM', StateReason: '3% of requests' },
      { AlarmName: `${STACK}-cache-hit-rate`, AlarmDescription: '[warning] hits', StateValue: 'ALARM' },
    ];
    const r = await deploy([], { cdk: cdk(completes) });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`ALARM ${STACK}-alb-target-5xx-rate: 3% of requests`);
    expect(r.stdout).not.toContain('cache-hit-rate');
    expect(r.stdout).toMatch(
      /verdict: deployed, but the bake failed: loadbearing-staging-alb-target-5xx-rate went into ALARM within 5 min/,
    );
  });

  it('judges the bake on the critical composites too (a sick AZ, service-health): DescribeAlarms returns them only when asked', async () => {
    world.bakeComposites = [
      {
        AlarmName: `${STACK}-fleet-az-useast1b-isolated-impact`,
        AlarmDescription: '[critical] us-east-1b alone is impaired',
        StateValue: 'ALARM',
        StateReason: 'us-east-1b faults',
      },
    ];
    const r = await deploy([], { cdk: cdk(completes) });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`ALARM ${STACK}-fleet-az-useast1b-isolated-impact: us-east-1b faults`);
    expect(r.stdout).toMatch(
      /verdict: deployed, but the bake failed: loadbearing-staging-fleet-az-useast1b-isolated-impact went into ALARM/,
    );
  });

  it('break-glass: synthesizes without the release alarms, clears the stored triggers, and only reports the bake', async () => {
    world.alarms[0] = { ...world.alarms[0]!, StateValue: 'ALARM' };
    world.bakeAlarms = [{ AlarmName: `${STACK}-alb-target-5xx-rate`, AlarmDescription: '[critical] 5xx', StateValue: 'ALARM' }];
    const r = await deploy(['--break-glass', 'fix forward for the checkout outage'], { cdk: cdk(completes) });
    expect(r.code).toBe(0);
    expect(calls.synth[0]).toEqual(['deliveryBreakGlass=fix forward for the checkout outage']);
    expect(calls.deploy[0]!.slice(-2)).toEqual(['--rollback-trigger-alarm-arns', 'none']);
    expect(r.stdout).toContain('break-glass: "fix forward for the checkout outage"');
    expect(r.stdout).toMatch(/verdict: deployed: .*\(break-glass: loadbearing-staging-alb-target-5xx-rate in ALARM during the bake\)/);
  });

  it('migration: synthesizes with deliveryMigration=update-policy-only', async () => {
    const r = await deploy(['--migrate-update-policy'], { cdk: cdk(completes) });
    expect(r.code).toBe(0);
    expect(calls.synth[0]).toEqual(['deliveryMigration=update-policy-only']);
  });

  it('Ctrl-C: stops watching, leaves the stack as CloudFormation has it and says so, exit 1', async () => {
    let interrupted = false;
    const hanging: CdkRunner = {
      ...cdk(completes),
      deploy(o) {
        calls.deploy.push([...o.args]);
        let finish: (r: { code: number; output: string }) => void = () => undefined;
        const done = new Promise<{ code: number; output: string }>((resolve) => (finish = resolve));
        world.status = 'UPDATE_IN_PROGRESS';
        push(['UPDATE_IN_PROGRESS', STACK, 'AWS::CloudFormation::Stack', 'User Initiated']);
        return {
          done,
          interrupt: () => {
            interrupted = true;
            finish({ code: 130, output: '' });
          },
        };
      },
    };
    const r = await deploy([], { cdk: hanging, onInterrupt: (h) => (setTimeout(h, 5), () => undefined) });
    expect(interrupted).toBe(true);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /interrupted: nothing was cancelled; CloudFormation carries on with loadbearing-staging as it is \(UPDATE_IN_PROGRESS\)/,
    );
  });

  describe('bad input: one line on stderr, exit 2, nothing deployed', () => {
    it('an unknown environment', async () => {
      const registry = new CommandRegistry().register(createDeployCommand({ cwd: dir, cdk: cdk(completes) }));
      const r = await run(['deploy', '--env', 'prd'], { registry });
      expect(r.code).toBe(2);
      expect(r.stderr).toBe('loadbearing: error: unknown environment "prd" (known: dev, staging, prod); fix: pass one of them to --env\n');
      expect(calls.synth).toEqual([]);
    });

    it('no credentials', async () => {
      const e = new Error('Could not load credentials from any providers');
      e.name = 'CredentialsProviderError';
      sts.on(GetCallerIdentityCommand).rejects(e);
      const r = await deploy([], { cdk: cdk(completes) });
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toEqual([
        'loadbearing: error: no AWS credentials for staging (account 222222222222, us-east-1); fix: log in (e.g. `aws sso login`) and pass --profile or set AWS_PROFILE',
      ]);
      expect(calls.synth).toEqual([]);
    });

    it("another account's credentials", async () => {
      sts.on(GetCallerIdentityCommand).resolves({ Account: '999999999999' });
      const r = await deploy([], { cdk: cdk(completes) });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^loadbearing: error: the credentials are of account 999999999999, but staging deploys to 222222222222/);
    });

    it('a break-glass reason that explains nothing', async () => {
      const r = await deploy(['--break-glass', 'now'], { cdk: cdk(completes) });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^loadbearing: error: --break-glass "now" is too short/);
    });
  });
});

describe('loadbearing deploy with the real runner and a stub CDK CLI', () => {
  it('synthesizes and deploys through node_modules/.bin/cdk of the project, and shows its last lines when it fails', async () => {
    writeFileSync(join(dir, 'cdk.json'), '{"app": "true"}');
    mkdirSync(join(dir, 'node_modules', '.bin'), { recursive: true });
    const templateFile = join(dir, 'source.template.json');
    writeFileSync(templateFile, JSON.stringify(template));
    const log = join(dir, 'cdk.log');
    const stub = join(dir, 'node_modules', '.bin', 'cdk');
    writeFileSync(
      stub,
      [
        '#!/bin/sh',
        `echo "$@" >> ${log}`,
        'if [ "$1" = synth ]; then',
        '  while [ "$1" != --output ]; do shift; done',
        `  mkdir -p "$2" && cp ${templateFile} "$2/${STACK}.template.json"; exit 0`,
        'fi',
        'echo "Error: the assets bucket is not there (was the account bootstrapped?)" >&2',
        'exit 1',
      ].join('\n'),
    );
    chmodSync(stub, 0o755);
    const registry = new CommandRegistry().register(createDeployCommand({ cwd: dir, onInterrupt: () => () => undefined }));
    const r = await run(['deploy', '--env', 'staging', '--out', join(dir, 'cdk.out')], { registry, clock: yieldingClock });
    expect(r.code).toBe(1);
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    expect(lines[0]).toBe(`synth ${STACK} --quiet --output ${join(dir, 'cdk.out')}`);
    expect(lines[1]).toMatch(
      new RegExp(`^deploy ${STACK} --app ${join(dir, 'cdk.out')} --require-approval never --progress events --rollback-trigger-alarm-arns`),
    );
    expect(r.stdout).toContain('cdk: Error: the assets bucket is not there (was the account bootstrapped?)');
    expect(r.stdout).toContain(
      'verdict: failed: the CDK CLI exited 1 before CloudFormation changed loadbearing-staging (still UPDATE_COMPLETE)',
    );
  });
});

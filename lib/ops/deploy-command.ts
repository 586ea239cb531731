import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type * as CloudFormationModule from '@aws-sdk/client-cloudformation';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type * as StsModule from '@aws-sdk/client-sts';
import type { EnvironmentConfig } from '../model/config/environment-schema';
import type * as PlanModule from '../model/deploy/rollback-plan';
import type * as PlanReportModule from '../model/deploy/plan-report';
import type * as ReviewModule from '../platform/review/index';
import { CONNECTION_TIMEOUT_MS, DEFAULT_TIMEOUT_MS, REQUEST_TIMEOUT_MS } from './cli-timeouts.js';
import { ExitCode, writeLine, type Command, type LocalIo, type OptionValues } from './command.js';
import { deployArguments, lastLines, projectCdk, type CdkRunner } from './deploy-cdk.js';
import { endState, eventLine, failureReason, startState, type StackEventLike } from './deploy-stack-state.js';
import { configFileOption, ENVIRONMENT_OPTIONS, loadEnvironment } from './environment-option.js';
import { checkProfile } from './target-options.js';
import { OperatorError, UsageError } from './errors.js';
import { runPreflight } from './preflight-command.js';
import { renderPreflightText } from './preflight-report.js';
import { readSynthesizedTemplate, type SynthesizedTemplate } from './synthesized-template.js';

/** How often the stack's events are read while CloudFormation works. */
export const EVENT_POLL_MS = 5_000;
/** How often the alarms are read during the bake. */
export const BAKE_POLL_MS = 30_000;
/** The template metadata `loadbearing deploy` reads (lib/platform/platform-stack.ts, DELIVERY_METADATA). */
const DELIVERY_METADATA = 'loadbearing:delivery';

/** What the stack's template says about its delivery (see DeliveryMetadata in lib/platform/platform-stack.ts). */
interface DeliveryRecord {
  readonly mode: string;
  readonly releaseId: string;
  readonly rollbackTriggers: readonly string[];
  readonly monitoringMinutes: number;
  readonly bakeMinutes: number;
}

/** The parts of `loadbearing deploy` that tests replace. */
export interface DeployDeps {
  /** @default the project's CDK CLI (node_modules/.bin/cdk in cwd) */
  readonly cdk?: CdkRunner;
  /** The project root (cdk.json). @default process.cwd() */
  readonly cwd?: string;
  /** What Ctrl-C does; returns the function that removes the handler. @default SIGINT of this process */
  readonly onInterrupt?: (handler: () => void) => () => void;
  /** The preflight of a first create. @default runPreflight (the preflight command's checks) */
  readonly preflight?: typeof runPreflight;
}

function str(value: OptionValues[string]): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

const processInterrupt = (handler: () => void) => {
  process.on('SIGINT', handler);
  return () => {
    process.off('SIGINT', handler);
  };
};

/** The AWS clients of one deploy, loaded on use (optional peer dependencies). */
interface Aws {
  readonly cfn: CloudFormationModule.CloudFormationClient;
  readonly cf: typeof CloudFormationModule;
  readonly cw: CloudWatchClient;
  destroy(): void;
}

async function openAws(env: EnvironmentConfig, profile: string | undefined, io: LocalIo): Promise<Aws> {
  const cf: typeof CloudFormationModule = await import('@aws-sdk/client-cloudformation');
  const sts: typeof StsModule = await import('@aws-sdk/client-sts');
  const common = { region: env.region, ...(profile ? { profile } : {}) };
  const stsClient = new sts.STSClient(common);
  try {
    const who = await stsClient.send(new sts.GetCallerIdentityCommand({}));
    if (who.Account !== env.account)
      throw new OperatorError(
        `the credentials are of account ${who.Account}, but ${env.name} deploys to ${env.account}; fix: use credentials of ${env.account} (--profile or AWS_PROFILE)`,
      );
  } catch (err) {
    if (err instanceof OperatorError) throw err;
    const e = err as { name?: string; message?: string };
    if (e.name === 'CredentialsProviderError' || /could not load credentials/i.test(e.message ?? ''))
      throw new OperatorError(
        `no AWS credentials for ${env.name} (account ${env.account}, ${env.region}); fix: log in (e.g. \`aws sso login\`) and pass --profile or set AWS_PROFILE`,
      );
    throw new OperatorError(`AWS refused the credentials (${e.name ?? 'Error'}): ${(e.message ?? '').split('\n', 1)[0]}`);
  } finally {
    stsClient.destroy();
  }
  const cfn = new cf.CloudFormationClient(common);
  const cw = io.createCloudWatchClient({
    region: env.region,
    ...(profile ? { profile } : {}),
    connectionTimeoutMs: CONNECTION_TIMEOUT_MS,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
  });
  return {
    cfn,
    cf,
    cw,
    destroy: () => {
      cfn.destroy();
      cw.destroy();
    },
  };
}

async function describeStack(aws: Aws, stackName: string): Promise<CloudFormationModule.Stack | undefined> {
  try {
    const out = await aws.cfn.send(new aws.cf.DescribeStacksCommand({ StackName: stackName }));
    return out.Stacks?.[0];
  } catch (err) {
    const e = err as { name?: string; message?: string };
    if (e.name === 'ValidationError' && /does not exist/.test(e.message ?? '')) return undefined;
    throw err;
  }
}

/** Events not printed yet (oldest first): pages are read until an event already printed (or the first page's end on a new stack). */
async function newEvents(aws: Aws, stackName: string, printed: ReadonlySet<string>, onePage = false): Promise<StackEventLike[]> {
  const found: StackEventLike[] = [];
  let token: string | undefined;
  do {
    const out = await aws.cfn.send(new aws.cf.DescribeStackEventsCommand({ StackName: stackName, ...(token ? { NextToken: token } : {}) }));
    for (const e of out.StackEvents ?? []) {
      if (e.EventId !== undefined && printed.has(e.EventId)) return found.reverse();
      found.push(e);
    }
    token = out.NextToken;
  } while (token && !onePage);
  return found.reverse();
}

function deliveryRecord(template: SynthesizedTemplate): DeliveryRecord | undefined {
  const record = (template as { Metadata?: Record<string, unknown> }).Metadata?.[DELIVERY_METADATA] as DeliveryRecord | undefined;
  return record && Array.isArray(record.rollbackTriggers) ? record : undefined;
}

async function deploy(values: OptionValues, io: LocalIo, deps: DeployDeps): Promise<number> {
  const env = await loadEnvironment(values, 'deploy', io.stderr);
  if (!env) return ExitCode.Error;
  const out = (line = '') => writeLine(io.stdout, line);
  const breakGlass = str(values['break-glass']);
  const migrate = values['migrate-update-policy'] === true;
  if (breakGlass !== undefined && breakGlass.trim().length < 10)
    throw new UsageError(
      `--break-glass ${JSON.stringify(breakGlass)} is too short: give the reason in at least 10 characters (it is recorded in the template); e.g. --break-glass "fix forward for the checkout outage"`,
    );
  if (breakGlass !== undefined && migrate)
    throw new UsageError('--break-glass and --migrate-update-policy cannot be combined: run the migration deploy first');
  const profile = str(values.profile);
  // A profile no file defines is bad input: refused before cdk or AWS is called.
  if (profile !== undefined) checkProfile(profile, io.env);
  const outDir = str(values.out) ?? 'cdk.out';
  const configFile = configFileOption(values);
  const cwd = deps.cwd ?? process.cwd();
  const cdk = deps.cdk ?? projectCdk(cwd, io.env);

  const aws = await openAws(env, profile, io);
  try {
    // 1. The assembly this deploy reviews and deploys.
    const context = [
      ...(configFile ? [`configFile=${configFile}`] : []),
      ...(breakGlass !== undefined ? [`deliveryBreakGlass=${breakGlass.trim()}`] : []),
      ...(migrate ? ['deliveryMigration=update-policy-only'] : []),
    ];
    out(
      `synth: ${env.stackName}${breakGlass !== undefined ? ' (break-glass: no release alarms)' : migrate ? ' (migration: the update policy only)' : ''}`,
    );
    const synth = await cdk.synth({ stack: env.stackName, outDir, context });
    if (synth.code !== 0) {
      for (const line of lastLines(synth.output)) out(`  ${line}`);
      throw new UsageError(
        `synthesizing ${env.stackName} failed (cdk synth exited ${synth.code}); fix the error above, then run deploy again`,
      );
    }
    const template = readSynthesizedTemplate(env, outDir, configFile);
    const delivery = deliveryRecord(template);
    if (!delivery)
      throw new UsageError(
        `${outDir}/${env.stackName}.template.json has no ${DELIVERY_METADATA} metadata: it was not synthesized by this version of loadbearing; fix: upgrade the app's loadbearing and run deploy again`,
      );

    // 2. The stack as it is.
    const stack = await describeStack(aws, env.stackName);
    const start = startState(env.stackName, stack?.StackStatus);
    if (start.kind === 'blocked') {
      out(start.line);
      return ExitCode.Alarm;
    }
    const firstCreate = start.kind === 'create';
    out(`stack: ${env.stackName} ${firstCreate ? 'does not exist: a first create' : `is ${stack!.StackStatus}: an update`}`);

    // 3. The diff guard, against the template CloudFormation has.
    const review: typeof ReviewModule = await import('../platform/review/index.js');
    const deployed = firstCreate
      ? undefined
      : (JSON.parse(
          (await aws.cfn.send(new aws.cf.GetTemplateCommand({ StackName: env.stackName, TemplateStage: 'Original' }))).TemplateBody ?? '{}',
        ) as ReviewModule.Template);
    const result = review.reviewStack(env.stackName, deployed, template as ReviewModule.Template);
    const allowListPath = join(cwd, review.DEFAULT_ALLOW_LIST);
    const allowed = review.applyAllowList(result.hazards, existsSync(allowListPath) ? review.loadAllowList(allowListPath, false) : []);
    out(
      `diff guard: ${result.changes.length} resource change(s), ${allowed.blocking.length} blocking, ${result.rollbackRisks.length} whose rollback can fail`,
    );
    for (const w of result.warnings) out(`  warning: ${w}`);
    if (allowed.blocking.length > 0) {
      for (const h of allowed.blocking) out(`  BLOCKED ${h.logicalId} (${h.type}) ${h.impact}: ${h.reason}; fix: ${h.fix}`);
      out(`verdict: refused: the diff guard blocks ${allowed.blocking.length} change(s) to stateful resources (nothing was deployed)`);
      return ExitCode.Alarm;
    }

    // 4. A first create: the plan and the preflight.
    if (firstCreate) {
      const { planFirstCreate }: typeof PlanModule = await import('../model/deploy/rollback-plan.js');
      const { planText }: typeof PlanReportModule = await import('../model/deploy/plan-report.js');
      const plan = planFirstCreate(template, { account: env.account, region: env.region, stackName: env.stackName });
      if (plan.strands) {
        io.stdout.write(planText(env.stackName, template, plan));
        out('verdict: refused: a failure of the first create would strand the stack (the plan above; nothing was deployed)');
        return ExitCode.Alarm;
      }
      out(`plan: every failure point of the first create rolls back (${plan.resources.length} resources)`);
      const report = await (deps.preflight ?? runPreflight)({
        env,
        template,
        templatePath: `${outDir}/${env.stackName}.template.json`,
        ...(profile ? { profile } : {}),
        timeoutMs: DEFAULT_TIMEOUT_MS,
        io,
      });
      if (report.exitCode !== ExitCode.Ok) {
        io.stdout.write(renderPreflightText(report));
        out('verdict: refused: the preflight found what would fail the first create (above; nothing was deployed)');
        return ExitCode.Alarm;
      }
      out(`preflight: all ${report.summary.pass} checks passed`);
    }

    // 5. Changes whose rollback can fail need a yes.
    if (result.rollbackRisks.length > 0) {
      for (const r of result.rollbackRisks) out(`  rollback can fail: ${r.logicalId} (${r.type}): ${r.change}: ${r.reason}`);
      if (values['approve-stateful'] !== true) {
        out(
          `verdict: refused: ${result.rollbackRisks.length} change(s) whose rollback can fail (above); deploy them deliberately with --approve-stateful, at a time you can follow docs/delivering.md, "A stuck rollback" (nothing was deployed)`,
        );
        return ExitCode.Alarm;
      }
      out('  approved with --approve-stateful');
    }

    // 6. Rollback triggers: the alarms that exist now and are not in ALARM.
    const stored = (stack?.RollbackConfiguration?.RollbackTriggers ?? []).map((t) => t.Arn!).filter(Boolean);
    const wanted = breakGlass !== undefined ? [] : delivery.rollbackTriggers;
    let triggerArns: string[] = [];
    if (firstCreate) {
      out(
        'rollback triggers: none: a first create makes the alarms, so none exists to watch it (the creation policy and the plan cover it)',
      );
    } else if (wanted.length > 0) {
      const { DescribeAlarmsCommand } = await import('@aws-sdk/client-cloudwatch');
      const found =
        (await aws.cw.send(new DescribeAlarmsCommand({ AlarmNames: [...wanted], AlarmTypes: ['MetricAlarm'] }))).MetricAlarms ?? [];
      const byName = new Map(found.map((a) => [a.AlarmName!, a]));
      const firing = found.filter((a) => a.StateValue === 'ALARM');
      if (firing.length > 0) {
        for (const a of firing) out(`  trigger in ALARM: ${a.AlarmName}: ${a.StateReason ?? ''}`);
        out(
          'verdict: refused: a rollback trigger is in ALARM, so CloudFormation would roll the deploy back at once; wait until it is OK, or deploy a fix with --break-glass "<reason>" (docs/delivering.md, "Break-glass")',
        );
        return ExitCode.Alarm;
      }
      triggerArns = wanted.flatMap((n) => (byName.get(n)?.AlarmArn ? [byName.get(n)!.AlarmArn!] : []));
      const missing = wanted.filter((n) => !byName.has(n));
      out(
        `rollback triggers: ${triggerArns.length} alarm(s), ${delivery.monitoringMinutes} min of monitoring after the update${missing.length > 0 ? `; not yet created (this deploy makes them): ${missing.join(', ')}` : ''}`,
      );
    }
    const dropped = stored.filter((arn) => !triggerArns.includes(arn));
    if (dropped.length > 0)
      out(`  the stack's stored triggers no longer watched: ${dropped.map((a) => a.split(':alarm:')[1] ?? a).join(', ')}`);
    if (breakGlass !== undefined)
      out(`break-glass: "${breakGlass.trim()}": no release alarms in the refresh, no rollback triggers, the bake only reports`);
    const triggerArg = triggerArns.length > 0 ? triggerArns : stored.length > 0 ? ('none' as const) : undefined;

    // 7. The deploy, a line per stack event.
    // Events before this deploy are history: only the newest is needed to know where this one starts.
    const printed = new Set<string>();
    if (!firstCreate) {
      const newest = (await newEvents(aws, env.stackName, printed, true)).at(-1)?.EventId;
      if (newest) printed.add(newest);
    }
    const seen: StackEventLike[] = [];
    const printNew = async () => {
      const fresh = await newEvents(aws, env.stackName, printed).catch((err: Error) => {
        // A first create: no stack until CloudFormation starts it.
        if (firstCreate && /does not exist/.test(err.message ?? '')) return [];
        throw err;
      });
      for (const e of fresh) {
        if (e.EventId) printed.add(e.EventId);
        out(eventLine(e));
        seen.push(e);
      }
    };
    const args = deployArguments({
      stack: env.stackName,
      outDir,
      triggerArns: triggerArg,
      monitoringMinutes: delivery.monitoringMinutes,
      profile,
    });
    out(`deploy: cdk ${args.join(' ')}`);
    const running = cdk.deploy({ stack: env.stackName, outDir, args });
    let interrupted = false;
    const removeHandler = (deps.onInterrupt ?? processInterrupt)(() => {
      interrupted = true;
      running.interrupt();
    });
    let finished = false;
    const done = running.done.then((r) => {
      finished = true;
      return r;
    });
    try {
      while (!finished && !interrupted) {
        await printNew();
        await Promise.race([io.clock.sleep(EVENT_POLL_MS), done]);
      }
    } finally {
      removeHandler();
    }
    const cli = await done;
    await printNew();
    const after = await describeStack(aws, env.stackName);
    if (interrupted) {
      out(
        `interrupted: nothing was cancelled; CloudFormation carries on with ${env.stackName} as it is (${after?.StackStatus ?? 'no stack yet'}); follow it with \`aws cloudformation describe-stack-events --stack-name ${env.stackName}\`, and run deploy again once it has ended`,
      );
      return ExitCode.Alarm;
    }
    const end = endState(env.stackName, after?.StackStatus);
    const unchanged = /\(no changes\)|no changes are to be performed/i.test(cli.output);
    if (end.kind === 'rolled-back') {
      out(`verdict: rolled back: ${failureReason(seen, env.stackName)}`);
      return ExitCode.Alarm;
    }
    if (end.kind === 'failed' || end.kind === 'running') {
      for (const line of lastLines(cli.output, 8)) out(`  cdk: ${line}`);
      out(
        end.kind === 'running'
          ? `verdict: failed: the CDK CLI ended (exit ${cli.code}) while ${env.stackName} is still ${after?.StackStatus}; follow it with \`aws cloudformation describe-stack-events --stack-name ${env.stackName}\``
          : `verdict: failed (${after?.StackStatus ?? 'no stack'}): ${failureReason(seen, env.stackName)}; ${end.next}`,
      );
      return ExitCode.Alarm;
    }
    if (cli.code !== 0) {
      for (const line of lastLines(cli.output, 8)) out(`  cdk: ${line}`);
      out(`verdict: failed: the CDK CLI exited ${cli.code} before CloudFormation changed ${env.stackName} (still ${after?.StackStatus})`);
      return ExitCode.Alarm;
    }

    // 8. The bake: the stack's critical alarms, watched for delivery.bakeMinutes.
    if (unchanged) {
      out(`verdict: deployed: no changes (${env.stackName} is ${after?.StackStatus}; nothing to bake)`);
      return ExitCode.Ok;
    }
    const fired = await bake(aws, env.stackName, delivery.bakeMinutes, io, out);
    if (fired.length > 0 && breakGlass === undefined) {
      out(
        `verdict: deployed, but the bake failed: ${fired.join(', ')} went into ALARM within ${delivery.bakeMinutes} min; the update is complete, so roll back by deploying the previous version (or fix forward)`,
      );
      return ExitCode.Alarm;
    }
    out(
      `verdict: deployed: ${env.stackName} is ${after?.StackStatus}${fired.length > 0 ? ` (break-glass: ${fired.join(', ')} in ALARM during the bake)` : delivery.bakeMinutes > 0 ? `, no critical alarm in ${delivery.bakeMinutes} min of bake` : ''}`,
    );
    return ExitCode.Ok;
  } finally {
    aws.destroy();
  }
}

/** Watches the stack's critical alarms (`<stack>-`, `[critical]`) for `minutes`; returns those that were in ALARM. */
async function bake(aws: Aws, stackName: string, minutes: number, io: LocalIo, out: (line: string) => void): Promise<string[]> {
  if (minutes <= 0) return [];
  const { DescribeAlarmsCommand } = await import('@aws-sdk/client-cloudwatch');
  out(`bake: ${minutes} min, the critical alarms of ${stackName} watched`);
  const fired = new Set<string>();
  const polls = Math.max(1, Math.ceil((minutes * 60_000) / BAKE_POLL_MS));
  for (let i = 0; i <= polls; i++) {
    // Composites too (service-health, the per-AZ isolated-impact ones): without AlarmTypes,
    // DescribeAlarms returns only metric alarms
    // (https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/cloudwatch/aws.sdk.kotlin.services.cloudwatch.model/-describe-alarms-request/alarm-types.html).
    const alarms = await aws.cw.send(
      new DescribeAlarmsCommand({ AlarmNamePrefix: `${stackName}-`, StateValue: 'ALARM', AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] }),
    );
    for (const a of [...(alarms.MetricAlarms ?? []), ...(alarms.CompositeAlarms ?? [])]) {
      if (!(a.AlarmDescription ?? '').startsWith('[critical]') || fired.has(a.AlarmName!)) continue;
      fired.add(a.AlarmName!);
      out(`  ALARM ${a.AlarmName}: ${a.StateReason ?? ''}`);
    }
    if (i < polls) await io.clock.sleep(BAKE_POLL_MS);
  }
  return [...fired];
}

/** `loadbearing deploy --env <name>` with the parts tests replace (the CDK CLI, Ctrl-C, the preflight). */
export function createDeployCommand(deps: DeployDeps = {}): Command {
  return {
    name: 'deploy',
    summary:
      'Deploy an environment: diff guard, preflight and plan on a first create, rollback triggers, a line per event, a bake, a verdict',
    usage:
      '--env <name> [-c configFile=<file.json>] [--approve-stateful] [--break-glass <reason>] [--migrate-update-policy] [--profile <name>] [--out <dir>]',
    details: [
      "Synthesizes the environment's stack (the policy gates included) into --out (default cdk.out) and then,",
      'in order: the diff guard against the template CloudFormation has (blocking as `npm run diff`',
      'does); on a first create the plan (every failure point rolls back) and the preflight;',
      "`cdk deploy` of that assembly with the stack's rollback triggers (delivery.rollbackTriggers that",
      'exist and are not in ALARM) and delivery.monitoringMinutes; a line per stack event; a bake of',
      'delivery.bakeMinutes with the critical alarms watched; and a verdict (docs/delivering.md).',
      '',
      '--approve-stateful   deploy changes whose rollback can fail (engine versions, storage, replicas,',
      '                     the cache engine), which the diff guard lists; refused without it.',
      '--break-glass <why>  the instance refresh without release alarms, the rollback triggers cleared,',
      '                     the bake reported but not judged: a fix forward while an alarm fires.',
      '--migrate-update-policy  the one deploy that moves a stack from the rolling update to the',
      '                     instance refresh, changing nothing else (docs/delivering.md).',
      'Ctrl-C stops watching and leaves the stack as CloudFormation has it (nothing is cancelled).',
      '',
      'Exit codes: 0 deployed (and the bake passed), 1 refused, rolled back or failed (the verdict',
      'says why; also a stack in a state that takes no update, with what to do), 2 bad input, an',
      'unknown environment, no or wrong credentials, a synth that fails.',
    ].join('\n'),
    verdict: 'the deploy was refused, rolled back or failed (the verdict line says why and what to do)',
    sdkClients: ['@aws-sdk/client-sts', '@aws-sdk/client-cloudformation'],
    options: {
      ...ENVIRONMENT_OPTIONS,
      'approve-stateful': { type: 'boolean', description: 'deploy changes whose rollback can fail (the diff guard lists them)' },
      'break-glass': { type: 'string', valueName: '<reason>', description: 'deploy without the release alarms and rollback triggers' },
      'migrate-update-policy': { type: 'boolean', description: 'the one deploy that changes only the update policy (migration)' },
      profile: {
        type: 'string',
        valueName: '<profile>',
        description: "AWS profile (default: AWS_PROFILE); the region is the environment's",
      },
      out: { type: 'string', valueName: '<dir>', description: 'where the assembly is synthesized (default: cdk.out)' },
    },
    local: (values, io) => deploy(values, io, deps),
  };
}

/** `loadbearing deploy --env <name>`: a deploy that watches and rolls back (docs/delivering.md). */
export const deployCommand: Command = createDeployCommand();

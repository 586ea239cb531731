import type * as FailureModesModule from '../model/failure-modes';
import type { FailureModeId } from '../model/failure-modes/failure-mode';
import { CloudWatchGateway } from './cloudwatch-gateway.js';
import { CONNECTION_TIMEOUT_MS, REQUEST_TIMEOUT_MS } from './cli-timeouts.js';
import { ExitCode, writeLine, type Command, type LocalIo, type OptionValues } from './command.js';
import { startDeadline } from './deadline.js';
import type { EnvironmentConfig } from '../model/config/environment-schema';
import { DRILL_DEFAULT_INTERVAL_MS, drillPlan, type DrillOptions, type DrillPlan } from './drill-plan.js';
import { renderPlan } from './drill-render.js';
import { runDrill } from './drill-run.js';
import { parseDuration } from './duration.js';
import { configFileOption } from './environment-option.js';
import { resolveTarget, TARGET_OPTIONS, type Target } from './target-options.js';
import { DeadlineExceededError, UsageError } from './errors.js';
import { FisGateway } from './fis-gateway.js';
import { DURATION_HELP } from './help.js';

// `loadbearing drill`: the plan (drill-plan.ts), its rendering (drill-render.ts), the run loop
// (drill-run.ts), what the run has seen (drill-watch.ts) and the report (drill-report.ts).

function str(value: OptionValues[string]): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function parseDrillOptions(values: OptionValues): DrillOptions {
  const interval = str(values.interval);
  const timeout = str(values.timeout);
  const intervalMs = interval ? parseDuration(interval, '--interval') : DRILL_DEFAULT_INTERVAL_MS;
  if (intervalMs < 1000) throw new UsageError(`--interval (${interval}) must be at least 1s`);
  return { zone: str(values.zone), intervalMs, ...(timeout ? { timeoutMs: parseDuration(timeout, '--timeout') } : {}) };
}

/** The plan on the stack and region of the target (--stack and --region override the environment's). */
function withTarget(plan: DrillPlan, target: Target, stackTag: string): DrillPlan {
  const stack = target.stack ?? plan.stack;
  // Every name the plan derives from the stack (tags, alarm names, the description) follows --stack.
  const renamed = stack === plan.stack ? plan : (JSON.parse(JSON.stringify(plan).split(plan.stack).join(stack)) as DrillPlan);
  const findBy = Object.fromEntries(Object.entries(renamed.findBy).map(([k, v]) => [k, k === stackTag ? stack : v]));
  return { ...renamed, stack, region: target.region ?? plan.region, findBy };
}

/** What an environment without failure drills needs before this drill can run, in lines. */
function drillNeeds(env: EnvironmentConfig, templates: number, configFile: string | undefined): string[] {
  const where = configFile
    ? `environments.${env.name} of ${configFile}`
    : `a config file (-c configFile=<file>) copying the built-in ${env.name}`;
  return [
    `${env.stackName} (${env.name}) has no failure drills deployed: failureDrills.enabled is false, so nothing below can run yet.`,
    'It needs:',
    `  1. failureDrills.enabled: true in ${where};`,
    `  2. a deploy of ${env.stackName}: it adds ${templates} FIS experiment templates (one per drill, per AZ where the drill is), their IAM role, a stop alarm per drill and the experiment log group;`,
    `  3. then: loadbearing drill <mode> --env ${env.name}${configFile ? ` -c configFile=${configFile}` : ''}${env.stage === 'prod' ? ` --confirm ${env.stackName}` : ''}.`,
    'Once enabled, this drill would run as follows.',
  ];
}

async function drill(values: OptionValues, io: LocalIo): Promise<number> {
  const { stdout, stderr } = io;
  const fm: typeof FailureModesModule = await import('../model/failure-modes/index.js');
  const mode = str(values._);
  if (!mode) throw new UsageError('missing <mode>, e.g. loadbearing drill az-loss --env staging; see: loadbearing drill --help');
  if (!(fm.FAILURE_MODE_IDS as readonly string[]).includes(mode))
    throw new UsageError(`unknown failure mode "${mode}" (modes: ${fm.FAILURE_MODE_IDS.join(', ')})`);
  const options = parseDrillOptions(values);
  const target = await resolveTarget(values, 'drill', stderr, io.env, { requireEnvironment: true });
  if (!target?.environment) return ExitCode.Error;
  const env = target.environment;
  if (values['dry-run'] === true && !env.failureDrills.enabled) {
    // What the environment would need, and the plan it would then have, instead of a refusal.
    const enabled = { ...env, failureDrills: { ...env.failureDrills, enabled: true } };
    const needs = withTarget(drillPlan(fm, enabled, mode as FailureModeId, options), target, fm.DRILL_TAGS.stack);
    const named = { ...env, stackName: needs.stack };
    const templates = fm.drillTemplates(enabled).length;
    if (values.json === true)
      writeLine(
        stdout,
        JSON.stringify({ deployed: false, needs: drillNeeds(named, templates, configFileOption(values)), plan: needs }, null, 2),
      );
    else stdout.write(`${drillNeeds(named, templates, configFileOption(values)).join('\n')}\n\n${renderPlan(needs)}`);
    return ExitCode.Alarm;
  }
  const plan = withTarget(drillPlan(fm, env, mode as FailureModeId, options), target, fm.DRILL_TAGS.stack);
  if (values['dry-run'] === true) {
    if (values.json === true) writeLine(stdout, JSON.stringify(plan, null, 2));
    else stdout.write(renderPlan(plan));
    return ExitCode.Ok;
  }
  if (plan.needsConfirmation && str(values.confirm) !== plan.stack) {
    throw new UsageError(`refusing to run a drill on the prod stack ${plan.stack} without --confirm ${plan.stack}`);
  }
  const clientOptions = {
    region: plan.region,
    profile: target.profile,
    connectionTimeoutMs: CONNECTION_TIMEOUT_MS,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
  };
  const cwClient = io.createCloudWatchClient(clientOptions);
  const fisClient = io.createFisClient(clientOptions);
  const boundMs = plan.boundSeconds * 1000;
  const deadline = startDeadline(boundMs, () => new DeadlineExceededError(boundMs));
  try {
    return await runDrill({
      plan,
      fis: new FisGateway(fisClient, io.retryPolicy, io.clock, deadline.signal),
      cw: new CloudWatchGateway(cwClient, io.retryPolicy, io.clock, deadline.signal),
      clock: io.clock,
      signal: deadline.signal,
      stdout,
      stderr,
      json: values.json === true,
    });
  } finally {
    deadline.dispose();
    cwClient.destroy();
    fisClient.destroy();
  }
}

export const drillCommand: Command = {
  name: 'drill',
  summary: "Run the AWS FIS drill of a failure mode on an environment and judge it against the mode's budget",
  usage: '<mode> --env <name> [--zone <az>] [--confirm <stack>] [--dry-run] [--json] [options]',
  positional: { name: 'mode', description: 'failure mode ID, e.g. az-loss (see: loadbearing failure-modes --env <name>)' },
  details: [
    'Finds the experiment template of the drill by its tags (loadbearing:stack, loadbearing:drill,',
    'loadbearing:zone), refuses to start unless no alarm of the stack is in ALARM, starts the',
    'experiment (FIS StartExperiment, with a client token so a retry never starts two), then',
    "checks the stack's alarms and the experiment every --interval, scheduled from the start, with",
    'a progress line on stderr, until the experiment has ended and every alarm is out of ALARM.',
    '',
    'It reports the time to detect (the first expected cause alarm of the mode in ALARM), the time',
    'to recover (every alarm out of ALARM again, from the end of the fault), whether the stop',
    "condition (<stack>-drill-<mode>-stop, from the mode's impact budget) fired, and the alarms",
    'that fired without being expected for the mode. --dry-run prints the plan from config alone;',
    'on an environment without drills it prints what the environment needs, then the plan it',
    'would have, and exits 1.',
    "Prod stacks run only with --confirm <stack name>. The region is the environment's unless",
    '--region is given. The whole run gives up after the fault, detection and recovery times and',
    'a setup margin (see --dry-run), or --timeout, and then stops the experiment.',
    DURATION_HELP,
    '',
    'Exit codes: 0 passed (detected, recovered in time, stop condition not fired),',
    '            1 failed (not detected, not recovered, or the stop condition fired),',
    '            2 could not run: usage or config error, no drill here, no template, alarms not OK',
    '              before the start, prod without --confirm, FIS or CloudWatch errors, the',
    '              experiment failed or was stopped by hand (not by its stop condition),',
    '              or the wall-clock bound.',
  ].join('\n'),
  sdkClients: ['@aws-sdk/client-fis'],
  verdict: 'the drill failed (not detected, not recovered, or its stop condition fired); with --dry-run, the environment has no drills yet',
  options: {
    ...TARGET_OPTIONS,
    zone: {
      type: 'string',
      valueName: '<az>',
      description: 'AZ of a per-AZ drill (az-loss, capacity-shortage-in-an-az); default: the first',
    },
    confirm: { type: 'string', valueName: '<stack>', description: 'the stack name, required to run on a prod stack' },
    'dry-run': { type: 'boolean', description: 'print the plan and start nothing (no AWS calls)' },
    interval: { type: 'string', valueName: '<duration>', description: 'time between checks (default 30s, at least 1s)' },
    timeout: { type: 'string', valueName: '<duration>', description: 'wall-clock bound of the whole drill (default: from the plan)' },
  },
  local: drill,
};

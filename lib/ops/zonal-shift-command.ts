import { ArcZonalShiftClient, arcZonalShiftEndpoint } from './arc-zonal-shift-client.js';
import { availabilityZoneIds, availabilityZoneEc2Client } from './availability-zone-ids.js';
import { CONNECTION_TIMEOUT_MS, DEFAULT_TIMEOUT_MS, REQUEST_TIMEOUT_MS } from './cli-timeouts.js';
import { type Command, ExitCode, type LocalIo, type OptionValues, writeLine } from './command.js';
import { raceAbort, startDeadline } from './deadline.js';
import { parseDuration } from './duration.js';
import { DeadlineExceededError, OperatorError, UsageError } from './errors.js';
import { DURATION_HELP } from './help.js';
import { PreflightSession } from './preflight-session.js';
import { resolveTarget, TARGET_OPTIONS } from './target-options.js';
import {
  cancelZonalShifts,
  readZonalShiftStates,
  zonalShiftStartBlocker,
  startZonalShifts,
  zonalShiftStatusReport,
  type ZonalShiftContext,
} from './zonal-shift-actions.js';
import {
  describeZonalShiftFailure,
  type ZonalShiftFailureContext,
  zonalShiftNoCredentialsLine,
  ZONAL_SHIFT_PERMISSIONS,
} from './zonal-shift-errors.js';
import { MAX_ZONAL_SHIFT_COMMENT, MAX_ZONAL_SHIFT_HOURS, zonalShiftStartRequest, zonalShiftAction } from './zonal-shift-input.js';
import { renderZonalShiftCancel, renderZonalShiftStart, renderZonalShiftStatus } from './zonal-shift-render.js';
import { managedZonalShiftTargets, stackZonalShiftResources } from './zonal-shift-targets.js';

// `loadbearing zonal-shift start|cancel|status`: the input (zonal-shift-input.ts), the stack's
// managed resources (zonal-shift-targets.ts, availability-zone-ids.ts), ARC's REST API
// (arc-zonal-shift-client.ts), what each action does (zonal-shift-actions.ts), its text
// (zonal-shift-render.ts) and its errors (zonal-shift-errors.ts).

function str(value: OptionValues[string]): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

async function zonalShift(values: OptionValues, io: LocalIo): Promise<number> {
  const action = zonalShiftAction(values);
  const target = await resolveTarget(values, 'zonal-shift', io.stderr, io.env, { requireEnvironment: true });
  if (!target?.environment) return ExitCode.Error;
  const environment = target.environment;
  const request = action === 'start' ? zonalShiftStartRequest(values, environment) : undefined;
  const timeout = str(values.timeout);
  const timeoutMs = timeout !== undefined ? parseDuration(timeout, '--timeout') : DEFAULT_TIMEOUT_MS;
  const region = target.region ?? environment.region;
  const stack = target.stack ?? environment.stackName;
  const endpoint = arcZonalShiftEndpoint(region, io.env);
  const failure: ZonalShiftFailureContext = {
    action,
    arcEndpoint: endpoint,
    env: io.env,
    ...(target.profile ? { profile: target.profile } : {}),
  };

  const deadline = startDeadline(timeoutMs, () => new DeadlineExceededError(timeoutMs, 'AWS'));
  const session = new PreflightSession({
    ...(target.profile ? { profile: target.profile } : {}),
    connectionTimeoutMs: Math.min(CONNECTION_TIMEOUT_MS, timeoutMs),
    requestTimeoutMs: Math.min(REQUEST_TIMEOUT_MS, timeoutMs),
    retryPolicy: io.retryPolicy,
    clock: io.clock,
    signal: deadline.signal,
  });
  // One credential chain for every call: the EC2 client's (the SDK's default chain, with --profile).
  const ec2 = availabilityZoneEc2Client(session, region);
  const credentials = () => ec2.config.credentials();
  const arc = new ArcZonalShiftClient({
    region,
    endpoint,
    credentials,
    connectionTimeoutMs: Math.min(CONNECTION_TIMEOUT_MS, timeoutMs),
    requestTimeoutMs: Math.min(REQUEST_TIMEOUT_MS, timeoutMs),
  });
  const print = (report: object, text: (r: never) => string) => {
    if (values.json === true) writeLine(io.stdout, JSON.stringify(report, null, 2));
    else io.stdout.write(text(report as never));
  };
  try {
    try {
      await raceAbort(credentials(), deadline.signal);
    } catch (err) {
      if (err === deadline.signal.reason) throw err;
      throw new OperatorError(zonalShiftNoCredentialsLine(err, target.profile, io.env));
    }
    const azIds = await availabilityZoneIds(session, region, environment.availabilityZones);
    const resources = await stackZonalShiftResources(session, region, stack);
    const targets = await managedZonalShiftTargets(session, arc, region, stack, resources);
    const ctx: ZonalShiftContext = {
      session,
      arc,
      environment,
      stack,
      region,
      azIds,
      retryPolicy: io.retryPolicy,
      clock: io.clock,
      signal: deadline.signal,
      failure,
    };
    const states = await readZonalShiftStates(ctx, targets);
    if (action === 'status') {
      const report = zonalShiftStatusReport(ctx, states);
      print(report, renderZonalShiftStatus);
      return report.shifted ? ExitCode.Alarm : ExitCode.Ok;
    }
    if (action === 'start') {
      const blocker = zonalShiftStartBlocker(ctx, states, request!);
      if (blocker) throw new OperatorError(blocker);
      const { report, error } = await startZonalShifts(ctx, states, request!);
      print(report, renderZonalShiftStart);
      if (error) throw new OperatorError(error);
      return ExitCode.Ok;
    }
    const { report, error } = await cancelZonalShifts(ctx, states);
    print(report, renderZonalShiftCancel);
    if (error) throw new OperatorError(error);
    return ExitCode.Ok;
  } catch (err) {
    if (err instanceof OperatorError || err instanceof UsageError) throw err;
    throw new OperatorError(describeZonalShiftFailure(err, failure));
  } finally {
    deadline.dispose();
    session.destroy();
    arc.destroy();
  }
}

/** `loadbearing zonal-shift`: move the stack's traffic and capacity away from one AZ with ARC, undo it, or show it. */
export const zonalShiftCommand: Command = {
  name: 'zonal-shift',
  summary: "Shift the stack's load balancer and Auto Scaling group away from an AZ (ARC zonal shift), cancel it, or show it",
  usage: '<start|cancel|status> --env <name> [--az <az-name> --expires <duration> --comment <text> [--override]] [--json] [options]',
  positional: { name: 'action', description: 'start, cancel or status' },
  details: [
    'start moves real traffic: the load balancer stops sending requests to the AZ (its nodes there',
    'leave DNS; connections in flight drain within minutes) and the Auto Scaling group launches',
    'capacity in the other AZs. It shifts both with ARC, one zonal shift per resource, the load',
    `balancer first, until --expires (at most ${MAX_ZONAL_SHIFT_HOURS}h, in whole minutes) or cancel. --comment (1 to`,
    `${MAX_ZONAL_SHIFT_COMMENT} characters) says why; ARC keeps it with the shift. --az is a name of the environment's`,
    'availabilityZones; ARC takes AZ IDs, so EC2 DescribeAvailabilityZones maps it.',
    "start refuses (exit 2, before anything starts) while an operator's zonal shift away from",
    'another AZ is active; one away from the same AZ is kept, so start finishes a start that',
    'stopped half-way. A practice run, an FIS experiment or an autoshift in progress refuses too,',
    'unless --override: a zonal shift takes precedence over each of them.',
    "cancel cancels the operators' zonal shifts of the group, then the load balancer; practice",
    'runs, FIS experiments and autoshifts are shown, not cancelled. status shows every shift.',
    '',
    "The resources are the stack's (CloudFormation ListStackResources) that ARC manages (zonal",
    'shift on for both). Reads are retried with backoff; StartZonalShift only on throttling, and',
    'after a lost answer ARC is asked whether the shift started. --timeout bounds the run (default',
    `${DEFAULT_TIMEOUT_MS / 1000}s). ${DURATION_HELP}`,
    `IAM: ${ZONAL_SHIFT_PERMISSIONS.start.join(', ')}, and for cancel arc-zonal-shift:CancelZonalShift.`,
    '',
    'Exit codes: 0 done (status: no shift in progress),',
    '            1 status: traffic is shifted away from an AZ (any shift or autoshift in progress),',
    '            2 bad input (unknown AZ, expiry over 72h, no comment...), no credentials, access',
    '              denied, a shift already active, a practice run or autoshift without --override,',
    '              or an AWS error (the line says which resource was shifted, if any).',
  ].join('\n'),
  sdkClients: ['@aws-sdk/client-cloudformation', '@aws-sdk/client-ec2'],
  verdict: 'status: traffic of the stack is shifted away from an AZ (a zonal shift, practice run, FIS experiment or autoshift in progress)',
  options: {
    ...TARGET_OPTIONS,
    az: {
      type: 'string',
      valueName: '<az-name>',
      description: "start: the AZ to shift away from, one of the environment's availabilityZones",
    },
    expires: {
      type: 'string',
      valueName: '<duration>',
      description: `start: when ARC ends the shift, at most ${MAX_ZONAL_SHIFT_HOURS}h in whole minutes (e.g. 90m, 2h, 3d)`,
    },
    comment: { type: 'string', valueName: '<text>', description: `start: why (required, at most ${MAX_ZONAL_SHIFT_COMMENT} characters)` },
    override: { type: 'boolean', description: 'start: go ahead over a practice run, FIS experiment or autoshift in progress' },
    timeout: { type: 'string', valueName: '<duration>', description: `deadline for all AWS calls (default ${DEFAULT_TIMEOUT_MS / 1000}s)` },
  },
  local: zonalShift,
};

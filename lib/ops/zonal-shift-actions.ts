import type { EnvironmentConfig } from '../model/config/environment-schema';
import { ArcError, type ArcZonalShiftClient, type ShiftType, type ZonalShift } from './arc-zonal-shift-client.js';
import type { Clock } from './clock.js';
import { raceAbort } from './deadline.js';
import { OperatorError, RetriesExhaustedError } from './errors.js';
import { AwsCallError, type PreflightSession } from './preflight-session.js';
import { type RetryPolicy, withRetry } from './retry.js';
import { describeZonalShiftFailure, type ZonalShiftFailureContext } from './zonal-shift-errors.js';
import type { ZonalShiftStartRequest } from './zonal-shift-input.js';
import { ZONAL_SHIFT_KIND_LABEL, type ZonalShiftResourceKind, type ZonalShiftTarget } from './zonal-shift-targets.js';

// What start, cancel and status do with the stack's two managed resources, as reports that the
// renderer prints (text) or the command prints as JSON.

/** Everything an action needs. */
export interface ZonalShiftContext {
  readonly session: PreflightSession;
  readonly arc: ArcZonalShiftClient;
  readonly environment: EnvironmentConfig;
  readonly stack: string;
  readonly region: string;
  /** AZ name -> AZ ID, for the environment's AZs. */
  readonly azIds: ReadonlyMap<string, string>;
  readonly retryPolicy: RetryPolicy;
  readonly clock: Clock;
  readonly signal: AbortSignal;
  readonly failure: ZonalShiftFailureContext;
}

/** A shift of a resource as the reports show it: the AZ by name (its ID beside it). */
export interface ZonalShiftView {
  readonly zonalShiftId: string;
  /** ZONAL_SHIFT (an operator's), PRACTICE_RUN, FIS_EXPERIMENT or ZONAL_AUTOSHIFT. */
  readonly type: ShiftType;
  readonly awayFrom: string;
  readonly awayFromId: string;
  readonly applied: boolean;
  readonly startTime: string;
  readonly expiryTime: string;
  readonly comment: string;
  readonly practiceRunOutcome?: string;
}

export interface ZonalAutoshiftView {
  readonly awayFrom: string;
  readonly awayFromId: string;
  readonly applied: boolean;
  readonly startTime: string;
}

export interface ZonalShiftResourceState {
  readonly kind: ZonalShiftResourceKind;
  readonly name: string;
  readonly arn: string;
  /** Shifts in progress: an operator's, practice runs, FIS experiments. */
  readonly shifts: readonly ZonalShiftView[];
  /** Autoshifts AWS is running on it. */
  readonly autoshifts: readonly ZonalAutoshiftView[];
  readonly zonalAutoshift: 'ENABLED' | 'DISABLED' | 'unknown';
  readonly practiceRunConfigured: boolean;
  /** AZ name (or ID, for an AZ outside the environment) -> 1 (serving) or 0 (shifted away). */
  readonly weights: Readonly<Record<string, number>>;
}

export interface ZonalShiftStatusReport {
  readonly action: 'status';
  readonly environment: string;
  readonly stack: string;
  readonly region: string;
  /** A shift or an autoshift is in progress on either resource (exit 1). */
  readonly shifted: boolean;
  readonly resources: readonly ZonalShiftResourceState[];
}

export type ZonalShiftStartResult = 'started' | 'already-shifted' | 'failed' | 'not-started';

export interface ZonalShiftStartReport {
  readonly action: 'start';
  readonly environment: string;
  readonly stack: string;
  readonly region: string;
  readonly az: string;
  readonly azId: string;
  readonly expiresIn: string;
  readonly comment: string;
  readonly resources: readonly {
    readonly kind: ZonalShiftResourceKind;
    readonly name: string;
    readonly arn: string;
    readonly result: ZonalShiftStartResult;
    readonly zonalShiftId?: string;
    readonly expiryTime?: string;
    /** Why it failed, or how a start after a lost answer was confirmed. */
    readonly note?: string;
  }[];
}

export interface ZonalShiftCancelReport {
  readonly action: 'cancel';
  readonly environment: string;
  readonly stack: string;
  readonly region: string;
  readonly resources: readonly {
    readonly kind: ZonalShiftResourceKind;
    readonly name: string;
    readonly arn: string;
    readonly canceled: readonly ZonalShiftView[];
    /** Ended (expired or canceled elsewhere) between the read and the cancel. */
    readonly alreadyEnded: readonly ZonalShiftView[];
    /** Practice runs and FIS experiments: not an operator's shift, left to end by themselves. */
    readonly leftRunning: readonly ZonalShiftView[];
    readonly autoshifts: readonly ZonalAutoshiftView[];
    readonly failed?: string;
  }[];
}

/** An action's report, and the error line when it could not finish (exit 2). */
export interface ZonalShiftOutcome<R> {
  readonly report: R;
  readonly error?: string;
}

function azName(ctx: ZonalShiftContext, id: string): string {
  for (const [name, zoneId] of ctx.azIds) if (zoneId === id) return name;
  return id;
}

/** The resources' state, from GetManagedResource (read, retried). */
export async function readZonalShiftStates(
  ctx: ZonalShiftContext,
  targets: readonly ZonalShiftTarget[],
): Promise<ZonalShiftResourceState[]> {
  const states: ZonalShiftResourceState[] = [];
  for (const target of targets) states.push(await readState(ctx, target));
  return states;
}

async function readState(ctx: ZonalShiftContext, target: ZonalShiftTarget): Promise<ZonalShiftResourceState> {
  const r = await ctx.session.call('arc-zonal-shift:GetManagedResource', (signal) => ctx.arc.getManagedResource(target.arn, signal));
  return {
    kind: target.kind,
    name: target.name,
    arn: target.arn,
    shifts: r.zonalShifts.map((s) => ({
      zonalShiftId: s.zonalShiftId,
      type: s.shiftType ?? 'ZONAL_SHIFT',
      awayFrom: azName(ctx, s.awayFrom),
      awayFromId: s.awayFrom,
      applied: s.appliedStatus === 'APPLIED',
      startTime: s.startTime,
      expiryTime: s.expiryTime,
      comment: s.comment,
      ...(s.practiceRunOutcome ? { practiceRunOutcome: s.practiceRunOutcome } : {}),
    })),
    autoshifts: r.autoshifts.map((a) => ({
      awayFrom: azName(ctx, a.awayFrom),
      awayFromId: a.awayFrom,
      applied: a.appliedStatus === 'APPLIED',
      startTime: a.startTime,
    })),
    zonalAutoshift: r.zonalAutoshiftStatus ?? 'unknown',
    practiceRunConfigured: r.practiceRunConfigured,
    weights: Object.fromEntries(Object.entries(r.appliedWeights).map(([id, w]) => [azName(ctx, id), w])),
  };
}

export function zonalShiftStatusReport(ctx: ZonalShiftContext, states: readonly ZonalShiftResourceState[]): ZonalShiftStatusReport {
  return {
    action: 'status',
    environment: ctx.environment.name,
    stack: ctx.stack,
    region: ctx.region,
    shifted: states.some((s) => s.shifts.length > 0 || s.autoshifts.length > 0),
    resources: states,
  };
}

const isOperatorShift = (s: ZonalShiftView) => s.type === 'ZONAL_SHIFT';

/**
 * Why start must not go ahead on these states, or undefined. An operator's shift away from the
 * same AZ is kept (start finishes a start that stopped half-way); one away from another AZ blocks
 * (ARC applies one shift per resource at a time). A practice run, an FIS experiment or an
 * autoshift in progress blocks unless --override: a zonal shift takes precedence over each of
 * them, ending the first two and overriding the third
 * (https://docs.aws.amazon.com/r53recovery/latest/dg/arc-zonal-autoshift.how-it-works.precedence.html).
 */
export function zonalShiftStartBlocker(
  ctx: ZonalShiftContext,
  states: readonly ZonalShiftResourceState[],
  request: ZonalShiftStartRequest,
): string | undefined {
  const awayFromId = ctx.azIds.get(request.az)!;
  const again = `loadbearing zonal-shift cancel --env ${ctx.environment.name}`;
  for (const s of states) {
    const label = `the ${ZONAL_SHIFT_KIND_LABEL[s.kind]} ${s.name}`;
    const other = s.shifts.find((x) => isOperatorShift(x) && x.awayFromId !== awayFromId);
    if (other)
      return `a zonal shift is already active on ${label}: ${other.zonalShiftId}, away from ${other.awayFrom} until ${other.expiryTime} (ARC applies one shift per resource at a time); fix: cancel it first (${again}), then start again`;
    if (request.override) continue;
    const practice = s.shifts.find((x) => x.type === 'PRACTICE_RUN');
    if (practice)
      return `a zonal autoshift practice run is shifting ${label} away from ${practice.awayFrom} (${practice.zonalShiftId}, since ${practice.startTime}): a zonal shift ends it with the outcome INTERRUPTED; fix: wait until it ends (a practice run lasts about 30 minutes), or pass --override to interrupt it`;
    const fis = s.shifts.find((x) => x.type === 'FIS_EXPERIMENT');
    if (fis)
      return `an AWS FIS experiment is shifting ${label} away from ${fis.awayFrom} (${fis.zonalShiftId}): a zonal shift cancels the experiment; fix: wait until it ends, or pass --override to cancel it`;
    const auto = s.autoshifts[0];
    if (auto)
      return `AWS is autoshifting ${label} away from ${auto.awayFrom} (since ${auto.startTime}): a zonal shift takes precedence over the autoshift${auto.awayFromId === awayFromId ? '' : `, and would send traffic back to ${auto.awayFrom}`}; fix: leave the autoshift in charge, or pass --override`;
  }
  return undefined;
}

/** Throttling: ARC refused the request before acting on it, so sending it again cannot start a second shift. */
function isThrottled(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'ThrottlingException' || e?.$metadata?.httpStatusCode === 429;
}

/** An answer lost after ARC may have acted: a timeout, a dropped connection, a 5xx or a garbled success. */
function mayHaveStarted(err: unknown): boolean {
  const e = err as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  const status = e?.$metadata?.httpStatusCode ?? 0;
  return (
    e?.name === 'TimeoutError' ||
    ['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNABORTED'].includes(e?.code ?? '') ||
    status >= 500 ||
    (e?.name === 'UnparsableResponse' && status < 300)
  );
}

/**
 * Starts the shift on the load balancer, then on the group: traffic leaves first, then the group
 * stops launching there. StartZonalShift is not idempotent, so it is sent again only after
 * throttling; after a lost answer ARC is asked what it did (an operator's shift away from the AZ
 * with this comment) before anything is reported. The first failure stops the run: the group is
 * not shifted without its load balancer.
 */
export async function startZonalShifts(
  ctx: ZonalShiftContext,
  states: readonly ZonalShiftResourceState[],
  request: ZonalShiftStartRequest,
): Promise<ZonalShiftOutcome<ZonalShiftStartReport>> {
  const azId = ctx.azIds.get(request.az)!;
  const results: ZonalShiftStartReport['resources'][number][] = states.map((s) => ({
    kind: s.kind,
    name: s.name,
    arn: s.arn,
    result: 'not-started' as ZonalShiftStartResult,
  }));
  let error: string | undefined;
  for (const [i, s] of states.entries()) {
    const kept = s.shifts.find((x) => isOperatorShift(x) && x.awayFromId === azId);
    if (kept) {
      results[i] = { ...results[i]!, result: 'already-shifted', zonalShiftId: kept.zonalShiftId, expiryTime: kept.expiryTime };
      continue;
    }
    try {
      const { shift, note } = await startOne(ctx, s, azId, request);
      results[i] = {
        ...results[i]!,
        result: 'started',
        zonalShiftId: shift.zonalShiftId,
        expiryTime: shift.expiryTime,
        ...(note ? { note } : {}),
      };
    } catch (err) {
      const reason = startFailure(ctx, s, err);
      results[i] = { ...results[i]!, result: 'failed', note: reason };
      const shifted = results.filter((r) => r.result === 'started' || r.result === 'already-shifted');
      error =
        shifted.length > 0
          ? `${reason}; the ${shifted.map((r) => `${ZONAL_SHIFT_KIND_LABEL[r.kind]} ${r.name} is shifted (${r.zonalShiftId})`).join(', ')}: run start again once fixed, or undo it with loadbearing zonal-shift cancel --env ${ctx.environment.name}`
          : reason;
      break;
    }
  }
  return {
    report: {
      action: 'start',
      environment: ctx.environment.name,
      stack: ctx.stack,
      region: ctx.region,
      az: request.az,
      azId,
      expiresIn: request.expiresIn,
      comment: request.comment,
      resources: results,
    },
    ...(error ? { error } : {}),
  };
}

async function startOne(
  ctx: ZonalShiftContext,
  s: ZonalShiftResourceState,
  azId: string,
  request: ZonalShiftStartRequest,
): Promise<{ shift: Pick<ZonalShift, 'zonalShiftId' | 'expiryTime'>; note?: string }> {
  const input = { resourceIdentifier: s.arn, awayFrom: azId, expiresIn: request.expiresIn, comment: request.comment };
  try {
    const shift = await withRetry(
      () => raceAbort(ctx.arc.startZonalShift(input, ctx.signal), ctx.signal),
      ctx.retryPolicy,
      ctx.clock,
      ctx.signal,
      isThrottled,
    );
    return { shift };
  } catch (err) {
    const last = err instanceof RetriesExhaustedError ? err.cause : err;
    if (ctx.signal.aborted || !mayHaveStarted(last)) throw new AwsCallError('arc-zonal-shift:StartZonalShift', err);
    const label = `the ${ZONAL_SHIFT_KIND_LABEL[s.kind]} ${s.name}`;
    const answered = `StartZonalShift on ${label} answered ${describeZonalShiftFailure(last, ctx.failure)}`;
    let after: ZonalShiftResourceState;
    try {
      after = await readState(ctx, { kind: s.kind, logicalId: '', name: s.name, arn: s.arn });
    } catch (readErr) {
      throw new OperatorError(
        `${answered}, and reading it back failed (${describeZonalShiftFailure(readErr, ctx.failure)}): the shift may have started; fix: loadbearing zonal-shift status --env ${ctx.environment.name} before starting again`,
      );
    }
    const found = after.shifts.find((x) => isOperatorShift(x) && x.awayFromId === azId && x.comment === request.comment);
    if (!found)
      throw new OperatorError(
        `${answered}, and ARC lists no shift of it away from ${request.az}: none started there; fix: run start again`,
      );
    return { shift: found, note: `confirmed with GetManagedResource after ${answered}` };
  }
}

/** One line for a start that failed on a resource: ARC's conflict reasons in words, the rest as any failed call. */
function startFailure(ctx: ZonalShiftContext, s: ZonalShiftResourceState, err: unknown): string {
  if (err instanceof OperatorError) return err.message;
  const label = `the ${ZONAL_SHIFT_KIND_LABEL[s.kind]} ${s.name}`;
  const cause = err instanceof AwsCallError ? (err.cause instanceof RetriesExhaustedError ? err.cause.cause : err.cause) : err;
  const status = `loadbearing zonal-shift status --env ${ctx.environment.name}`;
  if (cause instanceof ArcError && cause.name === 'ConflictException') {
    const id = cause.zonalShiftId ? ` ${cause.zonalShiftId}` : '';
    switch (cause.reason) {
      case 'ZonalShiftAlreadyExists':
        return `ARC refused to shift ${label}: a zonal shift${id} is already active on it (ConflictException ZonalShiftAlreadyExists); fix: ${status}, then cancel it or wait until it expires`;
      case 'SimultaneousZonalShiftsConflict':
        return `ARC refused to shift ${label}: another zonal shift${id} on it is being started or changed at the same moment (ConflictException SimultaneousZonalShiftsConflict); fix: ${status}, then start again`;
      case 'ZonalAutoshiftActive':
        return `ARC refused to shift ${label}: an autoshift is in progress on it (ConflictException ZonalAutoshiftActive); fix: ${status}, and let the autoshift end`;
      default:
        return `ARC refused to shift ${label} (ConflictException ${cause.reason ?? ''}): ${cause.message}; fix: ${status}`;
    }
  }
  if (cause instanceof ArcError && cause.name === 'ResourceNotFoundException')
    return `ARC does not manage ${label} (ResourceNotFoundException: ${cause.message}); fix: deploy the environment with zonal shift on for it`;
  if (cause instanceof ArcError && cause.name === 'ValidationException')
    return `ARC refused to shift ${label} (ValidationException ${cause.reason ?? ''}): ${cause.message}; fix: check --az, --expires and --comment`;
  if (ctx.signal.aborted)
    return `shifting ${label}: ${describeZonalShiftFailure(err, ctx.failure)}; the shift may have started: ${status} before starting again`;
  return `shifting ${label}: ${describeZonalShiftFailure(err, ctx.failure)}`;
}

/**
 * Cancels every operator's zonal shift of the group, then of the load balancer (capacity may
 * launch in the AZ again before traffic returns to it). Practice runs, FIS experiments and
 * autoshifts are not an operator's: they are reported, not cancelled. A failure on one resource
 * does not stop the other's cancel (the first is the error line). CancelZonalShift is sent
 * again on throttling and lost answers: cancelling twice leaves the same state, and a second
 * cancel of an ended shift is ARC's ZonalShiftStatusNotActive, reported as already ended.
 */
export async function cancelZonalShifts(
  ctx: ZonalShiftContext,
  states: readonly ZonalShiftResourceState[],
): Promise<ZonalShiftOutcome<ZonalShiftCancelReport>> {
  const order = [...states].sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'auto-scaling-group' ? -1 : 1));
  const resources: ZonalShiftCancelReport['resources'][number][] = [];
  let error: string | undefined;
  for (const s of order) {
    const canceled: ZonalShiftView[] = [];
    const alreadyEnded: ZonalShiftView[] = [];
    let failed: string | undefined;
    for (const shift of s.shifts.filter(isOperatorShift)) {
      try {
        await ctx.session.call('arc-zonal-shift:CancelZonalShift', (signal) => ctx.arc.cancelZonalShift(shift.zonalShiftId, signal));
        canceled.push(shift);
      } catch (err) {
        const cause = err instanceof AwsCallError ? err.cause : err;
        if (cause instanceof ArcError && cause.name === 'ConflictException' && cause.reason === 'ZonalShiftStatusNotActive') {
          alreadyEnded.push(shift);
          continue;
        }
        failed = `cancelling ${shift.zonalShiftId} of the ${ZONAL_SHIFT_KIND_LABEL[s.kind]} ${s.name}: ${describeZonalShiftFailure(err, ctx.failure)}`;
        error ??= failed;
      }
    }
    resources.push({
      kind: s.kind,
      name: s.name,
      arn: s.arn,
      canceled,
      alreadyEnded,
      leftRunning: s.shifts.filter((x) => !isOperatorShift(x)),
      autoshifts: s.autoshifts,
      ...(failed ? { failed } : {}),
    });
  }
  return {
    report: { action: 'cancel', environment: ctx.environment.name, stack: ctx.stack, region: ctx.region, resources },
    ...(error ? { error } : {}),
  };
}

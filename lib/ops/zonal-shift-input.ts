import type { EnvironmentConfig } from '../model/config/environment-schema';
import type { OptionValues } from './command.js';
import { formatDuration, parseDuration } from './duration.js';
import { UsageError } from './errors.js';

// The arguments of `loadbearing zonal-shift`, checked before any AWS call.

export const ZONAL_SHIFT_ACTIONS = ['start', 'cancel', 'status'] as const;
export type ZonalShiftAction = (typeof ZONAL_SHIFT_ACTIONS)[number];

/**
 * A zonal shift starts with at most 3 days (72 hours); ARC takes a whole number of minutes or
 * hours ("20h", "120m"), and a comment of at most 128 characters
 * (https://docs.aws.amazon.com/arc-zonal-shift/latest/api/API_StartZonalShift.html; the API model's
 * ExpiresIn pattern ^([1-9][0-9]*)(m|h)$ and ZonalShiftComment length 128).
 */
export const MAX_ZONAL_SHIFT_HOURS = 72;
export const MAX_ZONAL_SHIFT_COMMENT = 128;

/** What `start` asks for. */
export interface ZonalShiftStartRequest {
  /** The AZ name, as the environment's config lists it. */
  readonly az: string;
  /** ARC's format, e.g. "2h" or "90m". */
  readonly expiresIn: string;
  readonly expiresMs: number;
  readonly comment: string;
  /** Start even over an autoshift, a practice run or an FIS experiment in progress (which it ends or overrides). */
  readonly override: boolean;
}

const START_ONLY = ['az', 'expires', 'comment', 'override'] as const;

function str(value: OptionValues[string]): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/**
 * The action: start, cancel or status; cancel and status refuse start's options.
 * @throws UsageError naming the action or the option, the rule and the fix.
 */
export function zonalShiftAction(values: OptionValues): ZonalShiftAction {
  const action = str(values._);
  if (action === undefined)
    throw new UsageError(
      `missing <action>: one of ${ZONAL_SHIFT_ACTIONS.join(', ')}; fix: e.g. loadbearing zonal-shift status --env prod (see: loadbearing zonal-shift --help)`,
    );
  if (!(ZONAL_SHIFT_ACTIONS as readonly string[]).includes(action))
    throw new UsageError(
      `unknown action "${action}" (actions: ${ZONAL_SHIFT_ACTIONS.join(', ')}); fix: loadbearing zonal-shift <action> --env <name>`,
    );
  if (action !== 'start') {
    const given = START_ONLY.filter((o) => values[o] !== undefined);
    if (given.length > 0)
      throw new UsageError(
        `${given.map((o) => `--${o}`).join(', ')} ${given.length === 1 ? 'is' : 'are'} for start only, not ${action}; fix: leave ${given.length === 1 ? 'it' : 'them'} out`,
      );
  }
  return action as ZonalShiftAction;
}

/**
 * start's options: an AZ of the environment, an expiry of at most 72 hours in whole minutes, and a
 * comment of 1 to 128 characters.
 * @throws UsageError naming the option, the bad value, the rule and the fix.
 */
export function zonalShiftStartRequest(values: OptionValues, env: EnvironmentConfig): ZonalShiftStartRequest {
  const azs = env.availabilityZones;
  const az = str(values.az);
  if (az === undefined)
    throw new UsageError(`start needs --az <az-name>: the AZ to shift traffic away from; fix: pass one of ${azs.join(', ')}`);
  if (!azs.includes(az)) {
    const isId = /^[a-z]{2,4}\d-az\d+$/.test(az);
    throw new UsageError(
      `--az "${az}" is not an AZ of environment ${env.name} (${azs.join(', ')})${isId ? ': --az takes the AZ name, as the config lists it, not its ID' : ''}; fix: pass one of ${azs.join(', ')}`,
    );
  }
  const expires = str(values.expires);
  if (expires === undefined)
    throw new UsageError(
      `start needs --expires <duration>: when ARC ends the shift, at most ${MAX_ZONAL_SHIFT_HOURS}h; fix: e.g. --expires 2h (cancel ends it sooner)`,
    );
  const expiresMs = parseDuration(expires, '--expires');
  if (expiresMs > MAX_ZONAL_SHIFT_HOURS * 3_600_000)
    throw new UsageError(
      `--expires ${expires} (${formatDuration(expiresMs)}) is longer than a zonal shift may start with: at most ${MAX_ZONAL_SHIFT_HOURS}h (3 days); fix: pass ${MAX_ZONAL_SHIFT_HOURS}h or less, and extend the shift later (aws arc-zonal-shift update-zonal-shift)`,
    );
  if (expiresMs % 60_000 !== 0)
    throw new UsageError(
      `--expires ${expires} is not a whole number of minutes: ARC counts a shift's life in minutes or hours; fix: e.g. --expires ${Math.max(1, Math.ceil(expiresMs / 60_000))}m`,
    );
  const comment = str(values.comment);
  if (comment === undefined || comment.trim() === '')
    throw new UsageError(
      `start needs --comment <text>: why traffic leaves the AZ (ARC keeps it with the shift, at most ${MAX_ZONAL_SHIFT_COMMENT} characters); fix: e.g. --comment "gray failure in ${az}, INC-123"`,
    );
  if (comment.length > MAX_ZONAL_SHIFT_COMMENT)
    throw new UsageError(
      `--comment is ${comment.length} characters: ARC keeps at most ${MAX_ZONAL_SHIFT_COMMENT}; fix: shorten it by ${comment.length - MAX_ZONAL_SHIFT_COMMENT}`,
    );
  return { az, expiresIn: arcExpiresIn(expiresMs), expiresMs, comment, override: values.override === true };
}

/** A duration in ARC's format: whole hours as "<n>h", anything else as whole minutes "<n>m". */
export function arcExpiresIn(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  return minutes % 60 === 0 ? `${minutes / 60}h` : `${minutes}m`;
}

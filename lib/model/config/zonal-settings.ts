import { z } from 'zod';
import { ALWAYS, int, violation } from './schema-helpers';

/**
 * The limits on a practice run configuration, checked at synth so that a config the deploy would
 * refuse fails `cdk synth` instead:
 * - outcome alarms: 1, and blocking alarms: at most 1. ARC's API takes 1 to 10 outcome alarms
 *   since 2025 ("Minimum number of 1 item. Maximum number of 10 items",
 *   https://docs.aws.amazon.com/arc-zonal-shift/latest/api/API_PracticeRunConfiguration.md), but
 *   the CloudFormation resource schema the platform's template validator carries (aws-cdk-lib's
 *   @aws/cloudformation-validate, rule F3032) still allows one outcome alarm ("expected maximum
 *   item count: 1"), and CloudFormation validates against that schema. The CloudFormation page
 *   read did not show the counts of either list; blocking alarms are held to one likewise until
 *   a schema says more. One alarm can watch several signals: the platform's default outcome alarm
 *   (`alb-practice-run-outcome`) is one metric-math alarm over 5xx and p99.
 * - blocked dates: `YYYY-MM-DD` in UTC, 10 characters each, at most 15
 *   (https://docs.aws.amazon.com/ja_jp/AWSCloudFormation/latest/UserGuide/aws-properties-arczonalshift-zonalautoshiftconfiguration-practicerunconfiguration.html:
 *   "Minimum: 10 | 0, Maximum: 10 | 15").
 * - blocked windows: `DAY:HH:MM-DAY:HH:MM` in UTC, e.g. `MON:18:30-MON:19:30`, starting and
 *   ending on the same day ("Windows that span multiple days aren't supported",
 *   https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/arczonalshift/aws.sdk.kotlin.services.arczonalshift.model/-practice-run-configuration/blocked-windows.html).
 *   Their maximum count was not found: the platform holds them to the 15 of blocked dates.
 */
export const PRACTICE_RUN_LIMITS = {
  maxOutcomeAlarms: 1,
  maxBlockingAlarms: 1,
  maxBlockedDates: 15,
  maxBlockedWindows: 15,
} as const;

/** What users see during a practice run: 5xx of the balancer and the app, and p99 latency, in one alarm the stack creates with autoshift. */
export const DEFAULT_OUTCOME_ALARMS = ['alb-practice-run-outcome'] as const;
/** A practice run does not start while the fleet is below the AZ-loss floor. */
export const DEFAULT_BLOCKING_ALARMS = ['alb-healthy-hosts-low'] as const;

const ALARM_KEY = /^[a-z]+(-[a-z0-9]+)+$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const WINDOW = /^(MON|TUE|WED|THU|FRI|SAT|SUN):(\d{2}):(\d{2})-(MON|TUE|WED|THU|FRI|SAT|SUN):(\d{2}):(\d{2})$/;

/** Why a blocked date is not one ARC takes, or undefined when it is. */
export function blockedDateProblem(value: string): string | undefined {
  const m = DATE.exec(value);
  if (!m) return 'must be a UTC date YYYY-MM-DD (ARC refuses any other form)';
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d)
    return 'is not a calendar date (YYYY-MM-DD, UTC)';
  return undefined;
}

/** Why a blocked window is not one ARC takes, or undefined when it is. */
export function blockedWindowProblem(value: string): string | undefined {
  const m = WINDOW.exec(value);
  if (!m)
    return 'must be a UTC window DAY:HH:MM-DAY:HH:MM with DAY one of MON TUE WED THU FRI SAT SUN in capitals, e.g. "MON:18:30-MON:19:30"';
  const [startDay, sh, sm, endDay, eh, em] = [m[1], Number(m[2]), Number(m[3]), m[4], Number(m[5]), Number(m[6])];
  if (sh > 23 || eh > 23 || sm > 59 || em > 59) return 'has a time that is not HH:MM between 00:00 and 23:59';
  if (startDay !== endDay)
    return 'must start and end on the same day (ARC does not support windows that span days): split it into one window per day';
  if (sh * 60 + sm >= eh * 60 + em) return 'must end after it starts';
  return undefined;
}

const alarmKeys = () =>
  z.array(z.string().regex(ALARM_KEY, { message: 'must be an alarm key "<component>-<signal>", e.g. "alb-target-5xx-rate"' }));

/** Lists whose length ARC limits: the field, its limit, and what the message calls the items. */
const LIMITED = [
  ['outcomeAlarms', PRACTICE_RUN_LIMITS.maxOutcomeAlarms, 'outcome alarms'],
  ['blockingAlarms', PRACTICE_RUN_LIMITS.maxBlockingAlarms, 'blocking alarms'],
  ['blockedDates', PRACTICE_RUN_LIMITS.maxBlockedDates, 'blocked dates'],
  ['blockedWindows', PRACTICE_RUN_LIMITS.maxBlockedWindows, 'blocked windows'],
] as const;

export const autoshiftSettingsSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(false)
      .describe(
        'Zonal autoshift on the load balancer: AWS shifts its traffic away from an AZ it sees impaired, and runs a 30-minute practice shift about once a week, on real production traffic (docs/operations.md, "Zonal shift"). Prod preset: true.',
      ),
    outcomeAlarms: alarmKeys()
      .default([...DEFAULT_OUTCOME_ALARMS])
      .describe(
        `Keys of this stack's metric alarms ("<component>-<signal>") that end a practice run when one fires, and mark it FAILED. Exactly one: the CloudFormation schema takes one (ARC's API up to 10). Composites are refused: no AWS page says ARC accepts them. @default ${JSON.stringify(DEFAULT_OUTCOME_ALARMS)}`,
      ),
    blockingAlarms: alarmKeys()
      .default([...DEFAULT_BLOCKING_ALARMS])
      .describe(
        `Keys of this stack's metric alarms that keep a practice run from starting while one is in ALARM (0-1). @default ${JSON.stringify(DEFAULT_BLOCKING_ALARMS)}: no practice run while the fleet is below its AZ-loss floor`,
      ),
    blockedDates: z
      .array(z.string())
      .default([])
      .describe('UTC dates (YYYY-MM-DD) on which no practice run starts, e.g. a launch day; at most 15.'),
    blockedWindows: z
      .array(z.string())
      .default([])
      .describe('UTC weekly windows (DAY:HH:MM-DAY:HH:MM, same day, e.g. "FRI:16:00-FRI:23:59") in which no practice run starts.'),
  })
  .superRefine((a, ctx) => {
    for (const [field, max, what] of LIMITED) {
      const list = a[field];
      if (Array.isArray(list) && list.length > max)
        violation(
          ctx,
          [field],
          list.length,
          `the practice run configuration takes at most ${max} ${what} (${list.length} given; see PRACTICE_RUN_LIMITS for the sources)`,
          max === 1
            ? 'name one alarm; to watch several signals, make one metric-math alarm of them (the default alb-practice-run-outcome does).'
            : `keep the ${max} that matter most.`,
        );
    }
    if (a.enabled === true && Array.isArray(a.outcomeAlarms) && a.outcomeAlarms.length === 0)
      violation(
        ctx,
        ['outcomeAlarms'],
        a.outcomeAlarms,
        'autoshift needs an outcome alarm: ARC requires a practice run configuration with an outcome alarm when autoshift is enabled',
        `name a metric alarm that fires when users suffer, e.g. ${JSON.stringify(DEFAULT_OUTCOME_ALARMS)}.`,
      );
    (Array.isArray(a.blockedDates) ? a.blockedDates : []).forEach((d, i) => {
      const problem = typeof d === 'string' ? blockedDateProblem(d) : undefined;
      if (problem) violation(ctx, ['blockedDates', i], d, problem, 'write the date in UTC as YYYY-MM-DD, e.g. "2027-01-15".');
    });
    (Array.isArray(a.blockedWindows) ? a.blockedWindows : []).forEach((w, i) => {
      const problem = typeof w === 'string' ? blockedWindowProblem(w) : undefined;
      if (problem) violation(ctx, ['blockedWindows', i], w, problem, 'write it in UTC, e.g. "FRI:16:00-FRI:23:59".');
    });
    for (const field of ['outcomeAlarms', 'blockingAlarms'] as const) {
      const keys = a[field];
      if (Array.isArray(keys) && new Set(keys).size !== keys.length)
        violation(ctx, [field], keys, 'names an alarm twice', 'list each alarm key once.');
    }
  }, ALWAYS)
  .describe(
    'Zonal autoshift (AWS::ARCZonalShift::ZonalAutoshiftConfiguration) on the load balancer, with its practice runs: outcome alarms (required), blocking alarms, blocked dates and windows.',
  );

export const zonalSettingsSchema = z
  .strictObject({
    shift: z
      .boolean()
      .default(true)
      .describe(
        'Register the load balancer (zonal_shift.config.enabled) and the Auto Scaling group (AvailabilityZoneImpairmentPolicy) with ARC zonal shift, so `npx loadbearing zonal-shift start` can move traffic and launches away from a sick AZ. Needs 2 or more AZs.',
      ),
    autoshift: autoshiftSettingsSchema.prefault({}),
    alarms: z
      .boolean()
      .default(true)
      .describe(
        'The per-AZ alarms (availability, latency, fault and latency outlier, and the isolated-impact composite per AZ: ADR 0008). Their outlier alarms read 2 metrics per AZ, so at most 5 AZs (a metric-math alarm reads at most 10).',
      ),
    faultOutlierFactor: z
      .number()
      .gt(1)
      .max(100)
      .default(3)
      .describe("Per-AZ outlier alarm: an AZ's fault rate at least this many times every other AZ's (ADR 0008)."),
    latencyOutlierFactor: z
      .number()
      .gt(1)
      .max(100)
      .default(1.5)
      .describe("Per-AZ outlier alarm: an AZ's p99 latency at least this many times every other AZ's (ADR 0008)."),
    minRequests: int(1, 1_000_000)
      .default(60)
      .describe('Per-AZ alarms: an AZ with fewer requests in a period is not judged, and is no reference for the others (ADR 0008).'),
  })
  .describe(
    'Zonal resilience: zonal shift registration, zonal autoshift with practice runs, and the per-AZ alarms that say which AZ is sick (docs/adr/0008-zonal-isolated-impact.md, docs/adr/0011-cross-zone-and-per-az-signals.md).',
  );

export type ZonalSettings = z.output<typeof zonalSettingsSchema>;
export type ZonalSettingsInput = z.input<typeof zonalSettingsSchema>;
export type AutoshiftSettings = z.output<typeof autoshiftSettingsSchema>;

import { z } from 'zod';
import { evaluationWindowProblem } from './aws-limits';
import { INSTANCE_REFRESH_LIMITS } from './instance-refresh-settings';
import { ALWAYS, int, isNum, logRetentionDays, violation } from './schema-helpers';

/**
 * The limits of CloudFormation rollback triggers: "You can add a maximum of five rollback
 * triggers" and a monitoring time of 0-180 minutes.
 */
export const ROLLBACK_TRIGGER_LIMITS = {
  maxTriggers: 5,
  maxMonitoringMinutes: 180,
  source: 'https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_RollbackConfiguration.html',
} as const;

/** The release alarms the platform defines (lib/model/deploy/release-alarms.ts): the error rate and p99 of a release's own instances. */
export const PLATFORM_RELEASE_ALARMS = 2;

/**
 * The rollback triggers by default: the load balancer's critical signals, which see the whole
 * fleet (every release) and are therefore watched by CloudFormation during the deploy, never by
 * the refresh (docs/adr/0007-releases-roll-back-on-their-own-alarms.md).
 */
export const DEFAULT_ROLLBACK_TRIGGERS = [
  'alb-target-5xx-rate',
  'alb-elb-5xx-rate',
  'alb-latency-p99',
  'alb-healthy-hosts-low',
  'canary-failures',
] as const;

/** The key of the canary's failure alarm (constructs/canary.ts): `<stack>-canary-failures`. */
export const CANARY_ALARM_KEY = 'canary-failures';

/** A DNS name: labels of letters, digits and inner hyphens, dot-separated, at most 253 characters. */
const HOST_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/;

export const canarySettingsSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe(
        "Run the canary. Off, the load balancer's alarms see only real traffic (none at night, little in staging), and delivery.rollbackTriggers must not name canary-failures.",
      ),
    rateMinutes: int(1, 60)
      .default(1)
      .describe(
        'Minutes between two runs (EventBridge rate(n minutes): 1 is its shortest). The failure alarm evaluates periods of this length.',
      ),
    readPath: z
      .string()
      .regex(/^\/[\w\-./~%]*(\?[\w\-./~%=&]*)?$/, { message: 'must be a URL path starting with "/", optionally with a query string' })
      .max(200)
      .default('/api/items?limit=1')
      .describe(
        "The read the canary makes besides the health check: a GET that exercises the app and its data (the reference service's item list by default). It must answer 2xx without a login.",
      ),
    hostName: z
      .string()
      .regex(HOST_NAME, { message: 'must be a DNS name, e.g. "origin.example.com"' })
      .optional()
      .describe(
        "The name the ALB's certificate covers: the canary connects to the ALB's own DNS name and checks the certificate against this name (SNI and Host). @default - edge.originDomainName; without either an HTTPS ALB's certificate chain is checked but not its name, and the canary then never sends the origin secret",
      ),
    timeoutSeconds: int(1, 30).default(5).describe('Seconds each request of a run may take before it counts as failed.'),
    logRetentionDays: logRetentionDays
      .default(365)
      .describe("Retention of the canary's log group (a line per run: each check's status and time)."),
  })
  .prefault({})
  .describe(
    'A scheduled function that requests the health check and delivery.canary.readPath through the ALB (and through CloudFront where edge.enabled) every rateMinutes, so the alarms have data at 3 a.m. too. Its failures are the alarm canary-failures, a rollback trigger by default (docs/delivering.md, "Canary traffic").',
  );

export type CanarySettings = z.output<typeof canarySettingsSchema>;

const ALARM_KEY = /^[a-z]+(-[a-z0-9]+)+$/;

export const deliverySettingsSchema = z
  .strictObject({
    releaseAlarms: z
      .strictObject({
        errorRatePercent: z
          .number()
          .gt(0)
          .max(100)
          .default(1)
          .describe("5xx answers of the release's own instances (not shed), % of their requests, above which the release fails."),
        latencyP99Ms: int(1, 600_000)
          .default(250)
          .describe(
            "p99 latency of the release's own instances (ms) above which the release fails. Well below alarms.latencyP99Seconds: a release is judged on one AZ's share of the fleet before it reaches everyone; set it just above what your releases run at.",
          ),
        periodSeconds: z
          .union([60, 300].map((p) => z.literal(p)))
          .default(60)
          .describe('Metric period of the release alarms (the app publishes standard-resolution metrics: 60 s or more).'),
        evaluationPeriods: int(1, 100).default(3).describe('Periods each release alarm evaluates.'),
        datapointsToAlarm: int(1, 100).default(2).describe('Breaching periods (of evaluationPeriods) that fail the release.'),
        extraAlarmNames: z
          .array(z.string().min(1).max(255))
          .default([])
          .describe(
            'Names of alarms of your own the refresh watches too (they must exist before the deploy). They must see only the new release (e.g. its Release dimension): a fleet-wide alarm would also block the rollback (docs/adr/0007-releases-roll-back-on-their-own-alarms.md).',
          ),
      })
      .prefault({})
      .describe(
        "Alarms on a release's own instances (the app's metrics with its Release dimension) that the instance refresh watches: a release that breaches one stops at its checkpoint and the stack rolls back.",
      ),
    canary: canarySettingsSchema,
    rollbackTriggers: z
      .array(z.string().regex(ALARM_KEY, { message: 'must be an alarm key "<component>-<signal>", e.g. "alb-target-5xx-rate"' }))
      .default([...DEFAULT_ROLLBACK_TRIGGERS])
      .describe(
        'Alarm keys (metric alarms of the stack) CloudFormation watches during a deploy and for delivery.monitoringMinutes after it: one in ALARM rolls the deploy back. At most 5. `npx loadbearing deploy` passes them; they must exist, so a first create has none.',
      ),
    monitoringMinutes: z
      .number()
      .default(10)
      .describe(
        'Minutes CloudFormation keeps watching the rollback triggers after the last resource is updated, before it cleans up (0-180). Stage presets: dev 0, staging 5, prod 10.',
      ),
    bakeMinutes: int(0, 1440)
      .default(15)
      .describe(
        "Minutes `npx loadbearing deploy` watches the stack's critical alarms after CloudFormation finished; one in ALARM makes the verdict a failure. Stage presets: dev 0, staging 5, prod 15.",
      ),
  })
  .superRefine((d, ctx) => {
    const minutes = d.monitoringMinutes;
    if (
      typeof minutes === 'number' &&
      (!Number.isInteger(minutes) || minutes < 0 || minutes > ROLLBACK_TRIGGER_LIMITS.maxMonitoringMinutes)
    )
      violation(
        ctx,
        ['monitoringMinutes'],
        minutes,
        `must be a whole number of minutes from 0 to ${ROLLBACK_TRIGGER_LIMITS.maxMonitoringMinutes}: the limit of MonitoringTimeInMinutes (${ROLLBACK_TRIGGER_LIMITS.source})`,
        `use a value from 0 to ${ROLLBACK_TRIGGER_LIMITS.maxMonitoringMinutes}, e.g. 10.`,
      );
    const triggers = Array.isArray(d.rollbackTriggers) ? d.rollbackTriggers : [];
    if (triggers.length > ROLLBACK_TRIGGER_LIMITS.maxTriggers)
      violation(
        ctx,
        ['rollbackTriggers'],
        triggers,
        `holds ${triggers.length} alarms; CloudFormation takes at most ${ROLLBACK_TRIGGER_LIMITS.maxTriggers} rollback triggers (${ROLLBACK_TRIGGER_LIMITS.source})`,
        `keep the ${ROLLBACK_TRIGGER_LIMITS.maxTriggers} that matter most (the load balancer's critical alarms by default).`,
      );
    if (new Set(triggers).size !== triggers.length)
      violation(ctx, ['rollbackTriggers'], triggers, 'names an alarm twice', 'list each alarm key once.');
    if (d.canary?.enabled === false && triggers.includes(CANARY_ALARM_KEY))
      violation(
        ctx,
        ['rollbackTriggers', triggers.indexOf(CANARY_ALARM_KEY)],
        CANARY_ALARM_KEY,
        "names the canary's alarm, but delivery.canary.enabled is false: the alarm does not exist, and CloudFormation fails a deploy whose trigger is missing",
        'remove "canary-failures" from delivery.rollbackTriggers, or turn the canary on.',
      );
    const r = d.releaseAlarms;
    if (r && isNum(r.periodSeconds) && isNum(r.evaluationPeriods) && isNum(r.datapointsToAlarm)) {
      const problem = evaluationWindowProblem(r.periodSeconds, r.evaluationPeriods, r.datapointsToAlarm);
      if (problem)
        violation(
          ctx,
          ['releaseAlarms', r.datapointsToAlarm > r.evaluationPeriods ? 'datapointsToAlarm' : 'evaluationPeriods'],
          Math.max(r.datapointsToAlarm, r.evaluationPeriods),
          problem,
          'lower delivery.releaseAlarms.datapointsToAlarm, or raise evaluationPeriods (within a day of periods).',
        );
    }
    const extra = Array.isArray(r?.extraAlarmNames) ? r.extraAlarmNames.length : 0;
    if (PLATFORM_RELEASE_ALARMS + extra > INSTANCE_REFRESH_LIMITS.maxAlarms)
      violation(
        ctx,
        ['releaseAlarms', 'extraAlarmNames'],
        r!.extraAlarmNames,
        `the refresh would watch ${PLATFORM_RELEASE_ALARMS + extra} alarms (the platform's ${PLATFORM_RELEASE_ALARMS} and ${extra} of yours); an instance refresh takes at most ${INSTANCE_REFRESH_LIMITS.maxAlarms} (${INSTANCE_REFRESH_LIMITS.alarmsSource})`,
        `keep at most ${INSTANCE_REFRESH_LIMITS.maxAlarms - PLATFORM_RELEASE_ALARMS} names of your own.`,
      );
  }, ALWAYS)
  .describe(
    'How a deploy is watched and rolled back (docs/delivering.md): the release alarms of the instance refresh, the rollback triggers, and the bake of `npx loadbearing deploy`.',
  );

export type DeliverySettings = z.output<typeof deliverySettingsSchema>;
export type DeliverySettingsInput = z.input<typeof deliverySettingsSchema>;

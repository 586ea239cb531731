import { describe, expect, it } from 'vitest';
import { BUILTIN_ENVIRONMENTS } from '../../../lib/model/config/builtin-environments';
import { isConfigError } from '../../../lib/model/config/config-error';
import { deepMerge, resolveEnvironments } from '../../../lib/model/config/load-config';
import { blockedDateProblem, blockedWindowProblem, PRACTICE_RUN_LIMITS } from '../../../lib/model/config/zonal-settings';

/** The ConfigError message of one environment with changes, or undefined when it resolves. */
function problemsOf(name: 'dev' | 'staging' | 'prod', change: Record<string, unknown>): string | undefined {
  try {
    resolveEnvironments({ [name]: deepMerge(BUILTIN_ENVIRONMENTS[name], change) }, 'zonal.json');
    return undefined;
  } catch (e) {
    if (isConfigError(e)) return e.message;
    throw e;
  }
}
const resolved = (name: 'dev' | 'staging' | 'prod') => resolveEnvironments({ [name]: BUILTIN_ENVIRONMENTS[name] }, 'zonal.json')[0]!;

describe('zonal settings', () => {
  it('registers every stage for zonal shift, and turns autoshift on in the prod preset only', () => {
    expect(resolved('dev').zonal).toMatchObject({ shift: true, autoshift: { enabled: false } });
    expect(resolved('staging').zonal).toMatchObject({ shift: true, autoshift: { enabled: false } });
    expect(resolved('prod').zonal.autoshift).toEqual({
      enabled: true,
      outcomeAlarms: ['alb-practice-run-outcome'],
      blockingAlarms: ['alb-healthy-hosts-low'],
      blockedDates: [],
      blockedWindows: [],
    });
  });

  it('accepts documented blocked dates and windows', () => {
    expect(
      problemsOf('prod', { zonal: { autoshift: { blockedDates: ['2027-01-15', '2028-02-29'], blockedWindows: ['MON:18:30-MON:19:30'] } } }),
    ).toBeUndefined();
  });

  it.each([
    ['2027-1-15', /must be a UTC date YYYY-MM-DD/],
    ['2027/01/15', /must be a UTC date YYYY-MM-DD/],
    ['2027-02-30', /is not a calendar date/],
    ['2027-02-29', /is not a calendar date/],
  ])('refuses the blocked date %s naming the field and the rule', (date, rule) => {
    const message = problemsOf('prod', { zonal: { autoshift: { blockedDates: ['2027-01-15', date] } } });
    expect(message).toMatch(/prod\.zonal\.autoshift\.blockedDates\[1\]/);
    expect(message).toContain(JSON.stringify(date));
    expect(message).toMatch(rule);
  });

  it.each([
    ['Mon:18:30-Mon:19:30', /DAY:HH:MM-DAY:HH:MM/],
    ['MON:18:30-TUE:01:00', /same day/],
    ['MON:19:30-MON:18:30', /must end after it starts/],
    ['MON:24:00-MON:24:30', /not HH:MM between 00:00 and 23:59/],
    ['MON 18:30-19:30', /DAY:HH:MM-DAY:HH:MM/],
  ])('refuses the blocked window %s naming the field and the rule', (window, rule) => {
    const message = problemsOf('prod', { zonal: { autoshift: { blockedWindows: [window] } } });
    expect(message).toMatch(/prod\.zonal\.autoshift\.blockedWindows\[0\]/);
    expect(message).toMatch(rule);
  });

  it('refuses autoshift without an outcome alarm, and too many alarms or dates', () => {
    expect(problemsOf('prod', { zonal: { autoshift: { outcomeAlarms: [] } } })).toMatch(
      /zonal\.autoshift\.outcomeAlarms = \[\][\s\S]*autoshift needs an outcome alarm/,
    );
    // Without autoshift, no outcome alarm is needed.
    expect(problemsOf('staging', { zonal: { autoshift: { outcomeAlarms: [] } } })).toBeUndefined();
    // The CloudFormation schema takes one outcome alarm (ARC's API ten).
    expect(PRACTICE_RUN_LIMITS.maxOutcomeAlarms).toBe(1);
    expect(problemsOf('prod', { zonal: { autoshift: { outcomeAlarms: ['alb-target-5xx-rate', 'alb-latency-p99'] } } })).toMatch(
      /outcomeAlarms = 2[\s\S]*takes at most 1 outcome alarms[\s\S]*make one metric-math alarm of them/,
    );
    const sixteen = Array.from({ length: 16 }, (_, i) => `2027-01-${String(i + 1).padStart(2, '0')}`);
    expect(problemsOf('prod', { zonal: { autoshift: { blockedDates: sixteen } } })).toMatch(/blockedDates[\s\S]*at most 15 blocked dates/);
    expect(problemsOf('prod', { zonal: { autoshift: { blockingAlarms: ['alb-healthy-hosts-low', 'alb-unhealthy-hosts'] } } })).toMatch(
      /blockingAlarms = 2[\s\S]*takes at most 1 blocking alarms/,
    );
  });

  it('EC-27: refuses zonal shift with fewer than 2 AZs, with the reason', () => {
    const message = problemsOf('dev', { availabilityZones: ['us-east-1a'], invariants: { optOut: [] } });
    expect(message).toMatch(/dev\.zonal\.shift = true/);
    expect(message).toMatch(/needs 2 or more availability zones, the environment has 1/);
  });

  it('EC-28: refuses autoshift without zonal shift', () => {
    expect(problemsOf('prod', { zonal: { shift: false } })).toMatch(/zonal\.autoshift\.enabled = true[\s\S]*autoshift needs zonal\.shift/);
    expect(problemsOf('prod', { zonal: { shift: false, autoshift: { enabled: false } } })).toBeUndefined();
  });

  it('EC-29: refuses autoshift where the AZ-loss invariant is opted out', () => {
    const optOut = { invariants: { optOut: [{ rule: 'AZ-1', reason: 'this fleet is too small to lose an AZ, accepted by the team' }] } };
    expect(problemsOf('prod', optOut)).toMatch(/zonal\.autoshift\.enabled = true[\s\S]*invariant AZ-1 is opted out/);
    expect(problemsOf('prod', { ...optOut, zonal: { autoshift: { enabled: false } } })).toBeUndefined();
  });

  it('the format checks agree with the documented examples', () => {
    expect(blockedWindowProblem('MON:18:30-MON:19:30')).toBeUndefined();
    expect(blockedWindowProblem('TUE:18:30-TUE:19:30')).toBeUndefined();
    expect(blockedDateProblem('2024-05-01')).toBeUndefined();
  });
});

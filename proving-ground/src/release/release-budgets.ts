import { instancesAtCheckpoint, refreshPlan } from 'loadbearing/model';
import type { BudgetCheck, BudgetInput, Comparison } from '../budgets';
import { recoveryThresholdMs, type RunMeasurement } from '../measurement';
import { localInstances, scaledMs, TIME_SCALE } from '../scale';
import { BAD_RELEASE } from './release-scenarios';

/** Least-outstanding-requests balancing sends more to an instance that answers (or fails) fast: up to half again its share. */
export const FAST_FAILURE_SHARE_FACTOR = 1.5;
/** The release alarms are evaluated every 100 ms on periods the proxy closes within 100 ms: scheduling slack on a shared machine. */
export const EVALUATION_SLACK_MS = 1_000;

interface Helpers {
  readonly errors: (m: RunMeasurement, label?: string) => BudgetCheck;
  readonly recoveryBoundSeconds: (config: BudgetInput['config']) => number;
  readonly check: (
    id: string,
    label: string,
    comparison: Comparison,
    limit: number,
    measured: number,
    unit: BudgetCheck['unit'],
    derivation: string,
  ) => BudgetCheck;
}

/**
 * The budgets of a release scenario (issue 25): the share of instances that ever ran the release,
 * the time its alarm took, the errors until the rollback and the p99 after it, each from the
 * rollout's arithmetic and the release alarms' settings.
 */
export function releaseBudgets(id: 'bad-release' | 'slow-release', i: BudgetInput, h: Helpers): BudgetCheck[] {
  const { m, config } = i;
  const log = i.release;
  const n = localInstances(config);
  const plan = refreshPlan(config.fleet, config.availabilityZones.length);
  const first = instancesAtCheckpoint(plan.checkpointPercentages[0]!, n);
  const r = config.delivery.releaseAlarms;
  const boundMs = scaledMs((r.datapointsToAlarm + 1) * r.periodSeconds) + EVALUATION_SLACK_MS;
  const served = log?.firstServingMs;
  const detected = log?.alarmMs !== undefined && served !== undefined ? (log.alarmMs - served) / 1000 : Number.POSITIVE_INFINITY;
  const back = log?.rolledBackMs;
  const rollbackSeconds = log?.alarmMs !== undefined && back !== undefined ? (back - log.alarmMs) / 1000 : Number.POSITIVE_INFINITY;
  const startMs = scaledMs(config.fleet.boot.healthWaitSeconds) + EVALUATION_SLACK_MS;
  const before = m.phases.before.all.p99Ms;
  const threshold = recoveryThresholdMs(before);
  const after = back !== undefined ? m.window(back + EVALUATION_SLACK_MS, m.durationMs) : undefined;
  // As every scenario's recovery, but from the rollback (the release's last instance out of service), not the window's end.
  let recovered = Number.POSITIVE_INFINITY;
  if (back !== undefined)
    for (let t = Math.ceil(back / m.bucketMs) * m.bucketMs; t < m.durationMs; t += m.bucketMs) {
      const w = m.window(t, m.durationMs);
      if (w.p99Ms <= threshold && w.errorPercent <= 0.1) {
        recovered = Math.round((t - back) / 10) / 100;
        break;
      }
    }
  const checks: BudgetCheck[] = [
    h.check(
      'exposed',
      'instances that ever ran the release',
      '<=',
      first,
      log?.exposed.length ?? 0,
      'count',
      `the first checkpoint: ceil(${plan.checkpointPercentages[0]}% x ${n} instances) = ${first} (fleet.instanceRefresh.checkpointPercentages, from ${config.availabilityZones.length} AZs)`,
    ),
    h.check(
      'time-to-detect',
      `from the release's first request to its ${id === 'bad-release' ? 'errors' : 'latency-p99'} alarm`,
      '<=',
      boundMs / 1000,
      detected,
      's',
      `(delivery.releaseAlarms.datapointsToAlarm ${r.datapointsToAlarm} + 1) x periodSeconds ${r.periodSeconds} s = ${(r.datapointsToAlarm + 1) * r.periodSeconds} s, / ${TIME_SCALE}, + ${EVALUATION_SLACK_MS / 1000} s of evaluation slack`,
    ),
    h.check(
      'rollback-time',
      'from the alarm to the last instance of the release out of service',
      '<=',
      ((log?.exposed.length ?? 1) * startMs) / 1000,
      rollbackSeconds,
      's',
      `per instance of the release: the previous release starts and passes its health wait (fleet.boot.healthWaitSeconds ${config.fleet.boot.healthWaitSeconds} s, / ${TIME_SCALE}) + ${EVALUATION_SLACK_MS / 1000} s`,
    ),
  ];
  if (id === 'bad-release') {
    const exposure = served !== undefined && back !== undefined ? m.window(served, back) : undefined;
    const limit = 100 * BAD_RELEASE.errorRate * (first / n) * FAST_FAILURE_SHARE_FACTOR;
    checks.push(
      h.check(
        'errors-until-rollback',
        'errors while the release served (its first request to the rollback)',
        '<=',
        limit,
        exposure?.errorPercent ?? Number.POSITIVE_INFINITY,
        '%',
        `the release fails ${100 * BAD_RELEASE.errorRate}% of what it takes, and takes ${first} of ${n} instances' share, up to x${FAST_FAILURE_SHARE_FACTOR} (least outstanding requests favours an instance that fails fast)`,
      ),
    );
  } else {
    checks.push(h.errors(m, 'errors (not shed, not 429), whole run: a slow release answers'));
  }
  checks.push(
    h.check(
      'errors-after-rollback',
      'errors once the release is out of service',
      '<=',
      0.1,
      after?.errorPercent ?? Number.POSITIVE_INFINITY,
      '%',
      'the previous release carries the load again (the same bound as every scenario)',
    ),
    h.check(
      'recovery-after-rollback',
      'p99 and errors back to the pre-release level after the rollback',
      '<=',
      h.recoveryBoundSeconds(config),
      recovered,
      's',
      `as every scenario's recovery (max(app.requestTimeoutSeconds / ${TIME_SCALE}, health-check detection, scaled); "back" = p99 <= ${threshold} ms, max(2 x the pre-release p99 ${before} ms, + 100 ms), and errors <= 0.1% from then on), counted from the rollback`,
    ),
  );
  return checks;
}

import { azLossFloor } from 'loadbearing/model';
import type { EnvironmentConfig } from 'loadbearing/model';
import { failureMode, WORKER_RECOVERY_SECONDS, WRITE_ROUND_TRIPS } from 'loadbearing/model';
import { localRateRule, healthCheckTimings } from './topology/haproxy-config';
import type { RunMeasurement } from './measurement';
import { localInstances, localWorkers, TIME_SCALE } from './scale';
import type { ScenarioId } from './scenario-ids';
import { releaseBudgets } from './release/release-budgets';
import type { FreshnessResult } from './freshness-probe';
import type { RolloutLog } from './release/rollout';

/** Errors other than shed 503s and 429s, as % of requests: the bound for every scenario. */
export const ERROR_BUDGET_PERCENT = 0.1;
/** A shed response is cheap by design: it must come back within this (from its planned send). */
export const SHED_RESPONSE_MS = 50;
/** Added to latency bounds that are sums of config values: scheduling noise on a shared 2-core machine. */
export const LATENCY_MARGIN_MS = 100;

export interface Calibration {
  /** Highest open-loop rate (req/s, the whole local fleet) with p99 under the target and at most ERROR_BUDGET_PERCENT (0.1%) shed or errors. */
  readonly capacityRps: number;
  readonly targetP99Ms: number;
}

/** The calibration's p99 target: the alarm's p99, or the shedding bound when it is lower (beyond it the service sheds). */
export function calibrationTargetMs(config: EnvironmentConfig): number {
  return Math.min(config.alarms.latencyP99Seconds * 1000, config.app.shedPoolWaitMs);
}

/**
 * Non-2xx answers (shed and errors) allowed at the calibrated capacity, %: the error budget
 * (0.1%), or the 5xx alarm threshold where that is lower. Capacity is what the fleet serves
 * completely, so 70% of it leaves real headroom.
 */
export function calibrationNon2xxPercent(config: EnvironmentConfig): number {
  return Math.min(ERROR_BUDGET_PERCENT, config.alarms.http5xxRatePercent);
}

/** How long after a fault clears p99 and errors must be back: one scaled request timeout or one health-check detection, whichever is longer. */
export function recoveryBoundSeconds(config: EnvironmentConfig): number {
  return Math.max(config.app.requestTimeoutSeconds / TIME_SCALE, healthCheckTimings(config).detectionMs / 1000);
}

export type Comparison = '<=' | '>=' | '<' | '>' | '=';

export interface BudgetCheck {
  readonly id: string;
  readonly label: string;
  readonly comparison: Comparison;
  readonly limit: number;
  readonly measured: number;
  readonly unit: 'ms' | '%' | 's' | 'count' | 'targets';
  /** Where the limit comes from (config keys, calibration, AWS behaviour). */
  readonly derivation: string;
}

export function holds(c: Pick<BudgetCheck, 'comparison' | 'limit' | 'measured'>): boolean {
  const { measured: m, limit: l } = c;
  switch (c.comparison) {
    case '<=':
      return m <= l;
    case '>=':
      return m >= l;
    case '<':
      return m < l;
    case '>':
      return m > l;
    case '=':
      return m === l;
  }
}

export interface BudgetInput {
  readonly config: EnvironmentConfig;
  readonly calibration: Calibration;
  readonly m: RunMeasurement;
  /** One-way delay of the dependency-latency fault. */
  readonly dbDelayMs: number;
  /** The release scenarios: what the local rollout did. */
  readonly release?: RolloutLog;
  /** The replica-lag scenario: every read's age and own-write reads (freshness-probe.ts). */
  readonly freshness?: FreshnessResult;
  /** Writer connections the fleet may open (instances x workers x app.dbPoolSize: CB-1's share of this fleet). */
  readonly writerConnections?: number;
}

const check = (
  id: string,
  label: string,
  comparison: Comparison,
  limit: number,
  measured: number,
  unit: BudgetCheck['unit'],
  derivation: string,
): BudgetCheck => ({
  id,
  label,
  comparison,
  limit: Math.round(limit * 1000) / 1000,
  measured: Number.isFinite(measured) ? Math.round(measured * 1000) / 1000 : measured,
  unit,
  derivation,
});

const errors = (m: RunMeasurement, label = 'errors (not shed, not 429), whole run') =>
  check(
    'errors',
    label,
    '<=',
    ERROR_BUDGET_PERCENT,
    m.run.errorPercent,
    '%',
    `the proving ground's bound for every scenario (${ERROR_BUDGET_PERCENT}% of requests)`,
  );
const writes = (m: RunMeasurement) => [
  check(
    'lost-writes',
    'acknowledged writes lost',
    '=',
    0,
    m.writes.lost,
    'count',
    'PostgreSQL rows against the client log: every 201 has its order and its key',
  ),
  check(
    'duplicated-writes',
    'writes applied twice',
    '=',
    0,
    m.writes.duplicated,
    'count',
    'every order of the run is named by exactly one Idempotency-Key',
  ),
];
const recovery = (i: BudgetInput) =>
  check(
    'recovery',
    'p99 and errors back to the pre-fault level after the fault clears',
    '<=',
    recoveryBoundSeconds(i.config),
    i.m.recoverySeconds(),
    's',
    `max(app.requestTimeoutSeconds / ${TIME_SCALE}, health-check detection interval x unhealthyThresholdCount + timeout, scaled); "back" = p99 <= max(2 x pre-fault p99, pre-fault p99 + 100 ms) and errors <= ${ERROR_BUDGET_PERCENT}% from then on`,
  );

/** Loss of `lost` of `n` targets: errors up to their share until the health check takes them out, then none. */
function targetLoss(i: BudgetInput, lostShare: number, minHealthy: number, why: string): BudgetCheck[] {
  const { m, config } = i;
  const detectionMs = healthCheckTimings(config).detectionMs;
  const detectedAt = m.faultStartMs + detectionMs + 1000;
  const during = m.window(m.faultStartMs, detectedAt);
  const afterDetection = m.window(detectedAt, m.durationMs);
  return [
    check(
      'errors-until-detected',
      'errors until the health check takes the lost targets out',
      '<=',
      lostShare,
      during.errorPercent,
      '%',
      `${why}: their share of requests may fail for the detection time (${detectionMs} ms scaled, + 1 s)`,
    ),
    check(
      'errors-after-detection',
      'errors once the lost targets are out',
      '<=',
      ERROR_BUDGET_PERCENT,
      afterDetection.errorPercent,
      '%',
      'the remaining targets carry the load: static stability',
    ),
    check(
      'healthy-targets',
      'fewest healthy targets during the fault',
      '>=',
      minHealthy,
      m.phases.fault.minHealthyTargets ?? 0,
      'targets',
      `${why}; HAProxy runtime API, sampled every second`,
    ),
  ];
}

/** The budget of one run of a scenario, every limit derived from config, calibration or the run's pre-fault phase. */
export function budgets(id: ScenarioId, i: BudgetInput): BudgetCheck[] {
  const { m, config, calibration } = i;
  const before = m.phases.before;
  const fault = m.phases.fault;
  const n = localInstances(config);
  switch (id) {
    case 'steady-state':
      return [
        check(
          'p99',
          'p99, whole run',
          '<=',
          calibration.targetP99Ms,
          m.run.all.p99Ms,
          'ms',
          'the calibration target: min(alarms.latencyP99Seconds, app.shedPoolWaitMs)',
        ),
        errors(m),
        check(
          'shed',
          'shed 503s, whole run',
          '<=',
          config.alarms.http5xxRatePercent,
          m.run.shedPercent,
          '%',
          'at 70% of capacity the service has headroom: at most alarms.http5xxRatePercent is shed',
        ),
        ...writes(m),
      ];
    case 'traffic-spike': {
      const rule = localRateRule(config);
      return [
        errors(m, 'errors (not shed, not 429): sheds, never times out'),
        check(
          'shed-fast',
          'p99 of shed responses during the spike',
          '<',
          SHED_RESPONSE_MS,
          fault.shed.p99Ms,
          'ms',
          'a shed answer is decided before any work and preserialized (app.shedPoolWaitMs, shedQueueLength, shedEventLoopLagMs, shedEventLoopUtilizationPercent)',
        ),
        check(
          'shed-happens',
          'shed 503s during the spike',
          '>',
          0,
          fault.counts.shed,
          'count',
          'at 3x the measured capacity the service must reach its shedding bounds',
        ),
        check(
          'served-p99',
          'p99 of served (2xx) requests during the spike',
          '<=',
          (failureMode('traffic-spike')!.impactBudget(config).maxP99Seconds ?? 0) * 1000,
          fault.ok.p99Ms,
          'ms',
          'failure mode traffic-spike: alarms.latencyP99Seconds',
        ),
        ...(rule
          ? [
              check(
                '429-normal-clients',
                '429s to clients under the per-client rate',
                '=',
                0,
                m.run.counts.rateLimited,
                'count',
                `waf.rateLimitPerIp ${config.waf.rateLimitPerIp}/5 min = ${rule.limit} per ${rule.windowSeconds} s locally; every normal client sends less than half of it`,
              ),
              overLimitCheck(m, rule.limit, rule.windowSeconds),
            ]
          : []),
        recovery(i),
        ...writes(m),
      ];
    }
    case 'instance-loss':
      return [...targetLoss(i, 100 / n, n - 1, `1 of ${n} targets`), recovery(i), ...writes(m)];
    case 'worker-crash': {
      // Only the requests in flight on the killed worker may fail, in the moment it dies; the
      // instance stays in service (its primary answers the health check) and the worker is back
      // within WORKER_RECOVERY_SECONDS (a process restart: not scaled).
      const workers = i.m.workerCounts;
      const killedAt = m.actualFault?.startMs ?? m.faultStartMs;
      // Requests are bucketed by their planned send: the ones in flight at the kill were sent in
      // its bucket or the one before; the moment lasts until the end of the bucket after it.
      const killBucket = Math.floor(killedAt / m.bucketMs) * m.bucketMs;
      const moment: [number, number] = [killBucket - m.bucketMs, killBucket + 2 * m.bucketMs];
      const perInstance = localWorkers(config);
      const share = 100 / (n * perInstance);
      return [
        check(
          'errors-at-kill',
          'errors in the moment the worker dies',
          '<=',
          share,
          m.window(...moment).errorPercent,
          '%',
          `the requests in flight on it: at most its share (1 of ${n} instances x ${perInstance} workers)`,
        ),
        check(
          'errors-after-kill',
          'errors after that moment',
          '<=',
          ERROR_BUDGET_PERCENT,
          m.window(moment[1], m.durationMs).errorPercent,
          '%',
          'the primary hands new connections to the other workers at once',
        ),
        check(
          'healthy-targets',
          'fewest healthy targets during the fault',
          '>=',
          n,
          fault.minHealthyTargets ?? 0,
          'targets',
          'the primary answers the health check while any worker is up: no target is taken out (HAProxy runtime API, sampled every second)',
        ),
        check(
          'worker-back',
          'seconds until the instance runs all its workers again',
          '<=',
          WORKER_RECOVERY_SECONDS,
          workerBackSeconds(workers, 'i1', perInstance, killedAt),
          's',
          `failure mode worker-crash: the first restart waits 100 ms, then the worker starts (the Workers count in the primary's metrics documents)`,
        ),
        recovery(i),
        ...writes(m),
      ];
    }
    case 'az-loss': {
      const azs = config.availabilityZones.length;
      return [
        ...targetLoss(i, 100 / azs, azLossFloor(n, azs), `one AZ of ${azs}: its targets and the replica`),
        check(
          'replica-fallbacks',
          'reads moved to the writer pool',
          '>',
          0,
          fault.service.counters.ReplicaFallbacks ?? 0,
          'count',
          'the replica was in the lost AZ: reads fall back to the writer pool (service metric ReplicaFallbacks)',
        ),
        recovery(i),
        ...writes(m),
      ];
    }
    case 'replica-loss':
      return [
        errors(m),
        check(
          'p99-fault',
          'p99 while the replica is down',
          '<=',
          calibration.targetP99Ms,
          fault.all.p99Ms,
          'ms',
          'the calibration target: reads on the writer pool stay within it (CB-2: the pools fit)',
        ),
        check(
          'replica-fallbacks',
          'reads moved to the writer pool',
          '>',
          0,
          fault.service.counters.ReplicaFallbacks ?? 0,
          'count',
          'service metric ReplicaFallbacks',
        ),
        recovery(i),
        ...writes(m),
      ];
    case 'replica-lag': {
      const f = i.freshness;
      return [
        errors(m),
        check(
          'p99-fault',
          'p99 while the replica lags',
          '<=',
          calibration.targetP99Ms,
          fault.all.p99Ms,
          'ms',
          'the calibration target: the reads the writer takes stay within it (CB-1: the writer pool fits)',
        ),
        check(
          'stale-reads',
          `reads of others' writes older than the bound (${f?.boundMs ?? 0} ms, plus one p99 for the read itself)`,
          '=',
          0,
          f ? f.overBound : Number.NaN,
          'count',
          "the /api/* class's maxStalenessSeconds: each answer's age is the time since the first newer version was sent to the writer",
        ),
        check(
          'worst-age',
          "oldest answer to a read of others' writes, ms",
          '<=',
          (f?.boundMs ?? 0) + calibration.targetP99Ms,
          f ? f.worstAgeMs : Number.NaN,
          'ms',
          'the bound plus one p99 for the read itself (an upper bound: the commit is taken at the moment the write was sent)',
        ),
        check(
          'own-writes',
          'own reads (by id and on the list) older than what the client wrote',
          '=',
          0,
          f ? f.ownStale : Number.NaN,
          'count',
          'read-your-writes: writes fence what they change until a replica has it (ADR 0010)',
        ),
        check(
          'freshness-reads',
          'reads the probe judged (own and others)',
          '>',
          0,
          f ? f.ownReads + f.otherReads : 0,
          'count',
          'the judge saw reads at all',
        ),
        check(
          'lag-fallbacks',
          'reads the writer took because the replica lagged',
          '>',
          0,
          fault.service.counters.ReplicaLagFallbacks ?? 0,
          'count',
          'service metric ReplicaLagFallbacks: the pause outlasts the bound, so the writer must take reads',
        ),
        check(
          'writer-sessions',
          'writer sessions active at once (max), fault window',
          '<=',
          i.writerConnections ?? Number.POSITIVE_INFINITY,
          fault.primarySessions?.activeMax ?? 0,
          'count',
          "the writer pools of this fleet: instances x workers x app.dbPoolSize (CB-1's share); the extra reads queue or shed within them",
        ),
        recovery(i),
        ...writes(m),
      ];
    }
    case 'cache-loss': {
      // A read that misses a frozen cache waits one cache timeout, then reads the database like an
      // uncached read, which now queues for a connection with every other read: at most the pool's
      // wait bound (2 x app.shedPoolWaitMs) before it is shed instead.
      const dbRead = Math.max(before.all.p99Ms, before.byKind['uncached-read'].p99Ms);
      return [
        errors(m),
        check(
          'p99-fault',
          'p99 while the cache is frozen, then down',
          '<=',
          dbRead + config.app.cacheTimeoutMs + 2 * config.app.shedPoolWaitMs + LATENCY_MARGIN_MS,
          fault.all.p99Ms,
          'ms',
          `pre-fault p99 of reads from the database (${dbRead} ms) + app.cacheTimeoutMs (${config.app.cacheTimeoutMs}) + 2 x app.shedPoolWaitMs (the pool wait bound: every read now goes to the database) + ${LATENCY_MARGIN_MS} ms margin`,
        ),
        check(
          'cache-fallbacks',
          'cache calls that fell back to the database',
          '>',
          0,
          fault.service.counters.CacheFallbacks ?? 0,
          'count',
          'service metric CacheFallbacks',
        ),
        recovery(i),
        ...writes(m),
      ];
    }
    case 'db-failover': {
      const readErrors = (['cached-read', 'uncached-read', 'list'] as const).reduce(
        (acc, k) => ({ error: acc.error + fault.byKind[k].counts.error, sent: acc.sent + fault.byKind[k].counts.sent }),
        { error: 0, sent: 0 },
      );
      const after = m.window(m.faultEndMs + recoveryBoundSeconds(config) * 1000, m.durationMs);
      return [
        check(
          'read-errors-fault',
          'read errors while the writer is down',
          '<=',
          ERROR_BUDGET_PERCENT,
          readErrors.sent === 0 ? 0 : (100 * readErrors.error) / readErrors.sent,
          '%',
          'reads go to the replica and the cache, not the writer',
        ),
        check(
          'errors-after',
          'errors once the writer is back (after the recovery bound)',
          '<=',
          ERROR_BUDGET_PERCENT,
          after.errorPercent,
          '%',
          'failure mode db-failover bounds the duration, not the rate, of write errors',
        ),
        check(
          'healthy-targets',
          'fewest healthy targets while the writer is down',
          '>=',
          n,
          fault.minHealthyTargets ?? 0,
          'targets',
          'health checks are shallow (loadBalancer.healthCheck.path): a database outage must not drain the fleet',
        ),
        ...writes(m),
      ];
    }
    case 'dependency-latency':
      return [
        errors(m),
        check(
          'p99-fault',
          'p99 with the slow database path',
          '<=',
          before.all.p99Ms + 2 * config.app.shedPoolWaitMs + WRITE_ROUND_TRIPS * 2 * i.dbDelayMs + LATENCY_MARGIN_MS,
          fault.all.p99Ms,
          'ms',
          `pre-fault p99 + 2 x app.shedPoolWaitMs (the longest a queued request waits for a connection before it is shed) + ${WRITE_ROUND_TRIPS} round trips x ${2 * i.dbDelayMs} ms + ${LATENCY_MARGIN_MS} ms margin`,
        ),
        recovery(i),
        ...writes(m),
      ];
    case 'client-retries':
      return [
        ...writes(m),
        check(
          'retries-happen',
          'write attempts resent after a timeout',
          '>',
          0,
          m.writes.retries,
          'count',
          'the retrying clients time out before the service answers',
        ),
        check(
          'failed-writes',
          'writes whose last attempt failed with an error (not shed, not 429)',
          '<=',
          ERROR_BUDGET_PERCENT,
          m.writes.sent === 0 ? 0 : (100 * m.writes.failed) / m.writes.sent,
          '%',
          `the last attempt waits the full client timeout; ${ERROR_BUDGET_PERCENT}% like errors (a write shed on its last attempt was refused, not failed: the client knows)`,
        ),
        check(
          'read-errors',
          'read errors, whole run',
          '<=',
          ERROR_BUDGET_PERCENT,
          readErrorPercent(m),
          '%',
          `${ERROR_BUDGET_PERCENT}% of requests`,
        ),
      ];
    case 'bad-release':
    case 'slow-release':
      return [...releaseBudgets(id, i, { errors, recoveryBoundSeconds, check }), ...writes(m)];
    default:
      throw new Error(`no proving-ground scenario for ${id}`);
  }
}

/**
 * Seconds from `fromMs` until `instance` reported `full` workers again after it reported fewer;
 * 0 when it never reported fewer (a restart quicker than one metrics document), Infinity when it
 * never got back within the run.
 */
export function workerBackSeconds(
  counts: readonly { tMs: number; instance: string; workers: number }[],
  instance: string,
  full: number,
  fromMs: number,
): number {
  const after = counts.filter((c) => c.instance === instance && c.tMs >= fromMs);
  const down = after.findIndex((c) => c.workers < full);
  if (down < 0) return 0;
  const back = after.slice(down).find((c) => c.workers >= full);
  return back ? Math.round((back.tMs - fromMs) / 100) / 10 : Number.POSITIVE_INFINITY;
}

/** The over-limit client gets 429s for everything beyond the limit in each window it sends in. */
function overLimitCheck(m: RunMeasurement, limit: number, windowSeconds: number): BudgetCheck {
  const sent = m.overLimitClient?.counts.sent ?? 0;
  const allowed = limit * Math.ceil(m.durationMs / 1000 / windowSeconds);
  const expected = sent === 0 ? 0 : Math.max(0, (100 * (sent - allowed)) / sent);
  return check(
    '429-over-limit',
    "share of the over-limit client's requests answered 429",
    '>=',
    Math.floor(expected),
    m.overLimitClient?.rateLimitedPercent ?? 0,
    '%',
    `it sends 3x the per-client rate for the whole run: at most ${limit} per ${windowSeconds} s window pass, the rest is blocked`,
  );
}

function readErrorPercent(m: RunMeasurement): number {
  const kinds = ['cached-read', 'uncached-read', 'list'] as const;
  const error = kinds.reduce((n, k) => n + m.run.byKind[k].counts.error, 0);
  const sent = kinds.reduce((n, k) => n + m.run.byKind[k].counts.sent, 0);
  return sent === 0 ? 0 : (100 * error) / sent;
}

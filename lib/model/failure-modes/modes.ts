import { environmentBootTiming } from '../config/boot-timing';
import { azLossFloor } from '../config/capacity';
import type { EnvironmentConfig } from '../config/environment-schema';
import { detectionBoundSeconds } from '../deploy/release-alarms';
import { instancesAtCheckpoint, refreshPlan } from '../deploy/release-rollout';
import { fleetWorkers } from '../config/workers';
import type { Applicability, FailureMode, FailureModeId } from './failure-mode';

// Sources for the timings below:
// - ALB health checks mark a target unhealthy after UnhealthyThresholdCount consecutive failed
//   checks, HealthCheckIntervalSeconds apart, each failing after HealthCheckTimeoutSeconds:
//   https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html
// - RDS Multi-AZ DB instance failover "typically 60-120 seconds":
//   https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.MultiAZ.Failover.html

const always: Applicability = { applies: true, reason: 'every environment' };

/** Seconds until the ALB stops routing to a target that no longer answers its health check. */
export function healthCheckDetectionSeconds(c: EnvironmentConfig): number {
  const hc = c.loadBalancer.healthCheck;
  return hc.intervalSeconds * hc.unhealthyThresholdCount + hc.timeoutSeconds;
}

/** Share of requests (%) that one of `n` equal targets receives, rounded up. */
const shareOf = (n: number) => Math.ceil(100 / Math.max(1, n));

/** How long a crashed worker takes to serve again: the first restart's 100 ms, a start (pools, cache connections), and margin. */
export const WORKER_RECOVERY_SECONDS = 10;

/** RDS Multi-AZ failover, upper end of AWS's typical range. */
const DB_FAILOVER_SECONDS = 120;

/** Round trips of one idempotent write transaction (BEGIN, key, effect, answer, COMMIT): the slowest request on a slow database path. */
export const WRITE_ROUND_TRIPS = 5;

/**
 * The p99 bound of dependency-latency: the steady p99 alarm, plus the longest a request waits for a
 * connection before it is shed (2 x app.shedPoolWaitMs), plus the injected delay on every round
 * trip of a write. Below the request timeout, so a stop rule on it can fire (alarm-vs-timeouts).
 */
function slowDependencyP99Seconds(c: EnvironmentConfig): number {
  return (
    Math.round(c.alarms.latencyP99Seconds * 1000 + 2 * c.app.shedPoolWaitMs + WRITE_ROUND_TRIPS * c.failureDrills.dependencyLatencyMs) /
    1000
  );
}

/** A TCP retransmission timeout's worth of delay on a dropped packet (Linux's initial RTO is 1 s). */
export const TCP_RETRANSMISSION_SECONDS = 1;

/** The page-to-command time the budget allows for a zonal shift (one command, named in the page); ARC applies it at once. Longer, and the drill fails: it is the target. */
export const GRAY_AZ_SHIFT_SECONDS = 120;

/** gray-az: errors last until the per-AZ alarms fire and the AZ is shifted away. */
export function grayAzRecoverySeconds(c: EnvironmentConfig): number {
  return c.alarms.datapointsToAlarm * c.alarms.periodSeconds + GRAY_AZ_SHIFT_SECONDS;
}

/** gray-az: the p99 bound while one AZ is slow or drops packets. */
export function grayAzP99Seconds(c: EnvironmentConfig): number {
  return Math.round((c.alarms.latencyP99Seconds + c.failureDrills.grayAzDelayMs / 1000 + TCP_RETRANSMISSION_SECONDS) * 1000) / 1000;
}

const modes: readonly FailureMode[] = [
  {
    id: 'traffic-spike',
    title: 'Traffic far above capacity',
    failure:
      'Requests arrive at several times what the fleet can serve (a launch, a bot, a retry storm upstream), faster than scaling can add instances.',
    mitigation: {
      summary:
        'Per-client rate limiting at the WAF (JSON 429), load shedding in the app (an immediate, preserialized 503 with Retry-After when the DB pool queue, the event-loop lag or the event-loop utilization passes its bound), target tracking on CPU and requests per target, and the edge cache absorbing cacheable classes.',
      configKeys: [
        'waf.rateLimitPerIp',
        'fleet.cpuTargetPercent',
        'fleet.requestsPerTarget',
        'fleet.maxCapacity',
        'app.dbPoolSize',
        'edge.freshness',
      ],
    },
    invariants: ['SA-1', 'SA-3', 'CB-1'],
    expectedAlarms: ['alb-requests-anomaly', 'fleet-cpu-high'],
    applies: () => always,
    impactBudget: (c) => ({
      max5xxRatePercent: c.alarms.http5xxRatePercent,
      recoverySeconds: environmentBootTiming(c).instanceWarmupSeconds + 60,
      maxP99Seconds: c.alarms.latencyP99Seconds,
      derivation:
        'Shed 503s are the intended answer to excess load and are not errors of the service; load-balancer 5xx (timeouts, no target) stay under alarms.http5xxRatePercent and the p99 of served requests under alarms.latencyP99Seconds, until scaled-out instances are warm (the instance warm-up, fleet.instanceWarmupSeconds or derived from the boot timeline, + one minute).',
    }),
    runbook: [
      'Confirm with `npx loadbearing report` that shedding, not errors, is what clients see (target 5xx are shed 503s, ELB 5xx stay low).',
      'If the fleet is at fleet.maxCapacity, raise it (the connection budget CB-1 tells you how far the DB allows) or turn on loadBalancer.maintenance for an expensive path.',
      'If one client causes it, lower waf.rateLimitPerIp or block it in the web ACL.',
    ],
  },
  {
    id: 'instance-loss',
    title: 'One instance lost',
    failure: 'One app instance dies (hardware, kernel panic, OOM kill, a crashed app process) without draining.',
    mitigation: {
      summary:
        'Shallow ALB health checks stop routing to it; ELB health checks in the Auto Scaling group replace it; least-outstanding-requests routing spreads its share over the others.',
      configKeys: ['loadBalancer.healthCheck', 'fleet.healthCheckGracePeriodSeconds', 'fleet.minCapacity'],
    },
    invariants: ['SA-2'],
    expectedAlarms: ['alb-unhealthy-hosts'],
    applies: (c) =>
      c.fleet.minCapacity >= 2
        ? { applies: true, reason: `fleet.minCapacity ${c.fleet.minCapacity} >= 2` }
        : { applies: false, reason: 'fleet.minCapacity is 1: losing the only instance is an outage, not a degraded mode' },
    impactBudget: (c) => ({
      max5xxRatePercent: shareOf(c.fleet.minCapacity),
      recoverySeconds: healthCheckDetectionSeconds(c),
      minHealthyHosts: c.fleet.minCapacity - 1,
      derivation: `Until the ALB marks it unhealthy (interval x unhealthy threshold + timeout = ${healthCheckDetectionSeconds(c)} s), the lost instance's share of requests (1 of fleet.minCapacity ${c.fleet.minCapacity}) may fail; then errors return to steady state.`,
    }),
    runbook: [
      'Nothing to do when it recovers by itself: the Auto Scaling group replaces the instance.',
      'If instances keep dying, read the console output and the app log group of the replaced instance; `npx loadbearing status` shows fleet-in-service-low if replacements fail.',
    ],
  },
  {
    id: 'worker-crash',
    title: 'One worker process crashed',
    failure:
      'One worker process of an instance dies (a native crash, the kernel killing it for memory, a bug that escapes every handler) while the instance, its primary and its other workers keep running.',
    mitigation: {
      summary:
        "The instance's supervising primary (ADR 0006) hands the dead worker no more connections, restarts it after a backoff that doubles per crash in a row (100 ms, up to 10 s) while the other workers serve, and answers the health check itself, so the load balancer keeps the instance; only the requests in flight on that worker fail.",
      configKeys: ['app.workers', 'app.maxConnectionsPerWorker'],
    },
    invariants: ['WK-1'],
    expectedAlarms: [],
    applies: (c) => {
      const w = fleetWorkers(c);
      return w.min >= 2
        ? { applies: true, reason: `${w.describe}: the others serve while one restarts` }
        : {
            applies: false,
            reason: `${w.describe}${w.min === w.max ? '' : `, 1 on ${w.vcpus.types.find((t) => t.vcpus === w.vcpus.min)!.type}`}: with one worker a crash is the instance's until the primary restarts it`,
          };
    },
    impactBudget: (c) => {
      const workers = fleetWorkers(c).min * c.fleet.minCapacity;
      return {
        max5xxRatePercent: shareOf(workers),
        recoverySeconds: WORKER_RECOVERY_SECONDS,
        minHealthyHosts: c.fleet.minCapacity,
        derivation: `Only the requests in flight on the crashed worker fail: at most its share (1 of ${workers} workers at fleet.minCapacity) for a moment; no target is taken out (the primary answers the health check); the worker serves again within ${WORKER_RECOVERY_SECONDS} s (the first restart waits 100 ms, then the worker connects its pools).`,
      };
    },
    runbook: [
      'Nothing to do when it recovers by itself: the primary restarts the worker; its log line "worker exited; restarting it while the others serve" names the signal or exit code.',
      'If a worker keeps crashing (the restart backoff reaches seconds), read its last log lines and stderr in the app log group; a worker that crashes on every start takes the instance down to its other workers, and with none left the health check fails and the instance is replaced.',
    ],
  },
  {
    id: 'az-loss',
    title: 'One Availability Zone lost',
    failure:
      'An AZ loses power or connectivity: its instances, its read replica, its cache node and its NAT gateway are gone at once, and Auto Scaling cannot launch there.',
    mitigation: {
      summary:
        'Static stability: the instances in the other AZs carry the baseline load without scaling (AZ-1); the writer fails over to its standby; reader pools fit the surviving replicas (CB-2); the cache fails over to a replica; one NAT gateway per AZ.',
      configKeys: [
        'availabilityZones',
        'fleet.minCapacity',
        'fleet.baselineInstances',
        'database.multiAz',
        'database.readReplicas',
        'cache.replicasPerShard',
        'network.natGateways',
      ],
    },
    invariants: ['AZ-1', 'AZ-2', 'AZ-4', 'CB-2'],
    expectedAlarms: ['alb-unhealthy-hosts', 'fleet-in-service-low'],
    applies: (c) => ({ applies: true, reason: `${c.availabilityZones.length} AZs` }),
    impactBudget: (c) => ({
      max5xxRatePercent: shareOf(c.availabilityZones.length),
      recoverySeconds: Math.max(healthCheckDetectionSeconds(c), c.database.multiAz ? DB_FAILOVER_SECONDS : 0),
      minHealthyHosts: azLossFloor(c.fleet.minCapacity, c.availabilityZones.length),
      derivation: `The lost AZ's share of requests (1 of ${c.availabilityZones.length}) may fail until the ALB stops routing there (${healthCheckDetectionSeconds(c)} s) and, for writes, until the DB failover completes (AWS: typically 60-120 s); healthy hosts never fall below the AZ-loss floor.`,
    }),
    runbook: [
      'Check the AWS Health Dashboard for the AZ; do not fight it with deploys.',
      'Watch `npx loadbearing status`: healthy hosts must stay at or above the AZ-loss floor (alb-healthy-hosts-low stays OK); the DB writer fails over by itself.',
      'The fleet keeps serving from the other AZs; scaling launches replacements there when capacity allows.',
    ],
  },
  {
    id: 'gray-az',
    title: 'One Availability Zone gets slow or flaky (a gray failure)',
    failure:
      "One AZ's instances, or the network paths to them, get slow or drop packets: some of their requests fail or time out, while shallow health checks stay green, so nothing is replaced and the regional alarms average the AZ into the healthy ones.",
    mitigation: {
      summary:
        'Per-AZ alarms (ADR 0008) tell the sick AZ from the others: impaired AND an outlier against every other AZ; its isolated-impact composite pages and names the AZ. Shift away with `zonal-shift start` (the load balancer and the group, registered by zonal.shift); with zonal.autoshift AWS may shift by itself. The other AZs carry the load (AZ-1).',
      configKeys: [
        'zonal.shift',
        'zonal.autoshift.enabled',
        'zonal.faultOutlierFactor',
        'zonal.latencyOutlierFactor',
        'zonal.minRequests',
        'alarms.http5xxRatePercent',
        'alarms.latencyP99Seconds',
      ],
    },
    invariants: ['AZ-1'],
    expectedAlarms: ['fleet-az-*-isolated-impact'],
    applies: (c) =>
      c.zonal.alarms && c.zonal.shift
        ? { applies: true, reason: `${c.availabilityZones.length} AZs with per-AZ alarms and zonal shift` }
        : { applies: false, reason: 'zonal.alarms or zonal.shift is off: nothing detects a sick AZ, or nothing can shift away from it' },
    impactBudget: (c) => ({
      max5xxRatePercent: shareOf(c.availabilityZones.length),
      recoverySeconds: grayAzRecoverySeconds(c),
      maxP99Seconds: grayAzP99Seconds(c),
      maxP99Key: 'failureDrills.grayAzDelayMs',
      derivation: `At most the sick AZ's share of requests (1 of ${c.availabilityZones.length}) fails; errors last until the per-AZ alarms see it (alarms.datapointsToAlarm x alarms.periodSeconds = ${c.alarms.datapointsToAlarm * c.alarms.periodSeconds} s) and the AZ is shifted away (${GRAY_AZ_SHIFT_SECONDS} s for the page and the command): ${grayAzRecoverySeconds(c)} s. p99 stays under alarms.latencyP99Seconds + failureDrills.grayAzDelayMs + one TCP retransmission (${TCP_RETRANSMISSION_SECONDS} s) = ${grayAzP99Seconds(c)} s.`,
    }),
    runbook: [
      'The page is `<stack>-fleet-az-<az>-isolated-impact`: that AZ alone is impaired and an outlier. Confirm on the dashboard (Availability Zones) that the other AZs are healthy.',
      'Shift away: `npx loadbearing zonal-shift start --env <env> --az <az> --expires 2h --comment "<incident>"` (the load balancer and the group; one line per resource).',
      'Watch the service recover (`npx loadbearing status`); the shifted AZ reads no requests, so its alarms clear.',
      'When AWS or your own checks say the AZ is healthy: `npx loadbearing zonal-shift cancel --env <env>`, and watch the AZ take traffic again.',
    ],
  },
  {
    id: 'capacity-shortage-in-an-az',
    title: 'No capacity in one AZ',
    failure: 'Auto Scaling cannot launch instances in one AZ (insufficient capacity), while the running ones are fine.',
    mitigation: {
      summary:
        'The group launches in the other AZs and rebalances later; the mixed instances policy falls back to other families of the workload profile.',
      configKeys: ['fleet.workloadProfile', 'fleet.architecture', 'availabilityZones'],
    },
    invariants: ['AZ-1'],
    expectedAlarms: [],
    applies: (c) => ({ applies: true, reason: `${c.availabilityZones.length} AZs to fall back to` }),
    impactBudget: (c) => ({
      max5xxRatePercent: c.alarms.http5xxRatePercent,
      recoverySeconds: 0,
      derivation:
        'Running instances are untouched, so clients see no errors beyond the normal alarm threshold (alarms.http5xxRatePercent).',
    }),
    runbook: ['Nothing to do: launches go to other AZs. If it lasts, add a family to the workload profile or another AZ.'],
  },
  {
    id: 'spot-interruption',
    title: 'Spot instances reclaimed',
    failure: 'EC2 reclaims Spot instances with a two-minute notice.',
    mitigation: {
      summary:
        'The On-Demand base covers the baseline load (AZ-3); capacity rebalancing replaces at-risk Spot instances early; the ALB drains them.',
      configKeys: ['fleet.spotPercentAboveBase', 'fleet.onDemandBaseCapacity'],
    },
    invariants: ['AZ-3'],
    expectedAlarms: [],
    applies: (c) => {
      const base = c.fleet.onDemandBaseCapacity ?? c.fleet.minCapacity;
      if (c.fleet.spotPercentAboveBase === 0) return { applies: false, reason: 'fleet.spotPercentAboveBase is 0: no Spot instances' };
      if (base >= c.fleet.minCapacity)
        return {
          applies: false,
          reason: `the On-Demand base (${base}) covers fleet.minCapacity (${c.fleet.minCapacity}): no Spot instance at the minimum size`,
        };
      return { applies: true, reason: `Spot instances above an On-Demand base of ${base} at fleet.minCapacity ${c.fleet.minCapacity}` };
    },
    impactBudget: (c) => ({
      max5xxRatePercent: c.alarms.http5xxRatePercent,
      recoverySeconds: c.loadBalancer.deregistrationDelaySeconds + healthCheckDetectionSeconds(c),
      derivation:
        'The two-minute notice leaves time to drain (loadBalancer.deregistrationDelaySeconds), so errors stay under alarms.http5xxRatePercent.',
    }),
    runbook: ['Nothing to do when the On-Demand base holds. If interruptions are frequent, lower fleet.spotPercentAboveBase.'],
  },
  {
    id: 'cpu-stress',
    title: 'CPU saturation on the fleet',
    failure: 'The instances run out of CPU (a hot code path, a noisy neighbour in the process, an expensive request mix).',
    mitigation: {
      summary: 'Target tracking on CPU adds instances; the app sheds load when its event loop lags instead of queueing.',
      configKeys: ['fleet.cpuTargetPercent', 'fleet.maxCapacity', 'alarms.fleetCpuPercent'],
    },
    invariants: ['SA-1'],
    expectedAlarms: ['fleet-cpu-high'],
    applies: () => always,
    impactBudget: (c) => ({
      max5xxRatePercent: c.alarms.http5xxRatePercent,
      recoverySeconds: environmentBootTiming(c).instanceWarmupSeconds + 300,
      maxP99Seconds: c.alarms.latencyP99Seconds,
      derivation:
        'Scaling reacts within a few minutes plus the instance warm-up (fleet.instanceWarmupSeconds or derived from the boot timeline); until then p99 stays under alarms.latencyP99Seconds because excess load is shed, not queued.',
    }),
    runbook: ['Check `npx loadbearing report`: is the fleet at maxCapacity? Profile the hot path if CPU per request rose after a deploy.'],
  },
  {
    id: 'db-failover',
    title: 'Database writer fails over',
    failure:
      'The writer instance fails or is rebooted with failover: writes fail until the standby takes over, and every writer connection is dropped.',
    mitigation: {
      summary:
        'Multi-AZ standby with automatic failover; RDS Proxy (where on) keeps client connections and reconnects to the new writer; reads keep going to the replicas and the cache; writes fail fast within the request timeout and are retried by clients with idempotency keys.',
      configKeys: ['database.multiAz', 'database.proxy.enabled', 'app.requestTimeoutSeconds', 'app.retryMaxAttempts'],
    },
    invariants: ['TC-3', 'TC-4', 'CB-1'],
    expectedAlarms: ['alb-target-5xx-rate'],
    applies: (c) =>
      c.database.multiAz
        ? { applies: true, reason: 'database.multiAz is on' }
        : { applies: false, reason: 'database.multiAz is off: a writer failure is an outage until it is restored' },
    impactBudget: (c) => ({
      max5xxRatePercent: 100,
      recoverySeconds: DB_FAILOVER_SECONDS + c.app.requestTimeoutSeconds,
      derivation: `Writes may fail while the standby takes over (AWS: typically 60-120 s) plus one request timeout (app.requestTimeoutSeconds); the budget bounds the duration, not the rate, because the share of writes is the app's.`,
    }),
    runbook: [
      'Check the RDS events of the writer for the failover reason.',
      'After failover, check that DB connections recovered on every instance (`npx loadbearing report`).',
    ],
  },
  {
    id: 'replica-loss',
    title: 'One read replica lost',
    failure: 'A read replica fails, reboots or falls far behind.',
    mitigation: {
      summary:
        'Readers spread over the replicas; the other replicas have room for its connections (CB-2); with every replica down, reads fall back to the existing writer pool.',
      configKeys: ['database.readReplicas', 'app.dbReaderPoolSize', 'database.replicaInstanceClass'],
    },
    invariants: ['CB-2'],
    expectedAlarms: ['db-replica-*-lag'],
    applies: (c) =>
      c.database.readReplicas >= 1
        ? { applies: true, reason: `${c.database.readReplicas} read replica(s)` }
        : { applies: false, reason: 'database.readReplicas is 0: reads already go to the writer' },
    impactBudget: (c) => ({
      max5xxRatePercent: c.alarms.http5xxRatePercent,
      recoverySeconds: c.app.requestTimeoutSeconds,
      derivation:
        'Reads move to the surviving replicas (or the writer pool) within one request timeout (app.requestTimeoutSeconds); errors stay under alarms.http5xxRatePercent.',
    }),
    runbook: [
      'Check the replica in the RDS console; reboot it or replace it by deploying after removing and re-adding it (a replica holds no data of its own).',
    ],
  },
  {
    id: 'replica-lag',
    title: 'A read replica falls behind',
    failure:
      'A read replica keeps running but stops keeping up (a long query holding replay, heavy writes, an I/O-starved replica): its data gets older while it answers.',
    mitigation: {
      summary:
        "The app measures each replica's lag every app.replicaLagSampleMs and sends a class's reads to the writer pool once the lag would break the class's maxStalenessSeconds; writes fence what they change, so clients read their own writes (ADR 0010).",
      configKeys: ['app.replicaLagSampleMs', 'edge.freshness', 'cache.negativeTtlSeconds', 'alarms.replicaLagSeconds'],
    },
    invariants: ['CB-1', 'FR-1'],
    expectedAlarms: ['db-replica-*-lag'],
    applies: (c) =>
      c.database.readReplicas >= 1
        ? { applies: true, reason: `${c.database.readReplicas} read replica(s)` }
        : { applies: false, reason: 'database.readReplicas is 0: reads already go to the writer' },
    impactBudget: (c) => ({
      max5xxRatePercent: c.alarms.http5xxRatePercent,
      recoverySeconds: c.app.requestTimeoutSeconds,
      derivation:
        "No read is older than its class's maxStalenessSeconds and every client reads its own writes; the writer takes the lagging replica's reads within its pool (CB-1); errors stay under alarms.http5xxRatePercent.",
    }),
    runbook: [
      'Check the lag the app measures (`/readyz` replicaLag, metric AppReplicaLag) against RDS ReplicaLag; look for long queries on the replica (hot_standby_feedback, max_standby_streaming_delay) and for write bursts on the writer.',
      'While it lags, the writer takes the reads (ReplicaLagFallbacks): watch its CPU and connections.',
    ],
  },
  {
    id: 'dependency-latency',
    title: 'The database path gets slow',
    failure: 'Network latency to the database rises (a degraded network path, a noisy neighbour), so every query takes longer.',
    mitigation: {
      summary:
        'Every hop has a timeout shorter than its caller (the timeout chain); the per-request deadline is passed to every query; the pool wait is bounded and the app sheds instead of queueing; cached reads keep answering.',
      configKeys: ['app.requestTimeoutSeconds', 'database.statementTimeoutMs', 'app.dbPoolSize', 'app.cacheTimeoutMs'],
    },
    invariants: ['TC-2', 'TC-3', 'TC-4'],
    expectedAlarms: ['alb-latency-p99'],
    applies: () => always,
    impactBudget: (c) => ({
      max5xxRatePercent: c.alarms.http5xxRatePercent,
      recoverySeconds: c.app.requestTimeoutSeconds,
      maxP99Seconds: slowDependencyP99Seconds(c),
      maxP99Key: 'failureDrills.dependencyLatencyMs',
      derivation: `With every database round trip failureDrills.dependencyLatencyMs (${c.failureDrills.dependencyLatencyMs} ms) slower, p99 stays under alarms.latencyP99Seconds + 2 x app.shedPoolWaitMs (the longest a request waits for a connection before it is shed) + ${WRITE_ROUND_TRIPS} round trips of a write x the delay = ${slowDependencyP99Seconds(c)} s; no request outlives the request timeout (app.requestTimeoutSeconds); errors stay under alarms.http5xxRatePercent.`,
    }),
    runbook: [
      'Find the slow hop with `npx loadbearing report` (DB latency vs app p99).',
      'If the database itself is slow, look at Performance Insights for the top SQL.',
    ],
  },
  {
    id: 'cache-loss',
    title: 'The cache is lost or hangs',
    failure: 'The cache primary fails over, restarts empty, or stops answering (connections hang).',
    mitigation: {
      summary:
        'Every cache call has a short timeout (app.cacheTimeoutMs) and falls back to the database; concurrent misses for one key are coalesced, so a cold cache does not stampede the database; Multi-AZ automatic failover promotes a replica.',
      configKeys: ['app.cacheTimeoutMs', 'cache.replicasPerShard', 'app.dbReaderPoolSize'],
    },
    invariants: ['TC-5', 'CB-2'],
    expectedAlarms: ['cache-hit-rate'],
    applies: () => always,
    impactBudget: (c) => ({
      max5xxRatePercent: c.alarms.http5xxRatePercent,
      recoverySeconds: c.app.requestTimeoutSeconds,
      maxP99Seconds: c.alarms.latencyP99Seconds + c.app.cacheTimeoutMs / 1000,
      maxP99Key: 'app.cacheTimeoutMs',
      derivation:
        'Reads fall back to the database after at most app.cacheTimeoutMs, so p99 grows by at most that over alarms.latencyP99Seconds, and errors stay under alarms.http5xxRatePercent.',
    }),
    runbook: ['Check the cache events for a failover.', 'Watch DB load while the cache warms up; it was sized for the cache-miss case.'],
  },
  {
    id: 'client-retries',
    title: 'Clients retry writes after timeouts',
    failure: 'Clients time out and resend the same write, some while the first attempt is still running.',
    mitigation: {
      summary:
        'Writes take an Idempotency-Key stored in the same transaction as the effect: a replay returns the first answer, a concurrent duplicate gets 409, and a reused key with another body gets 422.',
      configKeys: ['app.retryMaxAttempts', 'app.requestTimeoutSeconds'],
    },
    invariants: ['TC-2'],
    expectedAlarms: [],
    applies: () => always,
    impactBudget: (c) => ({
      max5xxRatePercent: c.alarms.http5xxRatePercent,
      recoverySeconds: 0,
      derivation:
        'Retries never create a second effect: zero duplicated and zero lost acknowledged writes; errors stay under alarms.http5xxRatePercent.',
    }),
    runbook: ['Nothing to do on the platform; if duplicates appear, check that the client sends the same Idempotency-Key on every retry.'],
  },
  {
    id: 'bad-release',
    title: 'A release that fails requests',
    failure:
      'A new release (the app, the boot script, the image) passes its health check but fails a share of real requests: a bug on a code path /healthz does not take.',
    mitigation: {
      summary:
        "The instance refresh replaces one AZ's share of the fleet, then waits (fleet.instanceRefresh.checkpointDelaySeconds) while the release alarms watch that release's own 5xx rate; one in ALARM fails the refresh and CloudFormation rolls the stack back, replacing the release's instances with the previous release (ADR 0007).",
      configKeys: [
        'fleet.instanceRefresh.checkpointPercentages',
        'fleet.instanceRefresh.checkpointDelaySeconds',
        'delivery.releaseAlarms.errorRatePercent',
        'delivery.releaseAlarms.periodSeconds',
        'delivery.releaseAlarms.datapointsToAlarm',
      ],
    },
    invariants: ['DS-3', 'AZ-2'],
    expectedAlarms: ['release-*-errors'],
    applies: () => always,
    impactBudget: (c) => releaseBudget(c, 'its share of the fleet: every request it takes may fail'),
    runbook: [
      "Nothing to do while it rolls back: `npx loadbearing deploy` prints the verdict (rolled back, with the release alarm that fired); the release's logs are in /<stack>/app.",
      'If the rollback is stuck (UPDATE_ROLLBACK_FAILED), follow docs/delivering.md, "A stuck rollback".',
      'Fix the release and deploy again; a fix that must go out while the release alarms fire goes with --break-glass.',
    ],
  },
  {
    id: 'slow-release',
    title: 'A release that is slow',
    failure: 'A new release answers, but slower (an N+1 query, a lost cache, a blocking call): every request it takes is late.',
    mitigation: {
      summary:
        "As for a bad release: one AZ's share first, judged by the p99 of that release's own instances against delivery.releaseAlarms.latencyP99Ms; in ALARM, the refresh fails and the stack rolls back.",
      configKeys: [
        'fleet.instanceRefresh.checkpointDelaySeconds',
        'delivery.releaseAlarms.latencyP99Ms',
        'delivery.releaseAlarms.periodSeconds',
        'delivery.releaseAlarms.datapointsToAlarm',
      ],
    },
    invariants: ['DS-3', 'AZ-2'],
    expectedAlarms: ['release-*-latency-p99'],
    applies: () => always,
    impactBudget: (c) => ({
      ...releaseBudget(c, 'none: a slow release answers'),
      max5xxRatePercent: c.alarms.http5xxRatePercent,
      maxP99Seconds: c.alarms.latencyP99Seconds,
    }),
    runbook: [
      'As for bad-release: the verdict names the release alarm (latency-p99) that fired.',
      'Compare the release p99 with the previous one in the dashboard before raising delivery.releaseAlarms.latencyP99Ms.',
    ],
  },
];

/**
 * What a bad release may cost, from the rollout's arithmetic: errors on the first checkpoint's
 * share of the fleet, until a release alarm fires (its evaluation window) and the rollback has
 * replaced the release's instances (one boot, the signal timeout).
 */
function releaseBudget(c: EnvironmentConfig, errors: string) {
  const plan = refreshPlan(c.fleet, c.availabilityZones.length);
  const first = instancesAtCheckpoint(plan.checkpointPercentages[0]!, c.fleet.minCapacity);
  const share = Math.ceil((100 * first) / c.fleet.minCapacity);
  const detect = detectionBoundSeconds(c.delivery.releaseAlarms);
  return {
    max5xxRatePercent: share,
    recoverySeconds: detect + environmentBootTiming(c).signalTimeoutSeconds,
    derivation: `The release reaches the first checkpoint's share of the fleet (${plan.checkpointPercentages[0]}% of fleet.minCapacity ${c.fleet.minCapacity}: ${first} instance(s), ${share}% of requests; ${errors}), for at most (delivery.releaseAlarms.datapointsToAlarm + 1) x periodSeconds = ${detect} s before a release alarm fires, and one boot more while the rollback replaces its instances.`,
  };
}

/** Every failure mode, in catalogue order (FAILURE_MODE_IDS). */
export const FAILURE_MODES: ReadonlyMap<FailureModeId, FailureMode> = new Map(modes.map((m) => [m.id, m]));

/** The mode with this ID, or undefined (callers turn that into their own clear error). */
export function failureMode(id: string): FailureMode | undefined {
  return FAILURE_MODES.get(id as FailureModeId);
}

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IPolicyValidationContext } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { BUILTIN_ENVIRONMENTS } from '../../../lib/model/config/builtin-environments';
import { isConfigError, type ConfigProblem } from '../../../lib/model/config/config-error';
import type { EnvironmentConfig } from '../../../lib/model/config/environment-schema';
import { builtinEnvironments, deepMerge, resolveEnvironments } from '../../../lib/model/config/load-config';
import { checkInvariants } from '../../../lib/model/invariants/check-invariants';
import { InvariantsPlugin } from '../../../lib/platform/invariants-plugin';
import { INVARIANT_RULES } from '../../../lib/model/invariants/rules';

/** Problems the prod environment with one change raises (schema and invariants), [] when valid. */
function problemsFor(change: Record<string, unknown>): ConfigProblem[] {
  try {
    resolveEnvironments({ prod: deepMerge(BUILTIN_ENVIRONMENTS.prod, change) }, 'test.json');
    return [];
  } catch (e) {
    if (isConfigError(e)) return [...e.problems];
    throw e;
  }
}

/** An existing VPC for prod's three AZs (tiers may name fewer AZs). */
function existingVpc(azs: Partial<Record<'public' | 'app' | 'data', string[]>> = {}) {
  const all = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
  const tier = (n: number, names = all) =>
    Object.fromEntries(
      names.map((az) => [
        az,
        { subnetId: `subnet-0${n}${all.indexOf(az)}${'0'.repeat(14)}`, routeTableId: `rtb-0${n}${all.indexOf(az)}${'0'.repeat(14)}` },
      ]),
    );
  return {
    vpcId: 'vpc-0123456789abcdef0',
    subnets: { public: tier(1, azs.public), app: tier(2, azs.app), data: tier(3, azs.data) },
    appEgress: { kind: 'nat', natGatewayIds: Object.fromEntries(all.map((az, i) => [az, `nat-04${i}${'0'.repeat(14)}`])) },
  };
}

/** The resolved prod environment with one change (must be valid). */
function prodWith(change: Record<string, unknown>): EnvironmentConfig {
  return resolveEnvironments({ prod: deepMerge(BUILTIN_ENVIRONMENTS.prod, change) }, 'test.json')[0];
}

const p = (path: string, value: string, rule: string, fix: string): ConfigProblem => ({
  path: `environments.prod.${path}`,
  value,
  rule,
  fix,
});

/** Per rule: a compliant config just inside the rule, a violating one, and its exact problem. */
const CASES: { id: string; compliant: Record<string, unknown>; violating: Record<string, unknown>; expected: ConfigProblem[] }[] = [
  {
    // Pools are per worker: 24 instances x 2 workers (auto on a 2-vCPU large) x the pool.
    id: 'CB-1',
    compliant: { database: { proxy: { enabled: false } }, app: { dbPoolSize: 29 } },
    violating: { database: { proxy: { enabled: false } }, app: { dbPoolSize: 40 } },
    expected: [
      p(
        'app.dbPoolSize',
        '40',
        '[CB-1] writer connection budget exceeded: fleet.maxCapacity 24 x 2 workers (app.workers "auto": one per vCPU of m7g.large) x 40 connections per worker = 1920 at peak, but db.r7g.large allows ~1441 (max_connections estimate) - 3 superuser - 10 reserve = 1428',
        'lower app.dbPoolSize to 29 or less; use a larger database.instanceClass (db.r7g.xlarge allows ~2883); lower fleet.maxCapacity to 17 or less; or enable database.proxy so clients queue for pooled connections (borrow timeout) instead of being refused.',
      ),
    ],
  },
  {
    id: 'CB-1 (proxy share)',
    compliant: { app: { dbPoolSize: 27 } },
    violating: { app: { dbPoolSize: 60 } },
    expected: [
      p(
        'app.dbPoolSize',
        '60',
        '[CB-1] writer connection budget exceeded: fleet.maxCapacity 24 x 2 workers (app.workers "auto": one per vCPU of m7g.large) x 60 connections per worker = 2880 at peak, but RDS Proxy may open 90% of db.r7g.large\'s ~1441 max_connections = 1296',
        'lower app.dbPoolSize to 27 or less; use a larger database.instanceClass (db.r7g.2xlarge allows ~5000); lower fleet.maxCapacity to 10 or less; raise database.proxy.maxConnectionsPercent (now 90).',
      ),
    ],
  },
  {
    id: 'CB-1 (fewer workers)',
    compliant: { fleet: { instanceSize: 'xlarge' }, app: { dbPoolSize: 13 } },
    violating: { fleet: { instanceSize: 'xlarge' }, app: { dbPoolSize: 15 } },
    expected: [
      p(
        'app.dbPoolSize',
        '15',
        '[CB-1] writer connection budget exceeded: fleet.maxCapacity 24 x 4 workers (app.workers "auto": one per vCPU of m7g.xlarge) x 15 connections per worker = 1440 at peak, but RDS Proxy may open 90% of db.r7g.large\'s ~1441 max_connections = 1296',
        'lower app.dbPoolSize to 13 or less; set app.workers to 3 or fewer; use a larger database.instanceClass (db.r7g.xlarge allows ~2883); lower fleet.maxCapacity to 21 or less; raise database.proxy.maxConnectionsPercent (now 90).',
      ),
    ],
  },
  {
    id: 'CB-2',
    compliant: { app: { dbReaderPoolSize: 29 } },
    violating: { app: { dbReaderPoolSize: 200 } },
    expected: [
      p(
        'app.dbReaderPoolSize',
        '200',
        '[CB-2] reader connection budget exceeded: fleet.maxCapacity 24 x 2 workers (app.workers "auto": one per vCPU of m7g.large) x app.dbReaderPoolSize 200 = 9600, but 1 surviving replica(s) of db.r7g.large take 1 x 1428 = 1428',
        'lower app.dbReaderPoolSize to 29 or less; set fewer app.workers; add read replicas (database.readReplicas); or use a larger database.replicaInstanceClass.',
      ),
    ],
  },
  {
    id: 'WK-1',
    compliant: { app: { workers: 2 } },
    violating: { app: { workers: 3 } },
    expected: [
      p(
        'app.workers',
        '3',
        '[WK-1] 3 worker processes are more than the vCPUs: fleet.instanceSize "large" of the general profile (arm64) has 2 vCPUs (m7g.large 2, m7gd.large 2, r7g.large 2)',
        'set app.workers to a number from 1 to 2, or to "auto" (one per vCPU of whichever type is launched).',
      ),
    ],
  },
  {
    id: 'WK-1 (none)',
    compliant: { app: { workers: 'auto' } },
    violating: { app: { workers: 0 } },
    expected: [
      p(
        'app.workers',
        '0',
        '[WK-1] 0 worker processes cannot serve anything: fleet.instanceSize "large" of the general profile (arm64) has 2 vCPUs (m7g.large 2, m7gd.large 2, r7g.large 2)',
        'set app.workers to a number from 1 to 2, or to "auto" (one per vCPU of whichever type is launched).',
      ),
    ],
  },
  {
    id: 'WK-2',
    compliant: { app: { workers: 1 }, fleet: { cpuTargetPercent: 49 } },
    violating: { app: { workers: 1 } },
    expected: [
      p(
        'app.workers',
        '1',
        "[WK-2] 1 worker keep at most 1 of m7g.large's 2 vCPUs busy: the instance's CPU tops out at 1 / 2 = 50%, not above the scaling target (fleet.cpuTargetPercent: 50%), so CPU scaling fires only once every worker is saturated",
        'set app.workers to "auto" or to 2 or more, or lower fleet.cpuTargetPercent below 50.',
      ),
    ],
  },
  {
    id: 'WK-2 (never)',
    compliant: { app: { workers: 3 }, fleet: { instanceSize: 'xlarge' } },
    violating: { app: { workers: 1 }, fleet: { instanceSize: 'xlarge' } },
    expected: [
      p(
        'app.workers',
        '1',
        "[WK-2] 1 worker keep at most 1 of m7g.xlarge's 4 vCPUs busy: the instance's CPU tops out at 1 / 4 = 25%, not above the scaling target (fleet.cpuTargetPercent: 50%), so CPU scaling can never fire",
        'set app.workers to "auto" or to 3 or more, or lower fleet.cpuTargetPercent below 25.',
      ),
    ],
  },
  {
    id: 'WK-3',
    compliant: { app: { maxConnectionsPerWorker: 65_448 } },
    violating: { app: { maxConnectionsPerWorker: 65_449 } },
    expected: [
      p(
        'app.maxConnectionsPerWorker',
        '65449',
        "[WK-3] a worker needs 65449 client connections + 10 writer + 10 reader + 4 cache connections + 64 reserved = 65537 file descriptors, above the general profile's limit of 65536 per process",
        'lower app.maxConnectionsPerWorker to 65448 or less, or use a workload profile with more file descriptors.',
      ),
    ],
  },
  {
    id: 'CB-3',
    compliant: { database: { proxy: { maxConnectionsPercent: 99 } } },
    violating: { database: { proxy: { maxConnectionsPercent: 100 } } },
    expected: [
      p(
        'database.proxy.maxConnectionsPercent',
        '100',
        "[CB-3] the proxy takes 1441 of db.r7g.large's ~1441 connections, leaving 0, but 13 are needed (3 superuser + database.connectionReserve 10)",
        'lower database.proxy.maxConnectionsPercent to 99 or less, or lower database.connectionReserve.',
      ),
    ],
  },
  {
    id: 'TC-1',
    compliant: { app: { keepAliveTimeoutSeconds: 61 } },
    violating: { app: { keepAliveTimeoutSeconds: 60 } },
    expected: [
      p(
        'app.keepAliveTimeoutSeconds',
        '60',
        '[TC-1] the app keep-alive timeout (60000 ms) must be longer than the ALB idle timeout (loadBalancer.idleTimeoutSeconds: 60000 ms), or the app closes connections the ALB still uses (502s)',
        'set app.keepAliveTimeoutSeconds to 65 or more, or lower loadBalancer.idleTimeoutSeconds.',
      ),
    ],
  },
  {
    id: 'TC-2',
    compliant: { app: { requestTimeoutSeconds: 59 }, edge: { originReadTimeoutSeconds: 90 } },
    violating: { app: { requestTimeoutSeconds: 60 }, edge: { originReadTimeoutSeconds: 90 } },
    expected: [
      p(
        'app.requestTimeoutSeconds',
        '60',
        '[TC-2] the app request timeout (60000 ms) must be shorter than the ALB idle timeout (loadBalancer.idleTimeoutSeconds: 60000 ms): the ALB would cut off requests the app is still serving (504s)',
        'lower app.requestTimeoutSeconds below 60, or raise loadBalancer.idleTimeoutSeconds.',
      ),
    ],
  },
  {
    id: 'TC-3',
    compliant: { database: { statementTimeoutMs: 29_999 } },
    violating: { database: { statementTimeoutMs: 30_000 } },
    expected: [
      p(
        'database.statementTimeoutMs',
        '30000',
        '[TC-3] the DB statement_timeout (30000 ms) must be shorter than the app request timeout (app.requestTimeoutSeconds: 30000 ms): queries would outlive the requests that started them (0 means no timeout at all)',
        'set database.statementTimeoutMs below 30000, e.g. 24000.',
      ),
    ],
  },
  {
    id: 'TC-4',
    compliant: { database: { proxy: { borrowTimeoutSeconds: 29 } } },
    violating: { database: { proxy: { borrowTimeoutSeconds: 30 } } },
    expected: [
      p(
        'database.proxy.borrowTimeoutSeconds',
        '30',
        '[TC-4] the proxy borrow timeout (30000 ms) must be shorter than the app request timeout (app.requestTimeoutSeconds: 30000 ms): requests would wait for a connection longer than they may run',
        'set database.proxy.borrowTimeoutSeconds below 30.',
      ),
    ],
  },
  {
    id: 'TC-5',
    compliant: { app: { cacheTimeoutMs: 29_999 } },
    violating: { app: { cacheTimeoutMs: 30_000 } },
    expected: [
      p(
        'app.cacheTimeoutMs',
        '30000',
        '[TC-5] the cache client timeout (30000 ms) must be shorter than the app request timeout (app.requestTimeoutSeconds: 30000 ms): a slow cache would consume the whole request instead of falling back to the DB',
        'set app.cacheTimeoutMs well below 30000, e.g. 250.',
      ),
    ],
  },
  {
    id: 'TC-7',
    compliant: { edge: { originReadTimeoutSeconds: 31 } },
    violating: { edge: { originReadTimeoutSeconds: 30 } },
    expected: [
      p(
        'edge.originReadTimeoutSeconds',
        '30',
        '[TC-7] CloudFront waits 30000 ms for the origin, not longer than the app request timeout (app.requestTimeoutSeconds: 30000 ms): slow requests become 504s at the edge',
        'set edge.originReadTimeoutSeconds to 35 or more (above 60 needs a CloudFront quota increase), or lower app.requestTimeoutSeconds.',
      ),
    ],
  },
  {
    id: 'TC-8',
    compliant: { app: { shedPoolWaitMs: 29_999 } },
    violating: { app: { shedPoolWaitMs: 30_000 } },
    expected: [
      p(
        'app.shedPoolWaitMs',
        '30000',
        '[TC-8] the load-shedding pool wait (30000 ms) must be shorter than the app request timeout (app.requestTimeoutSeconds: 30000 ms): requests would queue for connections until their deadline instead of being shed early',
        'set app.shedPoolWaitMs well below 30000, e.g. 500.',
      ),
    ],
  },
  {
    id: 'TC-9',
    compliant: { database: { statementTimeoutCeilingMs: 25_000 } },
    violating: { database: { statementTimeoutCeilingMs: 24_999 } },
    expected: [
      p(
        'database.statementTimeoutCeilingMs',
        '24999',
        "[TC-9] the parameter group ceiling (24999 ms) is below the app role's 25000 ms (database.statementTimeoutMs): the ceiling would cut off app queries the role allows",
        'set database.statementTimeoutCeilingMs to 25000 or more (0 = no ceiling), or lower database.statementTimeoutMs.',
      ),
    ],
  },
  {
    // TC-1 and TC-2 together keep it (request <= idle - 1 < idle + 1 <= keep-alive): it breaks with one of them.
    id: 'TC-10',
    compliant: { app: { keepAliveTimeoutSeconds: 32, requestTimeoutSeconds: 30 }, loadBalancer: { idleTimeoutSeconds: 31 } },
    violating: { app: { keepAliveTimeoutSeconds: 30 }, loadBalancer: { idleTimeoutSeconds: 29 } },
    expected: [
      p(
        'app.requestTimeoutSeconds',
        '30',
        '[TC-2] the app request timeout (30000 ms) must be shorter than the ALB idle timeout (loadBalancer.idleTimeoutSeconds: 29000 ms): the ALB would cut off requests the app is still serving (504s)',
        'lower app.requestTimeoutSeconds below 29, or raise loadBalancer.idleTimeoutSeconds.',
      ),
      p(
        'app.keepAliveTimeoutSeconds',
        '30',
        '[TC-10] the app closes a stalled connection after up to 31000 ms (the request timeout 30000 ms + 1000 ms: the checking interval, or the no-progress margin), longer than an idle one (app.keepAliveTimeoutSeconds: 30000 ms)',
        'set app.keepAliveTimeoutSeconds to 31 or more, or lower app.requestTimeoutSeconds.',
      ),
    ],
  },
  {
    id: 'FR-1',
    compliant: {
      edge: { freshness: [{ name: 'pages', pathPattern: '/*', edgeTtlSeconds: 180, appCacheTtlSeconds: 120, maxStalenessSeconds: 300 }] },
    },
    violating: {
      edge: { freshness: [{ name: 'pages', pathPattern: '/*', edgeTtlSeconds: 600, appCacheTtlSeconds: 120, maxStalenessSeconds: 300 }] },
    },
    expected: [
      p(
        'edge.freshness[0].edgeTtlSeconds',
        '600',
        '[FR-1] content class "pages" (/*) can be 720 s old (edge TTL 600 s + app cache TTL 120 s), more than its maxStalenessSeconds (300 s)',
        'lower edgeTtlSeconds to 180 or less, lower appCacheTtlSeconds, or raise maxStalenessSeconds if the product allows it.',
      ),
    ],
  },
  {
    id: 'FR-2',
    compliant: { edge: { freshness: [{ name: 'all', pathPattern: '/*', cacheable: false, edgeTtlSeconds: 0, maxStalenessSeconds: 0 }] } },
    violating: { edge: { freshness: [{ name: 'all', pathPattern: '/*', cacheable: false, edgeTtlSeconds: 60, maxStalenessSeconds: 60 }] } },
    expected: [
      p(
        'edge.freshness[0].edgeTtlSeconds',
        '60',
        '[FR-2] content class "all" (/*) is not cacheable but has an edge TTL of 60 s (stale-while-revalidate 0 s, stale-if-error 0 s)',
        'set edgeTtlSeconds, staleWhileRevalidateSeconds and staleIfErrorSeconds to 0, or mark the class cacheable.',
      ),
    ],
  },
  {
    id: 'AZ-1',
    compliant: { fleet: { minCapacity: 6, baselineInstances: 4 } },
    violating: { fleet: { minCapacity: 5 }, invariants: { optOut: [{ rule: 'AZ-2', reason: 'isolates AZ-1 in this test case' }] } },
    expected: [
      p(
        'fleet.minCapacity',
        '5',
        '[AZ-1] with one of 3 AZs lost, fleet.minCapacity 5 leaves 3 instance(s), below fleet.baselineInstances (4)',
        'raise fleet.minCapacity to 6 or more, or add an availability zone.',
      ),
    ],
  },
  {
    id: 'AZ-2',
    compliant: { fleet: { instanceRefresh: { minHealthyPercentage: 90 } } },
    violating: { fleet: { instanceRefresh: { minHealthyPercentage: 50 } } },
    expected: [
      p(
        'fleet.instanceRefresh.minHealthyPercentage',
        '50',
        '[AZ-2] an instance refresh keeps ceil(50% x fleet.minCapacity 6) = 3 instance(s) healthy; with one of 3 AZs lost that is floor(3 x 2 / 3) = 2, below fleet.baselineInstances (4)',
        'set fleet.instanceRefresh.minHealthyPercentage to 100, the default: new instances launch before old ones stop.',
      ),
    ],
  },
  {
    id: 'AZ-3',
    compliant: { fleet: { spotPercentAboveBase: 50, onDemandBaseCapacity: 4 } },
    violating: { fleet: { spotPercentAboveBase: 50, onDemandBaseCapacity: 2 } },
    expected: [
      p(
        'fleet.onDemandBaseCapacity',
        '2',
        '[AZ-3] only 2 On-Demand instance(s) with 50% Spot above them: a Spot reclaim can drop the fleet below fleet.baselineInstances (4)',
        'raise fleet.onDemandBaseCapacity to 4 or more (or leave it unset: minCapacity), or set fleet.spotPercentAboveBase to 0.',
      ),
    ],
  },
  {
    id: 'SA-1',
    compliant: { alarms: { fleetCpuPercent: 51 } },
    violating: { alarms: { fleetCpuPercent: 50 } },
    expected: [
      p(
        'alarms.fleetCpuPercent',
        '50',
        '[SA-1] the fleet CPU alarm (50%) must be above the CPU scaling target (fleet.cpuTargetPercent: 50%), or it fires whenever scaling works as intended',
        'set alarms.fleetCpuPercent to 70 or more, or lower fleet.cpuTargetPercent.',
      ),
    ],
  },
  {
    id: 'SA-2',
    // The grace period is derived from the boot timeline (660 s by default); a longer warm-up breaks the rule.
    compliant: { fleet: { instanceWarmupSeconds: 660 } },
    violating: { fleet: { instanceWarmupSeconds: 900 } },
    expected: [
      p(
        'fleet.healthCheckGracePeriodSeconds',
        '660',
        '[SA-2] the health-check grace period (660 s) is shorter than the instance warm-up (fleet.instanceWarmupSeconds: 900 s): warming instances get replaced',
        'set fleet.healthCheckGracePeriodSeconds to 900 or more.',
      ),
    ],
  },
  {
    id: 'SA-3',
    compliant: { fleet: { maxCapacity: 8 } },
    violating: { fleet: { maxCapacity: 7 } },
    expected: [
      p(
        'fleet.maxCapacity',
        '7',
        '[SA-3] a release rollout needs fleet.minCapacity 6 + floor((134% - 100%) x 6) = 8 instances (fleet.instanceRefresh.maxHealthyPercentage 134), above fleet.maxCapacity (7)',
        'raise fleet.maxCapacity to 8 or more, or lower fleet.instanceRefresh.maxHealthyPercentage.',
      ),
    ],
  },
  {
    id: 'DS-3',
    compliant: { fleet: { instanceRefresh: { checkpointDelaySeconds: 180 } } },
    violating: { fleet: { instanceRefresh: { checkpointDelaySeconds: 179 } } },
    expected: [
      p(
        'fleet.instanceRefresh.checkpointDelaySeconds',
        '179',
        '[DS-3] a release alarm needs up to (delivery.releaseAlarms.datapointsToAlarm 2 + 1) x periodSeconds 60 = 180 s to fire (the first period may be partial), longer than the checkpoint delay (179 s): a bad release would pass its first checkpoint undetected',
        'raise fleet.instanceRefresh.checkpointDelaySeconds to 180 or more, or lower delivery.releaseAlarms.datapointsToAlarm.',
      ),
    ],
  },
  {
    id: 'DS-4',
    compliant: { policies: { packs: ['aws-solutions', 'nist-800-53-r5', 'control-tower'] } },
    violating: { policies: { packs: ['aws-solutions'] } },
    expected: [
      p(
        'policies.packs',
        '["aws-solutions"]',
        '[DS-4] leaves out nist-800-53-r5, control-tower in a prod environment',
        'leave policies.packs out (all of them), or opt out of DS-4 with the reason (invariants.optOut).',
      ),
    ],
  },
  {
    id: 'NW-1',
    compliant: { network: { existingVpc: existingVpc() } },
    violating: { network: { existingVpc: existingVpc({ app: ['us-east-1a', 'us-east-1b'] }) } },
    expected: [
      p(
        'network.existingVpc.subnets.app',
        '["us-east-1a","us-east-1b"]',
        '[NW-1] has subnets in 2 of the 3 availabilityZones: none in us-east-1c',
        'add a app subnet of the VPC in us-east-1c, or remove that AZ from availabilityZones.',
      ),
    ],
  },
  {
    id: 'NW-2',
    compliant: { network: { existingVpc: existingVpc() } },
    violating: {
      network: {
        existingVpc: {
          ...existingVpc(),
          appEgress: {
            kind: 'vpc-endpoints',
            services: ['s3', 'secretsmanager', 'ssm', 'ssmmessages', 'ec2messages', 'logs', 'monitoring', 'cloudformation'],
          },
        },
      },
    },
    expected: [
      p(
        'network.existingVpc.appEgress.services',
        '["s3","secretsmanager","ssm","ssmmessages","ec2messages","logs","monitoring",...',
        '[NW-2] lacks the VPC endpoints autoscaling, which the instances call while they boot and serve',
        'ask the network team for autoscaling endpoints in the VPC (interface endpoints with private DNS; S3 as a gateway endpoint), or use NAT gateways.',
      ),
    ],
  },
  {
    id: 'CP-1',
    compliant: { cache: { maxmemoryPolicy: 'allkeys-lfu' } },
    violating: { cache: { maxmemoryPolicy: 'noeviction' } },
    expected: [
      p(
        'cache.maxmemoryPolicy',
        '"noeviction"',
        '[CP-1] "noeviction" turns a full cache into write errors',
        'use "allkeys-lru" (or "allkeys-lfu" for skewed key popularity; "volatile-*" if only keys with a TTL may be evicted).',
      ),
    ],
  },
  {
    id: 'CP-2',
    compliant: { alarms: { disabled: ['cache-connections'] } },
    violating: { alarms: { disabled: ['cache-evictions'] } },
    expected: [
      p(
        'alarms.disabled',
        '["cache-evictions"]',
        '[CP-2] the cache-evictions alarm is disabled',
        'remove "cache-evictions" from alarms.disabled; tune alarms.cacheEvictionsPerMinute instead.',
      ),
    ],
  },
  {
    id: 'CP-3',
    compliant: { alarms: { cacheMemoryPercent: 99 } },
    violating: { alarms: { cacheMemoryPercent: 100 } },
    expected: [
      p(
        'alarms.cacheMemoryPercent',
        '100',
        '[CP-3] the cache memory alarm (100%) is not below the point where "allkeys-lru" starts evicting (100% of maxmemory)',
        'set alarms.cacheMemoryPercent to 90 or less (80 is the default).',
      ),
    ],
  },
];

describe('every config-phase error rule has a compliant and a violating case', () => {
  it('covers each rule', () => {
    const covered = new Set(CASES.map((c) => c.id.split(' ')[0]));
    const errorRules = INVARIANT_RULES.filter((r) => r.phase === 'config' && r.severity === 'error').map((r) => r.id);
    expect([...covered].sort()).toEqual([...errorRules].sort());
  });

  describe.each(CASES)('$id', ({ compliant, violating, expected }) => {
    it('accepts the compliant config', () => {
      expect(problemsFor(compliant)).toEqual([]);
    });
    it('rejects the violating config with the exact message', () => {
      expect(problemsFor(violating)).toEqual(expected);
    });
  });

  it('passes every built-in environment', () => {
    for (const env of builtinEnvironments()) expect(checkInvariants(env).errors, env.name).toEqual([]);
  });
});

describe('advisory rules warn instead of failing', () => {
  it('TC-6: draining shorter than the request timeout', () => {
    const { errors, warnings } = checkInvariants(prodWith({ loadBalancer: { deregistrationDelaySeconds: 10 } }));
    expect(errors).toEqual([]);
    expect(warnings.map((w) => w.ruleId)).toEqual(['TC-6']);
    expect(warnings[0].problem.rule).toBe(
      '[TC-6] draining (10 s) is shorter than the app request timeout (30 s): scale-in can cut in-flight requests',
    );
  });

  it('AZ-4: fewer NAT gateways than AZs', () => {
    const { warnings } = checkInvariants(prodWith({ network: { natGateways: 1 } }));
    expect(warnings.map((w) => w.problem.rule)).toEqual([
      '[AZ-4] 1 NAT gateway(s) for 3 AZs: an AZ failure can take outbound traffic of the other AZs with it',
    ]);
  });

  it('CP-4: a memory alarm close to eviction', () => {
    const { warnings } = checkInvariants(prodWith({ alarms: { cacheMemoryPercent: 95 } }));
    expect(warnings.map((w) => w.ruleId)).toEqual(['CP-4']);
  });
});

describe('opting out', () => {
  it('silences a rule only with a written reason', () => {
    const optedOut = prodWith({
      app: { keepAliveTimeoutSeconds: 60 },
      invariants: { optOut: [{ rule: 'TC-1', reason: 'the app server never closes idle connections itself' }] },
    });
    expect(checkInvariants(optedOut).errors).toEqual([]);
    expect(problemsFor({ invariants: { optOut: [{ rule: 'TC-1', reason: 'because' }] } })[0]).toMatchObject({
      path: 'environments.prod.invariants.optOut[0].reason',
      rule: 'the length must be >= 20',
    });
  });

  it('rejects unknown rules and rules enforced by the schema', () => {
    expect(problemsFor({ invariants: { optOut: [{ rule: 'XX-9', reason: 'a rule that does not exist at all' }] } })).toEqual([
      expect.objectContaining({
        path: 'environments.prod.invariants.optOut[0].rule',
        value: '"XX-9"',
        rule: 'is not an invariant rule ID',
      }),
    ]);
    expect(problemsFor({ invariants: { optOut: [{ rule: 'HL-1', reason: 'more replicas than RDS allows, please' }] } })[0].rule).toBe(
      'is enforced by the config schema (an AWS limit), so it cannot be opted out of',
    );
  });
});

describe('hard limits', () => {
  it.each([
    ['HL-1', { database: { readReplicas: 16 } }, 'environments.prod.database.readReplicas'],
    ['HL-2', { cache: { replicasPerShard: 6 } }, 'environments.prod.cache.replicasPerShard'],
    ['HL-3', { database: { instanceClass: 'db.m4.large' } }, 'environments.prod.database.instanceClass'],
    ['SA-4', { fleet: { warmPool: { enabled: true }, spotPercentAboveBase: 20 } }, 'environments.prod.fleet.spotPercentAboveBase'],
  ])('%s is enforced by the schema', (_id, change, path) => {
    expect(problemsFor(change).map((pr) => pr.path)).toEqual([path]);
  });

  function pluginReport(resources: number, padBytes: number) {
    const dir = mkdtempSync(join(tmpdir(), 'limits-'));
    const file = join(dir, 'loadbearing-big.template.json');
    const Resources = Object.fromEntries(Array.from({ length: resources }, (_, i) => [`Topic${i}`, { Type: 'AWS::SNS::Topic' }]));
    writeFileSync(file, JSON.stringify({ Description: 'x'.repeat(padBytes), Resources }));
    const context = { templatePaths: [file], stackTemplates: [] } as unknown as IPolicyValidationContext;
    return new InvariantsPlugin().validate(context);
  }

  it('HL-4 and HL-5 pass a template under 80% of the limits', () => {
    expect(pluginReport(399, 700_000)).toEqual({ success: true, violations: [] });
  });

  it('HL-4 fails a template at 80% of 500 resources', () => {
    const report = pluginReport(400, 0);
    expect(report.success).toBe(false);
    expect(report.violations.map((v) => v.description)).toEqual([
      "[HL-4] loadbearing-big has 400 resources, 80% of CloudFormation's 500 (the platform allows < 400)",
    ]);
  });

  it('HL-5 fails a template at 80% of 1 MB', () => {
    const report = pluginReport(1, 800_000);
    expect(report.violations.map((v) => v.ruleName)).toEqual(['HL-5']);
    expect(report.violations[0].description).toMatch(/^\[HL-5\] loadbearing-big template is 8\d{5} bytes, 80% of CloudFormation's 1 MB/);
  });

  function userDataReport(literalBytes: number, refs: number) {
    const dir = mkdtempSync(join(tmpdir(), 'limits-'));
    const file = join(dir, 'loadbearing-fleet.template.json');
    const parts = ['#!/bin/bash\n', 'x'.repeat(literalBytes), ...Array.from({ length: refs }, (_, i) => ({ Ref: `Thing${i}` }))];
    writeFileSync(
      file,
      JSON.stringify({
        Resources: {
          Fleet: {
            Type: 'AWS::EC2::LaunchTemplate',
            Properties: { LaunchTemplateData: { UserData: { 'Fn::Base64': { 'Fn::Join': ['', parts] } } } },
          },
        },
      }),
    );
    return new InvariantsPlugin().validate({ templatePaths: [file] } as unknown as IPolicyValidationContext);
  }

  it('HL-6 passes user data within 16 KB, deploy-time values counted at their longest', () => {
    expect(userDataReport(10_000, 20).violations).toEqual([]);
  });

  it('HL-6 fails user data over 16 KB, naming the launch template and the hook that adds to it', () => {
    const report = userDataReport(12_000, 20); // 12,000 + 20 x 256 + the shebang
    expect(report.violations.map((v) => v.ruleName)).toEqual(['HL-6']);
    expect(report.violations[0].description).toMatch(
      /^\[HL-6\] the user data of Fleet is up to 17\d{3} bytes with its deploy-time values at their longest, over EC2's 16384/,
    );
  });

  it('respects a stack opt-out', () => {
    const dir = mkdtempSync(join(tmpdir(), 'limits-'));
    const file = join(dir, 'loadbearing-big.template.json');
    writeFileSync(
      file,
      JSON.stringify({ Resources: Object.fromEntries(Array.from({ length: 450 }, (_, i) => [`T${i}`, { Type: 'AWS::SNS::Topic' }])) }),
    );
    const plugin = new InvariantsPlugin(new Map([['loadbearing-big', new Set(['HL-4'])]]));
    expect(plugin.validate({ templatePaths: [file] } as unknown as IPolicyValidationContext).violations).toEqual([]);
  });
});

import { connectionBounds } from '@loadbearing/contract';
import type { EnvironmentConfig } from '../config/environment-schema';
import type { ConfigRule, InvariantFinding } from './invariant-rule';

/** A "shorter than" link of the chain, in milliseconds. */
function shorter(
  inner: { path: string; ms: number; value: unknown; label: string },
  outer: { path: string; ms: number; label: string },
  consequence: string,
  fix: string,
): InvariantFinding[] {
  if (inner.ms < outer.ms) return [];
  return [
    {
      path: inner.path,
      value: inner.value,
      message: `${inner.label} (${inner.ms} ms) must be shorter than ${outer.label} (${outer.path}: ${outer.ms} ms): ${consequence}`,
      fix,
    },
  ];
}

const requestTimeout = (c: EnvironmentConfig) => ({
  path: 'app.requestTimeoutSeconds',
  ms: c.app.requestTimeoutSeconds * 1000,
  label: 'the app request timeout',
});

export const TIMEOUT_CHAIN_RULES: readonly ConfigRule[] = [
  {
    id: 'TC-1',
    group: 'timeout-chain',
    phase: 'config',
    severity: 'error',
    title: 'App keep-alive > ALB idle timeout',
    rationale:
      'If the app closes an idle keep-alive connection first, the ALB can send a request on a connection the app is closing: the client gets a 502.',
    check(c) {
      const keepAlive = c.app.keepAliveTimeoutSeconds * 1000;
      const idle = c.loadBalancer.idleTimeoutSeconds * 1000;
      if (keepAlive > idle) return [];
      return [
        {
          path: 'app.keepAliveTimeoutSeconds',
          value: c.app.keepAliveTimeoutSeconds,
          message: `the app keep-alive timeout (${keepAlive} ms) must be longer than the ALB idle timeout (loadBalancer.idleTimeoutSeconds: ${idle} ms), or the app closes connections the ALB still uses (502s)`,
          fix: `set app.keepAliveTimeoutSeconds to ${c.loadBalancer.idleTimeoutSeconds + 5} or more, or lower loadBalancer.idleTimeoutSeconds.`,
        },
      ];
    },
  },
  {
    id: 'TC-2',
    group: 'timeout-chain',
    phase: 'config',
    severity: 'error',
    title: 'App request timeout < ALB idle timeout',
    rationale: 'A request the app is still working on when the ALB gives up becomes a 504 for the client and wasted work for the app.',
    check: (c) =>
      shorter(
        { ...requestTimeout(c), value: c.app.requestTimeoutSeconds },
        { path: 'loadBalancer.idleTimeoutSeconds', ms: c.loadBalancer.idleTimeoutSeconds * 1000, label: 'the ALB idle timeout' },
        'the ALB would cut off requests the app is still serving (504s)',
        `lower app.requestTimeoutSeconds below ${c.loadBalancer.idleTimeoutSeconds}, or raise loadBalancer.idleTimeoutSeconds.`,
      ),
  },
  {
    id: 'TC-3',
    group: 'timeout-chain',
    phase: 'config',
    severity: 'error',
    title: 'DB statement_timeout < app request timeout',
    rationale:
      'A query that outlives its request holds a connection and locks for nobody; the DB must give up first so the app can answer with an error in time.',
    check: (c) =>
      shorter(
        {
          path: 'database.statementTimeoutMs',
          ms: c.database.statementTimeoutMs === 0 ? Infinity : c.database.statementTimeoutMs,
          value: c.database.statementTimeoutMs,
          label: 'the DB statement_timeout',
        },
        requestTimeout(c),
        'queries would outlive the requests that started them (0 means no timeout at all)',
        `set database.statementTimeoutMs below ${c.app.requestTimeoutSeconds * 1000}, e.g. ${Math.floor(c.app.requestTimeoutSeconds * 1000 * 0.8)}.`,
      ),
  },
  {
    id: 'TC-4',
    group: 'timeout-chain',
    phase: 'config',
    severity: 'error',
    title: 'Proxy borrow timeout < app request timeout',
    rationale:
      'Waiting for a pooled connection longer than the request may take only stacks up doomed requests when the pool is saturated.',
    check: (c) =>
      c.database.proxy.enabled
        ? shorter(
            {
              path: 'database.proxy.borrowTimeoutSeconds',
              ms: c.database.proxy.borrowTimeoutSeconds * 1000,
              value: c.database.proxy.borrowTimeoutSeconds,
              label: 'the proxy borrow timeout',
            },
            requestTimeout(c),
            'requests would wait for a connection longer than they may run',
            `set database.proxy.borrowTimeoutSeconds below ${c.app.requestTimeoutSeconds}.`,
          )
        : [],
  },
  {
    id: 'TC-5',
    group: 'timeout-chain',
    phase: 'config',
    severity: 'error',
    title: 'Cache client timeout < app request timeout',
    rationale: 'The cache is an optimisation: a slow cache must time out quickly enough to fall back to the DB within the same request.',
    check: (c) =>
      shorter(
        { path: 'app.cacheTimeoutMs', ms: c.app.cacheTimeoutMs, value: c.app.cacheTimeoutMs, label: 'the cache client timeout' },
        requestTimeout(c),
        'a slow cache would consume the whole request instead of falling back to the DB',
        `set app.cacheTimeoutMs well below ${c.app.requestTimeoutSeconds * 1000}, e.g. 250.`,
      ),
  },
  {
    id: 'TC-7',
    group: 'timeout-chain',
    phase: 'config',
    severity: 'error',
    title: 'CloudFront origin timeout > app request timeout',
    rationale:
      'If CloudFront gives up on the origin before the app does, users get a 504 for a request the app still completes, and retries double the load.',
    check(c) {
      if (!c.edge.enabled || c.edge.originReadTimeoutSeconds > c.app.requestTimeoutSeconds) return [];
      return [
        {
          path: 'edge.originReadTimeoutSeconds',
          value: c.edge.originReadTimeoutSeconds,
          message: `CloudFront waits ${c.edge.originReadTimeoutSeconds * 1000} ms for the origin, not longer than the app request timeout (app.requestTimeoutSeconds: ${c.app.requestTimeoutSeconds * 1000} ms): slow requests become 504s at the edge`,
          fix: `set edge.originReadTimeoutSeconds to ${c.app.requestTimeoutSeconds + 5} or more (above 60 needs a CloudFront quota increase), or lower app.requestTimeoutSeconds.`,
        },
      ];
    },
  },
  {
    id: 'TC-8',
    group: 'timeout-chain',
    phase: 'config',
    severity: 'error',
    title: 'Load-shedding pool wait < app request timeout',
    rationale:
      'The app sheds load (503 + Retry-After) when a request has waited this long for a DB connection; a bound as long as the request itself would shed nothing before the request is already lost.',
    check: (c) =>
      shorter(
        { path: 'app.shedPoolWaitMs', ms: c.app.shedPoolWaitMs, value: c.app.shedPoolWaitMs, label: 'the load-shedding pool wait' },
        requestTimeout(c),
        'requests would queue for connections until their deadline instead of being shed early',
        `set app.shedPoolWaitMs well below ${c.app.requestTimeoutSeconds * 1000}, e.g. 500.`,
      ),
  },
  {
    id: 'TC-9',
    group: 'timeout-chain',
    phase: 'config',
    severity: 'error',
    title: 'App role timeouts <= parameter group ceilings',
    rationale:
      "The app role's statement and idle-in-transaction timeouts are role defaults set by the migrations (a session SET would pin RDS Proxy connections); the parameter group only holds a higher safety ceiling for every other role. A ceiling below the role default would be a second, hidden limit.",
    check(c) {
      const d = c.database;
      const pairs = [
        ['statementTimeoutMs', 'statementTimeoutCeilingMs', d.statementTimeoutMs, d.statementTimeoutCeilingMs],
        [
          'idleInTransactionSessionTimeoutMs',
          'idleInTransactionSessionTimeoutCeilingMs',
          d.idleInTransactionSessionTimeoutMs,
          d.idleInTransactionSessionTimeoutCeilingMs,
        ],
      ] as const;
      return pairs.flatMap(([role, ceiling, roleMs, ceilingMs]) =>
        ceilingMs === 0 || (roleMs !== 0 && roleMs <= ceilingMs)
          ? []
          : [
              {
                path: `database.${ceiling}`,
                value: ceilingMs,
                message: `the parameter group ceiling (${ceilingMs} ms) is below the app role's ${roleMs === 0 ? 'unlimited' : `${roleMs} ms`} (database.${role}): the ceiling would cut off app queries the role allows`,
                fix: `set database.${ceiling} to ${roleMs === 0 ? 0 : roleMs} or more (0 = no ceiling), or lower database.${role}.`,
              },
            ],
      );
    },
  },
  {
    id: 'TC-10',
    group: 'timeout-chain',
    phase: 'config',
    severity: 'error',
    title: 'App stalled-connection bound <= app keep-alive timeout',
    rationale:
      "A client that stalls (connects and sends nothing, sends its headers or body a byte at a time, or stops reading its answer) holds one of a worker's connections until the app closes it: after the request timeout, checked every second, or after the request timeout plus a second without any progress (twice that for a client that stopped reading while its answer was still being written: Node lets the socket timeout pass once then). In the chain that sits between the request timeout and the keep-alive timeout: a stalled connection must never be kept longer than an idle one.",
    check(c) {
      const bounds = connectionBounds(c.app.requestTimeoutSeconds * 1000, c.app.keepAliveTimeoutSeconds * 1000);
      const stalled = Math.max(bounds.requestMs + bounds.checkIntervalMs, bounds.stalledMs);
      if (stalled <= bounds.keepAliveMs) return [];
      return [
        {
          path: 'app.keepAliveTimeoutSeconds',
          value: c.app.keepAliveTimeoutSeconds,
          message: `the app closes a stalled connection after up to ${stalled} ms (the request timeout ${bounds.requestMs} ms + ${stalled - bounds.requestMs} ms: the checking interval, or the no-progress margin), longer than an idle one (app.keepAliveTimeoutSeconds: ${bounds.keepAliveMs} ms)`,
          fix: `set app.keepAliveTimeoutSeconds to ${Math.ceil(stalled / 1000)} or more, or lower app.requestTimeoutSeconds.`,
        },
      ];
    },
  },
  {
    id: 'TC-6',
    group: 'timeout-chain',
    phase: 'config',
    severity: 'warning',
    title: 'Deregistration delay >= app request timeout',
    rationale: 'Draining shorter than the longest request cuts in-flight requests on every scale-in and deploy.',
    check(c) {
      if (c.loadBalancer.deregistrationDelaySeconds >= c.app.requestTimeoutSeconds) return [];
      return [
        {
          path: 'loadBalancer.deregistrationDelaySeconds',
          value: c.loadBalancer.deregistrationDelaySeconds,
          message: `draining (${c.loadBalancer.deregistrationDelaySeconds} s) is shorter than the app request timeout (${c.app.requestTimeoutSeconds} s): scale-in can cut in-flight requests`,
          fix: `set loadBalancer.deregistrationDelaySeconds to ${c.app.requestTimeoutSeconds} or more.`,
        },
      ];
    },
  },
];

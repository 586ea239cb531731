/**
 * What the canary of an environment requests, and how much: CDK-free, so the construct, the
 * config rules (the WAF rate limits) and the docs compute the same numbers.
 */

/** Where a check goes in: straight to the ALB, or through CloudFront. */
export type CanaryTarget = 'alb' | 'edge';

/** One request of a canary run. */
export interface CanaryCheck {
  /** `<target>-<health|read>`, e.g. `alb-health`: in the log line of each run. */
  readonly name: string;
  readonly target: CanaryTarget;
  /** Path and query string. */
  readonly path: string;
  /** Status ranges that pass, `[lowest, highest]`: 2xx normally, the maintenance response where the switch covers the path. */
  readonly expect: readonly (readonly [number, number])[];
}

/** The parts of an environment's config the checks depend on. */
export interface CanaryInput {
  readonly healthPath: string;
  readonly readPath: string;
  readonly edge: boolean;
  /** `loadBalancer.maintenance`, when enabled: its fixed response answers the paths it covers. */
  readonly maintenance?: { readonly statusCode: number; readonly pathPatterns: readonly string[] };
  /** `edge.freshness` classes with degradedFallback: CloudFront answers a 5xx of the ALB to a GET with its degraded page (503). */
  readonly degradedPatterns?: readonly string[];
}

/**
 * Whether an ALB or CloudFront path pattern matches a request path: `*` any run of characters
 * (also none), `?` exactly one, case-sensitive, on the path without its query string
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/rule-condition-types.html#path-conditions).
 */
export function pathPatternMatches(pattern: string, path: string): boolean {
  const bare = path.split('?', 1)[0]!;
  const re = new RegExp(
    `^${pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\/-]/g, '\\$&')))
      .join('')}$`,
  );
  return re.test(bare);
}

/**
 * The checks of one run: the health check and the read path through the ALB, and through
 * CloudFront where the edge is on. A path the maintenance switch covers is expected to get the
 * maintenance response (and through CloudFront, its degraded page where that class has one):
 * switching maintenance on is deliberate and must not page through the canary.
 */
export function canaryChecks(input: CanaryInput): CanaryCheck[] {
  const targets: CanaryTarget[] = input.edge ? ['alb', 'edge'] : ['alb'];
  const paths = [
    { kind: 'health', path: input.healthPath },
    { kind: 'read', path: input.readPath },
  ] as const;
  return targets.flatMap((target) =>
    paths.map(({ kind, path }) => {
      const m = input.maintenance;
      if (m?.pathPatterns.some((p) => pathPatternMatches(p, path))) {
        const degraded =
          target === 'edge' && m.statusCode >= 500 && (input.degradedPatterns ?? []).some((p) => pathPatternMatches(p, path));
        const statuses = degraded ? [...new Set([m.statusCode, 503])] : [m.statusCode];
        return { name: `${target}-${kind}`, target, path, expect: statuses.map((c) => [c, c] as const) };
      }
      return { name: `${target}-${kind}`, target, path, expect: [kind === 'health' ? ([200, 200] as const) : ([200, 299] as const)] };
    }),
  );
}

/**
 * The most runs that can fall into one 5-minute window of a WAF rate-based rule
 * (https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based-request-limiting.html):
 * `floor(5 / rate) + 1`, as a scheduled run can come late in one minute and early in the next.
 */
export function canaryRunsPer5Minutes(rateMinutes: number): number {
  return Math.floor(5 / rateMinutes) + 1;
}

/** The canary's requests in a 5-minute window: straight to the ALB, and to CloudFront. */
export function canaryRequestsPer5Minutes(checks: readonly CanaryCheck[], rateMinutes: number): { alb: number; edge: number } {
  const runs = canaryRunsPer5Minutes(rateMinutes);
  return {
    alb: checks.filter((c) => c.target === 'alb').length * runs,
    edge: checks.filter((c) => c.target === 'edge').length * runs,
  };
}

/**
 * The canary's cost per environment and month, in US dollars, at the list prices of us-east-1
 * (before any free tier), for a month of 730 hours:
 * - Lambda: $0.20 per million requests and $0.0000166667 per GB-second, the x86 price
 *   (https://docs.aws.amazon.com/whitepapers/latest/how-aws-pricing-works/lambda.html); the
 *   function runs on arm64, quoted at $0.0000133334 (https://cloudchipr.com/blog/aws-lambda-pricing,
 *   a third-party copy of https://aws.amazon.com/lambda/pricing/), so the figure is an upper bound;
 * - the schedule: an EventBridge scheduled rule on the default bus, whose events are not custom
 *   events ("All events except custom events are included", https://aws.amazon.com/cloudwatch/pricing/);
 * - one standard-resolution metric alarm, $0.10 a month (https://aws.amazon.com/cloudwatch/pricing/);
 * - its logs: about 0.6 KB a run at $0.50 per GB ingested (same page).
 * CloudWatch Synthetics for comparison: $0.0012 a canary run (third-party quotes of the same page:
 * https://blog.mattsbit.co.uk/2023/11/11/aws-synthetics-canaries-when-to-bite-the-bullet/).
 */
export function canaryMonthlyCost(o: { rateMinutes: number; memoryMb: number; billedSecondsPerRun: number }): {
  runs: number;
  lambda: number;
  alarm: number;
  logs: number;
  total: number;
  synthetics: number;
} {
  const runs = Math.floor((730 * 60) / o.rateMinutes);
  const lambda = runs * (0.2 / 1_000_000) + runs * (o.memoryMb / 1024) * o.billedSecondsPerRun * 0.0000166667;
  const alarm = 0.1;
  const logs = ((runs * 0.6) / 1024 / 1024) * 0.5;
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    runs,
    lambda: round(lambda),
    alarm,
    logs: round(logs),
    total: round(lambda + alarm + logs),
    synthetics: round(runs * 0.0012),
  };
}

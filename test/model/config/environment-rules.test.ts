import { describe, expect, it } from 'vitest';
import { BUILTIN_ENVIRONMENTS } from '../../../lib/model/config/builtin-environments';
import { isConfigError } from '../../../lib/model/config/config-error';
import { ENVIRONMENT_RULES, type EnvironmentRule } from '../../../lib/model/config/environment-rules';
import { environmentRulesReference } from '../../../lib/model/config/environment-rules-reference';
import { environmentFieldsSchema, type EnvironmentFields, type Stage } from '../../../lib/model/config/environment-schema';
import { deepMerge, resolveEnvironments } from '../../../lib/model/config/load-config';
import { STAGE_PRESETS } from '../../../lib/model/config/stage-presets';

/**
 * Every environment rule (lib/model/config/environment-rules.ts, docs/configuration.md
 * "Environment rules"): a compliant config passes, a refused one fails with the field path, the
 * value, the rule and a fix, and the refusal is that rule's.
 */
type Envs = Record<string, unknown>;
const env = (name: 'dev' | 'staging' | 'prod', change: Record<string, unknown>): Envs => ({
  [name]: deepMerge(BUILTIN_ENVIRONMENTS[name], change),
});

const EU_CERT = 'arn:aws:acm:eu-west-1:333333333333:certificate/00000000-0000-4000-8000-000000000003';
const EDGE_ACL = 'arn:aws:wafv2:us-east-1:333333333333:global/webacl/edge/11111111-2222-3333-4444-555555555555';
const EU_WEST_1 = { region: 'eu-west-1', availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'] };
const US_EAST_1_AZS = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
const vpcTier = (n: number) =>
  Object.fromEntries(
    US_EAST_1_AZS.map((az, i) => [az, { subnetId: `subnet-0${n}${i}${'0'.repeat(14)}`, routeTableId: `rtb-0${n}${i}${'0'.repeat(14)}` }]),
  );
const EXISTING_VPC = {
  vpcId: 'vpc-0123456789abcdef0',
  subnets: { public: vpcTier(1), app: vpcTier(2), data: vpcTier(3) },
  appEgress: { kind: 'nat', natGatewayIds: Object.fromEntries(US_EAST_1_AZS.map((az, i) => [az, `nat-04${i}${'0'.repeat(14)}`])) },
};
const OPT_IN_REASON = 'the network team gave these subnets to this stack alone';

/** The ConfigError message of the environments, or undefined when they resolve. */
function problemsOf(envs: Envs): string | undefined {
  try {
    resolveEnvironments(envs, 'rules.json');
    return undefined;
  } catch (e) {
    if (isConfigError(e)) return e.message;
    throw e;
  }
}

/** What one rule alone reports on the (only) environment, parsed field by field as the schema does before its rules. */
function ruleReports(rule: EnvironmentRule, envs: Envs): string[] {
  const [raw] = Object.values(envs) as Record<string, unknown>[];
  const merged = deepMerge(STAGE_PRESETS[raw.stage as Stage], raw);
  const parsed = environmentFieldsSchema.safeParse(merged);
  // A rule also runs when a field already failed (ALWAYS in schema-helpers.ts): EC-27 guards a
  // value the field's own schema refuses too, so it sees the unparsed fields.
  if (!parsed.success && rule.id !== 'EC-27') throw new Error(`the fields alone fail: ${parsed.error.message}`);
  const reports: string[] = [];
  rule.check(parsed.success ? parsed.data : (merged as EnvironmentFields), (_path, _value, message) => reports.push(message));
  return reports;
}

/** Per rule: [label, compliant environments, refused environments, what the message must say]. */
const CASES: Record<string, [string, Envs, Envs, RegExp[]][]> = {
  'EC-1': [
    [
      'an AZ outside the region',
      env('prod', { availabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c'] }),
      env('prod', { availabilityZones: ['us-east-1a', 'eu-west-1b'] }),
      [/availabilityZones\[1\] = "eu-west-1b"/, /must be an availability zone of region us-east-1/],
    ],
  ],
  'EC-2': [
    [
      'an AZ listed twice',
      env('prod', { availabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c'] }),
      env('prod', { availabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1a'] }),
      [/prod\.availabilityZones = \["us-east-1a","us-east-1b","us-east-1a"\]/, /must not repeat an availability zone/, /list each AZ once/],
    ],
  ],
  'EC-3': [
    [
      'a VPC too small for its subnets',
      env('prod', { network: { cidr: '10.0.0.0/24' } }),
      env('prod', {
        network: { cidr: '10.0.0.0/24' },
        availabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c', 'us-east-1d', 'us-east-1e', 'us-east-1f'],
      }),
      [/network\.cidr = "10\.0\.0\.0\/24"/, /too small for 3 subnet tiers in 6 AZs/, /use a block of \/23 or larger/],
    ],
  ],
  'EC-4': [
    [
      'more NAT gateways than AZs',
      env('prod', { network: { natGateways: 3 } }),
      env('prod', { network: { natGateways: 4 } }),
      [/network\.natGateways = 4/, /<= the number of availability zones \(3\)/],
    ],
  ],
  'EC-5': [
    [
      'an ALB certificate from another region',
      env('prod', {
        ...EU_WEST_1,
        loadBalancer: { certificateArn: EU_CERT },
        edge: { webAclArn: EDGE_ACL },
      }),
      env('prod', { loadBalancer: { certificateArn: EU_CERT } }),
      [
        /loadBalancer\.certificateArn = "arn:aws:acm:eu-west-1/,
        /an ALB cannot use one from 333333333333, eu-west-1/,
        /in ACM in us-east-1/,
      ],
    ],
  ],
  'EC-6': [
    [
      'an edge in front of an HTTPS ALB without an origin name',
      env('staging', { edge: { enabled: true, originDomainName: 'origin.example.com' } }),
      env('staging', { edge: { enabled: true } }),
      [/staging\.edge\.originDomainName = \(missing\)/, /CloudFront reaches it over HTTPS and checks the name/],
    ],
  ],
  'EC-7': [
    [
      'an edge outside us-east-1 without a web ACL',
      env('prod', { ...EU_WEST_1, loadBalancer: { certificateArn: EU_CERT }, edge: { webAclArn: EDGE_ACL } }),
      env('prod', { ...EU_WEST_1, loadBalancer: { certificateArn: EU_CERT } }),
      [/edge\.webAclArn/, /a CLOUDFRONT web ACL lives in us-east-1, so a stack in eu-west-1 cannot create it/, /set edge\.webAclArn/],
    ],
  ],
  'EC-8': [
    [
      'a signal timeout and a grace period the slowest boot overruns',
      env('prod', { fleet: { rollingUpdate: { signalTimeoutSeconds: 805 }, healthCheckGracePeriodSeconds: 636 } }),
      env('prod', { fleet: { rollingUpdate: { signalTimeoutSeconds: 600 }, healthCheckGracePeriodSeconds: 300 } }),
      [
        /prod\.fleet\.rollingUpdate\.signalTimeoutSeconds = 600\n +rule: must be >= 805 s: the slowest boot takes 636 s to its verdict/,
        /prod\.fleet\.healthCheckGracePeriodSeconds = 300\n +rule: must be >= 636 s/,
      ],
    ],
  ],
  'EC-9': [
    [
      'destroyable prod data',
      env('prod', { dataProtection: { allowDestroy: false } }),
      env('prod', { dataProtection: { allowDestroy: true, reason: 'because I said so' } }),
      [/dataProtection\.allowDestroy = true/, /prod data can never be destroyable/],
    ],
  ],
  'EC-10': [
    [
      'a single-AZ writer in staging (dev may)',
      env('dev', { database: { multiAz: false } }),
      env('staging', { database: { multiAz: false } }),
      [/staging\.database\.multiAz = false/, /Multi-AZ writer/],
    ],
  ],
  'EC-11': [
    [
      'an edge without an ALB certificate (origin secret over plain HTTP)',
      env('staging', { edge: { enabled: true, originDomainName: 'origin.example.com' } }),
      env('dev', { edge: { enabled: true }, waf: { enabled: true } }),
      [/dev\.loadBalancer\.certificateArn = \(missing\)/, /plain HTTP/],
    ],
  ],
  'EC-12': [
    [
      'an edge without any web ACL',
      env('staging', { edge: { enabled: true, originDomainName: 'origin.example.com' } }),
      env('staging', { edge: { enabled: true, originDomainName: 'origin.example.com' }, waf: { enabled: false } }),
      [/staging\.edge\.webAclArn = \(missing\)/, /needs a web ACL/],
    ],
  ],
  'EC-13': [
    [
      'a hosted zone with the edge off',
      env('prod', {}),
      env('prod', { dns: { hostedZoneId: 'Z123', zoneName: 'example.com' }, edge: { enabled: false } }),
      [/prod\.dns\.hostedZoneId = "Z123"/, /the stack creates DNS records only for the edge/, /turn the edge on, or remove dns/],
    ],
  ],
  'EC-14': [
    [
      'an origin name outside the zone',
      env('prod', { dns: { hostedZoneId: 'Z123', zoneName: 'example.com' } }),
      env('prod', { dns: { hostedZoneId: 'Z123', zoneName: 'other.example.com' } }),
      [
        /prod\.edge\.originDomainName = "origin\.prod\.loadbearing\.example\.com"/,
        /is not in the hosted zone dns\.zoneName \(other\.example\.com\)/,
      ],
    ],
    [
      'an alias outside the zone, by its index',
      env('prod', { edge: { domainNames: ['prod.loadbearing.example.com', '*.loadbearing.example.com'] } }),
      env('prod', { edge: { domainNames: ['prod.loadbearing.example.com', 'www.elsewhere.org'] } }),
      [/prod\.edge\.domainNames\[1\] = "www\.elsewhere\.org"/, /is not in the hosted zone/, /create this record yourself and remove dns/],
    ],
  ],
  'EC-15': [
    [
      'an Origin Shield region CloudFront does not offer',
      env('prod', { edge: { originShield: { enabled: true, region: 'eu-west-1' } } }),
      env('prod', { edge: { originShield: { enabled: true, region: 'eu-west-3' } } }),
      [
        /edge\.originShield\.region = "eu-west-3"/,
        /not a region where CloudFront offers Origin Shield/,
        /"eu-west-2", the region AWS recommends/,
      ],
    ],
    [
      'the default (stack region) where Origin Shield is not offered',
      env('prod', { edge: { originShield: { enabled: true } } }),
      env('prod', {
        region: 'ca-central-1',
        availabilityZones: ['ca-central-1a', 'ca-central-1b', 'ca-central-1d'],
        loadBalancer: { certificateArn: 'arn:aws:acm:ca-central-1:333333333333:certificate/00000000-0000-4000-8000-000000000003' },
        edge: { originShield: { enabled: true }, webAclArn: EDGE_ACL },
      }),
      [/edge\.originShield\.region = \(missing\)/, /ca-central-1 \(the stack region, the default\)/, /"us-east-1"/],
    ],
  ],
  'EC-16': [
    [
      'a first backoff above the cap',
      env('prod', { app: { retryBaseDelayMs: 1000 } }),
      env('prod', { app: { retryBaseDelayMs: 1001 } }),
      [/app\.retryBaseDelayMs = 1001/, /<= app\.retryMaxDelayMs \(1000\)/],
    ],
  ],
  'EC-17': [
    [
      'retries whose backoff alone outlasts the request deadline',
      env('prod', { app: { retryMaxAttempts: 10, retryBaseDelayMs: 100, retryMaxDelayMs: 8000 } }),
      env('prod', { app: { retryMaxAttempts: 10, retryBaseDelayMs: 100, retryMaxDelayMs: 10000 } }),
      [
        /app\.retryMaxAttempts = 10/,
        /can wait up to 32700 ms in backoff alone, not less than the request deadline \(app\.requestTimeoutSeconds: 30000 ms\)/,
      ],
    ],
  ],
  'EC-18': [
    [
      'a p99 latency alarm at the request timeout',
      env('prod', { alarms: { latencyP99Seconds: 29 } }),
      env('prod', { alarms: { latencyP99Seconds: 30 } }),
      [/alarms\.latencyP99Seconds = 30/, /could never fire/, /set alarms\.latencyP99Seconds below 30, e\.g\. 10/],
    ],
  ],
  'EC-19': [
    [
      'a drill AZ the environment does not have',
      env('staging', { failureDrills: { zones: ['us-east-1c'] } }),
      env('staging', { failureDrills: { zones: ['us-east-1d'] } }),
      [/failureDrills\.zones\[0\] = "us-east-1d"/, /availability zones \(us-east-1a, us-east-1b, us-east-1c\)/],
    ],
  ],
  'EC-20': [
    [
      'an az-loss drill that would stop more instances of one AZ than FIS allows',
      env('staging', { fleet: { minCapacity: 15, maxCapacity: 24 }, failureDrills: { maxTargetsPerAction: 15 } }),
      env('staging', { fleet: { minCapacity: 15, maxCapacity: 24 }, failureDrills: { maxTargetsPerAction: 4 } }),
      [/failureDrills\.maxTargetsPerAction = 4/, /stops up to 5 instances of one AZ/],
    ],
  ],
  'EC-21': [
    [
      'a cpu-stress drill that could never be detected',
      env('prod', { failureDrills: { enabled: true, cpuLoadPercent: 100 } }),
      env('prod', { failureDrills: { enabled: true, cpuLoadPercent: 96 } }),
      [/failureDrills\.cpuLoadPercent = 96/, /an average of 80%/],
    ],
  ],
  'EC-22': [
    [
      'a prod cache without replicas (dev may)',
      env('dev', { cache: { replicasPerShard: 0 } }),
      env('prod', { cache: { replicasPerShard: 0 } }),
      [/prod\.cache\.replicasPerShard = 0/, /at least 1 cache replica/],
    ],
  ],
  'EC-23': [
    [
      "a shared-subnet opt-in in the stack's own VPC",
      env('staging', { network: { existingVpc: EXISTING_VPC }, failureDrills: { disruptSharedSubnets: { reason: OPT_IN_REASON } } }),
      env('staging', { failureDrills: { disruptSharedSubnets: { reason: OPT_IN_REASON } } }),
      [
        /staging\.failureDrills\.disruptSharedSubnets = /,
        /does nothing without network\.existingVpc/,
        /remove failureDrills\.disruptSharedSubnets/,
      ],
    ],
  ],
  'EC-24': [
    [
      "a per-IP limit the staging canary's 12 requests in 5 minutes would use more than half of",
      env('staging', { waf: { rateLimitPerIp: 24 } }),
      env('staging', { waf: { rateLimitPerIp: 23 } }),
      [
        /staging\.waf\.rateLimitPerIp = 23/,
        /the canary sends up to 12 requests in 5 minutes \(2 a run, a run every 1 min\) against the ALB web ACL's per-IP limit/,
        /raise the limit to at least 24, or raise delivery\.canary\.rateMinutes/,
      ],
    ],
    [
      'a backstop behind CloudFront that the canary (its own requests and those through CloudFront) would use more than half of',
      env('prod', { waf: { edgeBackstop: { requestsPer5Minutes: 48 } } }),
      env('prod', { waf: { edgeBackstop: { requestsPer5Minutes: 47 } } }),
      [/prod\.waf\.edgeBackstop\.requestsPer5Minutes = 47/, /up to 24 requests in 5 minutes \(4 a run/, /backstop/],
    ],
    [
      "the edge web ACL's per-IP limit, which sees the canary's requests through CloudFront",
      env('prod', { waf: { rateLimitPerIp: 24 } }),
      env('prod', { waf: { rateLimitPerIp: 23 } }),
      [/prod\.waf\.rateLimitPerIp = 23/, /the edge web ACL's per-IP limit/],
    ],
    [
      'a slower canary that fits the same limit',
      env('staging', { waf: { rateLimitPerIp: 10 }, delivery: { canary: { rateMinutes: 5 } } }),
      env('staging', { waf: { rateLimitPerIp: 10 }, delivery: { canary: { rateMinutes: 2 } } }),
      [/the canary sends up to 6 requests in 5 minutes \(2 a run, a run every 2 min\)/],
    ],
  ],
  'EC-25': [
    [
      'a staleness bound not longer than the lag sampling interval (0, the writer only, is fine)',
      env('dev', { app: { replicaLagSampleMs: 29_000 } }),
      env('dev', { app: { replicaLagSampleMs: 30_000 } }),
      [
        /dev\.edge\.freshness\[1\]\.maxStalenessSeconds = 30/,
        /"api" allows 30000 ms of staleness, not more than app\.replicaLagSampleMs \(30000 ms\)/,
        /lower app\.replicaLagSampleMs below 30000/,
      ],
    ],
  ],
  'EC-26': [
    [
      'a negative cache longer than a cached class allows',
      env('dev', { cache: { negativeTtlSeconds: 30 } }),
      env('dev', { cache: { negativeTtlSeconds: 31 } }),
      [
        /dev\.cache\.negativeTtlSeconds = 31/,
        /longer than edge\.freshness\[1\]\.maxStalenessSeconds \(30 s\) of content class "api"/,
        /lower cache\.negativeTtlSeconds to 30 or less/,
      ],
    ],
  ],
  'EC-27': [
    [
      'zonal shift with one AZ',
      env('dev', { zonal: { shift: true } }),
      env('dev', { availabilityZones: ['us-east-1a'], zonal: { shift: true } }),
      [/dev\.zonal\.shift = true/, /needs 2 or more availability zones, the environment has 1/],
    ],
  ],
  'EC-28': [
    [
      'autoshift on a load balancer not registered for zonal shift',
      env('prod', { zonal: { shift: false, autoshift: { enabled: false } } }),
      env('prod', { zonal: { shift: false } }),
      [/prod\.zonal\.autoshift\.enabled = true/, /autoshift needs zonal\.shift/],
    ],
  ],
  'EC-29': [
    [
      'autoshift without the AZ-loss headroom',
      env('prod', {}),
      env('prod', { invariants: { optOut: [{ rule: 'AZ-1', reason: 'this fleet is too small to lose an AZ, accepted by the team' }] } }),
      [/prod\.zonal\.autoshift\.enabled = true/, /invariant AZ-1 is opted out/],
    ],
  ],
  'EC-30': [
    [
      'per-AZ alarms over 6 AZs',
      env('prod', {
        availabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c', 'us-east-1d', 'us-east-1e', 'us-east-1f'],
        zonal: { alarms: false },
      }),
      env('prod', { availabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c', 'us-east-1d', 'us-east-1e', 'us-east-1f'] }),
      [/prod\.zonal\.alarms = true/, /would read 12 metrics each; a metric-math alarm reads at most 10, so at most 5 AZs/],
    ],
  ],
};

describe('the environment rules', () => {
  it('have cases for every rule, and only for rules', () => {
    expect(Object.keys(CASES)).toEqual(ENVIRONMENT_RULES.map((r) => r.id));
  });

  it('have unique, stable IDs in order: EC-1, EC-2, ...', () => {
    expect(ENVIRONMENT_RULES.map((r) => r.id)).toEqual(ENVIRONMENT_RULES.map((_r, i) => `EC-${i + 1}`));
  });

  it('are listed in docs/configuration.md with a title and a reason of at most 200 characters', () => {
    const table = environmentRulesReference();
    for (const rule of ENVIRONMENT_RULES) {
      expect(table).toContain(`| ${rule.id} |`);
      expect(rule.title.length, rule.id).toBeLessThanOrEqual(200);
      expect(rule.rationale.length, rule.id).toBeLessThanOrEqual(200);
    }
  });
});

describe.each(Object.entries(CASES))('%s', (id, cases) => {
  const rule = ENVIRONMENT_RULES.find((r) => r.id === id)!;

  it.each(cases)(
    '%s: accepts the compliant config, refuses the other with path, value, rule and fix',
    (_label, compliant, refused, patterns) => {
      expect(problemsOf(compliant)).toBeUndefined();
      expect(ruleReports(rule, compliant)).toEqual([]);
      const message = problemsOf(refused);
      expect(message, 'expected a refusal').toBeDefined();
      for (const pattern of patterns) expect(message).toMatch(pattern);
      expect(message).toMatch(/rule: .+\n +fix: +.+/);
      expect(message).not.toMatch(/\n\s+at /);
      // The refusal is this rule's: run alone, it reports each of its messages.
      const reports = ruleReports(rule, refused);
      expect(reports.length).toBeGreaterThan(0);
      for (const report of reports) expect(message).toContain(`rule: ${report}`);
    },
  );
});

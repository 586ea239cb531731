import { bootTimingProblems } from './boot-timing';
import { canaryChecks, canaryRequestsPer5Minutes, canaryRunsPer5Minutes } from './canary-checks';
import { ORIGIN_SHIELD_FOR, ORIGIN_SHIELD_REGIONS, unreachableP99Problem, worstCaseBackoffMs } from './aws-limits';
import { inZone } from './dns-settings';
import type { EnvironmentFields } from './environment-schema';
import { fleetTargetCount } from './failure-drill-settings';
import { fleetBootTimingInput } from './fleet-settings';
import { isNum } from './schema-helpers';
import { edgeBackstopLimit } from './waf-settings';

export const ENVIRONMENT_RULE_TOPICS = {
  network: 'Network',
  edge: 'Certificates and edge',
  boot: 'Fleet boot',
  stage: 'Stage protections',
  dns: 'DNS',
  app: 'App timeouts',
  drills: 'Failure drills',
  delivery: 'Delivery',
  zonal: 'Zonal shift',
} as const;
export type EnvironmentRuleTopic = keyof typeof ENVIRONMENT_RULE_TOPICS;

/**
 * Reports one violation: the path relative to the environment, the value, the rule (what the user
 * reads) and the fix. The schema passes its `violation()`.
 */
export type EnvironmentReport = (path: (string | number)[], value: unknown, rule: string, fix: string) => void;

/**
 * A cross-field check of one environment, run by the environment schema. Unlike the invariants
 * (lib/model/invariants), these cannot be opted out of: each one refuses a config that AWS would
 * reject at deploy time or that contradicts itself.
 */
export interface EnvironmentRule {
  /** Stable ID, e.g. `EC-1` (docs/configuration.md, "Environment rules"). */
  readonly id: string;
  readonly topic: EnvironmentRuleTopic;
  readonly title: string;
  /** Why the rule exists: the failure it prevents. */
  readonly rationale: string;
  /**
   * Reports every violation. Runs even when another field already failed the schema (see
   * `ALWAYS` in schema-helpers.ts), so it must check the type of every field it reads.
   */
  check(env: EnvironmentFields, report: EnvironmentReport): void;
}

/** AZs whose per-AZ outlier alarms fit in one metric-math alarm: 2 metrics per AZ, at most 10 (EC-30). */
export const MAX_ZONAL_ALARM_AZS = 5;

const azsOf = (env: EnvironmentFields): unknown[] => (Array.isArray(env.availabilityZones) ? env.availabilityZones : []);
const edgeOn = (env: EnvironmentFields): boolean => env.edge?.enabled === true;
const strictStage = (env: EnvironmentFields): boolean => env.stage === 'staging' || env.stage === 'prod';

/** Every cross-field rule of an environment, in the order the schema checks (and reports) them. */
export const ENVIRONMENT_RULES: readonly EnvironmentRule[] = [
  {
    id: 'EC-1',
    topic: 'network',
    title: 'Availability zones belong to the region',
    rationale: 'A subnet in a zone of another region fails at deploy time; the VPC lists its zones explicitly so synth needs no lookup.',
    check(env, report) {
      azsOf(env).forEach((az, i) => {
        if (typeof az === 'string' && typeof env.region === 'string' && !new RegExp(`^${env.region}[a-z]$`).test(az)) {
          report(
            ['availabilityZones', i],
            az,
            `must be an availability zone of region ${env.region}`,
            `use names like "${env.region}a", "${env.region}b".`,
          );
        }
      });
    },
  },
  {
    id: 'EC-2',
    topic: 'network',
    title: 'No availability zone twice',
    rationale: 'A repeated zone puts two subnets of a tier in one AZ and counts it twice in the AZ-loss arithmetic.',
    check(env, report) {
      const azs = azsOf(env);
      if (new Set(azs).size !== azs.length)
        report(['availabilityZones'], azs, 'must not repeat an availability zone', 'list each AZ once.');
    },
  },
  {
    // Subnets are /16 to /28: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSubnet.html
    id: 'EC-3',
    topic: 'network',
    title: 'The VPC block holds 3 subnet tiers per AZ',
    rationale: 'Each AZ gets a public, an app and a data subnet carved equally out of the VPC block; AWS refuses subnets smaller than /28.',
    check(env, report) {
      const azs = azsOf(env);
      const cidr = env.network?.cidr;
      const prefix = typeof cidr === 'string' ? Number(cidr.split('/')[1]) : NaN;
      if (azs.length === 0 || !Number.isInteger(prefix)) return;
      // Three subnet tiers per AZ, carved equally out of the VPC block; AWS's smallest subnet is /28.
      const subnetPrefix = prefix + Math.ceil(Math.log2(3 * azs.length));
      if (subnetPrefix > 28) {
        report(
          ['network', 'cidr'],
          cidr,
          `is too small for 3 subnet tiers in ${azs.length} AZs (subnets would be /${subnetPrefix}; AWS allows at most /28)`,
          `use a block of /${28 - Math.ceil(Math.log2(3 * azs.length))} or larger, or fewer AZs.`,
        );
      }
    },
  },
  {
    id: 'EC-4',
    topic: 'network',
    title: 'At most one NAT gateway per AZ',
    rationale: 'A NAT gateway lives in the public subnet of one AZ; there is no place for more than one per zone.',
    check(env, report) {
      const azs = azsOf(env);
      const nat = env.network?.natGateways;
      if (isNum(nat) && nat > azs.length) {
        report(
          ['network', 'natGateways'],
          nat,
          `must be <= the number of availability zones (${azs.length})`,
          `use at most ${azs.length}, one per AZ.`,
        );
      }
    },
  },
  {
    // ACM certificates are regional: https://docs.aws.amazon.com/acm/latest/userguide/acm-regions.html
    id: 'EC-5',
    topic: 'edge',
    title: "The ALB certificate is in the environment's account and region",
    rationale:
      'ACM certificates are regional: an ALB listener uses one from its own region (and account); any other ARN fails at deploy time.',
    check(env, report) {
      const albCert = env.loadBalancer?.certificateArn;
      const certWhere = typeof albCert === 'string' ? /^arn:[^:]+:acm:([^:]+):(\d{12}):/.exec(albCert) : null;
      if (
        certWhere &&
        typeof env.region === 'string' &&
        typeof env.account === 'string' &&
        /^\d{12}$/.test(env.account) &&
        (certWhere[1] !== env.region || certWhere[2] !== env.account)
      ) {
        report(
          ['loadBalancer', 'certificateArn'],
          albCert,
          `must be a certificate in this environment's account and region (${env.account}, ${env.region}); an ALB cannot use one from ${certWhere[2]}, ${certWhere[1]}`,
          `request or import the certificate in ACM in ${env.region} of account ${env.account} and use its ARN.`,
        );
      }
    },
  },
  {
    id: 'EC-6',
    topic: 'edge',
    title: 'An edge in front of an HTTPS ALB names its origin',
    rationale: "CloudFront reaches an HTTPS origin by a DNS name that the certificate covers; the ALB's own name is not covered.",
    check(env, report) {
      const edge = env.edge;
      if (edgeOn(env) && typeof env.loadBalancer?.certificateArn === 'string' && !edge?.originDomainName) {
        report(
          ['edge', 'originDomainName'],
          undefined,
          'required when the ALB has a certificate: CloudFront reaches it over HTTPS and checks the name',
          'set it to the DNS name (covered by loadBalancer.certificateArn) that points at the ALB, e.g. "origin.example.com".',
        );
      }
    },
  },
  {
    // https://docs.aws.amazon.com/waf/latest/developerguide/how-aws-waf-works-resources.html
    id: 'EC-7',
    topic: 'edge',
    title: 'An edge outside us-east-1 brings its web ACL',
    rationale: "A web ACL of scope CLOUDFRONT can only be created in us-east-1, so a stack in another region cannot create the edge's own.",
    check(env, report) {
      if (edgeOn(env) && !env.edge?.webAclArn && typeof env.region === 'string' && env.region !== 'us-east-1') {
        report(
          ['edge', 'webAclArn'],
          undefined,
          `a CLOUDFRONT web ACL lives in us-east-1, so a stack in ${env.region} cannot create it`,
          'create one in us-east-1 (e.g. with the WebAcl construct, scope CLOUDFRONT) and set edge.webAclArn; the ALB keeps its regional web ACL either way.',
        );
      }
    },
  },
  {
    id: 'EC-8',
    topic: 'boot',
    title: 'Signal timeout and grace period outlast the slowest boot',
    rationale:
      'A signal timeout shorter than the slowest boot gives up on an instance about to report; a shorter grace period lets ELB checks replace a booting one (docs/deploying.md).',
    check(env, report) {
      const fleet = env.fleet;
      const boot = fleet?.boot;
      if (!boot || !isNum(boot.healthWaitSeconds) || !isNum(boot.healthProbeTimeoutSeconds) || !isNum(boot.healthProbeIntervalSeconds))
        return;
      const artifact = env.app?.artifact;
      const hook = artifact?.installCommand && isNum(artifact.installTimeoutSeconds) ? artifact.installTimeoutSeconds : 0;
      const paths = {
        signalTimeout: 'fleet.rollingUpdate.signalTimeoutSeconds',
        gracePeriod: 'fleet.healthCheckGracePeriodSeconds',
        healthWait: 'fleet.boot.healthWaitSeconds',
        installHook: hook > 0 ? 'app.artifact.installTimeoutSeconds' : undefined,
      };
      for (const p of bootTimingProblems(fleetBootTimingInput(fleet, hook), paths)) report(p.path.split('.'), p.value, p.rule, p.fix);
    },
  },
  {
    id: 'EC-9',
    topic: 'stage',
    title: 'Prod data is never destroyable',
    rationale:
      'dataProtection.allowDestroy drops deletion protection and final snapshots: acceptable for a throwaway dev stack, never for prod.',
    check(env, report) {
      if (env.stage === 'prod' && env.dataProtection?.allowDestroy) {
        report(['dataProtection', 'allowDestroy'], true, 'prod data can never be destroyable', 'set dataProtection.allowDestroy to false.');
      }
    },
  },
  {
    id: 'EC-10',
    topic: 'stage',
    title: 'Staging and prod run a Multi-AZ writer',
    rationale: "Without a standby in another AZ, losing the writer's AZ stops every write until RDS restores it; only dev may accept that.",
    check(env, report) {
      if (strictStage(env) && env.database?.multiAz === false) {
        report(
          ['database', 'multiAz'],
          false,
          `${env.stage} needs a Multi-AZ writer (a standby in another AZ with automatic failover)`,
          'set database.multiAz to true (only dev may run a single-AZ writer).',
        );
      }
    },
  },
  {
    id: 'EC-11',
    topic: 'edge',
    title: 'An edge needs an ALB certificate',
    rationale: 'Without one CloudFront reaches the ALB over plain HTTP, and the origin secret header crosses the internet in clear text.',
    check(env, report) {
      if (edgeOn(env) && typeof env.loadBalancer?.certificateArn !== 'string') {
        report(
          ['loadBalancer', 'certificateArn'],
          undefined,
          'required when edge.enabled: without it CloudFront reaches the ALB over plain HTTP, and the origin secret header crosses the internet in clear text',
          'set loadBalancer.certificateArn (and edge.originDomainName), or turn the edge off.',
        );
      }
    },
  },
  {
    id: 'EC-12',
    topic: 'edge',
    title: 'An edge has a web ACL',
    rationale:
      'The per-client rate limit lives in the web ACL: with waf.enabled false and no edge.webAclArn, the distribution would have none.',
    check(env, report) {
      if (edgeOn(env) && env.waf?.enabled === false && !env.edge?.webAclArn) {
        report(
          ['edge', 'webAclArn'],
          undefined,
          'the distribution needs a web ACL (the per-client rate limit lives there): waf.enabled is false and edge.webAclArn is not set',
          'keep waf.enabled, or set edge.webAclArn to a CLOUDFRONT web ACL from us-east-1.',
        );
      }
    },
  },
  {
    id: 'EC-13',
    topic: 'dns',
    title: 'A hosted zone only with the edge on',
    rationale: "The stack creates DNS records only for the edge's names; a zone without the edge would silently create nothing.",
    check(env, report) {
      const dns = env.dns;
      if (typeof dns?.hostedZoneId === 'string' && typeof dns.zoneName === 'string' && !edgeOn(env)) {
        report(
          ['dns', 'hostedZoneId'],
          dns.hostedZoneId,
          'the stack creates DNS records only for the edge (edge.originDomainName and edge.domainNames), and edge.enabled is false',
          'turn the edge on, or remove dns.',
        );
      }
    },
  },
  {
    id: 'EC-14',
    topic: 'dns',
    title: "The edge's names are in the hosted zone",
    rationale:
      'A hosted zone holds only names under it (Route 53 refuses others), so the stack could not create the origin or alias record.',
    check(env, report) {
      const dns = env.dns;
      const edge = env.edge;
      if (typeof dns?.hostedZoneId !== 'string' || typeof dns.zoneName !== 'string' || !edgeOn(env) || !edge) return;
      const zone = dns.zoneName;
      if (typeof edge.originDomainName === 'string' && !inZone(edge.originDomainName, zone)) {
        report(
          ['edge', 'originDomainName'],
          edge.originDomainName,
          `is not in the hosted zone dns.zoneName (${zone}), so the stack cannot create its record there`,
          `use a name under ${zone}, or a zone that holds it.`,
        );
      }
      (Array.isArray(edge.domainNames) ? edge.domainNames : []).forEach((name, i) => {
        if (typeof name === 'string' && !inZone(name.replace(/^\*\./, ''), zone)) {
          report(
            ['edge', 'domainNames', i],
            name,
            `is not in the hosted zone dns.zoneName (${zone}), so the stack cannot create its record there`,
            `use names under ${zone}, or create this record yourself and remove dns.`,
          );
        }
      });
    },
  },
  {
    id: 'EC-15',
    topic: 'edge',
    title: 'Origin Shield in a region that offers it',
    rationale: 'CloudFront offers Origin Shield in some regions only; the default, the stack region, must be one of them too.',
    check(env, report) {
      const shield = env.edge?.originShield;
      if (!edgeOn(env) || shield?.enabled !== true || typeof env.region !== 'string') return;
      const region = shield.region ?? env.region;
      if (ORIGIN_SHIELD_REGIONS.includes(region)) return;
      const suggestion = ORIGIN_SHIELD_FOR[region];
      report(
        ['edge', 'originShield', 'region'],
        shield.region,
        `${region}${shield.region ? '' : ' (the stack region, the default)'} is not a region where CloudFront offers Origin Shield`,
        suggestion
          ? `set edge.originShield.region to "${suggestion}", the region AWS recommends for origins in ${region}.`
          : `set edge.originShield.region to one of ${ORIGIN_SHIELD_REGIONS.join(', ')}: the one closest to ${region}.`,
      );
    },
  },
  {
    id: 'EC-16',
    topic: 'app',
    title: 'The first retry backoff is not above the cap',
    rationale: 'A base delay above the maximum delay would be replaced by the cap without a word: the config would not mean what it says.',
    check(env, report) {
      const app = env.app;
      if (app && isNum(app.retryBaseDelayMs) && isNum(app.retryMaxDelayMs) && app.retryBaseDelayMs > app.retryMaxDelayMs) {
        report(
          ['app', 'retryBaseDelayMs'],
          app.retryBaseDelayMs,
          `must be <= app.retryMaxDelayMs (${app.retryMaxDelayMs}): the cap would silently replace the first backoff`,
          'lower app.retryBaseDelayMs, or raise app.retryMaxDelayMs.',
        );
      }
    },
  },
  {
    id: 'EC-17',
    topic: 'app',
    title: 'Retry backoff fits in the request deadline',
    rationale: 'When the backoff alone can reach the request timeout, the last retries can never finish in time: they only add load.',
    check(env, report) {
      const app = env.app;
      if (
        !app ||
        !isNum(app.retryMaxAttempts) ||
        !isNum(app.retryBaseDelayMs) ||
        !isNum(app.retryMaxDelayMs) ||
        !isNum(app.requestTimeoutSeconds) ||
        app.retryBaseDelayMs > app.retryMaxDelayMs // EC-16 reports that one
      )
        return;
      const backoff = worstCaseBackoffMs({
        retryMaxAttempts: app.retryMaxAttempts,
        retryBaseDelayMs: app.retryBaseDelayMs,
        retryMaxDelayMs: app.retryMaxDelayMs,
      });
      if (backoff >= app.requestTimeoutSeconds * 1000) {
        report(
          ['app', 'retryMaxAttempts'],
          app.retryMaxAttempts,
          `${app.retryMaxAttempts} attempts can wait up to ${backoff} ms in backoff alone, not less than the request deadline (app.requestTimeoutSeconds: ${app.requestTimeoutSeconds * 1000} ms): the last retries can never finish in time`,
          'lower app.retryMaxAttempts or app.retryMaxDelayMs, or raise app.requestTimeoutSeconds.',
        );
      }
    },
  },
  {
    id: 'EC-18',
    topic: 'app',
    title: 'The p99 latency alarm is below the request timeout',
    rationale: 'The app answers every request within its timeout, so a p99 alarm at or above it could never fire.',
    check(env, report) {
      const timeout = env.app?.requestTimeoutSeconds;
      const p99 = env.alarms?.latencyP99Seconds;
      const unreachable = isNum(p99) && isNum(timeout) ? unreachableP99Problem(p99, timeout) : undefined;
      if (unreachable && isNum(timeout)) {
        report(
          ['alarms', 'latencyP99Seconds'],
          p99,
          unreachable,
          `set alarms.latencyP99Seconds below ${timeout}, e.g. ${Math.max(1, Math.floor(timeout / 3))}.`,
        );
      }
    },
  },
  {
    id: 'EC-19',
    topic: 'drills',
    title: "Drill zones are the environment's zones",
    rationale: 'An az-loss drill aimed at a zone the environment does not use would stop nothing and prove nothing.',
    check(env, report) {
      const azs = azsOf(env);
      const zones = env.failureDrills?.zones;
      (Array.isArray(zones) ? zones : []).forEach((zone, i) => {
        if (typeof zone === 'string' && azs.length > 0 && !azs.includes(zone)) {
          report(
            ['failureDrills', 'zones', i],
            zone,
            `must be one of the environment's availability zones (${azs.join(', ')})`,
            'list AZs from availabilityZones, or remove failureDrills.zones to get a template per AZ.',
          );
        }
      });
    },
  },
  {
    id: 'EC-20',
    topic: 'drills',
    title: 'The az-loss drill fits in the FIS target quota',
    rationale:
      'The az-loss drill stops every instance of one AZ in one action; FIS refuses an action with more targets than the account quota.',
    check(env, report) {
      const { fleet, failureDrills: drills } = env;
      const azs = azsOf(env);
      if (drills?.enabled !== true || !isNum(fleet?.minCapacity) || !isNum(fleet.maxCapacity)) return;
      if (!isNum(drills.maxTargetsPerAction) || azs.length === 0) return;
      // az-loss stops every instance of one AZ in one action; FIS refuses more than the quota.
      const perAz = Math.ceil(fleet.minCapacity / azs.length);
      if (perAz > drills.maxTargetsPerAction) {
        report(
          ['failureDrills', 'maxTargetsPerAction'],
          drills.maxTargetsPerAction,
          `the az-loss drill stops up to ${perAz} instances of one AZ at fleet.minCapacity ${fleet.minCapacity}, more than FIS lets one action target (the account quota, failureDrills.maxTargetsPerAction)`,
          `raise the FIS quotas "Target Instances for aws:ec2:stop-instances" and "Resources per experiment target" to ${perAz} or more and set failureDrills.maxTargetsPerAction to match.`,
        );
      }
    },
  },
  {
    id: 'EC-21',
    topic: 'drills',
    title: 'The cpu-stress drill crosses the fleet CPU alarm',
    rationale:
      'The drill stresses only as many instances as one FIS action may target; if their share of the fleet cannot lift the average past the alarm, it proves nothing.',
    check(env, report) {
      const { fleet, failureDrills: drills } = env;
      if (drills?.enabled !== true || !isNum(fleet?.minCapacity) || !isNum(fleet.maxCapacity)) return;
      if (!isNum(drills.maxTargetsPerAction) || azsOf(env).length === 0) return;
      const load = drills.cpuLoadPercent;
      const threshold = env.alarms?.fleetCpuPercent;
      if (!isNum(load) || !isNum(threshold)) return;
      const { count } = fleetTargetCount({ minCapacity: fleet.minCapacity, maxCapacity: fleet.maxCapacity }, drills.maxTargetsPerAction);
      const average = (load * count) / fleet.minCapacity;
      if (average <= threshold) {
        report(
          ['failureDrills', 'cpuLoadPercent'],
          load,
          `the cpu-stress drill loads ${count} of ${fleet.minCapacity} instances to ${load}%, an average of ${Math.round(average)}%, which never crosses alarms.fleetCpuPercent (${threshold}%): the drill could never be detected`,
          `raise failureDrills.cpuLoadPercent (up to 100), or failureDrills.maxTargetsPerAction after raising the FIS quota "Target Instances for aws:ssm:send-command".`,
        );
      }
    },
  },
  {
    id: 'EC-22',
    topic: 'stage',
    title: 'Staging and prod run a cache replica',
    rationale: 'ElastiCache fails over automatically only to a replica in another AZ; without one, losing the primary loses the cache.',
    check(env, report) {
      const replicas = env.cache?.replicasPerShard;
      if (strictStage(env) && isNum(replicas) && replicas < 1) {
        report(
          ['cache', 'replicasPerShard'],
          replicas,
          `${env.stage} needs at least 1 cache replica for Multi-AZ automatic failover`,
          'set cache.replicasPerShard to 1 or more.',
        );
      }
    },
  },
  {
    id: 'EC-23',
    topic: 'drills',
    title: 'Shared-subnet cuts only in an existing VPC',
    rationale:
      "The opt-in keeps the az-loss subnet cut in a VPC the network team owns; the stack's own VPC is always cut, so there the field would claim a choice the stack does not make.",
    check(env, report) {
      const optIn = env.failureDrills?.disruptSharedSubnets;
      if (optIn !== undefined && env.network?.existingVpc === undefined) {
        report(
          ['failureDrills', 'disruptSharedSubnets'],
          optIn,
          "does nothing without network.existingVpc: the az-loss drill always cuts the app subnets of the stack's own VPC",
          'remove failureDrills.disruptSharedSubnets, or set network.existingVpc.',
        );
      }
    },
  },
  {
    // https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based-request-limiting.html
    id: 'EC-24',
    topic: 'delivery',
    title: 'The canary stays well under the WAF rate limits',
    rationale:
      "A canary the web ACL rate-limits gets 429s (or the backstop's 503s): its alarm fires and rolls back deploys that broke nothing. It may use at most half of a limit.",
    check(env, report) {
      const canary = env.delivery?.canary;
      if (canary?.enabled !== true || env.waf?.enabled !== true || !isNum(canary.rateMinutes)) return;
      if (typeof canary.readPath !== 'string' || typeof env.loadBalancer?.healthCheck?.path !== 'string') return;
      const edge = edgeOn(env);
      const checks = canaryChecks({ healthPath: env.loadBalancer.healthCheck.path, readPath: canary.readPath, edge });
      const per5 = canaryRequestsPer5Minutes(checks, canary.rateMinutes);
      const limits: { path: (string | number)[]; limit: unknown; requests: number; what: string }[] = [];
      if (!edge) {
        limits.push({
          path: ['waf', 'rateLimitPerIp'],
          limit: env.waf.rateLimitPerIp,
          requests: per5.alb,
          what: "the ALB web ACL's per-IP limit",
        });
      } else {
        // Behind CloudFront every request with the origin secret counts against the backstop: the canary's own and those it sends through CloudFront.
        if (isNum(env.fleet?.maxCapacity) && isNum(env.fleet.requestsPerTarget) && env.waf.edgeBackstop)
          limits.push({
            path: ['waf', 'edgeBackstop', 'requestsPer5Minutes'],
            limit: edgeBackstopLimit(env.waf, { maxCapacity: env.fleet.maxCapacity, requestsPerTarget: env.fleet.requestsPerTarget }),
            requests: per5.alb + per5.edge,
            what: "the ALB web ACL's backstop (every request with the origin secret)",
          });
        if (!env.edge?.webAclArn)
          limits.push({
            path: ['waf', 'rateLimitPerIp'],
            limit: env.waf.rateLimitPerIp,
            requests: per5.edge,
            what: "the edge web ACL's per-IP limit",
          });
      }
      for (const l of limits) {
        if (!isNum(l.limit) || l.requests * 2 <= l.limit) continue;
        report(
          l.path,
          l.limit,
          `the canary sends up to ${l.requests} requests in 5 minutes (${l.requests / canaryRunsPer5Minutes(canary.rateMinutes)} a run, a run every ${canary.rateMinutes} min) against ${l.what}; it may use at most half of it`,
          `raise the limit to at least ${l.requests * 2}, or raise delivery.canary.rateMinutes.`,
        );
      }
    },
  },
  {
    id: 'EC-25',
    topic: 'app',
    title: 'Every staleness bound is longer than the lag sampling interval',
    rationale:
      "The app knows a replica's lag as of its last sample plus the time since: a class allowing less than one interval could never read a replica.",
    check(env, report) {
      const sample = env.app?.replicaLagSampleMs;
      const classes = Array.isArray(env.edge?.freshness) ? env.edge.freshness : [];
      if (!isNum(sample)) return;
      classes.forEach((c, i) => {
        if (c && isNum(c.maxStalenessSeconds) && c.maxStalenessSeconds > 0 && c.maxStalenessSeconds * 1000 <= sample) {
          report(
            ['edge', 'freshness', i, 'maxStalenessSeconds'],
            c.maxStalenessSeconds,
            `content class "${c.name}" allows ${c.maxStalenessSeconds * 1000} ms of staleness, not more than app.replicaLagSampleMs (${sample} ms): the app measures replica lag only that often`,
            `lower app.replicaLagSampleMs below ${c.maxStalenessSeconds * 1000}, raise edge.freshness[${i}].maxStalenessSeconds, or set it to 0 (the writer answers every read of the class).`,
          );
        }
      });
    },
  },
  {
    id: 'EC-26',
    topic: 'app',
    title: "The negative cache stays within every cached class's staleness",
    rationale:
      'A not-found answer cached longer than a class allows would hide an item created outside this app (another service, a restore) for longer than the freshness model promises.',
    check(env, report) {
      const negative = env.cache?.negativeTtlSeconds;
      const classes = Array.isArray(env.edge?.freshness) ? env.edge.freshness : [];
      if (!isNum(negative)) return;
      classes.forEach((c, i) => {
        if (
          c &&
          isNum(c.appCacheTtlSeconds) &&
          c.appCacheTtlSeconds > 0 &&
          isNum(c.maxStalenessSeconds) &&
          negative > c.maxStalenessSeconds
        ) {
          report(
            ['cache', 'negativeTtlSeconds'],
            negative,
            `is longer than edge.freshness[${i}].maxStalenessSeconds (${c.maxStalenessSeconds} s) of content class "${c.name}", which the app caches`,
            `lower cache.negativeTtlSeconds to ${c.maxStalenessSeconds} or less, or raise edge.freshness[${i}].maxStalenessSeconds.`,
          );
        }
      });
    },
  },
  {
    id: 'EC-27',
    topic: 'zonal',
    title: 'Zonal shift needs two or more AZs',
    rationale:
      // "Zonal shift won't work for single-AZ target groups":
      // https://docs.amazonaws.cn/en_us/r53recovery/latest/dg/arc-zonal-shift.resource-types.app-load-balancers.md
      'A zonal shift moves traffic to the other AZs: with one AZ there is nowhere to go, and ARC does not shift a single-AZ target group.',
    check(env, report) {
      const azs = azsOf(env);
      if (env.zonal?.shift === true && azs.length < 2) {
        report(
          ['zonal', 'shift'],
          true,
          `needs 2 or more availability zones, the environment has ${azs.length}: a zonal shift moves traffic to the other AZs, and ARC does not shift a single-AZ target group`,
          'list 2 or more availabilityZones (3 keeps two AZs after a shift), or set zonal.shift to false.',
        );
      }
    },
  },
  {
    id: 'EC-28',
    topic: 'zonal',
    title: 'Autoshift needs zonal shift',
    rationale:
      'ARC autoshifts only resources registered for zonal shift: without the load balancer attribute the autoshift configuration fails at deploy.',
    check(env, report) {
      if (env.zonal?.autoshift?.enabled === true && env.zonal.shift === false) {
        report(
          ['zonal', 'autoshift', 'enabled'],
          true,
          'autoshift needs zonal.shift: ARC autoshifts only a load balancer registered for zonal shift (zonal_shift.config.enabled), and the deploy would fail',
          'set zonal.shift to true, or zonal.autoshift.enabled to false.',
        );
      }
    },
  },
  {
    id: 'EC-29',
    topic: 'zonal',
    title: 'Autoshift only with the AZ-loss headroom',
    rationale:
      "Practice runs shift real traffic away from an AZ about weekly; only the AZ-loss invariant (AZ-1: the other AZs' minimum carries the baseline) makes that safe.",
    check(env, report) {
      const optOuts = Array.isArray(env.invariants?.optOut) ? env.invariants.optOut : [];
      if (env.zonal?.autoshift?.enabled === true && optOuts.some((o) => o?.rule === 'AZ-1')) {
        report(
          ['zonal', 'autoshift', 'enabled'],
          true,
          'autoshift runs weekly practice shifts on real traffic, which is safe only while the fleet keeps the AZ-loss headroom, and invariant AZ-1 is opted out',
          'size the fleet for AZ-1 and remove its opt-out, or set zonal.autoshift.enabled to false.',
        );
      }
    },
  },
  {
    id: 'EC-30',
    topic: 'zonal',
    title: 'The per-AZ outlier alarms fit in 10 metrics',
    // The limit: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-limits.md
    rationale: 'An outlier alarm compares an AZ with every other one: 2 metrics per AZ, and a metric-math alarm reads at most 10.',
    check(env, report) {
      const azs = azsOf(env);
      if (env.zonal?.alarms === true && azs.length > MAX_ZONAL_ALARM_AZS) {
        report(
          ['zonal', 'alarms'],
          true,
          `the per-AZ outlier alarms of ${azs.length} AZs would read ${2 * azs.length} metrics each; a metric-math alarm reads at most 10, so at most ${MAX_ZONAL_ALARM_AZS} AZs`,
          `list at most ${MAX_ZONAL_ALARM_AZS} availabilityZones, or set zonal.alarms to false (the regional alarms remain).`,
        );
      }
    },
  },
];

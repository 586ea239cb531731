import { Annotations, CfnOutput, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct, type IDependable } from 'constructs';
import { AlarmFactory } from '../../constructs/alarm-factory';
import { SeverityTopicActions, type IAlarmActionStrategy } from '../../constructs/alarm-actions';
import { StackPrefixAlarmNaming, type IAlarmNamingStrategy } from '../../constructs/alarm-naming';
import { AlarmTopics } from '../../constructs/alarm-topics';
import { acknowledge } from '../../constructs/acknowledge';
import { AppFleet, type AppFleetProps, type DeliveryMode } from '../../constructs/app-fleet';
import { Cache, type CacheProps } from '../../constructs/cache';
import { Canary } from '../../constructs/canary';
import { canaryChecks } from '../model/config/canary-checks';
import { CANARY_ALARM_KEY } from '../model/config/delivery-settings';
import { AppAlarms } from '../../constructs/app-alarms';
import { Database, DB_APP_USER, DB_MASTER_USER, PROXY_PORT, type DatabaseProps } from '../../constructs/database';
import { LoadBalancer, type LoadBalancerProps } from '../../constructs/load-balancer';
import { LogEncryptionKey } from '../../constructs/log-encryption-key';
import { Network } from '../../constructs/network';
import { SecurityGroups } from '../../constructs/security-groups';
import { ServiceDashboard, type DashboardSection } from '../../constructs/service-dashboard';
import { ServiceHealth } from '../../constructs/service-health';
import { WebAcl } from '../../constructs/web-acl';
import { ZonalAutoshift } from '../../constructs/zonal-autoshift';
import { ZonalAlarms } from '../../constructs/zonal-alarms';
import { Edge } from '../../constructs/edge';
import { EdgeDns } from '../../constructs/edge-dns';
import { FailureDrills } from '../../constructs/failure-drills';
import { replicaLagAlarmSeconds } from '../model/config/alarm-settings';
import { drillTemplates } from '../model/failure-modes/drills';
import { FAILURE_MODES } from '../model/failure-modes/modes';
import { stopRules } from '../model/failure-modes/stop-rules';
import { parameterPath } from '../../constructs/connection-parameters';
import { grantReadFreshnessModel, publishFreshnessParameters } from '../../constructs/freshness-parameters';
import { physicalNamePrefix } from '../../constructs/physical-name-prefix';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { statefulProtection, type StatefulProtection } from '../../constructs/stateful-protection';
import { appEnvironment } from '../model/app-environment';
import { referenceServiceArtifact } from './reference-service';
import { cacheConnectionsPerInstance } from '@loadbearing/contract';
import { azLossFloor } from '../model/config/capacity';
import { fleetWorkers } from '../model/config/workers';
import { ConfigError } from '../model/config/config-error';
import { edgeBackstopLimit } from '../model/config/waf-settings';
import type { EnvironmentConfig } from '../model/config/environment-schema';

/**
 * The construct classes the stack builds its components from. Pass a subclass to change one
 * component's behaviour (its hooks) everywhere the stack uses it; the props stay the same.
 */
export interface PlatformComponents {
  /** @default LoadBalancer */
  readonly loadBalancer?: new (
    scope: Construct,
    id: string,
    props: LoadBalancerProps,
  ) => LoadBalancer;
  /** @default AppFleet */
  readonly fleet?: new (
    scope: Construct,
    id: string,
    props: AppFleetProps,
  ) => AppFleet;
  /** @default Database */
  readonly database?: new (
    scope: Construct,
    id: string,
    props: DatabaseProps,
  ) => Database;
  /** @default Cache */
  readonly cache?: new (
    scope: Construct,
    id: string,
    props: CacheProps,
  ) => Cache;
}

/**
 * Context keys of the two one-off deploys of docs/delivering.md: `deliveryMigration=update-policy-only`
 * (move a deployed stack to the instance refresh, changing nothing else) and
 * `deliveryBreakGlass=<reason>` (deploy without the release alarms).
 */
export const DELIVERY_CONTEXT = { migration: 'deliveryMigration', breakGlass: 'deliveryBreakGlass' } as const;

/** The template metadata key where the stack records its delivery settings for `loadbearing deploy` and the diff guard. */
export const DELIVERY_METADATA = 'loadbearing:delivery';

/** What the template records under {@link DELIVERY_METADATA}. */
export interface DeliveryMetadata {
  readonly mode: DeliveryMode;
  readonly releaseId: string;
  /** Names of the alarms the instance refresh watches. */
  readonly refreshAlarms: readonly string[];
  /** Names of the rollback trigger alarms (delivery.rollbackTriggers). */
  readonly rollbackTriggers: readonly string[];
  readonly monitoringMinutes: number;
  readonly bakeMinutes: number;
  /** The break-glass reason, in that mode. */
  readonly breakGlass?: string;
}

/** The header CloudFront adds and the ALB checks (ORIGIN_VERIFY_HEADER: the secret). */
export const ORIGIN_VERIFY_HEADER = 'X-Origin-Verify';

export interface PlatformStackProps extends Omit<StackProps, 'env' | 'stackName' | 'terminationProtection'> {
  /** A validated environment (see `builtinEnvironments` / `loadConfigFile`). */
  readonly config: EnvironmentConfig;
  /**
   * How alarms are named. The ops CLI finds alarms by this strategy's prefix (pass it with
   * `--prefix` if it is not `<stack>-`).
   * @default StackPrefixAlarmNaming: `<stack>-<component>-<signal>`
   */
  readonly alarmNaming?: IAlarmNamingStrategy;
  /**
   * What alarms do. Receives the stack (to create resources in) and the default topics.
   * @default SeverityTopicActions: critical alarms to the critical topic, warnings to the warning topic
   */
  readonly alarmActions?: (scope: Construct, topics: AlarmTopics) => IAlarmActionStrategy;
  /** Component classes, e.g. a team's `AppFleet` subclass. @default - the platform's constructs */
  readonly components?: PlatformComponents;
}

/**
 * The whole web tier of one environment, as one stack:
 * network -> security groups -> ALB -> app fleet -> database and cache, with alarms on each.
 *
 * Every environment uses this class; they differ only in their config.
 */
export class PlatformStack extends Stack {
  public readonly config: EnvironmentConfig;
  /** What happens to stateful resources on delete (from `dataProtection`); a team's own stateful constructs (AppBucket) take it. */
  public readonly protection: StatefulProtection;
  public readonly network: Network;
  public readonly securityGroups: SecurityGroups;
  public readonly alarmTopics: AlarmTopics;
  public readonly alarmFactory: AlarmFactory;
  public readonly loadBalancer: LoadBalancer;
  /** WAF on the ALB; undefined where `waf.enabled` is false. */
  public readonly webAcl?: WebAcl;
  /** CloudFront in front of the ALB; undefined where `edge.enabled` is false. */
  public readonly edge?: Edge;
  public readonly database: Database;
  public readonly cache: Cache;
  public readonly fleet: AppFleet;
  /** `<stack>-service-health` and the cause composites. */
  public readonly serviceHealth: ServiceHealth;
  public readonly dashboard: ServiceDashboard;
  /** The edge's DNS records (or the output that lists them); undefined where `edge.enabled` is false. */
  public readonly edgeDns?: EdgeDns;
  /** The AWS FIS drills; undefined where `failureDrills.enabled` is false. */
  public readonly failureDrills?: FailureDrills;
  /** The alarm names of `delivery.rollbackTriggers`: the gates of this environment's pipeline stage. */
  public readonly rollbackTriggerAlarmNames: readonly string[];
  /** Canary traffic through the ALB (and CloudFront); undefined where `delivery.canary.enabled` is false. */
  public readonly canary?: Canary;
  /** The per-AZ alarms (ADR 0008); undefined where `zonal.alarms` is false. */
  public readonly zonalAlarms?: ZonalAlarms;
  /** Zonal autoshift of the load balancer; undefined where `zonal.autoshift.enabled` is false. */
  public readonly zonalAutoshift?: ZonalAutoshift;

  constructor(scope: Construct, id: string, props: PlatformStackProps) {
    const { config } = props;
    super(scope, id, {
      ...props,
      stackName: config.stackName,
      env: { account: config.account, region: config.region },
      terminationProtection: config.terminationProtection,
      description: `loadbearing ${config.name} (${config.stage}): multi-AZ web tier with ALB, Auto Scaling fleet, RDS PostgreSQL, ElastiCache and alarms`,
    });
    this.config = config;
    Tags.of(this).add('loadbearing:environment', config.name);
    Tags.of(this).add('loadbearing:stage', config.stage);
    for (const [key, value] of Object.entries(config.tags)) Tags.of(this).add(key, value);

    const protection = (this.protection = statefulProtection(config.dataProtection.allowDestroy));
    const azs = config.availabilityZones;
    const logsKey = new LogEncryptionKey(this, 'LogsKey', { protection }).key;

    this.network = new Network(this, 'Network', { availabilityZones: azs, settings: config.network, logsKey, protection });
    const vpc = this.network.vpc;
    this.securityGroups = new SecurityGroups(this, 'SecurityGroups', {
      vpc,
      listenerPorts: LoadBalancer.listenerPorts(config.loadBalancer),
      appPort: config.app.port,
      databasePort: config.database.port,
      cachePort: config.cache.port,
      databaseProxy: config.database.proxy.enabled,
    });

    const delivery = this.deliveryMode(config);
    // The migration deploy changes the update policy only (docs/delivering.md): nothing zonal yet,
    // the next ordinary deploy adds it.
    const zonal =
      delivery.mode === 'update-policy-only'
        ? { ...config.zonal, shift: false, alarms: false, autoshift: { ...config.zonal.autoshift, enabled: false } }
        : config.zonal;
    const naming = props.alarmNaming ?? this.createAlarmNaming(config);
    this.alarmTopics = new AlarmTopics(this, 'AlarmTopics', {
      emails: { critical: config.alarms.criticalEmails, warning: config.alarms.warningEmails },
      protection,
      alarmNamePrefix: naming.prefix,
    });
    this.alarmFactory = new AlarmFactory({
      // The replica-lag threshold follows the tightest content class unless set.
      settings: { ...config.alarms, replicaLagSeconds: replicaLagAlarmSeconds(config) },
      configPath: `environments.${config.name}.alarms`,
      naming,
      actions: props.alarmActions ? props.alarmActions(this, this.alarmTopics) : this.createAlarmActions(this, this.alarmTopics),
    });
    const alarms = this.alarmFactory;

    const classes = { loadBalancer: LoadBalancer, fleet: AppFleet, database: Database, cache: Cache, ...props.components };
    // Behind CloudFront, the ALB forwards only requests that carry this secret header.
    const originVerify = config.edge.enabled ? this.createOriginVerifySecret(protection) : undefined;
    const originVerifyHeader = originVerify ? { name: ORIGIN_VERIFY_HEADER, value: originVerify.secretValue.unsafeUnwrap() } : undefined;
    this.loadBalancer = new classes.loadBalancer(this, 'LoadBalancer', {
      vpc,
      securityGroup: this.securityGroups.alb,
      appPort: config.app.port,
      settings: config.loadBalancer,
      protection,
      alarms,
      minHealthyHosts: Math.max(1, azLossFloor(config.fleet.minCapacity, azs.length)),
      originVerifyHeader,
      zonalShift: zonal.shift,
    });
    if (config.waf.enabled) {
      this.webAcl = new WebAcl(this, 'WebAcl', {
        resourceArn: this.loadBalancer.loadBalancer.loadBalancerArn,
        settings: config.waf,
        logsKey,
        protection,
        namePrefix: config.stackName,
        behindEdge: originVerifyHeader ? { originVerifyHeader, backstopLimit: edgeBackstopLimit(config.waf, config.fleet) } : undefined,
      });
    } else {
      acknowledge(
        this.loadBalancer.loadBalancer,
        `waf.enabled is false for ${config.name} (a ${config.stage} stage): no web ACL; the ALB is reachable only on its listener ports.`,
        'NIST.800.53.R5::NIST.800.53.R5-ALBWAFEnabled',
      );
    }
    this.database = new classes.database(this, 'Database', {
      vpc,
      securityGroup: this.securityGroups.database,
      proxySecurityGroup: this.securityGroups.databaseProxy,
      availabilityZones: azs,
      settings: config.database,
      protection,
      logsKey,
      alarms,
      namePrefix: config.stackName,
    });
    this.cache = new classes.cache(this, 'Cache', {
      vpc,
      securityGroup: this.securityGroups.cache,
      availabilityZones: azs,
      settings: config.cache,
      protection,
      logsKey,
      alarms,
      // Every worker opens its share of app.cacheConnectionsPerInstance, at least one to each endpoint.
      expectedClientConnections:
        config.fleet.maxCapacity * cacheConnectionsPerInstance(config.app.cacheConnectionsPerInstance, fleetWorkers(config).max, true),
      namePrefix: config.stackName,
    });
    // The freshness model for the app (its cache TTLs), in every environment: CloudFront is optional.
    const prefix = physicalNamePrefix(this);
    publishFreshnessParameters(new Construct(this, 'Freshness'), prefix, config.edge.freshness);
    this.fleet = new classes.fleet(this, 'Fleet', {
      vpc,
      securityGroup: this.securityGroups.app,
      settings: config.fleet,
      targetGroup: this.loadBalancer.targetGroup,
      healthCheck: { port: config.app.port, path: config.loadBalancer.healthCheck.path },
      app: {
        artifact: config.app.artifact ?? referenceServiceArtifact(config.name),
        drainSeconds: config.loadBalancer.deregistrationDelaySeconds,
        // The reference service's primary drains its workers itself (KillMode=mixed); a team's app gets systemd's default.
        stopsItsOwnChildren: config.app.artifact === undefined,
      },
      logsKey,
      protection,
      namePrefix: config.stackName,
      release: { alarmNamePrefix: naming.prefix, metricsStackName: config.stackName, settings: config.delivery.releaseAlarms },
      delivery: delivery.mode,
      notificationsTopic: this.alarmTopics.warning,
      zonalShift: zonal.shift,
      alarms,
      appEnvironment: appEnvironment(config, {
        dbWriterHost: this.database.writerEndpoint.host,
        dbReaderHosts: this.database.readerEndpoints.map((e) => e.host),
        dbPort: this.database.proxy ? PROXY_PORT : config.database.port,
        dbReaderPort: config.database.port,
        dbUser: DB_APP_USER,
        dbSecretArn: this.database.appSecret.secretArn,
        dbMigrationUser: DB_MASTER_USER,
        dbMigrationSecretArn: this.database.secret.secretArn,
        dbMigrationHost: this.database.migrationEndpoint.host,
        dbMigrationPort: config.database.port,
        dbIamAuth: config.database.proxy.enabled && config.database.proxy.iamAuth,
        cacheHost: this.cache.primaryEndpoint.host,
        cacheReaderHost: this.cache.readerEndpoint.host,
        cachePort: config.cache.port,
        cacheAuthSecretArn: this.cache.authSecret.secretArn,
        freshnessParameterPath: parameterPath(prefix, 'freshness'),
      }),
    });
    const appAlarms = new AppAlarms(this, 'AppAlarms', {
      factory: alarms,
      stackName: config.stackName,
      app: config.app,
    });
    // Synth says which data the app alarms watch (`cdk synth` prints info annotations).
    Annotations.of(this).addInfo(appAlarms.describe(config.stackName));
    if (zonal.alarms) {
      // Before the service-health composites: a sick AZ is one of the fleet's causes.
      this.zonalAlarms = new ZonalAlarms(this, 'ZonalAlarms', {
        factory: alarms,
        availabilityZones: azs,
        settings: config.zonal,
        source: appAlarms.source,
        stackName: config.stackName,
        loadBalancer: this.loadBalancer.loadBalancer,
        targetGroup: this.loadBalancer.targetGroup,
        configPath: `environments.${config.name}`,
      });
    }
    // A first create must not page: the alarms on what only the fleet produces (the ALB's target
    // metrics, the app's own metrics) are created once the fleet is in service, so their first
    // evaluation has data (alb-healthy-hosts-low treats missing data as breaching).
    for (const a of alarms.alarms.filter((x) => x.alarm instanceof cloudwatch.Alarm && /^(alb|app)-/.test(x.key)))
      a.alarm.node.addDependency(this.fleet.autoScalingGroup);
    // The app's own secret, and the master secret for the migrations at start-up (the schema
    // owner: docs/deploying.md, "Who can read the master password"). The secrets are encrypted
    // with the database key; `grantRead` also lets the role decrypt with it through Secrets
    // Manager only (kms:ViaService in the key policy), which is all reading them needs. A direct
    // kms:Decrypt on the key would let the role decrypt anything under it.
    this.database.appSecret.grantRead(this.fleet.role);
    this.database.secret.grantRead(this.fleet.role);
    // The app role's first rotation logs in as the role, which the migrations create: only after
    // the fleet has signalled (migrated and healthy) can it succeed.
    this.database.appSecretRotation.node.addDependency(this.fleet.autoScalingGroup);
    if (this.database.proxy) {
      // The same for RDS Proxy: its target group is created (and CloudFormation waits until the
      // target is AVAILABLE) only once the role of the app secret registered in its auth exists.
      // Whether one secret that cannot log in keeps the target unavailable is not documented, so
      // the order takes the question away (docs/deploying.md, "RDS Proxy and the app role").
      this.database.proxy.node.findChild('ProxyTargetGroup').node.addDependency(this.fleet.autoScalingGroup.node.defaultChild!);
    }
    this.cache.authSecret.grantRead(this.fleet.role);
    grantReadFreshnessModel(this, this.fleet.role, prefix);
    // rds-db:connect as the app role only, and only through the proxy (replicas take its password).
    if (this.database.proxy && config.database.proxy.iamAuth) this.database.proxy.grantConnect(this.fleet.role, DB_APP_USER);

    let edgeWebAcl: WebAcl | undefined;
    if (originVerifyHeader) {
      edgeWebAcl =
        config.edge.webAclArn === undefined && config.waf.enabled
          ? new WebAcl(this, 'EdgeWebAcl', {
              scope: 'CLOUDFRONT',
              settings: config.waf,
              logsKey,
              protection,
              namePrefix: `${config.stackName}-edge`,
            })
          : undefined;
      const edgeWebAclArn = config.edge.webAclArn ?? edgeWebAcl?.webAcl.attrArn;
      this.edge = new Edge(this, 'Edge', {
        origin: {
          domainName: config.edge.originDomainName ?? this.loadBalancer.loadBalancer.loadBalancerDnsName,
          https: config.loadBalancer.certificateArn !== undefined,
        },
        originVerifyHeader,
        settings: config.edge,
        webAclArn: edgeWebAclArn,
        protection,
        logsKey,
        alarms,
        namePrefix: config.stackName,
        originDeadlineSeconds: config.app.requestTimeoutSeconds,
      });
      new CfnOutput(this, 'EdgeDomainName', {
        value: this.edge.distribution.distributionDomainName,
        description: 'CloudFront domain: where users connect',
      });
      this.edgeDns = new EdgeDns(this, 'EdgeDns', {
        zone:
          config.dns.hostedZoneId && config.dns.zoneName
            ? { hostedZoneId: config.dns.hostedZoneId, zoneName: config.dns.zoneName }
            : undefined,
        originName: config.edge.originDomainName,
        loadBalancer: this.loadBalancer.loadBalancer,
        aliases: config.edge.domainNames,
        distribution: this.edge.distribution,
      });
    }

    // Not in the migration deploy, which changes only the update policy (docs/delivering.md,
    // "Moving a deployed stack"): the canary comes with the next ordinary deploy.
    if (config.delivery.canary.enabled && delivery.mode !== 'update-policy-only')
      this.canary = this.createCanary(config, originVerify, edgeWebAcl, alarms, logsKey, protection);

    this.startCacheAfterEarlyFailures([
      this.loadBalancer.listener,
      this.webAcl,
      edgeWebAcl,
      this.edge?.distribution,
      vpc.selectSubnets({ subnetGroupName: 'app' }).internetConnectivityEstablished,
      // The canary's function (with its role, log group and invoke config) and its alarm: created
      // early, they would otherwise fail, if at all, while the cache is being created. Its
      // schedule waits for the fleet, which waits for the cache.
      this.canary?.function,
      this.canary?.alarm,
    ]);

    // With the zonal settings of this deploy: the migration deploy adds no gray-az drill either.
    const templates = drillTemplates({ ...config, zonal });
    // Synth says what a drill leaves out here (an existing VPC: the az-loss subnet cut), as
    // `loadbearing drill --dry-run` and `failure-modes` do.
    for (const [drill, leftOut] of new Map(templates.filter((t) => t.leftOut).map((t) => [t.drill, t.leftOut!]))) {
      for (const what of leftOut) Annotations.of(this).addInfo(`failureDrills: the ${drill} drill leaves out ${what}.`);
    }
    if (templates.length > 0) {
      const appSubnets = vpc.selectSubnets({ subnetGroupName: 'app' }).subnets;
      this.failureDrills = new FailureDrills(this, 'FailureDrills', {
        stackName: config.stackName,
        settings: config.failureDrills,
        templates,
        stopRules: new Map([...new Set(templates.map((t) => t.mode))].map((mode) => [mode, stopRules(FAILURE_MODES.get(mode)!, config)])),
        alarms,
        logsKey,
        protection,
        vpc,
        fleet: this.fleet.autoScalingGroup,
        appSubnets: Object.fromEntries(appSubnets.map((s) => [s.availabilityZone, s])),
        writer: this.database.writer,
        replicas: this.database.replicas,
        databaseHosts: [this.database.writerEndpoint.host, ...this.database.readerEndpoints.map((e) => e.host)],
        cache: this.cache.replicationGroup,
        cacheReplicationGroupId: this.cache.replicationGroupId,
        loadBalancer: this.loadBalancer.loadBalancer,
        targetGroup: this.loadBalancer.targetGroup,
      });
    }

    if (zonal.autoshift.enabled) {
      // Created only where it is used, before the keys are resolved and the dashboard drawn; like
      // every alarm on what only the fleet produces, once the fleet is in service.
      if (config.zonal.autoshift.outcomeAlarms.includes('alb-practice-run-outcome'))
        ZonalAutoshift.outcomeAlarm(this.loadBalancer, alarms).node.addDependency(this.fleet.autoScalingGroup);
      this.zonalAutoshift = new ZonalAutoshift(this, 'ZonalAutoshift', {
        resourceArn: this.loadBalancer.loadBalancer.loadBalancerArn,
        settings: config.zonal.autoshift,
        outcomeAlarms: this.practiceRunAlarms(config, alarms, 'outcomeAlarms'),
        blockingAlarms: this.practiceRunAlarms(config, alarms, 'blockingAlarms'),
      });
    }

    this.serviceHealth = new ServiceHealth(this, 'ServiceHealth', { factory: alarms });
    this.dashboard = new ServiceDashboard(this, 'Dashboard', {
      dashboardName: config.stackName,
      status: [
        this.serviceHealth.serviceHealth,
        ...Object.values(this.serviceHealth.causes),
        ...(this.zonalAlarms?.azs.map((a) => a.isolatedImpact) ?? []),
      ],
      sections: this.dashboardSections(alarms),
    });

    const unknown = alarms.unknownKeys();
    if (unknown.length > 0) {
      throw new ConfigError(
        unknown.map(({ field, key }) => ({
          path: `environments.${config.name}.alarms.${field}${field === 'overrides' ? `.${key}` : ''}`,
          value: JSON.stringify(key),
          rule: 'no alarm has this key',
          fix:
            key.startsWith('app-') && !alarms.keys.some((k) => k.startsWith('app-'))
              ? `app.metrics is "none" here, so there are no app-* alarms: set app.metrics to "contract" (the app publishes the contract's metrics), or remove the override. Keys: ${alarms.keys.join(', ')}.`
              : `use one of: ${alarms.keys.join(', ')}.`,
        })),
        `environment ${config.name}`,
      );
    }

    const triggers = this.rollbackTriggerNames(config, alarms);
    this.rollbackTriggerAlarmNames = triggers;
    const metadata: DeliveryMetadata = {
      mode: delivery.mode,
      releaseId: this.fleet.releaseId,
      refreshAlarms: this.fleet.refreshAlarmNames,
      rollbackTriggers: triggers,
      monitoringMinutes: config.delivery.monitoringMinutes,
      bakeMinutes: config.delivery.bakeMinutes,
      ...(delivery.reason ? { breakGlass: delivery.reason } : {}),
    };
    this.templateOptions.metadata = { ...this.templateOptions.metadata, [DELIVERY_METADATA]: metadata };

    new CfnOutput(this, 'LoadBalancerDns', {
      value: this.loadBalancer.loadBalancer.loadBalancerDnsName,
      description: 'Public DNS name of the ALB',
    });
    new CfnOutput(this, 'DbWriterEndpoint', { value: this.database.writerEndpoint.host, description: 'Writes and transactions' });
    new CfnOutput(this, 'DbReaderEndpoints', {
      value: this.database.readerEndpoints.map((e) => e.host).join(',') || this.database.writerEndpoint.host,
      description: 'Reads that tolerate replica lag (comma-separated)',
    });
    new CfnOutput(this, 'CachePrimaryEndpoint', { value: this.cache.primaryEndpoint.host, description: 'Cache writes' });
    new CfnOutput(this, 'CacheReaderEndpoint', { value: this.cache.readerEndpoint.host, description: 'Cache reads' });
    new CfnOutput(this, 'CriticalAlarmTopic', { value: this.alarmTopics.critical.topicArn, description: 'Subscribe the pager here' });
  }

  /**
   * The canary (constructs/canary.ts): its checks from the config, the ALB's HTTPS name (the
   * canary's own setting, or the name CloudFront reaches the origin by), the origin secret where
   * the ALB requires it, and a schedule that starts only once everything a check goes through is
   * in service.
   */
  private createCanary(
    config: EnvironmentConfig,
    originVerify: secretsmanager.Secret | undefined,
    edgeWebAcl: WebAcl | undefined,
    alarms: AlarmFactory,
    logsKey: LogEncryptionKey['key'],
    protection: StatefulProtection,
  ): Canary {
    const settings = config.delivery.canary;
    const maintenance = config.loadBalancer.maintenance;
    const checks = canaryChecks({
      healthPath: config.loadBalancer.healthCheck.path,
      readPath: settings.readPath,
      edge: this.edge !== undefined,
      ...(maintenance.enabled ? { maintenance } : {}),
      degradedPatterns: config.edge.freshness.filter((c) => c.degradedFallback).map((c) => c.pathPattern),
    });
    const https = config.loadBalancer.certificateArn !== undefined;
    const hostName = settings.hostName ?? (https ? config.edge.originDomainName : undefined);
    return new Canary(this, 'Canary', {
      settings,
      checks,
      loadBalancer: { dnsName: this.loadBalancer.loadBalancer.loadBalancerDnsName, https, ...(hostName ? { hostName } : {}) },
      ...(this.edge ? { edgeDomainName: this.edge.distribution.distributionDomainName } : {}),
      ...(originVerify ? { originVerify: { headerName: ORIGIN_VERIFY_HEADER, secret: originVerify } } : {}),
      alarms,
      stackName: config.stackName,
      logsKey,
      protection,
      // Everything a check goes through: the fleet in service (and its scaling policies), the
      // load balancer with its listeners and rules, the web ACLs with their associations,
      // CloudFront and the origin's DNS record.
      startAfter: [this.fleet.autoScalingGroup, this.loadBalancer, this.webAcl, edgeWebAcl, this.edge, this.edgeDns],
    });
  }

  /** The rollout mode from the context (DELIVERY_CONTEXT); an unknown value is a config error. */
  private deliveryMode(config: EnvironmentConfig): { mode: DeliveryMode; reason?: string } {
    const migration: unknown = this.node.tryGetContext(DELIVERY_CONTEXT.migration);
    const breakGlass: unknown = this.node.tryGetContext(DELIVERY_CONTEXT.breakGlass);
    const problems: { path: string; value: string; rule: string; fix: string }[] = [];
    if (migration !== undefined && migration !== 'update-policy-only')
      problems.push({
        path: `context ${DELIVERY_CONTEXT.migration}`,
        value: JSON.stringify(migration),
        rule: 'the only migration is "update-policy-only" (docs/delivering.md, "Moving a deployed stack")',
        fix: `use -c ${DELIVERY_CONTEXT.migration}=update-policy-only, or leave it out.`,
      });
    if (breakGlass !== undefined && (typeof breakGlass !== 'string' || breakGlass.trim().length < 10))
      problems.push({
        path: `context ${DELIVERY_CONTEXT.breakGlass}`,
        value: JSON.stringify(breakGlass),
        rule: 'is the reason for deploying without the release alarms, at least 10 characters (it is recorded in the template)',
        fix: `write why, e.g. -c ${DELIVERY_CONTEXT.breakGlass}="fix forward for the checkout outage".`,
      });
    if (migration !== undefined && breakGlass !== undefined)
      problems.push({
        path: `context ${DELIVERY_CONTEXT.breakGlass}`,
        value: JSON.stringify(breakGlass),
        rule: `cannot be combined with ${DELIVERY_CONTEXT.migration}: the migration deploy changes the update policy only`,
        fix: 'run the migration deploy first, then the break-glass deploy.',
      });
    if (problems.length > 0) throw new ConfigError(problems, `environment ${config.name}`);
    if (migration !== undefined) return { mode: 'update-policy-only' };
    if (breakGlass !== undefined) return { mode: 'break-glass', reason: String(breakGlass).trim() };
    return { mode: 'normal' };
  }

  /**
   * The names of the rollback trigger alarms: each key of delivery.rollbackTriggers must be a
   * metric alarm of the stack. Composites are refused: the pinned CDK CLI passes every trigger as
   * a metric alarm (ADR 0007).
   */
  private rollbackTriggerNames(config: EnvironmentConfig, factory: AlarmFactory): string[] {
    const problems: { path: string; value: string; rule: string; fix: string }[] = [];
    const metricKeys = factory.alarms.filter((a) => a.alarm instanceof cloudwatch.Alarm).map((a) => a.key);
    const names = config.delivery.rollbackTriggers.flatMap((key, i) => {
      // The migration deploy has no canary (it comes with the next ordinary deploy): nothing to watch yet.
      if (key === CANARY_ALARM_KEY && this.canary === undefined && config.delivery.canary.enabled) return [];
      const found = factory.find(key);
      if (found && found.alarm instanceof cloudwatch.Alarm) return [(found.alarm.node.defaultChild as cloudwatch.CfnAlarm).alarmName!];
      problems.push({
        path: `environments.${config.name}.delivery.rollbackTriggers[${i}]`,
        value: JSON.stringify(key),
        rule: found
          ? 'is a composite alarm: `loadbearing deploy` passes triggers through the CDK CLI, which treats every trigger as a metric alarm'
          : 'no metric alarm of the stack has this key',
        fix: `use metric alarm keys, e.g. ${metricKeys.filter((k) => k.startsWith('alb-')).join(', ')}.`,
      });
      return [];
    });
    if (problems.length > 0) throw new ConfigError(problems, `environment ${config.name}`);
    return names;
  }

  /**
   * The alarms of zonal.autoshift.outcomeAlarms or .blockingAlarms: each key must be a metric alarm
   * of the stack. Composites are refused: ARC's ControlCondition takes "an Amazon CloudWatch alarm"
   * by ARN and no AWS page says a composite is evaluated
   * (https://docs.aws.amazon.com/arc-zonal-shift/latest/api/API_ControlCondition.html); the
   * stack's alarms are in the resource's Region, as ARC requires.
   */
  private practiceRunAlarms(
    config: EnvironmentConfig,
    factory: AlarmFactory,
    field: 'outcomeAlarms' | 'blockingAlarms',
  ): cloudwatch.IAlarm[] {
    const problems: { path: string; value: string; rule: string; fix: string }[] = [];
    const metricKeys = factory.alarms.filter((a) => a.alarm instanceof cloudwatch.Alarm).map((a) => a.key);
    const found = config.zonal.autoshift[field].flatMap((key, i) => {
      const alarm = factory.find(key);
      if (alarm && alarm.alarm instanceof cloudwatch.Alarm) return [alarm.alarm];
      problems.push({
        path: `environments.${config.name}.zonal.autoshift.${field}[${i}]`,
        value: JSON.stringify(key),
        rule: alarm
          ? 'is a composite alarm: ARC practice runs take CloudWatch alarms by ARN and no AWS page says a composite is evaluated'
          : 'no metric alarm of the stack has this key',
        fix: `use metric alarm keys, e.g. ${metricKeys.filter((k) => k.startsWith('alb-')).join(', ')}.`,
      });
      return [];
    });
    if (problems.length > 0) throw new ConfigError(problems, `environment ${config.name}`);
    return found;
  }

  /**
   * The alarm naming strategy when none is passed in props. Override in a subclass to change
   * the scheme for every environment. Runs in the constructor: use only the arguments.
   */
  protected createAlarmNaming(config: EnvironmentConfig): IAlarmNamingStrategy {
    return new StackPrefixAlarmNaming(config.stackName);
  }

  /**
   * The alarm action strategy when none is passed in props. Override to route alarms
   * elsewhere; create extra resources in `scope`. Runs in the constructor: use only the arguments.
   */
  protected createAlarmActions(_scope: Construct, topics: AlarmTopics): IAlarmActionStrategy {
    return new SeverityTopicActions({ critical: topics.critical, warning: topics.warning });
  }

  /**
   * The cache replication group waits for what most often fails early in a fresh account: the
   * ALB's main listener (HTTPS where a certificate is configured: the certificate is checked when
   * the listener is created; it waits for the ALB itself), the web ACLs with their association and
   * logging, the CloudFront distribution (account verification) and the app subnets' NAT gateways
   * and routes (the Elastic IP quota; the fleet waits for them too). Whichever of them fails, the
   * cache has not been started, so the rollback never has to delete it while it is `creating`:
   * ElastiCache refuses DeleteReplicationGroup unless the group is available
   * (InvalidReplicationGroupState, "The requested replication group is not in the available state",
   * https://docs.aws.amazon.com/sdkfornet/v3/apidocs/items/ElastiCache/MIElastiCacheDeleteReplicationGroupDeleteReplicationGroupRequest.html;
   * "has status modifying which is not valid for deletion",
   * https://github.com/aws-controllers-k8s/community/issues/948), and whether CloudFormation waits
   * for it before the delete is not documented (review 20b, N1). The canary's function and alarm
   * are in the list for the same reason: they are created in parallel with everything else. It costs no create time: the cache
   * still finishes long before the fleet, which needs it, starts (after the writer and its replicas).
   * An absent component (no WAF, no edge) is skipped; none of them refers to the cache, so the order
   * cannot become a cycle (test/model/deploy/first-create-order.test.ts checks both).
   */
  private startCacheAfterEarlyFailures(early: readonly (IDependable | undefined)[]): void {
    for (const c of early) if (c) this.cache.replicationGroup.node.addDependency(c);
  }

  /** The origin-verify secret shared by CloudFront (sends it) and the ALB (requires it). */
  private createOriginVerifySecret(protection: StatefulProtection): secretsmanager.Secret {
    const secret = new secretsmanager.Secret(this, 'EdgeOriginVerify', {
      description: `${this.stackName}: header value CloudFront sends to the ALB`,
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
      removalPolicy: protection.retainPolicy,
    });
    acknowledge(
      secret,
      'The value is shared by CloudFront and the ALB and changes with a redeploy of both (a new value takes effect in one deploy); it only proves a request came through this distribution.',
      'AwsSolutions::AwsSolutions-SMG4',
      'NIST.800.53.R5::NIST.800.53.R5-SecretsManagerRotationEnabled',
      'NIST.800.53.R5::NIST.800.53.R5-SecretsManagerUsingKMSKey',
    );
    return secret;
  }

  /** Dashboard sections along the request path. */
  private dashboardSections(factory: AlarmFactory): DashboardSection[] {
    // Metric alarms only: the composites are the status row at the top.
    const of = (predicate: (key: string) => boolean) =>
      factory.alarms.filter((a) => a.alarm instanceof cloudwatch.Alarm && predicate(a.key)).map((a) => a.alarm);
    return [
      {
        title: 'Edge',
        description: `${this.canary ? 'Canary, CDN' : 'CDN'} and load balancer: what users see (errors, latency, traffic against its learned band).`,
        alarms: of((k) => /^(canary|cdn|alb)-/.test(k)),
      },
      {
        title: 'Fleet',
        description: 'App instances: capacity against min/max, CPU against the scaling target.',
        alarms: of((k) => k.startsWith('fleet-') && !k.startsWith('fleet-az-')),
      },
      {
        title: 'Availability Zones',
        description:
          'Per AZ (ADR 0008): availability and latency against the regional thresholds, and each AZ against every other (outliers). An AZ that is both: its isolated-impact composite (status row) fires; shift away from it.',
        alarms: of((k) => k.startsWith('fleet-az-')),
      },
      {
        title: 'App',
        description: "The app's own metrics (embedded metric format): shed requests, cache and replica fallbacks, DB pool wait.",
        alarms: of((k) => k.startsWith('app-')),
      },
      {
        title: 'Database writer',
        description: 'Writes and transactions: the writer instance and RDS Proxy in front of it.',
        alarms: of((k) => /^db-(writer|proxy)-/.test(k)),
      },
      {
        title: 'Database readers',
        description: 'Read replicas: lag, load and connections per replica.',
        alarms: of((k) => k.startsWith('db-replica-')),
      },
      {
        title: 'Cache',
        description: 'ElastiCache: engine and host CPU, memory against eviction, evictions, hit rate, replication.',
        alarms: of((k) => k.startsWith('cache-')),
      },
    ];
  }

  /** The configured AZs: explicit, so the VPC needs no availability-zone lookup. */
  public override get availabilityZones(): string[] {
    return [...(this.config?.availabilityZones ?? [])];
  }
}

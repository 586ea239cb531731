import { CfnOutput, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { AlarmFactory } from '../constructs/alarm-factory';
import { SeverityTopicActions } from '../constructs/alarm-actions';
import { StackPrefixAlarmNaming } from '../constructs/alarm-naming';
import { AlarmTopics } from '../constructs/alarm-topics';
import { acknowledge } from '../constructs/acknowledge';
import { AppFleet } from '../constructs/app-fleet';
import { Cache } from '../constructs/cache';
import { Database, DB_MASTER_USER } from '../constructs/database';
import { LoadBalancer } from '../constructs/load-balancer';
import { LogEncryptionKey } from '../constructs/log-encryption-key';
import { Network } from '../constructs/network';
import { SecurityGroups } from '../constructs/security-groups';
import { WebAcl } from '../constructs/web-acl';
import { statefulProtection } from '../constructs/stateful-protection';
import { appEnvironment } from './app-environment';
import { azLossFloor } from './config/capacity';
import { ConfigError } from './config/config-error';
import type { EnvironmentConfig } from './config/environment-schema';

export interface PlatformStackProps extends Omit<StackProps, 'env' | 'stackName' | 'terminationProtection'> {
  /** A validated environment (see `builtinEnvironments` / `loadConfigFile`). */
  readonly config: EnvironmentConfig;
}

/**
 * The whole web tier of one environment, as one stack:
 * network -> security groups -> ALB -> app fleet -> database and cache, with alarms on each.
 *
 * Every environment uses this class; they differ only in their config.
 */
export class PlatformStack extends Stack {
  public readonly config: EnvironmentConfig;
  public readonly network: Network;
  public readonly securityGroups: SecurityGroups;
  public readonly alarmTopics: AlarmTopics;
  public readonly alarmFactory: AlarmFactory;
  public readonly loadBalancer: LoadBalancer;
  /** WAF on the ALB; undefined where `waf.enabled` is false. */
  public readonly webAcl?: WebAcl;
  public readonly database: Database;
  public readonly cache: Cache;
  public readonly fleet: AppFleet;

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

    const protection = statefulProtection(config.dataProtection.allowDestroy);
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

    this.alarmTopics = new AlarmTopics(this, 'AlarmTopics', {
      emails: { critical: config.alarms.criticalEmails, warning: config.alarms.warningEmails },
      protection,
    });
    this.alarmFactory = new AlarmFactory({
      settings: config.alarms,
      naming: new StackPrefixAlarmNaming(config.stackName),
      actions: new SeverityTopicActions({ critical: this.alarmTopics.critical, warning: this.alarmTopics.warning }),
    });
    const alarms = this.alarmFactory;

    this.loadBalancer = new LoadBalancer(this, 'LoadBalancer', {
      vpc,
      securityGroup: this.securityGroups.alb,
      appPort: config.app.port,
      settings: config.loadBalancer,
      protection,
      alarms,
      minHealthyHosts: Math.max(1, azLossFloor(config.fleet.minCapacity, azs.length)),
    });
    if (config.waf.enabled) {
      this.webAcl = new WebAcl(this, 'WebAcl', {
        resourceArn: this.loadBalancer.loadBalancer.loadBalancerArn,
        settings: config.waf,
        logsKey,
        protection,
        namePrefix: config.stackName,
      });
    } else {
      acknowledge(
        this.loadBalancer.loadBalancer,
        `waf.enabled is false for ${config.name} (a ${config.stage} stage): no web ACL; the ALB is reachable only on its listener ports.`,
        'NIST.800.53.R5::NIST.800.53.R5-ALBWAFEnabled',
      );
    }
    this.database = new Database(this, 'Database', {
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
    this.cache = new Cache(this, 'Cache', {
      vpc,
      securityGroup: this.securityGroups.cache,
      availabilityZones: azs,
      settings: config.cache,
      protection,
      logsKey,
      alarms,
      expectedClientConnections: config.fleet.maxCapacity * config.app.cacheConnectionsPerInstance,
      namePrefix: config.stackName,
    });
    this.fleet = new AppFleet(this, 'Fleet', {
      vpc,
      securityGroup: this.securityGroups.app,
      settings: config.fleet,
      targetGroup: this.loadBalancer.targetGroup,
      healthCheck: { port: config.app.port, path: config.loadBalancer.healthCheck.path },
      notificationsTopic: this.alarmTopics.warning,
      alarms,
      appEnvironment: appEnvironment(config, {
        dbWriterHost: this.database.writerEndpoint.host,
        dbReaderHosts: this.database.readerEndpoints.map((e) => e.host),
        dbPort: this.database.writerEndpoint.port,
        dbSecretArn: this.database.secret.secretArn,
        dbIamAuth: config.database.proxy.enabled && config.database.proxy.iamAuth,
        cacheHost: this.cache.primaryEndpoint.host,
        cacheReaderHost: this.cache.readerEndpoint.host,
        cachePort: this.cache.primaryEndpoint.port,
        cacheAuthSecretArn: this.cache.authSecret.secretArn,
      }),
    });
    this.database.secret.grantRead(this.fleet.role);
    this.database.key.grantDecrypt(this.fleet.role);
    this.cache.authSecret.grantRead(this.fleet.role);
    if (this.database.proxy && config.database.proxy.iamAuth) this.database.proxy.grantConnect(this.fleet.role, DB_MASTER_USER);

    const unknown = alarms.unknownOverrideKeys();
    if (unknown.length > 0) {
      throw new ConfigError(
        unknown.map((key) => ({
          path: `environments.${config.name}.alarms.overrides.${key}`,
          value: '{...}',
          rule: 'no alarm has this key',
          fix: `use one of: ${alarms.keys.join(', ')}.`,
        })),
        `environment ${config.name}`,
      );
    }

    new CfnOutput(this, 'LoadBalancerDns', { value: this.loadBalancer.loadBalancer.loadBalancerDnsName, description: 'Public DNS name of the ALB' });
    new CfnOutput(this, 'DbWriterEndpoint', { value: this.database.writerEndpoint.host, description: 'Writes and transactions' });
    new CfnOutput(this, 'DbReaderEndpoints', {
      value: this.database.readerEndpoints.map((e) => e.host).join(',') || this.database.writerEndpoint.host,
      description: 'Reads that tolerate replica lag (comma-separated)',
    });
    new CfnOutput(this, 'CachePrimaryEndpoint', { value: this.cache.primaryEndpoint.host, description: 'Cache writes' });
    new CfnOutput(this, 'CacheReaderEndpoint', { value: this.cache.readerEndpoint.host, description: 'Cache reads' });
    new CfnOutput(this, 'CriticalAlarmTopic', { value: this.alarmTopics.critical.topicArn, description: 'Subscribe the pager here' });
  }

  /** The configured AZs: explicit, so the VPC needs no availability-zone lookup. */
  public override get availabilityZones(): string[] {
    return [...(this.config?.availabilityZones ?? [])];
  }
}

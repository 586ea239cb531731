import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledge } from './acknowledge';
import { cacheNodeAvailabilityZone } from '../lib/model/config/capacity';
import { cacheParameterGroupFamily } from '../lib/model/config/cache-node-types';
import { cacheSettingsSchema, type CacheSettings, type CacheSettingsInput } from '../lib/model/config/cache-settings';
import { checkedAlarms, type AlarmFactory } from './alarm-factory';
import { cacheAlarms, type CacheAlarmTargets } from './cache-alarms';
import { publishConnectionParameters } from './connection-parameters';
import { createEncryptionKey } from './encryption-key';
import { parseSettings } from './parse-settings';
import { applyCompanionPolicy, applySnapshotPolicy, PROTECT_DATA, type StatefulProtection } from './stateful-protection';
import { physicalNamePrefix } from './physical-name-prefix';

export interface CacheProps {
  readonly vpc: ec2.IVpc;
  readonly securityGroup: ec2.ISecurityGroup;
  /** AZs for the primary and replicas, in order. */
  readonly availabilityZones: readonly string[];
  /** @default - platform defaults (see the config reference, `cache`) */
  readonly settings?: CacheSettingsInput;
  /** @default PROTECT_DATA: SNAPSHOT on delete, retained key and secret */
  readonly protection?: StatefulProtection;
  /** Key for the slow-log group. @default - CloudWatch Logs' own encryption */
  readonly logsKey?: kms.IKey;
  /** Creates the cache's alarms through this factory. @default - no alarms */
  readonly alarms?: AlarmFactory;
  /**
   * Client connections the fleet opens at its maximum size; sizes the connections alarm.
   * @default 1000
   */
  readonly expectedClientConnections?: number;
  /**
   * Prefix of the replication group ID (`<prefix>-cache`, at most 40 characters) and the SSM
   * parameter names. @default - the stack name
   */
  readonly namePrefix?: string;
}

export type { CacheAlarmTargets } from './cache-alarms';

/**
 * An ElastiCache replication group (Valkey or Redis OSS, cluster mode disabled): a primary and
 * replicas in different AZs with Multi-AZ automatic failover, encrypted at rest (customer key)
 * and in transit (TLS required), with an AUTH token generated into Secrets Manager.
 *
 * The parameter group states the eviction policy explicitly; daily snapshots are kept; the
 * slow log goes to CloudWatch Logs. Clients use the primary endpoint for writes and the reader
 * endpoint for reads that tolerate replication lag.
 */
export class Cache extends Construct {
  public readonly key: kms.Key;
  public readonly authSecret: secretsmanager.Secret;
  public readonly parameterGroup: elasticache.CfnParameterGroup;
  public readonly subnetGroup: elasticache.CfnSubnetGroup;
  public readonly slowLogGroup: logs.LogGroup;
  public readonly replicationGroup: elasticache.CfnReplicationGroup;
  public readonly replicationGroupId: string;
  public readonly nodeIds: readonly string[];
  public readonly primaryEndpoint: { readonly host: string; readonly port: string };
  public readonly readerEndpoint: { readonly host: string; readonly port: string };
  public readonly alarms: cloudwatch.Alarm[];
  public readonly settings: CacheSettings;

  constructor(scope: Construct, id: string, props: CacheProps) {
    super(scope, id);
    const settings = (this.settings = parseSettings(cacheSettingsSchema, props.settings, 'cache'));
    const protection = props.protection ?? PROTECT_DATA;
    const prefix = physicalNamePrefix(this, props.namePrefix);
    this.replicationGroupId = `${prefix}-cache`;
    const nodes = settings.replicasPerShard + 1;
    this.nodeIds = Array.from({ length: nodes }, (_, i) => `${this.replicationGroupId}-${String(i + 1).padStart(3, '0')}`);

    this.key = createEncryptionKey(this, 'Key', {
      description: `Encrypts ${prefix} cache data and its AUTH token`,
      protection,
      encryptsSnapshots: true,
    });
    this.authSecret = new secretsmanager.Secret(this, 'AuthToken', {
      description: `${prefix} cache AUTH token`,
      encryptionKey: this.key,
      // AUTH tokens allow printable ASCII except a few characters; letters and digits are always safe.
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: protection.retainPolicy,
    });
    acknowledge(
      this.authSecret,
      'An AUTH token is rotated through ModifyReplicationGroup (AuthTokenUpdateStrategy ROTATE, then SET) so old and new tokens both work while clients reload; see docs/operations.md. The token is only usable from the app security group over TLS.',
      'AwsSolutions::AwsSolutions-SMG4',
      'NIST.800.53.R5::NIST.800.53.R5-SecretsManagerRotationEnabled',
    );
    this.parameterGroup = new elasticache.CfnParameterGroup(this, 'Parameters', {
      cacheParameterGroupFamily: cacheParameterGroupFamily(settings.engine, settings.engineVersion)!,
      description: `${prefix} cache: explicit eviction policy and reserved memory`,
      properties: this.parameterValues(settings),
    });
    this.subnetGroup = new elasticache.CfnSubnetGroup(this, 'Subnets', {
      description: `${prefix} cache subnets (isolated)`,
      subnetIds: props.vpc.selectSubnets({ subnetGroupName: 'data' }).subnetIds,
    });
    // Kept with the replication group that uses them (companionPolicy): a stack delete cannot delete them while it exists.
    applyCompanionPolicy(this.parameterGroup, protection);
    applyCompanionPolicy(this.subnetGroup, protection);
    this.slowLogGroup = new logs.LogGroup(this, 'SlowLog', {
      retention: settings.slowLogRetentionDays as logs.RetentionDays,
      encryptionKey: props.logsKey,
      removalPolicy: protection.retainPolicy,
    });

    const failover = settings.replicasPerShard >= 1;
    this.replicationGroup = new elasticache.CfnReplicationGroup(this, 'Resource', {
      replicationGroupId: this.replicationGroupId,
      replicationGroupDescription: `${prefix} application cache`,
      engine: settings.engine,
      engineVersion: settings.engineVersion,
      cacheNodeType: settings.nodeType,
      numCacheClusters: nodes,
      preferredCacheClusterAZs: this.nodeIds.map((_, i) => cacheNodeAvailabilityZone(i, props.availabilityZones)),
      automaticFailoverEnabled: failover,
      multiAzEnabled: failover,
      cacheParameterGroupName: this.parameterGroup.ref,
      cacheSubnetGroupName: this.subnetGroup.ref,
      securityGroupIds: [props.securityGroup.securityGroupId],
      port: settings.port,
      atRestEncryptionEnabled: true,
      kmsKeyId: this.key.keyArn,
      transitEncryptionEnabled: true,
      transitEncryptionMode: 'required',
      authToken: this.authSecret.secretValue.unsafeUnwrap(),
      autoMinorVersionUpgrade: true,
      snapshotRetentionLimit: settings.snapshotRetentionDays,
      snapshotWindow: settings.snapshotRetentionDays > 0 ? '03:00-04:00' : undefined,
      preferredMaintenanceWindow: 'sun:05:00-sun:06:00',
      logDeliveryConfigurations: [
        {
          destinationType: 'cloudwatch-logs',
          destinationDetails: { cloudWatchLogsDetails: { logGroup: this.slowLogGroup.logGroupName } },
          logFormat: 'json',
          logType: 'slow-log',
        },
      ],
    });
    applySnapshotPolicy(this.replicationGroup, protection);
    acknowledge(
      this.replicationGroup,
      `The cache holds derived data that the app rebuilds from the database; ${settings.snapshotRetentionDays} days of snapshots (cache.snapshotRetentionDays) only speed up a warm restart.`,
      'NIST.800.53.R5::NIST.800.53.R5-ElastiCacheRedisClusterAutomaticBackup',
    );

    if (!failover) {
      acknowledge(
        this.replicationGroup,
        'cache.replicasPerShard is 0: the config schema allows that only for dev stages (staging and prod need a replica for Multi-AZ failover); the cache holds derived data.',
        'AwsSolutions::AwsSolutions-AEC4',
      );
    }
    if (settings.engine === 'redis') {
      acknowledge(
        this.replicationGroup,
        'Redis OSS is authenticated with an AUTH token over required TLS (the same model as Valkey here), not RBAC user groups; the port is reachable only from the app security group.',
        'AwsSolutions::AwsSolutions-AEC5',
        'cdk-validator-cfnguard::elasticache_repl_grp_rbac_auth_enabled_check',
      );
    }
    this.primaryEndpoint = { host: this.replicationGroup.attrPrimaryEndPointAddress, port: this.replicationGroup.attrPrimaryEndPointPort };
    this.readerEndpoint = { host: this.replicationGroup.attrReaderEndPointAddress, port: this.replicationGroup.attrReaderEndPointPort };
    this.publishConnectionInfo(prefix);
    this.alarms = props.alarms
      ? checkedAlarms(
          this.createAlarms(props.alarms, {
            nodeIds: this.nodeIds,
            settings,
            expectedClientConnections: props.expectedClientConnections ?? 1000,
          }),
          `Cache.createAlarms() of ${this.node.path}`,
        )
      : [];
  }

  /**
   * Cache parameters. Override to add parameters; call `super.parameterValues` to keep the
   * explicit eviction policy. Runs in the constructor: use only the arguments.
   */
  protected parameterValues(settings: CacheSettings): Record<string, string> {
    return {
      'maxmemory-policy': settings.maxmemoryPolicy,
      'reserved-memory-percent': String(settings.reservedMemoryPercent),
    };
  }

  /**
   * The cache's alarms, each over every node (the primary moves on failover; cache-alarms.ts).
   * Override to add or replace signals; call `super.createAlarms` to keep the platform's set.
   * Runs in the constructor: use only the arguments.
   */
  protected createAlarms(factory: AlarmFactory, targets: CacheAlarmTargets): cloudwatch.Alarm[] {
    return cacheAlarms(this, factory, targets);
  }

  private publishConnectionInfo(prefix: string): void {
    const params: Record<string, string> = {
      'primary/host': this.primaryEndpoint.host,
      'reader/host': this.readerEndpoint.host,
      port: this.primaryEndpoint.port,
      'auth-secret-arn': this.authSecret.secretArn,
      'default-ttl-seconds': String(this.settings.defaultTtlSeconds),
    };
    publishConnectionParameters(this, prefix, 'cache', params);
  }
}

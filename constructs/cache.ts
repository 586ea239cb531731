import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledge } from './acknowledge';
import { cacheNodeAvailabilityZone } from '../lib/model/config/capacity';
import { cacheNodeVcpus, cacheParameterGroupFamily } from '../lib/model/config/cache-node-types';
import { cacheSettingsSchema, type CacheSettings, type CacheSettingsInput } from '../lib/model/config/cache-settings';
import type { AlarmFactory } from './alarm-factory';
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

/** Inputs of the cache's alarm hook. */
export interface CacheAlarmTargets {
  /** Member cluster IDs (`<group>-001`, ...): ElastiCache publishes metrics per node. */
  readonly nodeIds: readonly string[];
  readonly settings: CacheSettings;
  readonly expectedClientConnections: number;
}

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
      ? this.createAlarms(props.alarms, {
          nodeIds: this.nodeIds,
          settings,
          expectedClientConnections: props.expectedClientConnections ?? 1000,
        })
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
   * The cache's alarms, each over every node (the primary moves on failover). Override to add
   * or replace signals; call `super.createAlarms` to keep the platform's set. Runs in the
   * constructor: use only the arguments.
   */
  protected createAlarms(factory: AlarmFactory, targets: CacheAlarmTargets): cloudwatch.Alarm[] {
    const s = factory.settings;
    const perNode = (metricName: string, statistic: string) =>
      Object.fromEntries(
        targets.nodeIds.map((nodeId, i) => [
          `n${i + 1}`,
          new cloudwatch.Metric({ namespace: 'AWS/ElastiCache', metricName, dimensionsMap: { CacheClusterId: nodeId }, statistic }),
        ]),
      );
    const over = (fn: 'MAX' | 'SUM', metricName: string, statistic: string, label: string) => {
      const metrics = perNode(metricName, statistic);
      return new cloudwatch.MathExpression({ expression: `${fn}([${Object.keys(metrics).join(', ')}])`, usingMetrics: metrics, label });
    };
    const evictions = perNode('Evictions', 'Sum');
    const connectionsThreshold = Math.ceil(targets.expectedClientConnections * (s.cacheConnectionsPercent / 100));
    const vcpus = cacheNodeVcpus(targets.settings.nodeType) ?? 2;
    const hostCpu = Math.round(s.cacheEngineCpuPercent / vcpus);
    const hits = Object.fromEntries(
      targets.nodeIds.map((nodeId, i) => [
        `h${i + 1}`,
        new cloudwatch.Metric({
          namespace: 'AWS/ElastiCache',
          metricName: 'CacheHits',
          dimensionsMap: { CacheClusterId: nodeId },
          statistic: 'Sum',
        }),
      ]),
    );
    const misses = Object.fromEntries(
      targets.nodeIds.map((nodeId, i) => [
        `m${i + 1}`,
        new cloudwatch.Metric({
          namespace: 'AWS/ElastiCache',
          metricName: 'CacheMisses',
          dimensionsMap: { CacheClusterId: nodeId },
          statistic: 'Sum',
        }),
      ]),
    );
    const sumOf = (m: Record<string, unknown>) => `SUM([${Object.keys(m).join(', ')}])`;
    const alarms = [
      factory.alarm(this, 'EngineCpuAlarm', {
        component: 'cache',
        signal: 'engine-cpu',
        severity: 'warning',
        metric: over('MAX', 'EngineCPUUtilization', 'Average', 'Engine CPU % (busiest node)'),
        threshold: s.cacheEngineCpuPercent,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.MISSING,
        description: `Engine (main thread) CPU above ${s.cacheEngineCpuPercent}% on a node (alarms.cacheEngineCpuPercent): commands queue, latency rises.`,
        recommendation: 'ElastiCache EngineCPUUtilization (AWS: 90; for nodes with 4+ vCPUs)',
      }),
      factory.alarm(this, 'HostCpuAlarm', {
        component: 'cache',
        signal: 'host-cpu',
        severity: 'warning',
        metric: over('MAX', 'CPUUtilization', 'Average', 'Host CPU % (busiest node)'),
        threshold: hostCpu,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.MISSING,
        description: `Host CPU above ${hostCpu}% (alarms.cacheEngineCpuPercent / ${vcpus} vCPUs of ${targets.settings.nodeType}): the single engine thread is near saturation.`,
        recommendation: 'ElastiCache CPUUtilization, 90% of available CPU divided by vCPUs (for nodes with 2 vCPUs or fewer)',
      }),
      factory.alarm(this, 'HitRateAlarm', {
        component: 'cache',
        signal: 'hit-rate',
        severity: 'warning',
        metric: new cloudwatch.MathExpression({
          expression: `100 * ${sumOf(hits)} / (${sumOf(hits)} + ${sumOf(misses)})`,
          usingMetrics: { ...hits, ...misses },
          label: 'Hit rate % (all nodes)',
        }),
        threshold: s.cacheHitRatePercent,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        evaluationPeriods: 15,
        datapointsToAlarm: 10,
        description: `Hit rate below ${s.cacheHitRatePercent}% (alarms.cacheHitRatePercent): reads fall through to the database; check evictions, TTLs and key design.`,
        recommendation: 'not in the AWS list (AWS notes a CacheHitRate below 0.8 means keys are evicted, expired or missing)',
      }),
      factory.alarm(this, 'MemoryAlarm', {
        component: 'cache',
        signal: 'memory',
        severity: 'warning',
        metric: over('MAX', 'DatabaseMemoryUsageCountedForEvictPercentage', 'Average', 'Memory % of maxmemory (eviction at 100)'),
        threshold: s.cacheMemoryPercent,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.MISSING,
        description: `Memory counted for eviction above ${s.cacheMemoryPercent}% (alarms.cacheMemoryPercent); "${targets.settings.maxmemoryPolicy}" starts evicting at 100%.`,
        recommendation: 'ElastiCache DatabaseMemoryUsagePercentage, 5 of 5 (the counted-for-evict variant tracks eviction pressure)',
      }),
      factory.alarm(this, 'EvictionsAlarm', {
        component: 'cache',
        signal: 'evictions',
        severity: 'warning',
        metric: new cloudwatch.MathExpression({
          expression: `SUM([${Object.keys(evictions).join(', ')}]) * 60 / PERIOD(n1)`,
          usingMetrics: evictions,
          label: 'Evictions per minute',
        }),
        threshold: s.cacheEvictionsPerMinute,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        description: `More than ${s.cacheEvictionsPerMinute} evictions per minute (alarms.cacheEvictionsPerMinute): the working set does not fit, hit rate will fall.`,
        recommendation: "ElastiCache Evictions (not in the AWS list; watched because eviction is this cache's failure mode)",
      }),
      factory.alarm(this, 'ConnectionsAlarm', {
        component: 'cache',
        signal: 'connections',
        severity: 'warning',
        metric: over('SUM', 'CurrConnections', 'Maximum', 'Client connections (all nodes)'),
        threshold: connectionsThreshold,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.MISSING,
        evaluationPeriods: 10,
        datapointsToAlarm: 10,
        description: `More than ${connectionsThreshold} client connections: ${s.cacheConnectionsPercent}% of the ${targets.expectedClientConnections} the fleet opens at maxCapacity. Likely a connection leak.`,
        recommendation: 'ElastiCache CurrConnections, 10 of 10, threshold from the expected client count',
      }),
    ];
    if (targets.nodeIds.length > 1) {
      alarms.push(
        factory.alarm(this, 'ReplicationLagAlarm', {
          component: 'cache',
          signal: 'replication-lag',
          severity: 'warning',
          metric: over('MAX', 'ReplicationLag', 'Maximum', 'Replication lag s (worst replica)'),
          threshold: s.cacheReplicationLagSeconds,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.MISSING,
          evaluationPeriods: 15,
          datapointsToAlarm: 15,
          description: `A replica lags the primary by more than ${s.cacheReplicationLagSeconds} s (alarms.cacheReplicationLagSeconds): reader-endpoint reads are stale, and a failover would lose writes.`,
          recommendation: 'ElastiCache ReplicationLag, 15 of 15',
        }),
      );
    }
    return alarms;
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

import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type { Construct } from 'constructs';
import { DEFAULT_REPLICA_LAG_ALARM_SECONDS } from '../lib/model/config/alarm-settings';
import type { DatabaseSettings } from '../lib/model/config/database-settings';
import { postgresMaxConnections } from '../lib/model/config/postgres-connections';
import { rdsInstanceClass } from '../lib/model/config/rds-instance-classes';
import type { AlarmFactory } from './alarm-factory';

/** Inputs of the database's alarm hook. */
export interface DatabaseAlarmTargets {
  readonly writer: rds.DatabaseInstance;
  readonly replicas: readonly rds.DatabaseInstanceReadReplica[];
  /** RDS Proxy, when enabled. */
  readonly proxy?: rds.DatabaseProxy;
  readonly settings: DatabaseSettings;
}

/**
 * The database's alarms (the Database's `createAlarms` hook): every instance (writer and each
 * replica), the writer's write latency and transaction IDs, replica lag, and the proxy when there
 * is one. Created in `scope`, the Database, so their construct IDs (and logical IDs) are the
 * Database's children as they always were.
 */
export function databaseAlarms(scope: Construct, factory: AlarmFactory, targets: DatabaseAlarmTargets): cloudwatch.Alarm[] {
  const { writer, replicas, proxy, settings } = targets;
  const alarms = instanceAlarms(scope, factory, writer.instanceIdentifier, 'writer', settings.instanceClass, settings);
  const writerMetric = (metricName: string, statistic: string) =>
    new cloudwatch.Metric({
      namespace: 'AWS/RDS',
      metricName,
      dimensionsMap: { DBInstanceIdentifier: writer.instanceIdentifier },
      statistic,
    });
  const s = factory.settings;
  alarms.push(
    factory.alarm(scope, 'WriterWriteLatencyAlarm', {
      component: 'db',
      signal: 'writer-write-latency',
      severity: 'warning',
      metric: writerMetric('WriteLatency', 'p90'),
      threshold: s.dbLatencyMs / 1000,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.MISSING,
      description: `p90 disk write latency above ${s.dbLatencyMs} ms (alarms.dbLatencyMs): storage is saturated; commits slow down.`,
      recommendation: 'RDS WriteLatency p90, about 20 ms',
    }),
    factory.alarm(scope, 'WriterTransactionIdsAlarm', {
      component: 'db',
      signal: 'writer-transaction-ids',
      severity: 'critical',
      metric: writerMetric('MaximumUsedTransactionIDs', 'Average'),
      threshold: 1_000_000_000,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.MISSING,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      description:
        'Over 1 billion transaction IDs in use: autovacuum is not freezing old rows, and PostgreSQL goes read-only near 2 billion (wraparound).',
      recommendation: 'RDS MaximumUsedTransactionIDs > 1e9, 1 of 1',
    }),
  );
  const replicaClass = settings.replicaInstanceClass ?? settings.instanceClass;
  // The platform stack resolves it from the freshness model (replicaLagAlarmSeconds).
  const lagSeconds = s.replicaLagSeconds ?? DEFAULT_REPLICA_LAG_ALARM_SECONDS;
  replicas.forEach((replica, i) => {
    const role = `replica-${i + 1}`;
    alarms.push(...instanceAlarms(scope, factory, replica.instanceIdentifier, role, replicaClass, settings));
    alarms.push(
      factory.alarm(scope, `Replica${i + 1}LagAlarm`, {
        component: 'db',
        signal: `${role}-lag`,
        severity: 'warning',
        metric: new cloudwatch.Metric({
          namespace: 'AWS/RDS',
          metricName: 'ReplicaLag',
          dimensionsMap: { DBInstanceIdentifier: replica.instanceIdentifier },
          statistic: 'Maximum',
        }),
        threshold: lagSeconds,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        // Missing ReplicaLag means replication has stopped.
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        evaluationPeriods: 10,
        datapointsToAlarm: 10,
        description: `Replica ${i + 1} lags the writer by more than ${lagSeconds} s (alarms.replicaLagSeconds, by default the tightest content class's maxStalenessSeconds): past it the app reads that class from the writer.`,
        recommendation: 'RDS ReplicaLag (Maximum), 10 of 10, missing data breaching, on replicas only',
      }),
    );
  });
  if (proxy) alarms.push(...proxyAlarms(scope, factory, proxy, settings));
  return alarms;
}

/** The alarms every DB instance gets, named `<role>-<signal>`. */
function instanceAlarms(
  scope: Construct,
  factory: AlarmFactory,
  instanceId: string,
  role: string,
  instanceClass: string,
  settings: DatabaseSettings,
): cloudwatch.Alarm[] {
  const s = factory.settings;
  const id = role.replace(/(^|-)(\w)/g, (_m, _sep, c: string) => c.toUpperCase());
  const label = role === 'writer' ? 'Writer' : `Replica ${role.split('-')[1]}`;
  const info = rdsInstanceClass(instanceClass)!;
  const maxConnections = postgresMaxConnections(instanceClass);
  const metric = (metricName: string, statistic: string) =>
    new cloudwatch.Metric({ namespace: 'AWS/RDS', metricName, dimensionsMap: { DBInstanceIdentifier: instanceId }, statistic });
  const freeMemoryBytes = Math.round(info.memoryGiB * 1024 ** 3 * (s.dbFreeableMemoryPercent / 100));
  const freeStorageBytes = Math.round(settings.allocatedStorageGiB * 1024 ** 3 * (s.dbFreeStoragePercent / 100));
  const connections = Math.floor(maxConnections * (s.dbConnectionsPercent / 100));
  const load = info.vcpus * s.dbLoadPerVcpu;
  const above = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD;
  const below = cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD;
  const { BREACHING, MISSING } = cloudwatch.TreatMissingData;
  return [
    factory.alarm(scope, `${id}CpuAlarm`, {
      component: 'db',
      signal: `${role}-cpu`,
      severity: 'warning',
      metric: metric('CPUUtilization', 'Average'),
      threshold: s.dbCpuPercent,
      comparisonOperator: above,
      treatMissingData: BREACHING,
      description: `${label} CPU above ${s.dbCpuPercent}% (alarms.dbCpuPercent): move reads to replicas, cache, or scale the class.`,
      recommendation: 'RDS CPUUtilization (AWS: 90), missing data breaching',
    }),
    factory.alarm(scope, `${id}MemoryAlarm`, {
      component: 'db',
      signal: `${role}-freeable-memory`,
      severity: 'warning',
      metric: metric('FreeableMemory', 'Minimum'),
      threshold: freeMemoryBytes,
      comparisonOperator: below,
      treatMissingData: BREACHING,
      evaluationPeriods: 15,
      datapointsToAlarm: 15,
      description: `${label} freeable memory below ${s.dbFreeableMemoryPercent}% of ${instanceClass}'s ${info.memoryGiB} GiB (${freeMemoryBytes} bytes): too many connections or work_mem pressure.`,
      recommendation: 'RDS FreeableMemory, 15 of 15, missing data breaching',
    }),
    factory.alarm(scope, `${id}StorageAlarm`, {
      component: 'db',
      signal: `${role}-free-storage`,
      severity: 'critical',
      metric: metric('FreeStorageSpace', 'Minimum'),
      threshold: freeStorageBytes,
      comparisonOperator: below,
      treatMissingData: BREACHING,
      description: `${label} free storage below ${s.dbFreeStoragePercent}% of the initial ${settings.allocatedStorageGiB} GiB: storage autoscaling (up to ${settings.maxAllocatedStorageGiB} GiB) is not keeping up or has reached its ceiling.`,
      recommendation:
        'RDS FreeStorageSpace (AWS advises against it with storage autoscaling; here it is sized to fire only when autoscaling cannot help)',
    }),
    factory.alarm(scope, `${id}ConnectionsAlarm`, {
      component: 'db',
      signal: `${role}-connections`,
      severity: 'critical',
      metric: metric('DatabaseConnections', 'Maximum'),
      threshold: connections,
      comparisonOperator: above,
      treatMissingData: BREACHING,
      description: `${label} connections above ${s.dbConnectionsPercent}% of the estimated max_connections (${maxConnections}) of ${instanceClass}: new connections will soon be refused.`,
      recommendation: 'RDS DatabaseConnections, a share of max_connections, missing data breaching',
    }),
    factory.alarm(scope, `${id}ReadLatencyAlarm`, {
      component: 'db',
      signal: `${role}-read-latency`,
      severity: 'warning',
      metric: metric('ReadLatency', 'p90'),
      threshold: s.dbLatencyMs / 1000,
      comparisonOperator: above,
      treatMissingData: MISSING,
      description: `${label} p90 disk read latency above ${s.dbLatencyMs} ms (alarms.dbLatencyMs): the working set no longer fits in memory, or storage is saturated.`,
      recommendation: 'RDS ReadLatency p90, about 20 ms',
    }),
    factory.alarm(scope, `${id}LoadAlarm`, {
      component: 'db',
      signal: `${role}-load`,
      severity: 'warning',
      metric: metric('DBLoad', 'Average'),
      threshold: load,
      comparisonOperator: above,
      treatMissingData: MISSING,
      evaluationPeriods: 15,
      datapointsToAlarm: 15,
      description: `${label} average active sessions above ${load} (${info.vcpus} vCPUs of ${instanceClass} x alarms.dbLoadPerVcpu): sessions queue for CPU or I/O.`,
      recommendation: 'RDS DBLoad above the vCPU count, 15 of 15 (Performance Insights is on)',
    }),
    factory.alarm(scope, `${id}IoBalanceAlarm`, {
      component: 'db',
      signal: `${role}-ebs-io-balance`,
      severity: 'warning',
      metric: metric('EBSIOBalance%', 'Average'),
      threshold: s.dbBurstBalancePercent,
      comparisonOperator: below,
      treatMissingData: MISSING,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      description: `${label} EBS IOPS burst credits below ${s.dbBurstBalancePercent}%: I/O will drop to the baseline of the instance class.`,
      recommendation: 'RDS EBSIOBalance% < 10, 3 of 3',
    }),
    factory.alarm(scope, `${id}ByteBalanceAlarm`, {
      component: 'db',
      signal: `${role}-ebs-byte-balance`,
      severity: 'warning',
      metric: metric('EBSByteBalance%', 'Average'),
      threshold: s.dbBurstBalancePercent,
      comparisonOperator: below,
      treatMissingData: MISSING,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      description: `${label} EBS throughput burst credits below ${s.dbBurstBalancePercent}%: throughput will drop to the baseline of the instance class.`,
      recommendation: 'RDS EBSByteBalance% < 10, 3 of 3',
    }),
  ];
}

/** RDS Proxy alarms; AWS publishes none, so these watch the pool the connection budget sizes. */
function proxyAlarms(scope: Construct, factory: AlarmFactory, proxy: rds.DatabaseProxy, settings: DatabaseSettings): cloudwatch.Alarm[] {
  const s = factory.settings;
  const metric = (metricName: string, statistic: string) =>
    new cloudwatch.Metric({ namespace: 'AWS/RDS', metricName, dimensionsMap: { ProxyName: proxy.dbProxyName }, statistic });
  const share = Math.floor((postgresMaxConnections(settings.instanceClass) * settings.proxy.maxConnectionsPercent) / 100);
  const connections = Math.floor((share * s.proxyConnectionsPercent) / 100);
  const borrowMicros = Math.round(settings.proxy.borrowTimeoutSeconds * 1_000_000 * (s.proxyBorrowLatencyPercent / 100));
  const above = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD;
  const { MISSING, NOT_BREACHING } = cloudwatch.TreatMissingData;
  return [
    factory.alarm(scope, 'ProxyConnectionsAlarm', {
      component: 'db',
      signal: 'proxy-connections',
      severity: 'critical',
      metric: metric('DatabaseConnections', 'Sum'),
      threshold: connections,
      comparisonOperator: above,
      treatMissingData: MISSING,
      description: `RDS Proxy holds more than ${connections} DB connections, ${s.proxyConnectionsPercent}% (alarms.proxyConnectionsPercent) of the ${share} it may open: clients will start to wait for connections.`,
      recommendation: 'none for RDS Proxy in the AWS list; DatabaseConnections against the proxy share of max_connections',
    }),
    factory.alarm(scope, 'ProxyBorrowLatencyAlarm', {
      component: 'db',
      signal: 'proxy-borrow-latency',
      severity: 'warning',
      metric: metric('DatabaseConnectionsBorrowLatency', 'Average'),
      threshold: borrowMicros,
      comparisonOperator: above,
      treatMissingData: NOT_BREACHING,
      description: `Average borrow latency above ${borrowMicros} us, ${s.proxyBorrowLatencyPercent}% of the ${settings.proxy.borrowTimeoutSeconds} s borrow timeout: the pool is saturated and requests queue.`,
      recommendation: 'none for RDS Proxy in the AWS list; DatabaseConnectionsBorrowLatency against database.proxy.borrowTimeoutSeconds',
    }),
    factory.alarm(scope, 'ProxySetupFailedAlarm', {
      component: 'db',
      signal: 'proxy-setup-failed',
      severity: 'warning',
      metric: metric('DatabaseConnectionsSetupFailed', 'Sum'),
      threshold: 0,
      comparisonOperator: above,
      treatMissingData: NOT_BREACHING,
      description: 'RDS Proxy failed to open connections to the writer (credentials, max_connections or the writer is down).',
      recommendation: 'none for RDS Proxy in the AWS list; DatabaseConnectionsSetupFailed > 0',
    }),
    factory.alarm(scope, 'ProxyAuthFailedAlarm', {
      component: 'db',
      signal: 'proxy-client-auth-failed',
      severity: 'warning',
      metric: metric('ClientConnectionsSetupFailedAuth', 'Sum'),
      threshold: 0,
      comparisonOperator: above,
      treatMissingData: NOT_BREACHING,
      description: 'Clients failed IAM or TLS authentication at RDS Proxy: a role lost rds-db:connect, or a client connects without TLS.',
      recommendation: 'none for RDS Proxy in the AWS list; ClientConnectionsSetupFailedAuth > 0',
    }),
  ];
}

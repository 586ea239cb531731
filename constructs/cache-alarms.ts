import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import { cacheNodeVcpus } from '../lib/model/config/cache-node-types';
import type { CacheSettings } from '../lib/model/config/cache-settings';
import type { AlarmFactory } from './alarm-factory';

/** Inputs of the cache's alarm hook. */
export interface CacheAlarmTargets {
  /** Member cluster IDs (`<group>-001`, ...): ElastiCache publishes metrics per node. */
  readonly nodeIds: readonly string[];
  readonly settings: CacheSettings;
  readonly expectedClientConnections: number;
}

/**
 * The cache's alarms (the Cache's `createAlarms` hook), each over every node: the primary moves
 * on failover. Created in `scope`, the Cache, so their construct IDs (and logical IDs) are the
 * Cache's children as they always were.
 */
export function cacheAlarms(scope: Construct, factory: AlarmFactory, targets: CacheAlarmTargets): cloudwatch.Alarm[] {
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
    factory.alarm(scope, 'EngineCpuAlarm', {
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
    factory.alarm(scope, 'HostCpuAlarm', {
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
    factory.alarm(scope, 'HitRateAlarm', {
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
    factory.alarm(scope, 'MemoryAlarm', {
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
    factory.alarm(scope, 'EvictionsAlarm', {
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
    factory.alarm(scope, 'ConnectionsAlarm', {
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
      factory.alarm(scope, 'ReplicationLagAlarm', {
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

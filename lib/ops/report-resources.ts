import { componentOrder, parseDbRole, type Component } from './alarm-naming.js';
import type { OpsAlarm } from './alarm-discovery.js';

/** What kind of resource a report section is about; each kind has its own key metrics. */
export type ResourceKind = 'cdn' | 'alb' | 'fleet' | 'dbWriter' | 'dbReplica' | 'dbProxy' | 'dbInstance' | 'cache';

/** A resource found in the dimensions of the stack's alarms. */
export interface Resource {
  readonly kind: ResourceKind;
  readonly component: Component;
  /** The identifying dimension value: load balancer, ASG, DB instance, proxy, cache cluster, distribution. */
  readonly id: string;
  /** Human label, e.g. "DB writer shop-db" or "replica 1 shop-db-replica-1". */
  readonly label: string;
  readonly namespace: string;
  /** Dimensions every metric of this resource is queried with. */
  readonly dimensions: Readonly<Record<string, string>>;
}

const KIND_ORDER: readonly ResourceKind[] = ['cdn', 'alb', 'fleet', 'dbWriter', 'dbInstance', 'dbReplica', 'dbProxy', 'cache'];

/**
 * The resources a report queries, derived from the namespace-independent dimensions of
 * the alarms' metrics (ADR 0001): DistributionId, LoadBalancer, AutoScalingGroupName,
 * DBInstanceIdentifier (role from the alarm's db signal: writer-, replica-N-), ProxyName
 * and CacheClusterId. Sorted in request-path order.
 */
export function deriveResources(alarms: readonly OpsAlarm[]): Resource[] {
  const byKey = new Map<string, Resource>();
  const add = (resource: Resource, key: string, replace = false) => {
    if (replace || !byKey.has(key)) byKey.set(key, resource);
  };
  for (const alarm of alarms) {
    for (const { dimensions: d } of alarm.metrics) {
      if (d.DistributionId) {
        add(
          resource('cdn', 'cdn', d.DistributionId, 'AWS/CloudFront', { DistributionId: d.DistributionId, Region: d.Region ?? 'Global' }),
          `cdn:${d.DistributionId}`,
        );
      }
      if (d.LoadBalancer) {
        add(resource('alb', 'alb', d.LoadBalancer, 'AWS/ApplicationELB', { LoadBalancer: d.LoadBalancer }), `alb:${d.LoadBalancer}`);
      }
      if (d.AutoScalingGroupName) {
        const asg = d.AutoScalingGroupName;
        add(resource('fleet', 'fleet', asg, 'AWS/EC2', { AutoScalingGroupName: asg }), `fleet:${asg}`);
      }
      if (d.ProxyName) {
        add(resource('dbProxy', 'db', d.ProxyName, 'AWS/RDS', { ProxyName: d.ProxyName }), `proxy:${d.ProxyName}`);
      }
      if (d.DBInstanceIdentifier) {
        const id = d.DBInstanceIdentifier;
        const role = alarm.component === 'db' ? parseDbRole(alarm.signal) : { role: 'unknown' as const };
        const dims = { DBInstanceIdentifier: id };
        if (role.role === 'writer') add(resource('dbWriter', 'db', id, 'AWS/RDS', dims), `db:${id}`, true);
        else if (role.role === 'replica')
          add(resource('dbReplica', 'db', id, 'AWS/RDS', dims, `replica ${role.replica}`), `db:${id}`, true);
        else add(resource('dbInstance', 'db', id, 'AWS/RDS', dims), `db:${id}`);
      }
      if (d.CacheClusterId) {
        add(
          resource('cache', 'cache', d.CacheClusterId, 'AWS/ElastiCache', { CacheClusterId: d.CacheClusterId }),
          `cache:${d.CacheClusterId}`,
        );
      }
    }
  }
  return [...byKey.values()].sort(
    (a, b) =>
      componentOrder(a.component) - componentOrder(b.component) ||
      KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) ||
      a.label.localeCompare(b.label, 'en', { numeric: true }),
  );
}

const KIND_LABEL: Record<ResourceKind, string> = {
  cdn: 'CloudFront',
  alb: 'ALB',
  fleet: 'fleet',
  dbWriter: 'DB writer',
  dbReplica: 'replica',
  dbProxy: 'DB proxy',
  dbInstance: 'DB instance',
  cache: 'cache',
};

function resource(
  kind: ResourceKind,
  component: Component,
  id: string,
  namespace: string,
  dimensions: Record<string, string>,
  prefix = KIND_LABEL[kind],
): Resource {
  return { kind, component, id, label: `${prefix} ${id}`, namespace, dimensions };
}

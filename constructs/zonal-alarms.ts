import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct } from 'constructs';
import { APP_AZ_DIMENSION, APP_METRICS_DIMENSION, APP_METRICS_NAMESPACE } from '@loadbearing/contract';
import type { AppMetricsSource } from '../lib/model/config/app-settings';
import { ConfigError } from '../lib/model/config/config-error';
import type { ZonalSettings } from '../lib/model/config/zonal-settings';
import {
  isolatedImpactAlarmRule,
  isolatedImpactThresholds,
  MAX_METRICS_PER_ALARM,
  metricIdsOf,
  renderIsolatedImpact,
  type AzMetricIds,
  type IsolatedImpactThresholds,
} from '../lib/model/zonal';
import { acknowledge } from './acknowledge';
import type { AlarmFactory } from './alarm-factory';

export interface ZonalAlarmsProps {
  readonly factory: AlarmFactory;
  readonly availabilityZones: readonly string[];
  readonly settings: ZonalSettings;
  /** Where the per-AZ numbers come from: the app's per-AZ metrics, or the load balancer's (app.metrics = none). */
  readonly source: AppMetricsSource;
  /** The `Stack` dimension value the app publishes. */
  readonly stackName: string;
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  /** Where the settings live in the config, for error messages. */
  readonly configPath: string;
}

/** The alarms of one AZ. */
export interface AzAlarms {
  readonly az: string;
  readonly availability: cloudwatch.Alarm;
  readonly latency: cloudwatch.Alarm;
  readonly faultOutlier: cloudwatch.Alarm;
  readonly latencyOutlier: cloudwatch.Alarm;
  /** (availability AND fault outlier) OR (latency AND latency outlier): shift away from this AZ. */
  readonly isolatedImpact: cloudwatch.CompositeAlarm;
}

/** The AZ name as one alarm-key segment (no dashes, so `fleet-az-*-isolated-impact` matches it): us-east-1a -> useast1a. */
export function azKeySegment(az: string): string {
  return az.replace(/-/g, '');
}

/**
 * The per-AZ alarms of ADR 0008, derived from config: for every AZ an availability, a latency,
 * a fault-outlier and a latency-outlier alarm (metric math, 0 or 1, threshold 1), and the
 * isolated-impact composite over them. The expressions and the composite rule come from
 * lib/model/zonal (the proving ground evaluates the same module on its own numbers).
 *
 * - Data: with app.metrics `contract`, the app's `[Stack, AvailabilityZone]` metrics (the AZ the
 *   instance runs in: Requests, ServerErrors, RequestLatency p99); with `none`, the load
 *   balancer's per-AZ target metrics (AWS/ApplicationELB RequestCount, HTTPCode_Target_5XX_Count,
 *   TargetResponseTime p99 with the dimensions TargetGroup, AvailabilityZone, LoadBalancer:
 *   https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html),
 *   whose AZ may be the load balancer node's (docs/adr/0011-cross-zone-and-per-az-signals.md).
 * - A metric-math alarm reads at most 10 metrics
 *   (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-limits.md); an outlier
 *   alarm reads 2 per AZ, so every alarm is checked here and refused at synth beyond 10
 *   (environment rule EC-30 refuses more than 5 AZs with the alarms on, first).
 * - No per-instance term: CloudWatch has no per-instance count here (ADR 0008, "Counting
 *   instances in CloudWatch"); the spread term holds, and the group's health checks replace one
 *   bad instance.
 * - The term alarms notify no one (the composite does, once); missing data is not breaching.
 */
export class ZonalAlarms extends Construct {
  public readonly azs: AzAlarms[] = [];
  public readonly thresholds: IsolatedImpactThresholds;

  constructor(scope: Construct, id: string, props: ZonalAlarmsProps) {
    super(scope, id);
    const { factory, settings } = props;
    const s = factory.settings;
    this.thresholds = isolatedImpactThresholds(
      { faultRate: s.http5xxRatePercent / 100, latencyMs: s.latencyP99Seconds * 1000 },
      {
        faultOutlierFactor: settings.faultOutlierFactor,
        latencyOutlierFactor: settings.latencyOutlierFactor,
        minRequests: settings.minRequests,
      },
    );
    const alb = props.source === 'none';
    // TargetResponseTime is in seconds: the same rule with the latency threshold in seconds.
    const t: IsolatedImpactThresholds = alb ? { ...this.thresholds, latencyMs: s.latencyP99Seconds } : this.thresholds;
    const ids: AzMetricIds[] = props.availabilityZones.map((az, i) => ({ az, requests: `r${i}`, faults: `f${i}`, latency: `l${i}` }));
    const metrics = new Map<string, cloudwatch.IMetric>();
    props.availabilityZones.forEach((az, i) => {
      const m = alb ? this.albMetrics(props, az) : this.appMetrics(props, az);
      metrics.set(`r${i}`, m.requests);
      metrics.set(`f${i}`, m.faults);
      metrics.set(`l${i}`, m.latency);
    });
    const period = Duration.seconds(s.periodSeconds);
    const source = alb
      ? 'the load balancer per-AZ target metrics (app.metrics = none; the AZ may be the node, ADR 0011)'
      : `the app's [${APP_METRICS_DIMENSION}, ${APP_AZ_DIMENSION}] metrics`;
    const latencyUnit = alb ? 's' : 'ms';

    for (const e of renderIsolatedImpact(ids, t)) {
      const seg = azKeySegment(e.az);
      const term = (idSuffix: string, signal: string, expression: string, label: string, description: string) => {
        const used = metricIdsOf(expression);
        if (used.length > MAX_METRICS_PER_ALARM)
          throw new ConfigError(
            [
              {
                path: `${props.configPath}.availabilityZones`,
                value: String(props.availabilityZones.length),
                rule: `the per-AZ alarm fleet-az-${seg}-${signal} would read ${used.length} metrics; a metric-math alarm reads at most ${MAX_METRICS_PER_ALARM} (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-limits.md)`,
                fix: 'list at most 5 availability zones, or set zonal.alarms to false.',
              },
            ],
            'the per-AZ alarms',
          );
        return factory.alarm(this, `${idSuffix}${seg}`, {
          component: 'fleet',
          signal: `az-${seg}-${signal}`,
          severity: 'warning',
          metric: new cloudwatch.MathExpression({
            expression,
            usingMetrics: Object.fromEntries(used.map((u) => [u, metrics.get(u)!])),
            period,
            label,
          }),
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          notify: false,
          description: `${e.az}: ${description} From ${source}. A member of fleet-az-${seg}-isolated-impact (ADR 0008).`,
          recommendation: 'none (per-AZ isolated impact, docs/adr/0008-zonal-isolated-impact.md)',
        });
      };
      const judged = `at least ${t.minRequests} requests in the period (zonal.minRequests)`;
      const availability = term(
        'Availability',
        'availability',
        e.availabilityImpaired,
        `${e.az} faults >= ${s.http5xxRatePercent}%`,
        `faults (5xx, not shed) at or above ${s.http5xxRatePercent}% of requests (alarms.http5xxRatePercent), with ${judged}.`,
      );
      const latency = term(
        'Latency',
        'latency',
        e.latencyImpaired,
        `${e.az} p99 >= ${t.latencyMs} ${latencyUnit}`,
        `p99 latency at or above ${s.latencyP99Seconds} s (alarms.latencyP99Seconds), with ${judged}.`,
      );
      const faultOutlier = term(
        'FaultOutlier',
        'fault-outlier',
        e.faultOutlier,
        `${e.az} fault rate >= ${t.faultOutlierFactor}x every other AZ`,
        `its fault rate is at least ${t.faultOutlierFactor} times that of every other AZ with traffic (zonal.faultOutlierFactor).`,
      );
      const latencyOutlier = term(
        'LatencyOutlier',
        'latency-outlier',
        e.latencyOutlier,
        `${e.az} p99 >= ${t.latencyOutlierFactor}x every other AZ`,
        `its p99 latency is at least ${t.latencyOutlierFactor} times that of every other AZ with traffic (zonal.latencyOutlierFactor).`,
      );
      const isolatedImpact = factory.compositeAlarm(this, `IsolatedImpact${seg}`, {
        component: 'fleet',
        signal: `az-${seg}-isolated-impact`,
        severity: 'critical',
        // The rule of lib/model/zonal, on the alarms' names (tokens: the composite waits for them).
        rule: cloudwatch.AlarmRule.fromString(
          isolatedImpactAlarmRule({
            availabilityImpaired: availability.alarmName,
            faultOutlier: faultOutlier.alarmName,
            latencyImpaired: latency.alarmName,
            latencyOutlier: latencyOutlier.alarmName,
          }),
        ),
        description: `${e.az} alone is impaired (faults or latency) and an outlier against every other AZ: shift away from it with \`npx loadbearing zonal-shift start --env <env> --az ${e.az} --expires 2h --comment <why>\` (docs/operations.md, "Zonal shift"; failure mode gray-az).`,
      });
      for (const member of [availability, latency, faultOutlier, latencyOutlier]) {
        isolatedImpact.node.addDependency(member);
        acknowledge(
          member,
          "A member of its AZ's isolated-impact composite, which notifies for it: one page per sick AZ, not one per term.",
          'NIST.800.53.R5::NIST.800.53.R5-CloudWatchAlarmAction',
          'cdk-validator-cfnguard::cloudwatch_alarm_action_check',
        );
      }
      this.azs.push({ az: e.az, availability, latency, faultOutlier, latencyOutlier, isolatedImpact });
    }
  }

  private appMetrics(props: ZonalAlarmsProps, az: string) {
    const metric = (metricName: string, statistic: string) =>
      new cloudwatch.Metric({
        namespace: APP_METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { [APP_METRICS_DIMENSION]: props.stackName, [APP_AZ_DIMENSION]: az },
        statistic,
      });
    return { requests: metric('Requests', 'Sum'), faults: metric('ServerErrors', 'Sum'), latency: metric('RequestLatency', 'p99') };
  }

  private albMetrics(props: ZonalAlarmsProps, az: string) {
    const metric = (metricName: string, statistic: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/ApplicationELB',
        metricName,
        dimensionsMap: {
          LoadBalancer: props.loadBalancer.loadBalancerFullName,
          TargetGroup: props.targetGroup.targetGroupFullName,
          AvailabilityZone: az,
        },
        statistic,
      });
    return {
      requests: metric('RequestCount', 'Sum'),
      faults: metric('HTTPCode_Target_5XX_Count', 'Sum'),
      latency: metric('TargetResponseTime', 'p99'),
    };
  }
}

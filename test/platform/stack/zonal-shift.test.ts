import { describe, expect, it } from 'vitest';
import { isConfigError } from '../../../lib/model/config/config-error';
import { resourcesOfType, type CfnTemplate } from '../../support/assembly';
import { environment, synthPlatform } from '../../support/platform-variants';

type Props = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const synth = (config: Parameters<typeof synthPlatform>[0]) => synthPlatform(config) as unknown as CfnTemplate;
const only = (t: CfnTemplate, type: string): Props => {
  const found = Object.values(resourcesOfType(t, type));
  expect(found, type).toHaveLength(1);
  return found[0]!.Properties as Props;
};
const attributes = (p: Props): Record<string, string> =>
  Object.fromEntries(
    ((p.LoadBalancerAttributes ?? p.TargetGroupAttributes) as { Key: string; Value: string }[]).map((a) => [a.Key, a.Value]),
  );
/** The logical ID an alarm ARN ({"Fn::GetAtt": [id, "Arn"]}) points at. */
const arnTarget = (c: Props) => (c.AlarmIdentifier as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];

describe('zonal shift and autoshift in the templates', () => {
  const prod = synth(environment('prod'));

  it('registers the ALB and the group for zonal shift, and keeps cross-zone on in the target group', () => {
    expect(attributes(only(prod, 'AWS::ElasticLoadBalancingV2::LoadBalancer'))['zonal_shift.config.enabled']).toBe('true');
    expect(attributes(only(prod, 'AWS::ElasticLoadBalancingV2::TargetGroup'))['load_balancing.cross_zone.enabled']).toBe('true');
    expect(only(prod, 'AWS::AutoScaling::AutoScalingGroup').AvailabilityZoneImpairmentPolicy).toEqual({
      ZonalShiftEnabled: true,
      ImpairedZoneHealthCheckBehavior: 'IgnoreUnhealthy',
    });
  });

  it('enables autoshift on the ALB in prod, with the outcome and blocking alarms of the stack by ARN', () => {
    const autoshift = only(prod, 'AWS::ARCZonalShift::ZonalAutoshiftConfiguration');
    const albId = Object.keys(resourcesOfType(prod, 'AWS::ElasticLoadBalancingV2::LoadBalancer'))[0];
    expect(autoshift.ResourceIdentifier).toEqual({ Ref: albId });
    expect(autoshift.ZonalAutoshiftStatus).toBe('ENABLED');
    const run = autoshift.PracticeRunConfiguration as Props;
    const names = (conditions: Props[]) =>
      conditions.map((c) => {
        expect(c.Type).toBe('CLOUDWATCH');
        return (prod.Resources[arnTarget(c)]!.Properties as Props).AlarmName;
      });
    expect(names(run.OutcomeAlarms)).toEqual(['loadbearing-prod-alb-practice-run-outcome']);
    // One alarm over what users see: 5xx of the balancer and the app against requests, and p99.
    const outcome = Object.values(resourcesOfType(prod, 'AWS::CloudWatch::Alarm'))
      .map((r) => r.Properties as Props)
      .find((p) => p.AlarmName === 'loadbearing-prod-alb-practice-run-outcome')!;
    expect((outcome.Metrics as Props[]).find((m) => m.Expression)!.Expression).toBe(
      '((FILL(e, 0) + FILL(t, 0)) >= (0.01 * r)) OR (l >= 2)',
    );
    expect(
      (outcome.Metrics as Props[])
        .filter((m) => m.MetricStat)
        .map((m) => m.MetricStat.Metric.MetricName)
        .sort(),
    ).toEqual(['HTTPCode_ELB_5XX_Count', 'HTTPCode_Target_5XX_Count', 'RequestCount', 'TargetResponseTime']);
    expect(names(run.BlockingAlarms)).toEqual(['loadbearing-prod-alb-healthy-hosts-low']);
    expect(run.BlockedDates).toBeUndefined();
  });

  it('writes blocked dates and windows from config', () => {
    const t = synth(
      environment('prod', { zonal: { autoshift: { blockedDates: ['2027-01-15'], blockedWindows: ['FRI:16:00-FRI:23:59'] } } }),
    );
    const run = only(t, 'AWS::ARCZonalShift::ZonalAutoshiftConfiguration').PracticeRunConfiguration as Props;
    expect(run.BlockedDates).toEqual(['2027-01-15']);
    expect(run.BlockedWindows).toEqual(['FRI:16:00-FRI:23:59']);
  });

  it('has no autoshift in staging (opt-in), and nothing zonal where zonal.shift is false', () => {
    const staging = synth(environment('staging'));
    expect(Object.keys(resourcesOfType(staging, 'AWS::ARCZonalShift::ZonalAutoshiftConfiguration'))).toHaveLength(0);
    expect(attributes(only(staging, 'AWS::ElasticLoadBalancingV2::LoadBalancer'))['zonal_shift.config.enabled']).toBe('true');
    const off = synth(environment('staging', { zonal: { shift: false } }));
    expect(attributes(only(off, 'AWS::ElasticLoadBalancingV2::LoadBalancer'))['zonal_shift.config.enabled']).toBeUndefined();
    expect(only(off, 'AWS::AutoScaling::AutoScalingGroup').AvailabilityZoneImpairmentPolicy).toBeUndefined();
  });

  it('refuses at synth an outcome alarm that is not a metric alarm of the stack, naming the field', () => {
    const refusal = (outcomeAlarms: string[]) => {
      try {
        synthPlatform(environment('prod', { zonal: { autoshift: { outcomeAlarms } } }));
        return undefined;
      } catch (e) {
        if (isConfigError(e)) return e.message;
        throw e;
      }
    };
    expect(refusal(['fleet-az-useast1a-isolated-impact'])).toMatch(
      /zonal\.autoshift\.outcomeAlarms\[0\] = "fleet-az-useast1a-isolated-impact"[\s\S]*is a composite alarm/,
    );
    expect(refusal(['service-health'])).toMatch(/outcomeAlarms\[0\] = "service-health"[\s\S]*no metric alarm of the stack has this key/);
    expect(refusal(['alb-no-such'])).toMatch(
      /zonal\.autoshift\.outcomeAlarms\[0\] = "alb-no-such"[\s\S]*no metric alarm of the stack has this key/,
    );
    expect(refusal(['alb-target-5xx-rate'])).toBeUndefined();
  });
});

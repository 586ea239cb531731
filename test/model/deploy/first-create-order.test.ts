import { beforeAll, describe, expect, inject, it } from 'vitest';
import { BUILTIN_ENVIRONMENTS } from '../../../lib/model/config/builtin-environments';
import { builtinEnvironments } from '../../../lib/model/config/load-config';
import { planFirstCreate } from '../../../lib/model/deploy/rollback-plan';
import type { CfnTemplate as DeployTemplate } from '../../../lib/model/deploy/template';
import { readTemplate, resourcesOfType, type CfnTemplate } from '../../support/assembly';
import { environment, synthPlatform } from '../../support/platform-variants';

/** Orders in a first create that the template must guarantee, not leave to chance. */
const assemblyDir = inject('assemblyDir');

describe.each(builtinEnvironments().map((e) => e.stackName))('the first create of %s', (stack) => {
  let template: CfnTemplate;
  let ancestorsOf: (id: string) => Set<string>;
  beforeAll(() => {
    template = readTemplate(assemblyDir, stack);
    const plan = planFirstCreate(template as unknown as DeployTemplate);
    const byId = new Map(plan.resources.map((r) => [r.logicalId, r]));
    ancestorsOf = (id) => {
      const seen = new Set<string>();
      const walk = (x: string) => {
        for (const d of byId.get(x)!.dependsOn) {
          if (seen.has(d)) continue;
          seen.add(d);
          walk(d);
        }
      };
      walk(id);
      return seen;
    };
  });

  it("starts the fleet only once its subnets' NAT default routes exist (instances fetch the release and packages through them)", () => {
    const [asgId] = Object.keys(resourcesOfType(template, 'AWS::AutoScaling::AutoScalingGroup'));
    const asg = template.Resources[asgId!]!;
    const appSubnets = new Set((asg.Properties!.VPCZoneIdentifier as { Ref: string }[]).map((s) => s.Ref));
    const appRouteTables = Object.values(resourcesOfType(template, 'AWS::EC2::SubnetRouteTableAssociation'))
      .filter((a) => appSubnets.has((a.Properties!.SubnetId as { Ref: string }).Ref))
      .map((a) => (a.Properties!.RouteTableId as { Ref: string }).Ref);
    const natRoutes = Object.entries(resourcesOfType(template, 'AWS::EC2::Route'))
      .filter(([, r]) => r.Properties!.NatGatewayId && appRouteTables.includes((r.Properties!.RouteTableId as { Ref: string }).Ref))
      .map(([id]) => id);
    expect(natRoutes.length).toBe(appSubnets.size);
    const before = ancestorsOf(asgId!);
    for (const route of natRoutes) expect(before.has(route), route).toBe(true);
  });

  it('creates the alarms on what only the fleet produces (ALB target metrics, app metrics) after the fleet is in service, so a first create does not page', () => {
    const [asgId] = Object.keys(resourcesOfType(template, 'AWS::AutoScaling::AutoScalingGroup'));
    const fleetAlarms = Object.entries(resourcesOfType(template, 'AWS::CloudWatch::Alarm')).filter(([, a]) =>
      /-(alb|app)-/.test(String(a.Properties!.AlarmName)),
    );
    expect(fleetAlarms.length).toBeGreaterThanOrEqual(8);
    for (const [id] of fleetAlarms) expect(ancestorsOf(id).has(asgId!), id).toBe(true);
  });

  it('starts the cache only once what fails first in a fresh account exists: the main listener (its certificate), the web ACLs, CloudFront, the NAT gateways (review 20b, N1)', () => {
    const [cacheId] = Object.keys(resourcesOfType(template, 'AWS::ElastiCache::ReplicationGroup'));
    const listeners = Object.entries(resourcesOfType(template, 'AWS::ElasticLoadBalancingV2::Listener'));
    const https = listeners.filter(([, l]) => l.Properties!.Protocol === 'HTTPS');
    const early = [
      ...(https.length > 0 ? https : listeners).map(([id]) => id),
      ...Object.keys(resourcesOfType(template, 'AWS::WAFv2::WebACL')),
      ...Object.keys(resourcesOfType(template, 'AWS::WAFv2::WebACLAssociation')),
      ...Object.keys(resourcesOfType(template, 'AWS::CloudFront::Distribution')),
      // The app subnets' NAT gateways and default routes (the Elastic IP quota).
      ...Object.entries(resourcesOfType(template, 'AWS::EC2::Route'))
        .filter(([, r]) => r.Properties!.NatGatewayId)
        .map(([id]) => id),
      ...Object.keys(resourcesOfType(template, 'AWS::EC2::NatGateway')),
    ];
    expect(early.length).toBeGreaterThanOrEqual(stack === 'loadbearing-dev' ? 1 : 3);
    const before = ancestorsOf(cacheId!);
    for (const id of early) expect(before.has(id), id).toBe(true);
    // ...and still before the fleet, which needs its endpoints.
    const [asgId] = Object.keys(resourcesOfType(template, 'AWS::AutoScaling::AutoScalingGroup'));
    expect(ancestorsOf(asgId!).has(cacheId!)).toBe(true);
  });

  it('starts the canary only once the fleet is in service, and creates its function and alarm before the cache starts (they would fail, if at all, while it is being created)', () => {
    const [asgId] = Object.keys(resourcesOfType(template, 'AWS::AutoScaling::AutoScalingGroup'));
    const [cacheId] = Object.keys(resourcesOfType(template, 'AWS::ElastiCache::ReplicationGroup'));
    const [scheduleId] = Object.keys(resourcesOfType(template, 'AWS::Events::Rule')).filter((id) => id.startsWith('CanarySchedule'));
    expect(ancestorsOf(scheduleId!).has(asgId!)).toBe(true);
    const canary = Object.entries(template.Resources)
      .filter(([id, r]) => id.startsWith('Canary') && !['AWS::Events::Rule', 'AWS::Lambda::Permission'].includes(r.Type))
      .map(([id]) => id);
    expect(canary.length).toBe(6);
    const beforeCache = ancestorsOf(cacheId!);
    for (const id of canary) expect(beforeCache.has(id), id).toBe(true);
  });

  it('creates every alarm that treats missing data as breaching after the resource it watches', () => {
    for (const [id, a] of Object.entries(resourcesOfType(template, 'AWS::CloudWatch::Alarm'))) {
      if (a.Properties!.TreatMissingData !== 'breaching') continue;
      const watched =
        JSON.stringify(a.Properties!.Dimensions ?? a.Properties!.Metrics).match(/"Ref":"([^"]+)"|"Fn::GetAtt":\["([^"]+)"/g) ?? [];
      const before = ancestorsOf(id);
      if (a.Properties!.Namespace === 'Loadbearing/App') {
        // The app's own metrics (dimension: the stack name): they come from the fleet, so the alarm waits for it.
        const fleets = Object.keys(resourcesOfType(template, 'AWS::AutoScaling::AutoScalingGroup'));
        expect(
          fleets.some((f) => before.has(f)),
          `${id} waits for the fleet`,
        ).toBe(true);
        continue;
      }
      expect(watched.length, id).toBeGreaterThan(0);
      for (const ref of watched) expect(before.has(ref.replace(/^"(Ref|Fn::GetAtt)":\[?"|"$/g, '')), `${id} watches ${ref}`).toBe(true);
    }
  });
});

describe('the cache start with components left out (review 20b, N1)', () => {
  /** The cache's ancestors in a variant's first create (the plan throws on a cycle, as CloudFormation refuses one). */
  function cacheWaitsFor(template: CfnTemplate): { cache: Set<string>; types: Set<string> } {
    const plan = planFirstCreate(template as unknown as DeployTemplate);
    const byId = new Map(plan.resources.map((r) => [r.logicalId, r]));
    const [cacheId] = Object.keys(resourcesOfType(template, 'AWS::ElastiCache::ReplicationGroup'));
    const seen = new Set<string>();
    const walk = (x: string) => {
      for (const d of byId.get(x)!.dependsOn) if (!seen.has(d) && seen.add(d)) walk(d);
    };
    walk(cacheId!);
    return { cache: seen, types: new Set([...seen].map((id) => template.Resources[id]?.Type ?? '')) };
  }

  it('prod with its own edge web ACL and no WAF of the stack: waits for the HTTPS listener and the distribution', () => {
    const webAclArn = 'arn:aws:wafv2:us-east-1:333333333333:global/webacl/shared-edge/11111111-2222-3333-4444-555555555555';
    const template = synthPlatform(
      environment('prod', { waf: { enabled: false }, edge: { ...BUILTIN_ENVIRONMENTS.prod!.edge, webAclArn } }),
    ) as unknown as CfnTemplate;
    const { types } = cacheWaitsFor(template);
    expect(types).toContain('AWS::ElasticLoadBalancingV2::Listener');
    expect(types).toContain('AWS::CloudFront::Distribution');
    expect(Object.keys(resourcesOfType(template, 'AWS::WAFv2::WebACL'))).toEqual([]);
  });

  it('staging with the WAF off: waits for the HTTPS listener only', () => {
    const template = synthPlatform(environment('staging', { waf: { enabled: false } })) as unknown as CfnTemplate;
    const { cache } = cacheWaitsFor(template);
    const https = Object.entries(resourcesOfType(template, 'AWS::ElasticLoadBalancingV2::Listener')).filter(
      ([, l]) => l.Properties!.Protocol === 'HTTPS',
    );
    expect(https).toHaveLength(1);
    expect(cache.has(https[0]![0])).toBe(true);
    expect(Object.keys(resourcesOfType(template, 'AWS::WAFv2::WebACL'))).toEqual([]);
  });
});

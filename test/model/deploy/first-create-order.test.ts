import { beforeAll, describe, expect, inject, it } from 'vitest';
import { builtinEnvironments } from '../../../lib/model/config/load-config';
import { planFirstCreate } from '../../../lib/model/deploy/rollback-plan';
import type { CfnTemplate as DeployTemplate } from '../../../lib/model/deploy/template';
import { readTemplate, resourcesOfType, type CfnTemplate } from '../../support/assembly';

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

  it('creates every alarm that treats missing data as breaching after the resource it watches', () => {
    for (const [id, a] of Object.entries(resourcesOfType(template, 'AWS::CloudWatch::Alarm'))) {
      if (a.Properties!.TreatMissingData !== 'breaching') continue;
      const watched =
        JSON.stringify(a.Properties!.Dimensions ?? a.Properties!.Metrics).match(/"Ref":"([^"]+)"|"Fn::GetAtt":\["([^"]+)"/g) ?? [];
      expect(watched.length, id).toBeGreaterThan(0);
      const before = ancestorsOf(id);
      for (const ref of watched) expect(before.has(ref.replace(/^"(Ref|Fn::GetAtt)":\[?"|"$/g, '')), `${id} watches ${ref}`).toBe(true);
    }
  });
});

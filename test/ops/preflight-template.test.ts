import { describe, expect, inject, it } from 'vitest';
import {
  bootstrapRequirement,
  databaseInstances,
  elasticIpDemand,
  fleetShapes,
  TemplateFactError,
  updateHeadroomPolicy,
} from '../../lib/ops/preflight-template.js';
import { readSynthesizedTemplate } from '../../lib/ops/synthesized-template.js';
import { preflightTemplate } from './support/preflight-fixture.js';

const assemblyDir = inject('assemblyDir');
const synthesized = (stackName: string) => readSynthesizedTemplate({ stackName }, assemblyDir);
const FALLBACK = { engine: 'postgres', engineVersion: '17.9' };

describe('facts of the synthesized built-in stacks', () => {
  it('reads the bootstrap minimum from the CheckBootstrapVersion rule CDK wrote, and its SSM parameter', () => {
    for (const stack of ['loadbearing-dev', 'loadbearing-staging', 'loadbearing-prod']) {
      expect(bootstrapRequirement(synthesized(stack)), stack).toEqual({
        minimumVersion: 6,
        parameterName: '/cdk-bootstrap/hnb659fds/version',
      });
    }
  });

  it('prod: one mixed-instances group of 24, On-Demand base 6 and 100% above it, an instance refresh up to 134% of the desired capacity', () => {
    expect(fleetShapes(synthesized('loadbearing-prod'))).toEqual([
      {
        name: expect.stringMatching(/^FleetASG/),
        minSize: 6,
        maxSize: 24,
        instanceTypes: ['m7g.large', 'm7gd.large', 'r7g.large'],
        distribution: { onDemandBaseCapacity: 6, onDemandPercentageAboveBaseCapacity: 100 },
        update: { kind: 'instance-refresh', maxHealthyPercentage: 134, source: 'from the update policy' },
      },
    ]);
    expect(elasticIpDemand(synthesized('loadbearing-prod'))).toEqual({ elasticIps: 3, publicNatGateways: 3 });
  });

  it('dev: Spot above an On-Demand base of 2, one NAT gateway', () => {
    const [fleet] = fleetShapes(synthesized('loadbearing-dev'));
    expect(fleet).toMatchObject({
      minSize: 2,
      maxSize: 4,
      instanceTypes: ['t4g.medium', 'm7g.medium'],
      distribution: { onDemandBaseCapacity: 2, onDemandPercentageAboveBaseCapacity: 0 },
    });
    expect(elasticIpDemand(synthesized('loadbearing-dev'))).toEqual({ elasticIps: 1, publicNatGateways: 1 });
  });

  it('prod DB: a Multi-AZ writer and two replicas that inherit its engine and version', () => {
    const instances = databaseInstances(synthesized('loadbearing-prod'), { engine: 'postgres', engineVersion: '0' });
    expect(instances.map((i) => [i.instanceClass, i.engine, i.engineVersion, i.multiAz, i.readReplica, i.storageType])).toEqual([
      ['db.r7g.large', 'postgres', '17.9', true, false, 'gp3'],
      ['db.r7g.large', 'postgres', '17.9', false, true, 'gp3'],
      ['db.r7g.large', 'postgres', '17.9', false, true, 'gp3'],
    ]);
  });
});

describe('bootstrapRequirement', () => {
  it('is one above the highest version the rule lists as too old', () => {
    expect(
      bootstrapRequirement(
        preflightTemplate({ tooOldBootstrap: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21] }),
      ).minimumVersion,
    ).toBe(22);
  });

  it('has no minimum without the rule (a synthesizer that does not write it), and the default parameter', () => {
    expect(bootstrapRequirement(preflightTemplate({ tooOldBootstrap: null }))).toEqual({
      parameterName: '/cdk-bootstrap/hnb659fds/version',
    });
    expect(bootstrapRequirement({ Resources: {} })).toEqual({ parameterName: '/cdk-bootstrap/hnb659fds/version' });
  });

  it("takes the qualifier's parameter from the template", () => {
    const template = {
      ...preflightTemplate(),
      Parameters: { BootstrapVersion: { Type: 'AWS::SSM::Parameter::Value<String>', Default: '/cdk-bootstrap/myqual/version' } },
    };
    expect(bootstrapRequirement(template).parameterName).toBe('/cdk-bootstrap/myqual/version');
  });
});

describe('fleetShapes', () => {
  it('a plain launch template group with a warm pool', () => {
    expect(
      fleetShapes(
        preflightTemplate({ plainLaunchTemplate: true, instanceTypes: ['m7g.xlarge'], warmPool: { minSize: 2, poolState: 'Running' } }),
      ),
    ).toEqual([
      {
        name: 'FleetASG',
        minSize: 3,
        maxSize: 12,
        instanceTypes: ['m7g.xlarge'],
        warmPool: { minSize: 2, poolState: 'Running' },
        update: { kind: 'rolling-update', maxBatchSize: 1, minInstancesInService: 3 },
      },
    ]);
  });

  it('refuses values that are not literals, and attribute-based instance selection', () => {
    expect(() => fleetShapes(preflightTemplate({ maxSize: { Ref: 'MaxParam' } }))).toThrow(TemplateFactError);
    const template = preflightTemplate();
    const group = template.Resources!.FleetASG!.Properties!.MixedInstancesPolicy as { LaunchTemplate: { Overrides: unknown[] } };
    group.LaunchTemplate.Overrides = [{ InstanceRequirements: { VCpuCount: { Min: 2 } } }];
    expect(() => fleetShapes(template)).toThrow('FleetASG selects instance types by attributes');
  });
});

describe('updateHeadroomPolicy', () => {
  const group = (updatePolicy: Record<string, unknown>, properties: Record<string, unknown> = {}) => ({
    Type: 'AWS::AutoScaling::AutoScalingGroup',
    UpdatePolicy: updatePolicy,
    Properties: properties,
  });

  it("AutoScalingRollingUpdate, with CloudFormation's defaults MaxBatchSize 1 and MinInstancesInService 0", () => {
    expect(updateHeadroomPolicy('g', group({ AutoScalingRollingUpdate: { MaxBatchSize: '3', MinInstancesInService: '4' } }))).toEqual({
      kind: 'rolling-update',
      maxBatchSize: 3,
      minInstancesInService: 4,
    });
    expect(updateHeadroomPolicy('g', group({ AutoScalingRollingUpdate: {} }))).toEqual({
      kind: 'rolling-update',
      maxBatchSize: 1,
      minInstancesInService: 0,
    });
  });

  it("AutoScalingInstanceRefresh: its MaxHealthyPercentage, else the group's maintenance policy, else the strategy's default", () => {
    expect(
      updateHeadroomPolicy(
        'g',
        group({
          AutoScalingInstanceRefresh: { Strategy: 'Rolling', Preferences: { MaxHealthyPercentage: 150, MinHealthyPercentage: 100 } },
        }),
      ),
    ).toEqual({
      kind: 'instance-refresh',
      maxHealthyPercentage: 150,
      source: 'from the update policy',
    });
    expect(
      updateHeadroomPolicy(
        'g',
        group(
          { AutoScalingInstanceRefresh: { Strategy: 'Rolling' } },
          { InstanceMaintenancePolicy: { MinHealthyPercentage: 100, MaxHealthyPercentage: 120 } },
        ),
      ),
    ).toEqual({
      kind: 'instance-refresh',
      maxHealthyPercentage: 120,
      source: "from the group's instance maintenance policy",
    });
    expect(updateHeadroomPolicy('g', group({ AutoScalingInstanceRefresh: { Strategy: 'Rolling' } }))).toEqual({
      kind: 'instance-refresh',
      maxHealthyPercentage: 110,
      source: 'the Rolling default',
    });
    expect(updateHeadroomPolicy('g', group({ AutoScalingInstanceRefresh: { Strategy: 'ReplaceRootVolume' } }))).toMatchObject({
      maxHealthyPercentage: 100,
    });
  });

  it('AutoScalingReplacingUpdate, and no policy at all', () => {
    expect(updateHeadroomPolicy('g', group({ AutoScalingReplacingUpdate: { WillReplace: true } }))).toEqual({ kind: 'replacing-update' });
    expect(updateHeadroomPolicy('g', group({ AutoScalingScheduledAction: { IgnoreUnmodifiedGroupSizeProperties: true } }))).toEqual({
      kind: 'none',
    });
  });
});

describe('databaseInstances', () => {
  it('falls back to the config for engine and version when no instance states them', () => {
    const template = preflightTemplate({ db: { replicas: 0 } });
    const writer = template.Resources!.DatabaseWriter!.Properties!;
    delete writer.Engine;
    delete writer.EngineVersion;
    expect(databaseInstances(template, FALLBACK)).toEqual([
      {
        name: 'DatabaseWriter',
        instanceClass: 'db.r7g.large',
        engine: 'postgres',
        engineVersion: '17.9',
        multiAz: true,
        readReplica: false,
        storageType: 'gp3',
      },
    ]);
  });
});

import type { FleetShape, UpdateHeadroomPolicy } from './preflight-capacity.js';
import type { SynthesizedResource, SynthesizedTemplate } from './synthesized-template.js';

/**
 * The facts `loadbearing preflight` reads from a synthesized template: what the deploy will ask of
 * the account (the bootstrap version, the fleet's shape, the Elastic IPs, the DB instances). Pure.
 */

/** A value preflight needs is not a literal in the template (a parameter, a condition, an intrinsic). */
export class TemplateFactError extends Error {
  override readonly name = 'TemplateFactError';
}

const DEFAULT_BOOTSTRAP_PARAMETER = '/cdk-bootstrap/hnb659fds/version';

export interface BootstrapRequirement {
  /** The lowest bootstrap version the template accepts; undefined when it has no CheckBootstrapVersion rule. */
  readonly minimumVersion?: number;
  /** The SSM parameter that holds the bootstrap version (the qualifier's). */
  readonly parameterName: string;
}

/**
 * The bootstrap version the template requires, from CDK's own check in it: the rule
 * `CheckBootstrapVersion` asserts that the `BootstrapVersion` parameter (an
 * `AWS::SSM::Parameter::Value<String>` defaulting to `/cdk-bootstrap/<qualifier>/version`) is not
 * one of the versions it lists as too old, so the minimum is one above the highest listed. The
 * parameter "Version of the CDK Bootstrap resources in this environment, automatically retrieved
 * from SSM Parameter Store" is what `cdk deploy` checks
 * (https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.cloud_assembly_schema.AssetManifestOptions.html,
 * bootstrapStackVersionSsmParameter).
 */
export function bootstrapRequirement(template: SynthesizedTemplate): BootstrapRequirement {
  const parameters = (template.Parameters ?? {}) as Record<string, { Default?: unknown }>;
  const parameterName =
    typeof parameters.BootstrapVersion?.Default === 'string' ? parameters.BootstrapVersion.Default : DEFAULT_BOOTSTRAP_PARAMETER;
  const rules = (template.Rules ?? {}) as Record<string, { Assertions?: { Assert?: unknown }[] }>;
  const tooOld = (rules.CheckBootstrapVersion?.Assertions ?? []).flatMap((a) => versionsListed(a.Assert));
  return tooOld.length > 0 ? { minimumVersion: Math.max(...tooOld) + 1, parameterName } : { parameterName };
}

/** The versions in `Fn::Not [ Fn::Contains [ [versions], Ref BootstrapVersion ] ]`. */
function versionsListed(assert: unknown): number[] {
  const not = (assert as { 'Fn::Not'?: unknown[] } | undefined)?.['Fn::Not'];
  const contains = (not?.[0] as { 'Fn::Contains'?: unknown[] } | undefined)?.['Fn::Contains'];
  if (!Array.isArray(contains) || !Array.isArray(contains[0]) || (contains[1] as { Ref?: string } | undefined)?.Ref !== 'BootstrapVersion')
    return [];
  return (contains[0] as unknown[]).map(Number).filter(Number.isInteger);
}

function resourcesOf(template: SynthesizedTemplate, type: string): [string, SynthesizedResource][] {
  return Object.entries(template.Resources ?? {}).filter(([, r]) => r.Type === type);
}

/** A number the template states literally (CloudFormation allows numbers as strings: "24"). */
function literalNumber(value: unknown, what: string): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isFinite(n)) throw new TemplateFactError(`${what} is not a literal number in the template (${JSON.stringify(value)})`);
  return n;
}

function optionalNumber(value: unknown, what: string): number | undefined {
  return value === undefined ? undefined : literalNumber(value, what);
}

/** The instance type of the launch template a `LaunchTemplateSpecification` references in this template. */
function launchTemplateType(template: SynthesizedTemplate, spec: unknown, what: string): string {
  const id = spec as { LaunchTemplateId?: { Ref?: string }; LaunchTemplateName?: { Ref?: string } } | undefined;
  const ref = id?.LaunchTemplateId?.Ref ?? id?.LaunchTemplateName?.Ref;
  const resource = ref ? template.Resources?.[ref] : undefined;
  const type = (resource?.Properties?.LaunchTemplateData as { InstanceType?: unknown } | undefined)?.InstanceType;
  if (typeof type !== 'string')
    throw new TemplateFactError(`${what}: the launch template's InstanceType is not a literal in this template`);
  return type;
}

/**
 * The update policy that bounds how many instances run during an update
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-updatepolicy.html).
 * AutoScalingInstanceRefresh's MaxHealthyPercentage defaults to the group's instance maintenance
 * policy, else 110 for the Rolling strategy and 100 for ReplaceRootVolume
 * (https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.CfnAutoScalingInstanceRefreshPreferences.html).
 */
export function updateHeadroomPolicy(name: string, resource: SynthesizedResource): UpdateHeadroomPolicy {
  const policy = resource.UpdatePolicy ?? {};
  const refresh = policy.AutoScalingInstanceRefresh as { Strategy?: unknown; Preferences?: { MaxHealthyPercentage?: unknown } } | undefined;
  if (refresh) {
    const own = optionalNumber(refresh.Preferences?.MaxHealthyPercentage, `${name} AutoScalingInstanceRefresh MaxHealthyPercentage`);
    if (own !== undefined) return { kind: 'instance-refresh', maxHealthyPercentage: own, source: 'from the update policy' };
    const maintenance = (resource.Properties?.InstanceMaintenancePolicy as { MaxHealthyPercentage?: unknown } | undefined)
      ?.MaxHealthyPercentage;
    const fromGroup = optionalNumber(maintenance, `${name} InstanceMaintenancePolicy MaxHealthyPercentage`);
    // -1 clears the maintenance policy's value.
    if (fromGroup !== undefined && fromGroup >= 100)
      return { kind: 'instance-refresh', maxHealthyPercentage: fromGroup, source: "from the group's instance maintenance policy" };
    const strategy = typeof refresh.Strategy === 'string' ? refresh.Strategy : 'Rolling';
    return {
      kind: 'instance-refresh',
      maxHealthyPercentage: strategy === 'ReplaceRootVolume' ? 100 : 110,
      source: `the ${strategy} default`,
    };
  }
  const replacing = policy.AutoScalingReplacingUpdate as { WillReplace?: unknown } | undefined;
  if (replacing && (replacing.WillReplace === true || replacing.WillReplace === 'true')) return { kind: 'replacing-update' };
  const rolling = policy.AutoScalingRollingUpdate as { MaxBatchSize?: unknown; MinInstancesInService?: unknown } | undefined;
  if (rolling) {
    return {
      kind: 'rolling-update',
      maxBatchSize: optionalNumber(rolling.MaxBatchSize, `${name} MaxBatchSize`) ?? 1,
      minInstancesInService: optionalNumber(rolling.MinInstancesInService, `${name} MinInstancesInService`) ?? 0,
    };
  }
  return { kind: 'none' };
}

/**
 * Every Auto Scaling group of the template with its sizes, instance types, On-Demand/Spot
 * distribution (InstancesDistribution: OnDemandBaseCapacity "Default: 0",
 * https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/autoscaling/aws.sdk.kotlin.services.autoscaling.model/-instances-distribution/on-demand-base-capacity.html;
 * OnDemandPercentageAboveBaseCapacity "Default: 100",
 * https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/autoscaling/aws.sdk.kotlin.services.autoscaling.model/-instances-distribution/on-demand-percentage-above-base-capacity.html),
 * warm pool and update policy.
 * @throws TemplateFactError when a value is not a literal, or a group selects types by attributes
 */
export function fleetShapes(template: SynthesizedTemplate): FleetShape[] {
  const warmPools = resourcesOf(template, 'AWS::AutoScaling::WarmPool');
  return resourcesOf(template, 'AWS::AutoScaling::AutoScalingGroup').map(([name, resource]) => {
    const p = resource.Properties ?? {};
    const mixed = p.MixedInstancesPolicy as
      | {
          InstancesDistribution?: Record<string, unknown>;
          LaunchTemplate?: {
            LaunchTemplateSpecification?: unknown;
            Overrides?: { InstanceType?: unknown; InstanceRequirements?: unknown }[];
          };
        }
      | undefined;
    let instanceTypes: string[];
    let distribution: FleetShape['distribution'];
    if (mixed) {
      const overrides = mixed.LaunchTemplate?.Overrides ?? [];
      if (overrides.some((o) => o.InstanceRequirements !== undefined)) {
        throw new TemplateFactError(
          `${name} selects instance types by attributes (InstanceRequirements): preflight cannot know their vCPUs`,
        );
      }
      instanceTypes =
        overrides.length > 0
          ? overrides.map((o, i) => {
              if (typeof o.InstanceType !== 'string')
                throw new TemplateFactError(`${name} override ${i + 1}: InstanceType is not a literal`);
              return o.InstanceType;
            })
          : [launchTemplateType(template, mixed.LaunchTemplate?.LaunchTemplateSpecification, name)];
      const d = mixed.InstancesDistribution ?? {};
      distribution = {
        onDemandBaseCapacity: optionalNumber(d.OnDemandBaseCapacity, `${name} OnDemandBaseCapacity`) ?? 0,
        onDemandPercentageAboveBaseCapacity:
          optionalNumber(d.OnDemandPercentageAboveBaseCapacity, `${name} OnDemandPercentageAboveBaseCapacity`) ?? 100,
      };
    } else if (p.LaunchTemplate) {
      instanceTypes = [launchTemplateType(template, p.LaunchTemplate, name)];
    } else {
      throw new TemplateFactError(`${name} has neither a MixedInstancesPolicy nor a LaunchTemplate`);
    }
    const pool = warmPools.find(([, w]) => (w.Properties?.AutoScalingGroupName as { Ref?: string } | undefined)?.Ref === name)?.[1]
      ?.Properties;
    return {
      name,
      minSize: literalNumber(p.MinSize, `${name} MinSize`),
      maxSize: literalNumber(p.MaxSize, `${name} MaxSize`),
      instanceTypes,
      ...(distribution ? { distribution } : {}),
      ...(pool
        ? {
            warmPool: {
              minSize: optionalNumber(pool.MinSize, `${name} warm pool MinSize`) ?? 0,
              ...(pool.MaxGroupPreparedCapacity !== undefined && Number(pool.MaxGroupPreparedCapacity) !== -1
                ? { maxGroupPreparedCapacity: literalNumber(pool.MaxGroupPreparedCapacity, `${name} warm pool MaxGroupPreparedCapacity`) }
                : {}),
              poolState: typeof pool.PoolState === 'string' ? pool.PoolState : 'Stopped',
            },
          }
        : {}),
      update: updateHeadroomPolicy(name, resource),
    };
  });
}

export interface ElasticIpDemand {
  readonly elasticIps: number;
  /** NAT gateways with public connectivity (the default): each needs an Elastic IP. */
  readonly publicNatGateways: number;
}

/**
 * The template's `AWS::EC2::EIP` resources and public NAT gateways (`ConnectivityType`: "The
 * default is a public NAT gateway",
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-ec2-natgateway.html).
 */
export function elasticIpDemand(template: SynthesizedTemplate): ElasticIpDemand {
  return {
    elasticIps: resourcesOf(template, 'AWS::EC2::EIP').length,
    publicNatGateways: resourcesOf(template, 'AWS::EC2::NatGateway').filter(([, r]) => r.Properties?.ConnectivityType !== 'private').length,
  };
}

export interface DatabaseInstanceShape {
  readonly name: string;
  readonly instanceClass: string;
  readonly engine: string;
  readonly engineVersion: string;
  readonly multiAz: boolean;
  readonly readReplica: boolean;
  /** undefined when the template does not say (RDS's default then applies). */
  readonly storageType?: string;
}

/**
 * Every `AWS::RDS::DBInstance` with its class, engine and version. A read replica states neither
 * engine nor version (it inherits its source's): those of the template's writer, else of the
 * config (`fallback`).
 * @throws TemplateFactError when a class is not a literal
 */
export function databaseInstances(
  template: SynthesizedTemplate,
  fallback: { engine: string; engineVersion: string },
): DatabaseInstanceShape[] {
  const instances = resourcesOf(template, 'AWS::RDS::DBInstance');
  const writer = instances.find(([, r]) => typeof r.Properties?.Engine === 'string')?.[1]?.Properties;
  const engine = typeof writer?.Engine === 'string' ? writer.Engine : fallback.engine;
  const engineVersion = typeof writer?.EngineVersion === 'string' ? writer.EngineVersion : fallback.engineVersion;
  return instances.map(([name, r]) => {
    const p = r.Properties ?? {};
    if (typeof p.DBInstanceClass !== 'string') throw new TemplateFactError(`${name} DBInstanceClass is not a literal in the template`);
    return {
      name,
      instanceClass: p.DBInstanceClass,
      engine: typeof p.Engine === 'string' ? p.Engine : engine,
      engineVersion: typeof p.EngineVersion === 'string' ? p.EngineVersion : engineVersion,
      multiAz: p.MultiAZ === true || p.MultiAZ === 'true',
      readReplica: p.SourceDBInstanceIdentifier !== undefined,
      ...(typeof p.StorageType === 'string' ? { storageType: p.StorageType } : {}),
    };
  });
}

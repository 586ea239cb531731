import type * as CfnModule from '@aws-sdk/client-cloudformation';
import type { ArcZonalShiftClient, ManagedResourceSummary } from './arc-zonal-shift-client.js';
import { OperatorError } from './errors.js';
import { AwsCallError, type PreflightSession } from './preflight-session.js';

// The resources a zonal shift of a stack moves: its Application Load Balancer (traffic) and its
// Auto Scaling group (where capacity launches), each a separate managed resource in ARC.
//
// Found through CloudFormation, not tags: the stack's own list of resources is exact (the physical
// ID of each, by type), needs one read permission, and works for a stack whose tags a team changed.
// ListStackResources, not DescribeStackResources: the latter answers only the first 100 resources
// (https://docs.amazonaws.cn/en_us/AWSCloudFormation/latest/APIReference/API_DescribeStackResources.md),
// and a loadbearing stack has 170 to 250. A load balancer's physical ID is its ARN (its primary
// identifier, as aws-cdk-lib's LoadBalancerReference has it); a group's is its name.

export type ZonalShiftResourceKind = 'load-balancer' | 'auto-scaling-group';

/** One resource a zonal shift moves, as ARC knows it. */
export interface ZonalShiftTarget {
  readonly kind: ZonalShiftResourceKind;
  /** The stack's logical ID. */
  readonly logicalId: string;
  /** The load balancer's or the group's name. */
  readonly name: string;
  /** ARC's resourceIdentifier. */
  readonly arn: string;
}

/** How a kind reads in a sentence. */
export const ZONAL_SHIFT_KIND_LABEL: Readonly<Record<ZonalShiftResourceKind, string>> = {
  'load-balancer': 'load balancer',
  'auto-scaling-group': 'Auto Scaling group',
};

const TYPES: Readonly<Record<ZonalShiftResourceKind, string>> = {
  'load-balancer': 'AWS::ElasticLoadBalancingV2::LoadBalancer',
  'auto-scaling-group': 'AWS::AutoScaling::AutoScalingGroup',
};

interface StackResource {
  readonly logicalId: string;
  readonly physicalId: string;
}

/**
 * The stack's load balancer (physical ID: its ARN) and Auto Scaling group (physical ID: its name).
 * @throws OperatorError when the stack does not exist, or has not exactly one of each.
 * @throws AwsCallError for a failed call (cloudformation:ListStackResources).
 */
export async function stackZonalShiftResources(
  session: PreflightSession,
  region: string,
  stack: string,
): Promise<Record<ZonalShiftResourceKind, StackResource>> {
  const cfn = require('@aws-sdk/client-cloudformation') as typeof CfnModule;
  const client = session.client('cloudformation', region, (config) => new cfn.CloudFormationClient(config));
  const resources: CfnModule.StackResourceSummary[] = [];
  let nextToken: string | undefined;
  try {
    do {
      const token = nextToken;
      const page = await session.call('cloudformation:ListStackResources', (abortSignal) =>
        client.send(new cfn.ListStackResourcesCommand({ StackName: stack, ...(token ? { NextToken: token } : {}) }), { abortSignal }),
      );
      resources.push(...(page.StackResourceSummaries ?? []));
      nextToken = page.NextToken;
    } while (nextToken);
  } catch (err) {
    const cause = err instanceof AwsCallError ? (err.cause as { name?: string; message?: string }) : undefined;
    if (cause?.name === 'ValidationError' && /does not exist/i.test(cause.message ?? ''))
      throw new OperatorError(
        `stack ${stack} does not exist in ${region}; fix: check --env (its stackName and region), or pass --stack and --region`,
      );
    throw err;
  }
  const pick = (kind: ZonalShiftResourceKind): StackResource => {
    const found = resources.filter((r) => r.ResourceType === TYPES[kind] && r.ResourceStatus !== 'DELETE_COMPLETE' && r.PhysicalResourceId);
    if (found.length !== 1)
      throw new OperatorError(
        `stack ${stack} has ${found.length === 0 ? 'no' : `${found.length}`} ${TYPES[kind]}${found.length > 1 ? ` (${found.map((r) => r.LogicalResourceId).join(', ')})` : ''}: zonal-shift moves the one load balancer and the one Auto Scaling group of a loadbearing stack; fix: check --env or --stack`,
      );
    return { logicalId: found[0]!.LogicalResourceId ?? '', physicalId: found[0]!.PhysicalResourceId! };
  };
  return { 'load-balancer': pick('load-balancer'), 'auto-scaling-group': pick('auto-scaling-group') };
}

/**
 * The stack's load balancer and group as ARC's managed resources (in that order), found in
 * ListManagedResources: the load balancer by its ARN, the group by the name at the end of its ARN
 * (arn:...:autoScalingGroup:<uuid>:autoScalingGroupName/<name>), which CloudFormation does not give.
 * A resource is listed once zonal shift is on for it: the load balancer's zonal_shift.config.enabled
 * attribute, the group's AvailabilityZoneImpairmentPolicy.ZonalShiftEnabled
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-zonal-shift.html,
 * https://docs.aws.amazon.com/autoscaling/ec2/userguide/asg-zonal-shift-enable.html).
 * @throws OperatorError naming a resource ARC does not list, and how to turn zonal shift on for it.
 * @throws AwsCallError for a failed call (arc-zonal-shift:ListManagedResources).
 */
export async function managedZonalShiftTargets(
  session: PreflightSession,
  arc: ArcZonalShiftClient,
  region: string,
  stack: string,
  resources: Record<ZonalShiftResourceKind, StackResource>,
): Promise<ZonalShiftTarget[]> {
  const items: ManagedResourceSummary[] = [];
  let nextToken: string | undefined;
  do {
    const token = nextToken;
    const page = await session.call('arc-zonal-shift:ListManagedResources', (signal) => arc.listManagedResources(token, signal));
    items.push(...page.items);
    nextToken = page.nextToken;
  } while (nextToken);
  const alb = resources['load-balancer'];
  const group = resources['auto-scaling-group'];
  const albItem = items.find((i) => i.arn === alb.physicalId);
  const groupItem = items.find((i) => i.arn?.includes(':autoscaling:') && i.arn.endsWith(`:autoScalingGroupName/${group.physicalId}`));
  const missing = [
    albItem ? undefined : `the load balancer ${alb.physicalId} (zonal shift is turned on by its zonal_shift.config.enabled attribute)`,
    groupItem
      ? undefined
      : `the Auto Scaling group ${group.physicalId} (zonal shift is turned on by its AvailabilityZoneImpairmentPolicy.ZonalShiftEnabled)`,
  ].filter((m) => m !== undefined);
  if (missing.length > 0)
    throw new OperatorError(
      `ARC in ${region} does not manage ${missing.join(' nor ')}, so no zonal shift can move ${stack}; fix: deploy the environment with zonal shift on for both, then try again`,
    );
  return [
    { kind: 'load-balancer', logicalId: alb.logicalId, name: albItem!.name ?? loadBalancerName(alb.physicalId), arn: alb.physicalId },
    { kind: 'auto-scaling-group', logicalId: group.logicalId, name: group.physicalId, arn: groupItem!.arn! },
  ];
}

/** app/<name>/<id> of an ALB ARN: its name, as the console shows it. */
function loadBalancerName(arn: string): string {
  return /:loadbalancer\/app\/([^/]+)\//.exec(arn)?.[1] ?? arn;
}

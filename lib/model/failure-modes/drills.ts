import { partitionOf } from '../config/aws-limits';
import { cacheNodeAvailabilityZones, replicaAvailabilityZone } from '../config/capacity';
import type { EnvironmentConfig } from '../config/environment-schema';
import { fleetTargetCount } from '../config/failure-drill-settings';
import type { Applicability, FailureModeId } from './failure-mode';
import { FAILURE_MODE_IDS } from './failure-mode';
import { FAILURE_MODES } from './modes';
import { stopAlarmName } from './stop-rules';

// Every action ID, parameter, resource type and target key below is from the AWS FIS actions
// reference: https://docs.aws.amazon.com/fis/latest/userguide/fis-actions-reference.html
// (anchors per action in FIS_ACTIONS), target rules from
// https://docs.aws.amazon.com/fis/latest/userguide/targets.html, and the pre-configured SSM
// documents from https://docs.aws.amazon.com/fis/latest/userguide/actions-ssm-agent.html.

/** The FIS actions the drills use, with the reference section of each. */
export const FIS_ACTIONS = {
  terminateInstances: { id: 'aws:ec2:terminate-instances', doc: 'fis-actions-reference.html#terminate-instances' },
  stopInstances: { id: 'aws:ec2:stop-instances', doc: 'fis-actions-reference.html#stop-instances' },
  capacityError: { id: 'aws:ec2:asg-insufficient-instance-capacity-error', doc: 'fis-actions-reference.html#asg-ice' },
  spotInterruption: { id: 'aws:ec2:send-spot-instance-interruptions', doc: 'fis-actions-reference.html#send-spot-instance-interruptions' },
  disruptConnectivity: { id: 'aws:network:disrupt-connectivity', doc: 'fis-actions-reference.html#disrupt-connectivity' },
  cacheAzPower: {
    id: 'aws:elasticache:replicationgroup-interrupt-az-power',
    doc: 'fis-actions-reference.html#replicationgroup-interrupt-az-power',
  },
  rebootDb: { id: 'aws:rds:reboot-db-instances', doc: 'fis-actions-reference.html#reboot-db-instances' },
  sendCommand: { id: 'aws:ssm:send-command', doc: 'fis-actions-reference.html#ssm-send-command' },
  startAutomation: { id: 'aws:ssm:start-automation-execution', doc: 'fis-actions-reference.html#ssm-start-automation-execution' },
  wait: { id: 'aws:fis:wait', doc: 'fis-actions-reference.html#wait' },
} as const;
export type FisActionId = (typeof FIS_ACTIONS)[keyof typeof FIS_ACTIONS]['id'];

/** Tags on every experiment template: how `loadbearing drill` finds one (templates have no name). */
export const DRILL_TAGS = { stack: 'loadbearing:stack', drill: 'loadbearing:drill', zone: 'loadbearing:zone' } as const;

/**
 * Tag the stack puts on the resources that FIS can select only by tag (the Auto Scaling group,
 * whose ARN CloudFormation does not return, and the replication group, which the ElastiCache
 * AZ-power target accepts only by tags with an AZ parameter): `<stack>/<component>`, unique
 * in the account, never an account-wide tag.
 */
export const DRILL_TARGET_TAG = 'loadbearing:drill-target';
export function drillTargetTagValue(stackName: string, component: 'fleet' | 'cache'): string {
  return `${stackName}/${component}`;
}

/** A value only the deployed stack knows; the FailureDrills construct fills it in from its own resources. */
export type StackRef =
  | { readonly ref: 'fleet-group-name' }
  | { readonly ref: 'app-subnet-arn'; readonly zone: string }
  | { readonly ref: 'db-writer-arn' }
  | { readonly ref: 'db-replica-arn'; readonly replica: number }
  | { readonly ref: 'db-endpoints' }
  | { readonly ref: 'cache-failover-document-arn' }
  | { readonly ref: 'cache-failover-role-arn' };

/** A template value: literal, one of the stack's resources, or a JSON document of such values. */
export type DrillValue = string | StackRef | { readonly json: Readonly<Record<string, string | StackRef>> };

export interface DrillTarget {
  readonly resourceType: string;
  readonly selectionMode: string;
  readonly resourceArns?: readonly DrillValue[];
  readonly resourceTags?: Readonly<Record<string, DrillValue>>;
  readonly filters?: readonly { readonly path: string; readonly values: readonly DrillValue[] }[];
  readonly parameters?: Readonly<Record<string, DrillValue>>;
  /** The target in words, for the plan. */
  readonly what: string;
}

export interface DrillAction {
  readonly actionId: FisActionId;
  readonly description: string;
  readonly parameters?: Readonly<Record<string, DrillValue>>;
  /** Action target key (`Instances`, `Subnets`...) to the template's target name. */
  readonly targets?: Readonly<Record<string, string>>;
  readonly startAfter?: readonly string[];
}

/** One FIS experiment template of an environment, as the stack creates it. */
export interface DrillTemplate {
  readonly mode: FailureModeId;
  /** The drill's name, e.g. `cache-primary-failover`. */
  readonly drill: string;
  /** The AZ of a per-AZ drill. */
  readonly zone?: string;
  readonly description: string;
  readonly targets: Readonly<Record<string, DrillTarget>>;
  readonly actions: Readonly<Record<string, DrillAction>>;
  readonly tags: Readonly<Record<string, string>>;
  /** Under the default alarm naming. */
  readonly stopAlarmName: string;
  /** How long the faults last, in seconds (0 for a one-shot fault). */
  readonly faultSeconds: number;
  /**
   * `sustained`: the fault lasts faultSeconds while the experiment runs, so a stop condition can
   * stop it (a brake). `one-shot`: the fault is done when the experiment is (a terminate, a reboot,
   * a failover, a Spot notice running out), before any stop alarm can have two datapoints; the
   * stop alarm is then the verdict `loadbearing drill` judges, not a brake.
   */
  readonly fault: 'sustained' | 'one-shot';
  /** What this template leaves out in its AZ, and why (e.g. no cache node there). */
  readonly notes?: readonly string[];
  /** What the drill leaves out in this environment, in every AZ, and why (e.g. the subnet cut in a VPC the stack does not own). */
  readonly leftOut?: readonly string[];
}

/** A mode without a drill, and why. */
export interface NoDrill {
  readonly drill: 'none';
  readonly reason: string;
}

/** What a drill of a mode does, or why there is none. */
export type DrillDefinition =
  | NoDrill
  | {
      readonly drill: string;
      readonly summary: string;
      /** One template per AZ (failureDrills.zones), since FIS templates take no parameters. */
      readonly perZone: boolean;
      /** What the drill does not prove. */
      readonly limitations: readonly string[];
      /** Applicability beyond the mode's own. @default - the mode's */
      readonly requires?: (config: EnvironmentConfig) => Applicability | undefined;
      /** What the drill leaves out in this environment, and why; `build` leaves those parts out. @default - nothing */
      readonly leftOut?: (config: EnvironmentConfig) => readonly string[];
      readonly build: (
        ctx: DrillContext,
        zone: string | undefined,
      ) => Pick<DrillTemplate, 'targets' | 'actions' | 'faultSeconds' | 'fault' | 'notes'>;
    };

export function isNoDrill(definition: DrillDefinition): definition is NoDrill {
  return 'reason' in definition;
}

/** Facts about the environment the templates need, computed once. */
export interface DrillContext {
  readonly config: EnvironmentConfig;
  readonly partition: string;
  readonly faultDuration: string;
  readonly faultSeconds: number;
}

const iso = (minutes: number) => `PT${minutes}M`;

/**
 * The timings of the stack's TestFailover automation (cache-primary-failover): the FailureDrills
 * construct writes the document's steps from these, and the FIS action's maxDuration is derived
 * from them, so the two cannot drift. Every step has its own timeout (`timeoutSeconds` is shared by
 * all Automation actions: https://docs.aws.amazon.com/systems-manager/latest/userguide/automation-handling-timeouts.html).
 */
export interface CacheFailoverTimings {
  /** The TestFailover call (aws:executeAwsApi): it only starts the failover. */
  readonly callTimeoutSeconds: number;
  /** aws:sleep before waiting: the group reads "available" for a moment before the failover starts modifying it. */
  readonly settleSeconds: number;
  /** aws:waitForAwsResourceProperty until the group is "available" again: failureDrills.faultMinutes. */
  readonly waitTimeoutSeconds: number;
}

export function cacheFailoverTimings(faultMinutes: number): CacheFailoverTimings {
  return { callTimeoutSeconds: 60, settleSeconds: 60, waitTimeoutSeconds: faultMinutes * 60 };
}

/** Margin for Automation's own work between steps. */
const AUTOMATION_OVERHEAD_SECONDS = 60;

/**
 * The longest the automation can run: each step at its timeout, plus a margin. The FIS action's
 * maxDuration ("the maximum time allowed for the automation execution to complete",
 * https://docs.aws.amazon.com/fis/latest/userguide/fis-actions-reference.html#ssm-start-automation-execution)
 * is at least this.
 */
export function cacheFailoverWorstCaseSeconds(t: CacheFailoverTimings): number {
  return t.callTimeoutSeconds + t.settleSeconds + t.waitTimeoutSeconds + AUTOMATION_OVERHEAD_SECONDS;
}

function fleetInstances(selectionMode: string, zone?: string): DrillTarget {
  return {
    resourceType: 'aws:ec2:instance',
    resourceTags: { 'aws:autoscaling:groupName': { ref: 'fleet-group-name' } },
    filters: [{ path: 'State.Name', values: ['running'] }, ...(zone ? [{ path: 'Placement.AvailabilityZone', values: [zone] }] : [])],
    selectionMode,
    what: `running instances of the fleet's Auto Scaling group${zone ? ` in ${zone}` : ''} (tag aws:autoscaling:groupName), ${selectionMode}`,
  };
}

function fleetGroup(ctx: DrillContext): DrillTarget {
  return {
    resourceType: 'aws:ec2:autoscaling-group',
    resourceTags: { [DRILL_TARGET_TAG]: drillTargetTagValue(ctx.config.stackName, 'fleet') },
    selectionMode: 'ALL',
    what: `the fleet's Auto Scaling group (tag ${DRILL_TARGET_TAG}=${drillTargetTagValue(ctx.config.stackName, 'fleet')})`,
  };
}

function capacityError(ctx: DrillContext, zone: string): DrillAction {
  return {
    actionId: FIS_ACTIONS.capacityError.id,
    description: `Launches of the fleet's group in ${zone} fail with InsufficientInstanceCapacity`,
    parameters: { availabilityZoneIdentifiers: zone, duration: ctx.faultDuration, percentage: '100' },
    targets: { AutoScalingGroups: 'fleetGroup' },
  };
}

/** Instances selected by an SSM command drill: the FIS quota caps how many one action may target. */
function commandTargets(ctx: DrillContext): DrillTarget {
  const { selectionMode } = fleetTargetCount(ctx.config.fleet, ctx.config.failureDrills.maxTargetsPerAction);
  return fleetInstances(selectionMode);
}

function fisDocument(ctx: DrillContext, name: string): string {
  return `arn:${ctx.partition}:ssm:${ctx.config.region}::document/${name}`;
}

const fleetZones = (config: EnvironmentConfig) => config.failureDrills.zones ?? config.availabilityZones;

/**
 * Why the az-loss drill leaves its app-subnet cut out, or undefined when it keeps it.
 *
 * aws:network:disrupt-connectivity "denies the specified traffic to the target subnets by
 * temporarily cloning the original network access control list (network ACL) associated with the
 * targeted subnet ... and associates it with the subnet for the duration of the action"
 * (https://docs.aws.amazon.com/fis/latest/userguide/fis-actions-reference.html#disrupt-connectivity):
 * the whole subnet is cut, not the stack's instances in it. In a VPC the network team owns
 * (network.existingVpc) the subnet may hold other teams' workloads, which would lose connectivity
 * for the fault too. And in a VPC shared through AWS RAM the owner is "responsible for creating,
 * managing, and deleting ... subnets, route tables, network ACLs", while participants "can modify
 * or delete only the resources in a shared VPC that they created"
 * (https://docs.aws.amazon.com/vpc/latest/userguide/vpc-sharing.html, "Manage VPC resources"), so
 * the participant stack's role could neither create the ACL in the owner's VPC nor re-associate
 * the owner's subnet. The cut is therefore left out of az-loss with an existing VPC (the rest of
 * the drill still runs: stopped instances, blocked launches, cache power, replica reboots) unless
 * failureDrills.disruptSharedSubnets says why cutting the whole subnet is acceptable; preflight
 * then checks that the app subnets belong to this account.
 */
export function subnetCutLeftOut(config: EnvironmentConfig): string | undefined {
  const vpc = config.network.existingVpc;
  if (!vpc || config.failureDrills.disruptSharedSubnets) return undefined;
  return (
    `the app-subnet cut (${FIS_ACTIONS.disruptConnectivity.id}): network.existingVpc ${vpc.vpcId} belongs to the network team, and the action ` +
    'swaps the network ACL of the whole subnet, cutting off every other workload in it (in a VPC shared through RAM only the owner may change its network ACLs); ' +
    'the fault stays the stopped instances, blocked launches, cache power and replica reboots. To keep the cut, set failureDrills.disruptSharedSubnets with a reason'
  );
}

/**
 * The drill of every failure mode, or why it has none. A drill rehearses the mode in the
 * real environment with AWS FIS; the proving ground rehearses it locally (LOCAL_REHEARSALS).
 */
export const DRILLS: Readonly<Record<FailureModeId, DrillDefinition>> = {
  'traffic-spike': {
    drill: 'none',
    reason:
      "FIS injects faults into resources, it does not generate load: drive a load test (the proving ground locally, or your own load generator against staging) past the fleet's capacity instead",
  },
  'instance-loss': {
    drill: 'instance-loss',
    summary: 'Terminates one running fleet instance, chosen at random.',
    perZone: false,
    limitations: [
      'A terminated instance is gone at once; a hung instance that still accepts connections is rehearsed by the proving ground, not here.',
    ],
    build: () => ({
      targets: { fleet: fleetInstances('COUNT(1)') },
      actions: {
        terminate: {
          actionId: FIS_ACTIONS.terminateInstances.id,
          description: 'Terminate one fleet instance without draining',
          targets: { Instances: 'fleet' },
        },
      },
      faultSeconds: 0,
      fault: 'one-shot',
    }),
  },
  'worker-crash': {
    drill: 'none',
    reason:
      "a worker is a process inside an instance, recovered by that instance's own primary: a drill would need an SSM document that kills one worker by PID, which the platform does not ship (the instance-loss drill kills the whole instance); the proving ground rehearses it",
  },
  'az-loss': {
    drill: 'az-loss',
    summary:
      "AWS's AZ power-interruption pattern for one AZ: stops the fleet's instances there and makes the group unable to relaunch there, cuts the AZ's app subnet off, interrupts the power of the cache nodes in the AZ and reboots the read replicas placed there.",
    perZone: true,
    limitations: [
      'The writer is not touched: which AZ its primary runs in changes with every failover, and FIS cannot select it by AZ together with an ARN; the db-failover drill rehearses it.',
      "Only the app subnet is cut: the data tier's AZ failure is what the cache power interruption and the replica reboot stand in for.",
      'The cache and the replicas are hit only in an AZ that holds one: the cache.replicasPerShard + 1 cache nodes are placed round-robin from the first AZ, the replicas from the second, and FIS fails an experiment whose target resolves to nothing; the template of an AZ without one says so (loadbearing drill --dry-run).',
      "In a VPC the network team owns (network.existingVpc) the app subnet is not cut unless failureDrills.disruptSharedSubnets says why it may be: the cut swaps the network ACL of the whole subnet, other workloads' too.",
    ],
    leftOut: (config) => {
      const cut = subnetCutLeftOut(config);
      return cut ? [cut] : [];
    },
    build: (ctx, zone) => {
      const z = zone!;
      const { config } = ctx;
      const replicas = Array.from({ length: config.database.readReplicas }, (_, i) => i + 1)
        .filter((n) => replicaAvailabilityZone(n, config.availabilityZones) === z)
        .slice(0, config.failureDrills.maxTargetsPerAction);
      // The AZ-power target names the AZ of the nodes to hit; an AZ without a node resolves to
      // nothing, which fails the experiment (https://docs.aws.amazon.com/fis/latest/userguide/targets.html).
      const cacheZones =
        config.cache.replicasPerShard >= 1 ? cacheNodeAvailabilityZones(config.cache.replicasPerShard + 1, config.availabilityZones) : [];
      const cache = cacheZones.includes(z);
      const notes: string[] = [];
      if (!cache) {
        notes.push(
          cacheZones.length > 0
            ? `No cache node in ${z} (the nodes are in ${cacheZones.join(', ')}): the cache is not touched.`
            : 'cache.replicasPerShard is 0: no replica to fail over to, so the cache is not touched.',
        );
      }
      if (replicas.length === 0 && config.database.readReplicas > 0) notes.push(`No read replica in ${z}: none is rebooted.`);
      const targets: Record<string, DrillTarget> = {
        zoneInstances: fleetInstances('ALL', z),
        fleetGroup: fleetGroup(ctx),
      };
      const actions: Record<string, DrillAction> = {
        stopInstances: {
          actionId: FIS_ACTIONS.stopInstances.id,
          description: `Stop the fleet's instances in ${z} (power lost), start them again after the fault`,
          // The group replaces stopped instances, so they may be gone when FIS restarts them.
          parameters: { startInstancesAfterDuration: ctx.faultDuration, completeIfInstancesTerminated: 'true' },
          targets: { Instances: 'zoneInstances' },
        },
        blockLaunches: capacityError(ctx, z),
      };
      // Left out in a VPC the stack does not own, unless opted in (subnetCutLeftOut).
      if (subnetCutLeftOut(config) === undefined) {
        targets.zoneSubnets = {
          resourceType: 'aws:ec2:subnet',
          resourceArns: [{ ref: 'app-subnet-arn', zone: z }],
          selectionMode: 'ALL',
          what: `the app subnet in ${z}`,
        };
        actions.cutSubnet = {
          actionId: FIS_ACTIONS.disruptConnectivity.id,
          description: `Deny all traffic in and out of the app subnet in ${z}`,
          parameters: { scope: 'all', duration: ctx.faultDuration },
          targets: { Subnets: 'zoneSubnets' },
        };
      }
      if (cache) {
        targets.cacheNodes = {
          resourceType: 'aws:elasticache:replicationgroup',
          resourceTags: { [DRILL_TARGET_TAG]: drillTargetTagValue(config.stackName, 'cache') },
          parameters: { availabilityZoneIdentifier: z },
          selectionMode: 'ALL',
          what: `the cache's nodes in ${z} (replication group tag ${DRILL_TARGET_TAG}=${drillTargetTagValue(config.stackName, 'cache')})`,
        };
        actions.cachePower = {
          actionId: FIS_ACTIONS.cacheAzPower.id,
          description: `Interrupt power to the cache nodes in ${z}; a replica elsewhere is promoted if the primary is there`,
          parameters: { duration: ctx.faultDuration },
          targets: { ReplicationGroups: 'cacheNodes' },
        };
      }
      if (replicas.length > 0) {
        targets.zoneReplicas = {
          resourceType: 'aws:rds:db',
          resourceArns: replicas.map((replica) => ({ ref: 'db-replica-arn' as const, replica })),
          selectionMode: 'ALL',
          what: `read replica${replicas.length > 1 ? 's' : ''} ${replicas.join(', ')} (placed in ${z})`,
        };
        actions.rebootReplicas = {
          actionId: FIS_ACTIONS.rebootDb.id,
          description: `Reboot the read replicas in ${z}`,
          targets: { DBInstances: 'zoneReplicas' },
        };
      }
      return { targets, actions, faultSeconds: ctx.faultSeconds, fault: 'sustained', ...(notes.length > 0 ? { notes } : {}) };
    },
  },
  'gray-az': {
    drill: 'gray-az',
    summary:
      'A gray failure of one AZ: everything its fleet instances send is delayed (AWSFIS-Run-Network-Latency) for the first half of the fault, then a share of it dropped (AWSFIS-Run-Network-Packet-Loss) for the second half, through SSM. Health checks stay green; the per-AZ alarms must name the AZ, and the operator shifts away from it (the runbook).',
    perZone: true,
    limitations: [
      'Latency and loss one after the other, not together: both documents set up the same traffic control on the instance, and no AWS page says two of them can run at once.',
      "Only the instances: the AZ's load balancer node, NAT gateway and data tier are not touched (az-loss covers losing them).",
      'No zonal shift inside the experiment: the operator shifts when the isolated-impact alarm pages, as in an incident; without a shift the errors outlast the budget and the stop condition ends the drill as failed.',
      'The documents take the interface and other parameters at their defaults; their parameter names are those of the dependency-latency drill and of AWS examples, not of a parameter reference.',
    ],
    build: (ctx, zone) => {
      const z = zone!;
      const half = Math.max(1, Math.ceil(ctx.config.failureDrills.faultMinutes / 2));
      const command = (document: string, parameters: Record<string, string>, description: string, after?: string): DrillAction => ({
        actionId: FIS_ACTIONS.sendCommand.id,
        description,
        parameters: {
          documentArn: fisDocument(ctx, document),
          documentParameters: { json: { ...parameters, DurationSeconds: String(half * 60), InstallDependencies: 'True' } },
          duration: iso(half),
        },
        targets: { Instances: 'zoneInstances' },
        ...(after ? { startAfter: [after] } : {}),
      });
      return {
        targets: { zoneInstances: fleetInstances('ALL', z) },
        actions: {
          slow: command(
            'AWSFIS-Run-Network-Latency',
            { DelayMilliseconds: String(ctx.config.failureDrills.grayAzDelayMs) },
            `Delay everything the fleet's instances in ${z} send by ${ctx.config.failureDrills.grayAzDelayMs} ms for ${half} min`,
          ),
          lossy: command(
            'AWSFIS-Run-Network-Packet-Loss',
            { LossPercent: String(ctx.config.failureDrills.grayAzLossPercent) },
            `Drop ${ctx.config.failureDrills.grayAzLossPercent}% of what the fleet's instances in ${z} send for ${half} min`,
            'slow',
          ),
        },
        faultSeconds: 2 * half * 60,
        fault: 'sustained',
      };
    },
  },
  'capacity-shortage-in-an-az': {
    drill: 'capacity-shortage-in-an-az',
    summary:
      "Makes every launch of the fleet's group in one AZ fail with InsufficientInstanceCapacity, then terminates one instance there a minute later, so the group has to launch its replacement in another AZ.",
    perZone: true,
    limitations: [
      'The capacity error hits every instance type in the AZ: FIS cannot target one instance family, so the mixed-instances fallback to another family of the workload profile is not tested.',
    ],
    build: (ctx, zone) => ({
      targets: { fleetGroup: fleetGroup(ctx), zoneInstance: fleetInstances('COUNT(1)', zone) },
      actions: {
        blockLaunches: capacityError(ctx, zone!),
        settle: {
          actionId: FIS_ACTIONS.wait.id,
          description: 'Let the capacity error take effect first',
          parameters: { duration: 'PT1M' },
        },
        terminateOne: {
          actionId: FIS_ACTIONS.terminateInstances.id,
          description: `Terminate one instance in ${zone}, so the group must launch a replacement`,
          targets: { Instances: 'zoneInstance' },
          startAfter: ['settle'],
        },
      },
      faultSeconds: ctx.faultSeconds,
      fault: 'sustained',
    }),
  },
  'spot-interruption': {
    drill: 'spot-interruption',
    summary: 'Sends one Spot instance of the fleet the two-minute interruption notice; EC2 then reclaims it.',
    perZone: false,
    limitations: [
      'One instance at a time: a reclaim of a whole Spot pool is covered only by the On-Demand base (invariant AZ-3) at synth.',
    ],
    build: () => ({
      targets: {
        spot: {
          ...fleetInstances('COUNT(1)'),
          resourceType: 'aws:ec2:spot-instance',
          what: "one running Spot instance of the fleet's Auto Scaling group (tag aws:autoscaling:groupName)",
        },
      },
      actions: {
        interrupt: {
          actionId: FIS_ACTIONS.spotInterruption.id,
          description: 'Send the interruption notice; EC2 interrupts the instance two minutes later',
          parameters: { durationBeforeInterruption: 'PT2M' },
          targets: { SpotInstances: 'spot' },
        },
      },
      faultSeconds: 120,
      // EC2 reclaims the instance when the notice runs out, as the action ends: any impact comes after.
      fault: 'one-shot',
    }),
  },
  'cpu-stress': {
    drill: 'cpu-stress',
    summary: "Runs stress-ng (AWSFIS-Run-CPU-Stress, through SSM) on the fleet's instances, so that target tracking has to add instances.",
    perZone: false,
    limitations: [
      'The stress installs stress-ng from the AL2023 repositories first (through the NAT gateways), which adds a little to the fault time.',
    ],
    build: (ctx) => ({
      targets: { fleet: commandTargets(ctx) },
      actions: {
        stress: {
          actionId: FIS_ACTIONS.sendCommand.id,
          description: `Load every CPU of the selected instances to ${ctx.config.failureDrills.cpuLoadPercent}%`,
          parameters: {
            documentArn: fisDocument(ctx, 'AWSFIS-Run-CPU-Stress'),
            documentParameters: {
              json: {
                DurationSeconds: String(ctx.faultSeconds),
                LoadPercent: String(ctx.config.failureDrills.cpuLoadPercent),
                InstallDependencies: 'True',
              },
            },
            duration: ctx.faultDuration,
          },
          targets: { Instances: 'fleet' },
        },
      },
      faultSeconds: ctx.faultSeconds,
      fault: 'sustained',
    }),
  },
  'db-failover': {
    drill: 'db-failover',
    summary: 'Reboots the writer with forced failover (RebootDBInstance, ForceFailover): the standby in another AZ takes over.',
    perZone: false,
    limitations: ['A reboot with failover is a clean failover: a writer that hangs without failing over is not rehearsed here.'],
    build: () => ({
      targets: {
        writer: { resourceType: 'aws:rds:db', resourceArns: [{ ref: 'db-writer-arn' }], selectionMode: 'ALL', what: 'the database writer' },
      },
      actions: {
        failover: {
          actionId: FIS_ACTIONS.rebootDb.id,
          description: 'Reboot the writer with failover to its standby',
          parameters: { forceFailover: 'true' },
          targets: { DBInstances: 'writer' },
        },
      },
      faultSeconds: 0,
      fault: 'one-shot',
    }),
  },
  'replica-loss': {
    drill: 'replica-loss',
    summary: 'Reboots one read replica, chosen at random.',
    perZone: false,
    limitations: [
      'A reboot takes the replica away for a minute or two; a replica that lags for long is only detected (db-replica-*-lag), not rehearsed.',
    ],
    build: (ctx) => {
      const replicas = Array.from(
        { length: Math.min(ctx.config.database.readReplicas, ctx.config.failureDrills.maxTargetsPerAction) },
        (_, i) => i + 1,
      );
      return {
        targets: {
          replica: {
            resourceType: 'aws:rds:db',
            resourceArns: replicas.map((replica) => ({ ref: 'db-replica-arn' as const, replica })),
            selectionMode: 'COUNT(1)',
            what: `one of read replicas ${replicas.join(', ')}`,
          },
        },
        actions: { reboot: { actionId: FIS_ACTIONS.rebootDb.id, description: 'Reboot the replica', targets: { DBInstances: 'replica' } } },
        faultSeconds: 0,
        fault: 'one-shot',
      };
    },
  },
  'dependency-latency': {
    drill: 'dependency-latency',
    summary:
      "Adds latency to the fleet's traffic to the database endpoints (AWSFIS-Run-Network-Latency-Sources, through SSM). The document filters by IP, CIDR or domain, not by port, so it names the endpoints' DNS names.",
    perZone: false,
    limitations: [
      'The document resolves the endpoint names once, when it starts: a DB failover during the drill moves the writer to an address without the delay.',
      'Only the database path: the cache path is covered by cache-loss (its timeout and fallback).',
    ],
    build: (ctx) => ({
      targets: { fleet: commandTargets(ctx) },
      actions: {
        delay: {
          actionId: FIS_ACTIONS.sendCommand.id,
          description: `Add ${ctx.config.failureDrills.dependencyLatencyMs} ms to traffic from the selected instances to the database`,
          parameters: {
            documentArn: fisDocument(ctx, 'AWSFIS-Run-Network-Latency-Sources'),
            documentParameters: {
              json: {
                DelayMilliseconds: String(ctx.config.failureDrills.dependencyLatencyMs),
                Sources: { ref: 'db-endpoints' },
                TrafficType: 'egress',
                DurationSeconds: String(ctx.faultSeconds),
                InstallDependencies: 'True',
              },
            },
            duration: ctx.faultDuration,
          },
          targets: { Instances: 'fleet' },
        },
      },
      faultSeconds: ctx.faultSeconds,
      fault: 'sustained',
    }),
  },
  'cache-loss': {
    drill: 'cache-primary-failover',
    summary:
      "Fails the cache primary over to a replica: FIS has no action for it, so an SSM automation of the stack calls ElastiCache's TestFailover on the replication group's one shard and waits until the group is available again. TestFailover is limited to 15 shards in any rolling 24 hours per account (https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_TestFailover.html), so run it a few times a day at most.",
    perZone: false,
    limitations: [
      'A failover promotes a warm replica: the cold-cache case (every key lost) and a hanging primary are rehearsed by the proving ground (cache-loss), not here.',
      'TestFailover is refused during large-scale AWS events, when AWS blocks it.',
    ],
    requires: (config) =>
      config.cache.replicasPerShard < 1
        ? { applies: false, reason: 'cache.replicasPerShard is 0: TestFailover needs a replica to promote' }
        : undefined,
    build: (ctx) => ({
      targets: {},
      actions: {
        failover: {
          actionId: FIS_ACTIONS.startAutomation.id,
          description: "Run the stack's TestFailover automation on shard 0001 and wait until the group is available again",
          parameters: {
            documentArn: { ref: 'cache-failover-document-arn' },
            documentParameters: { json: { AutomationAssumeRole: { ref: 'cache-failover-role-arn' } } },
            // Longer than the automation can run (every step at its own timeout): FIS must not stop
            // it first, which would fail the action and make a slow failover read as "inconclusive".
            maxDuration: iso(Math.ceil(cacheFailoverWorstCaseSeconds(cacheFailoverTimings(ctx.config.failureDrills.faultMinutes)) / 60)),
          },
        },
      },
      faultSeconds: 0,
      fault: 'one-shot',
    }),
  },
  'replica-lag': {
    drill: 'none',
    reason:
      "FIS has no action that pauses a replica's replay, and RDS lets no one call pg_wal_replay_pause; the proving ground pauses a local streaming replica and judges every read's age",
  },
  'client-retries': {
    drill: 'none',
    reason:
      'retries are client behaviour: FIS cannot make clients resend a write; the proving ground rehearses duplicate and concurrent writes with the same Idempotency-Key',
  },
  'bad-release': {
    drill: 'none',
    reason:
      'every deploy rehearses it: the instance refresh with its release alarms (FIS cannot inject a release); the proving ground measures how much of a bad release anyone sees',
  },
  'slow-release': {
    drill: 'none',
    reason: 'as for bad-release: every deploy is the drill, and the proving ground measures a slow release',
  },
};

/** Whether a mode's drill runs in this environment and why (or why not), and what it leaves out here. */
export interface DrillApplicability extends Applicability {
  /** What the drill leaves out in this environment, and why (empty when it runs in full or not at all). */
  readonly leftOut: readonly string[];
}

/** Whether a mode's drill runs in this environment, and why (or why not), and what it leaves out here. */
export function drillApplicability(mode: FailureModeId, config: EnvironmentConfig): DrillApplicability {
  const definition = DRILLS[mode];
  if (isNoDrill(definition)) return { applies: false, reason: `no drill: ${definition.reason}`, leftOut: [] };
  const own = FAILURE_MODES.get(mode)!.applies(config);
  if (!own.applies) return { ...own, leftOut: [] };
  const extra = definition.requires?.(config);
  if (extra && !extra.applies) return { ...extra, leftOut: [] };
  if (!config.failureDrills.enabled) return { applies: false, reason: `failureDrills.enabled is false for ${config.name}`, leftOut: [] };
  const leftOut = [...(definition.leftOut?.(config) ?? [])];
  return { applies: true, reason: leftOut.length > 0 ? `${own.reason}; left out here: ${leftOut.join('; ')}` : own.reason, leftOut };
}

function drillContext(config: EnvironmentConfig): DrillContext {
  const minutes = config.failureDrills.faultMinutes;
  return {
    config,
    partition: partitionOf(config.region),
    faultDuration: iso(minutes),
    faultSeconds: minutes * 60,
  };
}

/** Every experiment template the stack of this environment creates, in catalogue order. */
export function drillTemplates(config: EnvironmentConfig): DrillTemplate[] {
  const ctx = drillContext(config);
  const templates: DrillTemplate[] = [];
  for (const mode of FAILURE_MODE_IDS) {
    const definition = DRILLS[mode];
    const applicability = drillApplicability(mode, config);
    if (isNoDrill(definition) || !applicability.applies) continue;
    for (const zone of definition.perZone ? fleetZones(config) : [undefined]) {
      const body = definition.build(ctx, zone);
      templates.push({
        mode,
        drill: definition.drill,
        ...(zone ? { zone } : {}),
        description: `${config.stackName} drill ${definition.drill}${zone ? ` in ${zone}` : ''}: ${FAILURE_MODES.get(mode)!.title}`,
        ...body,
        ...(applicability.leftOut.length > 0 ? { leftOut: applicability.leftOut } : {}),
        tags: {
          Name: `${config.stackName}-${definition.drill}${zone ? `-${zone}` : ''}`,
          [DRILL_TAGS.stack]: config.stackName,
          [DRILL_TAGS.drill]: mode,
          ...(zone ? { [DRILL_TAGS.zone]: zone } : {}),
        },
        stopAlarmName: stopAlarmName(config.stackName, mode),
      });
    }
  }
  return templates;
}

/** The drill name of a mode (`none` when it has no drill). */
export function drillName(mode: FailureModeId): string {
  return DRILLS[mode].drill;
}

import { Annotations, ArnFormat, Duration, Lazy, Stack, Token } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as cfn from 'aws-cdk-lib/aws-cloudformation';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { acknowledge } from './acknowledge';
import { AppRelease, type AppArtifact } from './app-release';
import {
  BOOT_PATHS,
  healthWaitCommands,
  installHookCommands,
  lifecycleWatcherCommands,
  logAgentCommands,
  packageCommands,
  preambleCommands,
  releaseCommands,
  serviceCommands,
  serviceUnit,
  type BootReport,
  completionCommands,
} from './boot-script';
import { bootTiming, bootTimingProblems, MAX_SIGNAL_TIMEOUT_SECONDS, type BootTiming } from '../lib/model/config/boot-timing';
import { ConfigError, extensionError } from '../lib/model/config/config-error';
import type { DeliverySettings } from '../lib/model/config/delivery-settings';
import { fleetBootTimingInput, fleetSettingsSchema, type FleetSettings, type FleetSettingsInput } from '../lib/model/config/fleet-settings';
import { releaseAlarmDefinitions } from '../lib/model/deploy/release-alarms';
import { refreshPlan, releaseId, type RefreshPlan } from '../lib/model/deploy/release-rollout';
import { instanceTypesFor, WORKLOAD_PROFILES, type NetworkTuning } from '../lib/model/config/workload-profiles';
import { checkedAlarms, type AlarmFactory } from './alarm-factory';
import { appFleetAlarms } from './app-fleet-alarms';
import { parseSettings } from './parse-settings';
import { physicalNamePrefix } from './physical-name-prefix';
import { ReleaseAlarms } from './release-alarms';
import { PROTECT_DATA, type StatefulProtection } from './stateful-protection';

/** The app the fleet installs and runs. */
export interface AppFleetApp {
  readonly artifact: AppArtifact;
  /**
   * Seconds the app may take to stop after SIGTERM: it drains in-flight requests for the target
   * group's deregistration delay, then closes its pools. `TimeoutStopSec` adds a margin.
   */
  readonly drainSeconds: number;
  /**
   * The app's main process stops its own child processes after SIGTERM (the reference service's
   * supervising primary does, ADR 0006): the unit gets `KillMode=mixed`, so only the main process
   * gets SIGTERM. Otherwise systemd's default (`control-group`) sends SIGTERM to every process of
   * the unit at once, which an app started by a wrapper script, or one whose children drain on
   * their own SIGTERM, relies on (https://man7.org/linux/man-pages/man5/systemd.kill.5.html).
   * @default false
   */
  readonly stopsItsOwnChildren?: boolean;
}

/** The boot report's wait condition waits this much longer than the signal timeout: the group is still being created when it starts. */
export const BOOT_REPORT_SLACK_SECONDS = 300;

/**
 * The boot report's timeout: the longest signal timeout the config allows plus the slack, a
 * constant. CloudFormation does not support updates of a wait condition's `Count`, `Handle` or
 * `Timeout` ("Updates aren't supported",
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudformation-waitcondition.html),
 * so a timeout derived from the boot timeline would change with legitimate tuning of an existing
 * stack. The condition matters only on the first create, where a failure report or the group's
 * own signal timeout ends the wait sooner.
 */
export const BOOT_REPORT_TIMEOUT_SECONDS = MAX_SIGNAL_TIMEOUT_SECONDS + BOOT_REPORT_SLACK_SECONDS;

/** Seconds beyond the drain before systemd kills the app: closing the pools and flushing the last metrics. */
export const STOP_MARGIN_SECONDS = 15;

/** Name of the launching lifecycle hook of every group (hook names are scoped to their group). */
export const LAUNCH_HOOK_NAME = 'loadbearing-launch';

/**
 * How the fleet's rollout is rendered (docs/adr/0007-releases-roll-back-on-their-own-alarms.md):
 * - `normal`: an instance refresh watched by the release alarms;
 * - `update-policy-only`: the one deploy that moves a stack from the rolling update to the
 *   instance refresh: the new policy and the release alarms, the launch template and the hooks as
 *   deployed before (no APP_RELEASE, the launch hook only with a warm pool);
 * - `break-glass`: the refresh without alarms (a fix forward while a release alarm fires).
 */
export type DeliveryMode = 'normal' | 'update-policy-only' | 'break-glass';

/** What the instance refresh judges a release by. */
export interface AppFleetRelease {
  /** The prefix of every alarm name of the stack (the naming strategy's). */
  readonly alarmNamePrefix: string;
  /** The `Stack` dimension the app publishes (`APP_STACK_NAME`). */
  readonly metricsStackName: string;
  readonly settings: DeliverySettings['releaseAlarms'];
}

export interface AppFleetProps {
  readonly vpc: ec2.IVpc;
  readonly securityGroup: ec2.ISecurityGroup;
  /** @default - platform defaults (see the config reference, `fleet`) */
  readonly settings?: FleetSettingsInput;
  /** Registers the instances here, with ELB health checks and request-count scaling. @default - not behind a load balancer */
  readonly targetGroup?: elbv2.ApplicationTargetGroup;
  /**
   * Written to `/etc/loadbearing/app.env` at boot: the app reads its endpoints, timeouts and
   * pool sizes from there. Values may be tokens (endpoints).
   * @default - no variables
   */
  readonly appEnvironment?: Readonly<Record<string, string>>;
  /**
   * Where the boot script checks that the app is healthy before it signals CloudFormation
   * (a rollout waits for these signals). @default - no health wait: signal when boot commands finish
   */
  readonly healthCheck?: { readonly port: number; readonly path: string };
  /** Auto Scaling launch/terminate/failure notifications. @default - none */
  readonly notificationsTopic?: sns.ITopic;
  /**
   * Register the group with ARC zonal shift (AvailabilityZoneImpairmentPolicy), so a shift of
   * its AZ moves launches to the other AZs. @default false
   */
  readonly zonalShift?: boolean;
  /** Creates the fleet's alarms through this factory. @default - no alarms */
  readonly alarms?: AlarmFactory;
  /**
   * The app every instance installs and runs under systemd, from one release asset; its logs and
   * metrics go to CloudWatch. @default - no app: the boot tunes the instance, writes app.env and
   * waits for `healthCheck` (a subclass's `bootCommands` installs the app)
   */
  readonly app?: AppFleetApp;
  /** Key of the app and boot log groups. @default - CloudWatch Logs' own encryption */
  readonly logsKey?: kms.IKey;
  /** What happens to the log groups on delete. @default PROTECT_DATA */
  readonly protection?: StatefulProtection;
  /** Prefix of the log group names (`/<prefix>/app`, `/<prefix>/boot`). @default - the stack name */
  readonly namePrefix?: string;
  /** The release alarms of the instance refresh. @default - none: the refresh watches no alarm (only health and the lifecycle hook) */
  readonly release?: AppFleetRelease;
  /** @default 'normal' */
  readonly delivery?: DeliveryMode;
}

/**
 * The app fleet: an Auto Scaling group across the private app subnets of every AZ, launched
 * from a hardened launch template (IMDSv2 only, encrypted gp3 root volume, SSM access, no SSH
 * key), with ELB health checks and target tracking on CPU and on requests per target.
 *
 * - Capacity fallback: a mixed instances policy over every family of the workload profile
 *   (the primary first), an On-Demand base (default: minCapacity) and an optional Spot share
 *   above it, with capacity rebalancing.
 * - Safe rollout: the first create waits for every instance's healthy boot (signals); a new
 *   launch template rolls out by instance refresh, one AZ's share at a time, watched by the
 *   release alarms, and a launch lifecycle hook keeps a failed boot out of service.
 * - Optional warm pool and scheduled capacity for known peaks.
 *
 * Instance types come from the workload profile, which also decides the kernel and limits
 * tuning applied at boot.
 */
/** App environment variables the launch template had no line for before the instance refresh (ADR 0006, ADR 0007). */
const PRE_DELIVERY_ABSENT_ENV: readonly string[] = [
  'APP_WORKERS',
  'APP_MAX_CONNECTIONS_PER_WORKER',
  'APP_REPLICA_LAG_SAMPLE_MS',
  'CACHE_NEGATIVE_TTL_SECONDS',
];

export class AppFleet extends Construct {
  public readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  public readonly launchTemplate: ec2.LaunchTemplate;
  public readonly role: iam.Role;
  /** Pre-initialized instances; undefined unless `warmPool.enabled`. */
  public readonly warmPool?: autoscaling.WarmPool;
  /**
   * The launching lifecycle hook that keeps a new or warm instance out of service until its boot
   * (or the lifecycle watcher, on a warm start) completes it, and abandons a failed boot;
   * undefined only in `update-policy-only` mode without a warm pool.
   */
  public readonly launchHook?: autoscaling.LifecycleHook;
  /** The instance refresh: checkpoints, delays, healthy percentages (lib/model/deploy/release-rollout.ts). */
  public readonly refresh: RefreshPlan;
  /** The release this launch template is (a hash of its data, a token resolved at synth); the instances' `APP_RELEASE`. */
  public readonly releaseId: string;
  /** The one deploy that moves a stack to the instance refresh: the launch template renders as before it. */
  private readonly preDeliveryLaunchTemplate: boolean;
  /** The alarms the instance refresh watches; undefined without `release`. */
  public readonly releaseAlarms?: ReleaseAlarms;
  /** Names of the alarms the refresh watches (empty in `break-glass` mode). */
  public readonly refreshAlarmNames: string[] = [];
  public readonly instanceTypes: readonly string[];
  public readonly alarms: cloudwatch.Alarm[];
  public readonly settings: FleetSettings;
  /** The boot timeline: step budgets, health wait, signal timeout and grace period (lib/model/config/boot-timing.ts). */
  public readonly bootTiming: BootTiming;
  /** The app's release asset; undefined without `app`. */
  public readonly release?: AppRelease;
  /** `/<prefix>/app` (the app's stdout with its EMF metrics, and stderr) and `/<prefix>/boot` (cloud-init output); empty without `app`. */
  public readonly logGroups: logs.LogGroup[] = [];
  /** Carries a failed boot's reason into the stack events on the first create; undefined without `app`. */
  public readonly bootReport?: cfn.CfnWaitCondition;

  constructor(scope: Construct, id: string, props: AppFleetProps) {
    super(scope, id);
    const settings = (this.settings = parseSettings(fleetSettingsSchema, props.settings, 'fleet'));
    const profile = WORKLOAD_PROFILES[settings.workloadProfile];
    this.instanceTypes = instanceTypesFor(settings.workloadProfile, settings.architecture, settings.instanceSize);
    const hookSeconds = props.app?.artifact.installCommand ? (props.app.artifact.installTimeoutSeconds ?? 300) : 0;
    const mode = props.delivery ?? 'normal';
    const migration = mode === 'update-policy-only';
    this.preDeliveryLaunchTemplate = migration;
    const timingInput = fleetBootTimingInput(settings, hookSeconds, !migration);
    const timingProblems = bootTimingProblems(timingInput, {
      signalTimeout: 'fleet.rollingUpdate.signalTimeoutSeconds',
      gracePeriod: 'fleet.healthCheckGracePeriodSeconds',
      healthWait: 'fleet.boot.healthWaitSeconds',
      installHook: hookSeconds > 0 ? 'app.artifact.installTimeoutSeconds' : undefined,
    });
    if (timingProblems.length > 0)
      throw new ConfigError(
        timingProblems.map((p) => ({ ...p, value: String(p.value) })),
        'fleet settings',
      );
    this.bootTiming = bootTiming(timingInput);

    this.role = new iam.Role(this, 'InstanceRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: 'App instances: SSM Session Manager access; grants for secrets are added per resource',
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore')],
    });
    acknowledge(
      this.role,
      'AmazonSSMManagedInstanceCore is the AWS-maintained minimum for Session Manager (the replacement for SSH); AWS updates it as the agent changes.',
      'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]',
    );
    acknowledge(
      this.role,
      'The inline default policy holds the per-resource grants CDK generates (read one secret, decrypt with one key), scoped to those ARNs.',
      'NIST.800.53.R5::NIST.800.53.R5-IAMNoInlinePolicy',
    );

    const warmPool = settings.warmPool.enabled;
    const launchHook = warmPool || !migration;
    if (warmPool && (!props.app || !props.healthCheck)) {
      throw new ConfigError(
        [
          {
            path: 'fleet.warmPool.enabled',
            value: 'true',
            rule: 'needs the app and its health check: a warm instance enters service only once its lifecycle watcher has seen the app healthy',
            fix: 'pass AppFleetProps.app and healthCheck, or disable fleet.warmPool.',
          },
        ],
        'fleet settings',
      );
    }
    const report = props.app ? this.createBootReport() : undefined;
    this.bootReport = report?.condition;
    const bootReport: BootReport = {
      stackName: Stack.of(this).stackName,
      // The group is created after the launch template; its logical ID is known at synth.
      groupLogicalId: Lazy.string({
        produce: () => (this.autoScalingGroup.node.defaultChild as autoscaling.CfnAutoScalingGroup).logicalId,
      }),
      region: Stack.of(this).region,
      reasonUrl: report?.url,
      lifecycleHookName: launchHook ? LAUNCH_HOOK_NAME : undefined,
      warmPool,
      // The migration reproduces the launch template as deployed before (no completion marker then).
      requireCompletion: !migration,
    };
    // The release ID is a hash of the launch template's data, which holds it (APP_RELEASE): while
    // the hash is computed, the token stands for a fixed placeholder.
    let hashing = false;
    this.releaseId = Lazy.string({
      produce: () => {
        if (hashing) return '(release)';
        hashing = true;
        try {
          const data = (this.launchTemplate.node.defaultChild as ec2.CfnLaunchTemplate).launchTemplateData;
          return releaseId(Stack.of(this).resolve(data));
        } finally {
          hashing = false;
        }
      },
    });
    // The move to the instance refresh changes nothing an instance runs: the launch template stays
    // as deployed before it (no release id, no worker settings: the service's default is one worker).
    const appEnvironment = migration
      ? Object.fromEntries(Object.entries(props.appEnvironment ?? {}).filter(([k]) => !PRE_DELIVERY_ABSENT_ENV.includes(k)))
      : { ...props.appEnvironment, APP_RELEASE: this.releaseId };
    const userData = ec2.UserData.forLinux();
    userData.addCommands(...preambleCommands(bootReport));
    userData.addCommands(...checkedBootCommands(this.bootCommands(profile.tuning, appEnvironment), this.node.path));
    if (props.app) {
      this.release = new AppRelease(this, 'Release', { artifact: props.app.artifact });
      this.release.grantRead(this.role);
      this.logGroups.push(...this.createLogGroups(props, settings));
      userData.addCommands(...this.appCommands(props.app, this.release, profile.tuning, warmPool));
    }
    // Rollout gate: the boot signals after the health wait (lib/model/config/boot-timing.ts bounds it).
    if (props.healthCheck)
      userData.addCommands(...healthWaitCommands(props.healthCheck.port, props.healthCheck.path, this.bootTiming.healthWait));
    // Last: the exit trap signals SUCCESS only for a script that got here.
    if (!migration) userData.addCommands(...completionCommands());
    // cloudformation:SignalResource on this stack: the group's `signals` grants it to the role.

    this.launchTemplate = new ec2.LaunchTemplate(this, 'LaunchTemplate', {
      machineImage: this.machineImage(settings),
      instanceType: new ec2.InstanceType(this.instanceTypes[0]),
      securityGroup: props.securityGroup,
      role: this.role,
      userData,
      requireImdsv2: true,
      httpPutResponseHopLimit: 1,
      detailedMonitoring: true,
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: ec2.BlockDeviceVolume.ebs(settings.rootVolumeGiB, {
            volumeType: ec2.EbsDeviceVolumeType.GP3,
            encrypted: true,
            deleteOnTermination: true,
          }),
        },
      ],
    });

    const signalTimeout = Duration.seconds(this.bootTiming.signalTimeoutSeconds);
    const appSubnets = props.vpc.selectSubnets({ subnetGroupName: 'app' });
    this.refresh = refreshPlan(settings, appSubnets.availabilityZones.length);
    if (props.release) {
      const definitions = releaseAlarmDefinitions({
        prefix: props.release.alarmNamePrefix,
        stackName: props.release.metricsStackName,
        releaseId: this.releaseId,
        settings: props.release.settings,
      });
      this.releaseAlarms = new ReleaseAlarms(this, 'ReleaseAlarms', { definitions });
      // By name, as strings: the policy holds the names, and the group's DependsOn the order.
      if (mode !== 'break-glass')
        this.refreshAlarmNames.push(...definitions.map((d) => d.alarmName), ...props.release.settings.extraAlarmNames);
    }
    this.autoScalingGroup = new autoscaling.AutoScalingGroup(this, 'Resource', {
      vpc: props.vpc,
      vpcSubnets: { subnetGroupName: 'app' },
      ...this.capacitySource(settings),
      // The first create: every instance signals its healthy boot (a refresh does not use signals).
      signals: autoscaling.Signals.waitForMinCapacity({ timeout: signalTimeout }),
      updatePolicy: this.updatePolicy(this.refresh),
      minCapacity: settings.minCapacity,
      maxCapacity: settings.maxCapacity,
      healthChecks: props.targetGroup
        ? autoscaling.HealthChecks.withAdditionalChecks({
            additionalTypes: [autoscaling.AdditionalHealthCheckType.ELB],
            gracePeriod: Duration.seconds(this.bootTiming.gracePeriodSeconds),
          })
        : autoscaling.HealthChecks.ec2({ gracePeriod: Duration.seconds(this.bootTiming.gracePeriodSeconds) }),
      defaultInstanceWarmup: Duration.seconds(this.bootTiming.instanceWarmupSeconds),
      groupMetrics: [autoscaling.GroupMetrics.all()],
      notifications: props.notificationsTopic ? [{ topic: props.notificationsTopic }] : undefined,
    });
    // Instances boot by fetching the release and packages through the NAT gateways: the group
    // waits for its subnets' default routes, which its subnet references alone do not guarantee
    // (aws-cdk-lib's AutoScalingGroup never adds this dependency; a public race report:
    // https://github.com/terraform-aws-modules/terraform-aws-autoscaling/issues/255).
    this.autoScalingGroup.node.addDependency(appSubnets.internetConnectivityEstablished);
    // The update policy names the release alarms as strings: the group must wait for them
    // (they reference nothing of the group, so nothing waits in a circle).
    if (this.releaseAlarms) this.autoScalingGroup.node.defaultChild!.node.addDependency(this.releaseAlarms);
    Annotations.of(this.autoScalingGroup).acknowledgeWarning(
      '@aws-cdk/aws-autoscaling:signalsNotUsedByInstanceRefresh',
      'The signals gate the first create only (the creation policy); under the instance refresh a failed boot completes the launch lifecycle hook with ABANDON, and the release alarms judge a release (docs/adr/0007-releases-roll-back-on-their-own-alarms.md).',
    );
    if (props.zonalShift) {
      // aws-cdk-lib's L2 has no prop for it: the L1 property
      // (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-autoscaling-autoscalinggroup-availabilityzoneimpairmentpolicy.html,
      // both fields required, "Update requires: No interruption"). With zonal shift enabled the
      // group is registered with ARC, and during a shift it treats the AZ as impaired: it launches
      // new capacity in the other AZs (https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-zonal-shift.html).
      // IgnoreUnhealthy: "instances will not be replaced in the Availability Zone with the active
      // zonal shift". In an impaired AZ the health checks themselves fail for reasons the
      // instances do not cause (the network paths to them); replacing them would terminate
      // instances that recover on their own when the AZ does, and launch their replacements
      // while the AZ is impaired. The other AZs already carry the load: the fleet is sized to
      // lose an AZ (invariant AZ-1), so nothing needs the shifted AZ's instances replaced.
      (this.autoScalingGroup.node.defaultChild as autoscaling.CfnAutoScalingGroup).availabilityZoneImpairmentPolicy = {
        zonalShiftEnabled: true,
        impairedZoneHealthCheckBehavior: 'IgnoreUnhealthy',
      };
    }
    // The group spans every AZ through its subnets; naming the AZs too makes that checkable.
    (this.autoScalingGroup.node.defaultChild as autoscaling.CfnAutoScalingGroup).availabilityZones = appSubnets.availabilityZones;
    acknowledge(
      this.autoScalingGroup,
      "The AZs are the explicit availabilityZones config (the same as the subnets' AZs), so synth needs no lookup.",
      'CloudFormation-Validate::W3010',
    );
    if (profile.burstable) {
      acknowledge(
        this.autoScalingGroup,
        'The burstable profile (dev) runs on T instances, which lack Nitro in-transit encryption between instances; traffic to the DB, proxy and cache is TLS anyway.',
        'cdk-validator-cfnguard::autoscaling_group_nitro_encryption_in_transit_override_check',
      );
    }
    acknowledge(
      this.autoScalingGroup,
      'The launch template requires IMDSv2 and encrypts its gp3 volume (asserted in test/platform/stack); these rules cannot follow a launch template referenced through MixedInstancesPolicy.',
      'AwsSolutions::AwsSolutions-EC26',
      'NIST.800.53.R5::NIST.800.53.R5-EC2IMDSv2Enabled',
    );
    if (props.targetGroup) this.autoScalingGroup.attachToApplicationTargetGroup(props.targetGroup);
    const launch = launchHook ? this.createLaunchHook(this.autoScalingGroup) : undefined;
    this.launchHook = launch?.hook;
    if (warmPool && launch) {
      acknowledge(
        this.autoScalingGroup,
        'fleet.warmPool.enabled: EC2 Auto Scaling allows a warm pool only on a group without a mixed instances policy, so this group launches one instance type.',
        'cdk-validator-cfnguard::autoscaling_mixed_instances_policy_multiple_instance_types_check',
      );
      this.warmPool = this.autoScalingGroup.addWarmPool({
        minSize: settings.warmPool.minSize,
        maxGroupPreparedCapacity: settings.warmPool.maxPreparedCapacity,
        poolState: autoscaling.PoolState[settings.warmPool.state.toUpperCase() as keyof typeof autoscaling.PoolState],
        reuseOnScaleIn: true,
      });
      // Warm instances launch only once the hook and its permission exist: otherwise Auto Scaling
      // stops them before their boot has finished, and none of them could complete the action.
      this.warmPool.node.addDependency(launch.hook, launch.policy);
    }
    if (this.bootReport) {
      // Starts waiting when the group starts launching (the launch template is its last dependency).
      this.bootReport.timeout = String(BOOT_REPORT_TIMEOUT_SECONDS);
      this.bootReport.node.addDependency(this.launchTemplate);
    }

    this.createScalingPolicies(this.autoScalingGroup, settings, props.targetGroup);
    this.alarms = props.alarms
      ? checkedAlarms(this.createAlarms(props.alarms, this.autoScalingGroup, settings), `AppFleet.createAlarms() of ${this.node.path}`)
      : [];
  }

  /**
   * The instance refresh (https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_autoscaling.InstanceRefreshOptions.html):
   * Rolling, checkpoints and delays from the plan, the final bake, the release alarms by name
   * (the refresh fails when one goes into ALARM), SkipMatching (instances already on the launch
   * template stay), and `Ignore` for scale-in protected and Standby instances: the platform sets
   * neither, so one was set on purpose, and the default `Wait` fails the refresh after an hour
   * (https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/autoscaling/aws.sdk.kotlin.services.autoscaling.model/-refresh-preferences/scale-in-protected-instances.html).
   * The instance warm-up is the group's default instance warm-up.
   */
  private updatePolicy(plan: RefreshPlan): autoscaling.UpdatePolicy {
    return autoscaling.UpdatePolicy.instanceRefresh({
      strategy: autoscaling.InstanceRefreshStrategy.ROLLING,
      minHealthyPercentage: plan.minHealthyPercentage,
      maxHealthyPercentage: plan.maxHealthyPercentage,
      skipMatching: true,
      checkpointPercentages: [...plan.checkpointPercentages],
      checkpointDelay: Duration.seconds(plan.checkpointDelaySeconds),
      bakeTime: Duration.seconds(plan.bakeSeconds),
      alarms:
        this.refreshAlarmNames.length > 0
          ? this.refreshAlarmNames.map((name, i) => cloudwatch.Alarm.fromAlarmName(this, `RefreshAlarm${i}`, name))
          : undefined,
      scaleInProtectedInstances: autoscaling.ScaleInProtectedInstances.IGNORE,
      standbyInstances: autoscaling.StandbyInstances.IGNORE,
    });
  }

  /**
   * The AMI. By default the latest AL2023 image, resolved at deploy time from AWS's public SSM
   * parameter: a new release changes the launch template at the next deploy, and it rolls out
   * through the signal-gated rolling update like any other change (a broken image fails the
   * deploy and rolls back). Resolving at launch instead (`resolveSsmParameterAtLaunch`) would
   * spare an unrelated deploy the rollout, but then every scale-out, replacement and warm start
   * takes whatever image is newest, untested by any rollout, at peak if that is when it scales:
   * the platform keeps the deploy-time resolution and offers `fleet.imageId` to pin the image.
   */
  private machineImage(settings: FleetSettings): ec2.IMachineImage {
    const imageId = settings.imageId;
    if (imageId) return { getImage: () => ({ imageId, osType: ec2.OperatingSystemType.LINUX, userData: ec2.UserData.forLinux() }) };
    return ec2.MachineImage.latestAmazonLinux2023({
      cpuType: settings.architecture === 'arm64' ? ec2.AmazonLinuxCpuType.ARM_64 : ec2.AmazonLinuxCpuType.X86_64,
    });
  }

  /**
   * The launching lifecycle hook of every group, and the instances' permission to complete it.
   * Under an instance refresh a failed boot is only an unhealthy instance (CloudFormation waits for
   * no signal), so the boot completes the hook with ABANDON and Auto Scaling terminates the
   * instance before it serves (ADR 0007). A warm pool needs it besides: "As soon as an instance finishes launching into the warm pool,
   * Amazon EC2 Auto Scaling stops or hibernates the instance. Amazon EC2 Auto Scaling does not
   * wait for user data to finish running"
   * (https://docs.aws.amazon.com/autoscaling/ec2/userguide/warm-pool-instance-lifecycle.html). With
   * the hook, a launch into the pool waits in Warmed:Pending:Wait and a launch or warm start into
   * service in Pending:Wait (registered with the load balancer only after it, same page and
   * https://docs.aws.amazon.com/autoscaling/ec2/userguide/lifecycle-hooks-overview.html), until the
   * boot or the lifecycle watcher completes the action.
   *
   * - Heartbeat: the signal timeout, the boot timeline's slowest boot with its exit path and margin
   *   (30 to 7200 s are allowed: https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_PutLifecycleHook.html).
   * - Default result ABANDON: an instance nobody completes (a hung boot) is terminated, never put in service.
   * - Permission: CompleteLifecycleAction on this group only (its ARN has the group's name and an ID
   *   AWS assigns: `autoScalingGroup:*:autoScalingGroupName/<name>`), the two Describe calls on `*`:
   *   they support no resource-level permissions
   *   (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2autoscaling.html).
   *
   * Both are separate resources after the group (the policy names it; the launch template, which
   * the group needs, already depends on the role's default policy), not the group's
   * LifecycleHookSpecificationList: moving a warm-pool group's hook into the group while deleting
   * the resource of the same name would delete the hook in that update's cleanup. The instances
   * of the first create therefore boot without a hook (their boot finds no waiting action and says
   * so) and are gated by the creation policy's signals; the warm pool waits for both.
   */
  protected createLaunchHook(asg: autoscaling.AutoScalingGroup): { hook: autoscaling.LifecycleHook; policy: iam.Policy } {
    const hook = new autoscaling.LifecycleHook(this, 'LaunchHook', {
      autoScalingGroup: asg,
      lifecycleHookName: LAUNCH_HOOK_NAME,
      lifecycleTransition: autoscaling.LifecycleTransition.INSTANCE_LAUNCHING,
      heartbeatTimeout: Duration.seconds(this.bootTiming.signalTimeoutSeconds),
      defaultResult: autoscaling.DefaultResult.ABANDON,
    });
    const groupArn = Stack.of(this).formatArn({
      service: 'autoscaling',
      resource: 'autoScalingGroup',
      resourceName: `*:autoScalingGroupName/${asg.autoScalingGroupName}`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const policy = new iam.Policy(this, 'LaunchHookPolicy', {
      roles: [this.role],
      statements: [
        new iam.PolicyStatement({ actions: ['autoscaling:CompleteLifecycleAction'], resources: [groupArn] }),
        new iam.PolicyStatement({
          actions: ['autoscaling:DescribeAutoScalingGroups', 'autoscaling:DescribeAutoScalingInstances'],
          resources: ['*'],
        }),
      ],
    });
    acknowledge(
      policy,
      'DescribeAutoScalingGroups and DescribeAutoScalingInstances support no resource-level permissions (Resource "*" is the only form); CompleteLifecycleAction is scoped to this group, whose ARN carries an ID AWS assigns (the "*" before its name).',
      'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      `AwsSolutions::AwsSolutions-IAM5[Resource::${nagArn(this, `autoscaling`, `autoScalingGroup:*:autoScalingGroupName/<${Stack.of(this).getLogicalId(asg.node.defaultChild as autoscaling.CfnAutoScalingGroup)}>`)}]`,
      'NIST.800.53.R5::NIST.800.53.R5-IAMNoInlinePolicy',
    );
    return { hook, policy };
  }

  /**
   * The channel for a failed boot's reason: SignalResource carries none, so the boot script also
   * reports to this wait condition, whose failure shows the reason in the stack events. It counts
   * on the first create only (CloudFormation does not re-run a wait condition on updates; later
   * boots' reports are ignored), which is when a team meets its first boot failure; after that,
   * the console output and the boot log group hold the reason (docs/deploying.md).
   * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-waitcondition.html
   */
  private createBootReport(): { condition: cfn.CfnWaitCondition; url: string } {
    const handle = new cfn.CfnWaitConditionHandle(this, 'BootReportHandle');
    return { condition: new cfn.CfnWaitCondition(this, 'BootReport', { handle: handle.ref, count: 1 }), url: handle.ref };
  }

  /** The log groups the CloudWatch agent writes to, named per stack, encrypted and retained like the platform's other logs. */
  private createLogGroups(props: AppFleetProps, settings: FleetSettings): logs.LogGroup[] {
    const prefix = physicalNamePrefix(this, props.namePrefix);
    const protection = props.protection ?? PROTECT_DATA;
    const groups = [
      new logs.LogGroup(this, 'AppLogs', {
        logGroupName: `/${prefix}/app`,
        retention: settings.logRetentionDays as logs.RetentionDays,
        encryptionKey: props.logsKey,
        removalPolicy: protection.retainPolicy,
      }),
      new logs.LogGroup(this, 'BootLogs', {
        logGroupName: `/${prefix}/boot`,
        retention: settings.logRetentionDays as logs.RetentionDays,
        encryptionKey: props.logsKey,
        removalPolicy: protection.retainPolicy,
      }),
    ];
    for (const group of groups) {
      group.grantWrite(this.role);
      group.grant(this.role, 'logs:DescribeLogStreams');
    }
    return groups;
  }

  /** Installs and starts the app: packages, log agent, release, install hook, systemd unit (and, with a warm pool, the lifecycle watcher). */
  private appCommands(app: AppFleetApp, release: AppRelease, tuning: NetworkTuning, watcher: boolean): string[] {
    const { artifact } = app;
    const [appLogs, bootLogs] = this.logGroups;
    const nodejs = artifact.runtime === 'nodejs' ? (artifact.nodejsMajor ?? 22) : undefined;
    const [program, ...args] = artifact.startCommand.split(' ');
    const executable =
      nodejs !== undefined ? `/usr/bin/node-${nodejs} ${program}` : program.startsWith('/') ? program : `${BOOT_PATHS.appDir}/${program}`;
    const unit = serviceUnit({
      description: `loadbearing app (${Stack.of(this).stackName})`,
      execStart: [executable, ...args].join(' '),
      fileDescriptors: tuning.fileDescriptors,
      stopTimeoutSeconds: app.drainSeconds + STOP_MARGIN_SECONDS,
      killModeMixed: app.stopsItsOwnChildren === true && !this.preDeliveryLaunchTemplate,
    });
    return [
      ...packageCommands(nodejs),
      ...logAgentCommands([
        { file: BOOT_PATHS.stdoutLog, group: appLogs.logGroupName, stream: '{instance_id}/stdout' },
        { file: BOOT_PATHS.stderrLog, group: appLogs.logGroupName, stream: '{instance_id}/stderr' },
        { file: BOOT_PATHS.bootLog, group: bootLogs.logGroupName, stream: '{instance_id}' },
        ...(watcher ? [{ file: BOOT_PATHS.lifecycleLog, group: bootLogs.logGroupName, stream: '{instance_id}/lifecycle' }] : []),
      ]),
      ...releaseCommands(release.object, Stack.of(this).region),
      ...(artifact.installCommand ? installHookCommands(artifact.installCommand, artifact.installTimeoutSeconds ?? 300) : []),
      ...(watcher ? lifecycleWatcherCommands() : []),
      ...serviceCommands(unit, watcher ? [BOOT_PATHS.lifecycleUnit] : []),
    ];
  }

  /**
   * Where the group's instances come from. Normally a mixed instances policy over every family of
   * the workload profile (capacity fallback) with an On-Demand base and an optional Spot share.
   * EC2 Auto Scaling cannot put a warm pool on a group with a mixed instances policy or Spot
   * (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_PutWarmPool.html), so with
   * `warmPool.enabled` the group launches the launch template alone: On-Demand, primary family
   * only; the fallback to the profile's other families is lost (the config refuses Spot then).
   */
  private capacitySource(
    settings: FleetSettings,
  ): Pick<autoscaling.AutoScalingGroupProps, 'mixedInstancesPolicy' | 'launchTemplate' | 'capacityRebalance'> {
    if (settings.warmPool.enabled) return { launchTemplate: this.launchTemplate };
    return {
      mixedInstancesPolicy: {
        launchTemplate: this.launchTemplate,
        launchTemplateOverrides: this.instanceTypes.map((t) => ({ instanceType: new ec2.InstanceType(t) })),
        instancesDistribution: {
          onDemandBaseCapacity: settings.onDemandBaseCapacity ?? settings.minCapacity,
          onDemandPercentageAboveBaseCapacity: 100 - settings.spotPercentAboveBase,
          // The override order (primary family first) decides which On-Demand type to launch.
          onDemandAllocationStrategy: autoscaling.OnDemandAllocationStrategy.PRIORITIZED,
          spotAllocationStrategy: autoscaling.SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED,
        },
      },
      capacityRebalance: settings.spotPercentAboveBase > 0,
    };
  }

  /**
   * Scaling policies. The default tracks average CPU and, behind a load balancer, requests per
   * target; whichever asks for more capacity wins. Override to add step or scheduled scaling;
   * call `super.createScalingPolicies` to keep these. Runs in the constructor: use only the arguments.
   */
  protected createScalingPolicies(
    asg: autoscaling.AutoScalingGroup,
    settings: FleetSettings,
    targetGroup?: elbv2.ApplicationTargetGroup,
  ): void {
    asg.scaleOnCpuUtilization('CpuTracking', { targetUtilizationPercent: settings.cpuTargetPercent });
    if (targetGroup) {
      asg.scaleOnRequestCount('RequestTracking', { targetRequestsPerMinute: settings.requestsPerTarget });
    }
    for (const action of settings.scheduledActions) {
      asg.scaleOnSchedule(action.name, {
        schedule: autoscaling.Schedule.expression(action.schedule),
        timeZone: action.timeZone,
        minCapacity: action.minCapacity,
        maxCapacity: action.maxCapacity,
      });
    }
  }

  /**
   * Shell commands run at first boot: kernel network tuning and file limits from the workload
   * profile, then the app environment file. Override to install agents or change tuning; call
   * `super.bootCommands` to keep these. Runs in the constructor: use only the arguments.
   */
  protected bootCommands(tuning: NetworkTuning, appEnvironment: Readonly<Record<string, string>>): string[] {
    const sysctl = [
      `net.core.somaxconn = ${tuning.somaxconn}`,
      `net.ipv4.tcp_max_syn_backlog = ${tuning.synBacklog}`,
      `net.ipv4.tcp_keepalive_time = ${tuning.tcpKeepaliveTimeSeconds}`,
      `net.ipv4.tcp_keepalive_intvl = ${tuning.tcpKeepaliveIntervalSeconds}`,
      `net.ipv4.tcp_keepalive_probes = ${tuning.tcpKeepaliveProbes}`,
      `net.ipv4.ip_local_port_range = ${tuning.ephemeralPortRange[0]} ${tuning.ephemeralPortRange[1]}`,
      'net.ipv4.tcp_tw_reuse = 1',
      `fs.file-max = ${tuning.fileDescriptors * 4}`,
    ];
    const env = Object.entries(appEnvironment).map(([k, v]) => `${k}=${v}`);
    return [
      'lb_step tuning',
      `cat > /etc/sysctl.d/90-loadbearing.conf <<'EOF'\n${sysctl.join('\n')}\nEOF`,
      'sysctl --system',
      `cat > /etc/security/limits.d/90-loadbearing.conf <<'EOF'\n* soft nofile ${tuning.fileDescriptors}\n* hard nofile ${tuning.fileDescriptors}\nEOF`,
      'mkdir -p /etc/systemd/system.conf.d',
      `printf '[Manager]\\nDefaultLimitNOFILE=${tuning.fileDescriptors}\\n' > /etc/systemd/system.conf.d/90-loadbearing.conf`,
      'mkdir -p /etc/loadbearing',
      `cat > /etc/loadbearing/app.env <<'EOF'\n${env.join('\n')}\nEOF`,
      'chmod 0644 /etc/loadbearing/app.env',
    ];
  }

  /**
   * The fleet's alarms (app-fleet-alarms.ts). Override to add or replace signals; call
   * `super.createAlarms` to keep the platform's set. Runs in the constructor: use only the arguments.
   */
  protected createAlarms(factory: AlarmFactory, asg: autoscaling.AutoScalingGroup, settings: FleetSettings): cloudwatch.Alarm[] {
    return appFleetAlarms(this, factory, asg, settings);
  }
}

/**
 * An ARN of this stack as cdk-nag prints it in a finding: what synth makes literal (the region,
 * the account, and the partition of a known region) literal, the rest as `<AWS::...>`.
 */
function nagArn(scope: Construct, service: string, resource: string): string {
  const stack = Stack.of(scope);
  const part = (value: string | undefined, pseudo: string) =>
    value === undefined || Token.isUnresolved(value) ? `<AWS::${pseudo}>` : value;
  const partition = Token.isUnresolved(stack.region) ? undefined : RegionInfo.get(stack.region).partition;
  return `arn:${part(partition, 'Partition')}:${service}:${part(stack.region, 'Region')}:${part(stack.account, 'AccountId')}:${resource}`;
}

/**
 * The commands a `bootCommands` override returned, refused with an extension error when the boot
 * script could not run them as the platform needs: each one a non-empty line of shell, and none
 * that exits the script (the instance would never signal, and the rollout would wait for its
 * timeout and roll back). Their total size is HL-6's (16 KB of user data).
 */
export function checkedBootCommands(commands: unknown, fleetPath: string): string[] {
  const hook = `AppFleet.bootCommands() of ${fleetPath}`;
  if (!Array.isArray(commands)) {
    throw extensionError(
      hook,
      commands,
      'must return an array of shell command strings',
      'return [...super.bootCommands(tuning, appEnvironment), ...yourCommands].',
    );
  }
  commands.forEach((command, i) => {
    if (typeof command !== 'string' || command.trim() === '') {
      throw extensionError(
        `${hook}[${i}]`,
        command,
        'every boot command is a non-empty string of shell',
        'remove the entry, or build it with a template string.',
      );
    }
    if (command.includes('\0')) {
      throw extensionError(`${hook}[${i}]`, command, 'a boot command cannot hold a NUL byte (user data is text)', 'remove the NUL byte.');
    }
    if (/^\s*exit(\s|;|$)/.test(command)) {
      throw extensionError(
        `${hook}[${i}]`,
        command,
        'a boot command must not exit the boot script: it would end the boot before the app is installed and checked, and the boot would be reported as failed',
        'let the command fail instead (the script stops and reports the failing step), or skip with an if: if [ -f x ]; then ...; fi.',
      );
    }
  });
  return commands as string[];
}

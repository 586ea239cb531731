import { ArnFormat, Stack, Tags } from 'aws-cdk-lib';
import type * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as fis from 'aws-cdk-lib/aws-fis';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as rds from 'aws-cdk-lib/aws-rds';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import type { FailureDrillSettings } from '../lib/model/config/failure-drill-settings';
import type { FailureModeId } from '../lib/model/failure-modes/failure-mode';
import { FAILURE_MODES } from '../lib/model/failure-modes/modes';
import {
  cacheFailoverTimings,
  DRILL_TARGET_TAG,
  drillTargetTagValue,
  FIS_ACTIONS,
  type DrillTemplate,
  type DrillValue,
  type StackRef,
} from '../lib/model/failure-modes/drills';
import { STOP_RULE_PERIOD_SECONDS, stopAlarmSignal, type StopRule } from '../lib/model/failure-modes/stop-rules';
import { acknowledge } from './acknowledge';
import type { AlarmFactory } from './alarm-factory';
import { PROTECT_DATA, type StatefulProtection } from './stateful-protection';

export interface FailureDrillsProps {
  readonly stackName: string;
  readonly settings: FailureDrillSettings;
  /** The experiment templates to create (lib/model/failure-modes, `drillTemplates`). */
  readonly templates: readonly DrillTemplate[];
  /** Each drilled mode's stop rules (lib/model/failure-modes, `stopRules`). */
  readonly stopRules: ReadonlyMap<FailureModeId, readonly StopRule[]>;
  readonly alarms: AlarmFactory;
  readonly logsKey: kms.IKey;
  /** @default PROTECT_DATA (the experiment log group is retained) */
  readonly protection?: StatefulProtection;
  readonly vpc: ec2.IVpc;
  readonly fleet: autoscaling.AutoScalingGroup;
  /** The app subnet of each AZ. */
  readonly appSubnets: Readonly<Record<string, ec2.ISubnet>>;
  readonly writer: rds.IDatabaseInstance;
  readonly replicas: readonly rds.IDatabaseInstance[];
  /** The database hosts the app connects to (writer or proxy, and the replicas). */
  readonly databaseHosts: readonly string[];
  readonly cache: elasticache.CfnReplicationGroup;
  readonly cacheReplicationGroupId: string;
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly targetGroup: elbv2.ApplicationTargetGroup;
}

/**
 * The failure drills of one environment: an AWS FIS experiment template per drill (per AZ for
 * az-loss and capacity-shortage-in-an-az), each with
 *
 * - targets the stack owns: its Auto Scaling group (its name on the instances, a stack-unique
 *   tag on the group), its subnets, DB instances and replication group, never an account-wide tag;
 * - one IAM role per drill with only the permissions of that drill's actions, on the stack's
 *   resources where the action allows it;
 * - a stop condition: the alarm `<stack>-drill-<mode>-stop`, built from the mode's impact
 *   budget (lib/model/failure-modes/stop-rules.ts), not the service-health alarm the drill is
 *   expected to move;
 * - experiment logs to one encrypted log group with retention;
 * - tags naming the stack, the mode and the AZ, by which `loadbearing drill` finds it.
 *
 * FIS checks every action ID, parameter and target when CloudFormation creates the template,
 * so a template that deploys is one FIS accepts; whether the role may do each action is only
 * known when the experiment runs, and test/platform/stack/failure-drills.test.ts checks it against the
 * actions reference.
 */
export class FailureDrills extends Construct {
  public readonly logGroup: logs.LogGroup;
  public readonly templates: Readonly<Record<string, fis.CfnExperimentTemplate>> = {};
  /** The stop alarm of each drilled mode (`<stack>-drill-<mode>-stop`). */
  public readonly stopAlarms: Partial<Record<FailureModeId, cloudwatch.AlarmBase>> = {};
  /** The metric alarm of each stop rule of each drilled mode: the experiments' stop conditions. */
  public readonly stopRuleAlarms: Partial<Record<FailureModeId, cloudwatch.Alarm[]>> = {};
  public readonly roles: Partial<Record<FailureModeId, iam.Role>> = {};
  /** The TestFailover automation of the cache-loss drill, where it exists. */
  public readonly cacheFailover?: { readonly document: ssm.CfnDocument; readonly role: iam.Role };

  private readonly stack: Stack;

  constructor(
    scope: Construct,
    id: string,
    private readonly props: FailureDrillsProps,
  ) {
    super(scope, id);
    this.stack = Stack.of(this);
    const protection = props.protection ?? PROTECT_DATA;

    // FIS selects these two only by tag: a tag unique to this stack, on these resources only.
    Tags.of(props.fleet).add(DRILL_TARGET_TAG, drillTargetTagValue(props.stackName, 'fleet'), { applyToLaunchedInstances: false });
    Tags.of(props.cache).add(DRILL_TARGET_TAG, drillTargetTagValue(props.stackName, 'cache'));

    // Experiment logs: FIS delivers them as vended logs (logs:CreateLogDelivery by the
    // experiment role) to this group, encrypted with the stack's log key, which lets the
    // CloudWatch Logs service use it for every log group of the account and region.
    // https://docs.aws.amazon.com/fis/latest/userguide/monitoring-logging.html
    // Named under /aws/vendedlogs/: setting up delivery to any other group adds a statement to
    // the account's CloudWatch Logs resource policy, which is limited to 5,120 characters
    // (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-infrastructure-CWL.html,
    // https://docs.aws.amazon.com/step-functions/latest/dg/bp-cwl.html). The name is fixed from
    // the first deploy: changing it replaces this retained group.
    this.logGroup = new logs.LogGroup(this, 'ExperimentLogs', {
      logGroupName: `/aws/vendedlogs/fis/${props.stackName}`,
      retention: props.settings.logRetentionDays as logs.RetentionDays,
      encryptionKey: props.logsKey,
      removalPolicy: protection.retainPolicy,
    });

    if (props.templates.some((t) => t.mode === 'cache-loss')) this.cacheFailover = this.createCacheFailover();

    const modes = [...new Set(props.templates.map((t) => t.mode))];
    for (const mode of modes) {
      this.stopAlarms[mode] = this.createStopAlarm(mode, props.stopRules.get(mode) ?? []);
      this.roles[mode] = this.createRole(props.templates.filter((t) => t.mode === mode));
    }
    for (const template of props.templates) {
      const id = pascal(`${template.drill}${template.zone ? `-${template.zone}` : ''}`);
      (this.templates as Record<string, fis.CfnExperimentTemplate>)[id] = this.createTemplate(id, template);
    }
  }

  private createTemplate(id: string, t: DrillTemplate): fis.CfnExperimentTemplate {
    const value = (v: DrillValue) => this.resolve(v);
    return new fis.CfnExperimentTemplate(this, id, {
      description: t.description,
      roleArn: this.roles[t.mode]!.roleArn,
      targets: Object.fromEntries(
        Object.entries(t.targets).map(([name, target]) => [
          name,
          {
            resourceType: target.resourceType,
            selectionMode: target.selectionMode,
            resourceArns: target.resourceArns?.map(value),
            resourceTags: target.resourceTags ? mapValues(target.resourceTags, value) : undefined,
            filters: target.filters?.map((f) => ({ path: f.path, values: f.values.map(value) })),
            parameters: target.parameters ? mapValues(target.parameters, value) : undefined,
          },
        ]),
      ),
      actions: Object.fromEntries(
        Object.entries(t.actions).map(([name, action]) => [
          name,
          {
            actionId: action.actionId,
            description: action.description,
            parameters: action.parameters ? mapValues(action.parameters, value) : undefined,
            targets: action.targets ? { ...action.targets } : undefined,
            startAfter: action.startAfter ? [...action.startAfter] : undefined,
          },
        ]),
      ),
      // An experiment stops when one of these alarms enters ALARM during it
      // (https://docs.aws.amazon.com/fis/latest/userguide/stop-conditions.html): each rule's metric
      // alarm, which is what the composite stop alarm says too; at most 4 rules, within FIS's
      // 5 stop conditions per template (https://docs.aws.amazon.com/fis/latest/userguide/fis-quotas.html).
      // A brake for a sustained fault (synth refuses a rule that could not fire within it); a
      // one-shot fault is over first, and `loadbearing drill` judges it by the same alarms.
      stopConditions: this.stopRuleAlarms[t.mode]!.map((a) => ({ source: 'aws:cloudwatch:alarm', value: a.alarmArn })),
      // CloudWatchLogsConfiguration is an untyped property of the L1: CloudFormation's names, as they are.
      logConfiguration: { cloudWatchLogsConfiguration: { LogGroupArn: this.logGroup.logGroupArn }, logSchemaVersion: 2 },
      // One account; a target that resolves to nothing fails the experiment rather than
      // letting it run a drill without its fault (https://docs.aws.amazon.com/fis/latest/userguide/experiment-options.html).
      experimentOptions: { accountTargeting: 'single-account', emptyTargetResolutionMode: 'fail' },
      tags: { ...t.tags },
    });
  }

  /** A template value: literal, the stack's own resource, or JSON of those. */
  private resolve(v: DrillValue): string {
    if (typeof v === 'string') return v;
    if ('json' in v) return this.stack.toJsonString(mapValues(v.json, (x) => (typeof x === 'string' ? x : this.ref(x))));
    return this.ref(v);
  }

  private ref(r: StackRef): string {
    const p = this.props;
    switch (r.ref) {
      case 'fleet-group-name':
        return p.fleet.autoScalingGroupName;
      case 'app-subnet-arn':
        return this.subnetArn(r.zone);
      case 'db-writer-arn':
        return p.writer.instanceArn;
      case 'db-replica-arn':
        return p.replicas[r.replica - 1]!.instanceArn;
      case 'db-endpoints':
        return [...new Set(p.databaseHosts)].join(',');
      case 'cache-failover-document-arn':
        return this.stack.formatArn({ service: 'ssm', resource: 'document', resourceName: this.cacheFailover!.document.ref });
      case 'cache-failover-role-arn':
        return this.cacheFailover!.role.roleArn;
    }
  }

  private subnetArn(zone: string): string {
    const subnet = this.props.appSubnets[zone];
    if (!subnet) throw new Error(`no app subnet in ${zone}`);
    return this.stack.formatArn({ service: 'ec2', resource: 'subnet', resourceName: subnet.subnetId });
  }

  /**
   * The drill's stop alarm: each stop rule a metric alarm on the ALB's one-minute metrics, and
   * with more than one rule a composite over them that notifies (the members do not).
   * Severity warning: it must not fail the deploy gate, which a real incident fails through
   * the critical user-facing alarms anyway.
   */
  private createStopAlarm(mode: FailureModeId, rules: readonly StopRule[]): cloudwatch.AlarmBase {
    if (rules.length === 0) throw new Error(`drill ${mode} has no stop rule`);
    const title = FAILURE_MODES.get(mode)!.title;
    const single = rules.length === 1;
    // A one-shot fault (terminate, reboot, failover) is over seconds after the experiment starts,
    // before any rule has two datapoints: the alarm is the verdict, not a brake.
    const oneShot = this.props.templates.some((t) => t.mode === mode && t.fault === 'one-shot');
    const members = rules.map((rule) =>
      this.props.alarms.alarm(this, pascal(`${mode}-${rule.id}`), {
        component: 'drill',
        signal: single ? stopAlarmSignal(mode) : `${mode}-${rule.id}`,
        severity: 'warning',
        metric: this.stopMetric(rule),
        threshold: rule.threshold,
        comparisonOperator:
          rule.comparison === 'above'
            ? cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD
            : cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        // No traffic is no error; no healthy-host datapoint means no target reports healthy.
        treatMissingData:
          rule.metric === 'healthy-hosts' ? cloudwatch.TreatMissingData.BREACHING : cloudwatch.TreatMissingData.NOT_BREACHING,
        evaluationPeriods: rule.minutes,
        datapointsToAlarm: rule.minutes,
        periodSeconds: STOP_RULE_PERIOD_SECONDS,
        notify: single,
        description: `Drill ${mode} stop condition${single ? '' : ' (member)'}: ${rule.description}. Impact beyond the budget of "${title}": the drill failed${oneShot ? ` (judged by loadbearing drill: the ${mode} fault is one-shot and over before FIS could stop it)` : ', FIS stops it'}.`,
      }),
    );
    this.stopRuleAlarms[mode] = members;
    if (!single) {
      for (const member of members) {
        acknowledge(
          member,
          `A member of the composite stop alarm of the ${mode} drill, which notifies for it: one message per event, not one per member.`,
          'NIST.800.53.R5::NIST.800.53.R5-CloudWatchAlarmAction',
          'cdk-validator-cfnguard::cloudwatch_alarm_action_check',
        );
      }
    }
    if (single) return members[0]!;
    return this.props.alarms.compositeAlarm(this, pascal(`${mode}-stop`), {
      component: 'drill',
      signal: stopAlarmSignal(mode),
      severity: 'warning',
      rule: cloudwatch.AlarmRule.anyOf(...members.map((a) => cloudwatch.AlarmRule.fromAlarm(a, cloudwatch.AlarmState.ALARM))),
      description: `Drill ${mode} stop condition: impact beyond the budget of "${title}" (${rules.map((r) => r.description).join('; or ')}). The drill failed; ${oneShot ? 'judged by loadbearing drill (a one-shot fault, over before FIS could stop it)' : 'FIS stops it'}.`,
    });
  }

  private stopMetric(rule: StopRule): cloudwatch.IMetric {
    const { loadBalancer: lb, targetGroup: tg } = this.props;
    switch (rule.metric) {
      case '5xx-rate':
        return new cloudwatch.MathExpression({
          expression: '100 * (FILL(elb, 0) + FILL(target, 0)) / FILL(requests, 1)',
          usingMetrics: {
            elb: lb.metrics.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, { statistic: 'Sum' }),
            target: tg.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { statistic: 'Sum' }),
            requests: lb.metrics.requestCount({ statistic: 'Sum' }),
          },
          label: '5xx % (ELB and target)',
        });
      case 'healthy-hosts':
        return tg.metrics.healthyHostCount({ statistic: 'Minimum' });
      case 'p99':
        return tg.metrics.targetResponseTime({ statistic: 'p99' });
    }
  }

  /**
   * One role per drill: FIS may assume it for experiments of this account and region only, and
   * it may do the drill's actions only (permissions per action from the actions reference,
   * https://docs.aws.amazon.com/fis/latest/userguide/fis-actions-reference.html).
   */
  private createRole(templates: readonly DrillTemplate[]): iam.Role {
    const { account, region, partition } = this.stack;
    const role = new iam.Role(this, pascal(`${templates[0]!.drill}-role`), {
      description: `${this.props.stackName}: FIS experiment role of the ${templates[0]!.drill} drill`,
      assumedBy: new iam.ServicePrincipal('fis.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': account },
          ArnLike: { 'aws:SourceArn': `arn:${partition}:fis:${region}:${account}:experiment/*` },
        },
      }),
    });
    const statements = [
      ...this.loggingStatements(),
      ...templates.flatMap((t) => Object.values(t.actions).flatMap((a) => this.actionStatements(a.actionId, t))),
    ];
    const policy = new iam.ManagedPolicy(this, pascal(`${templates[0]!.drill}-policy`), {
      description: `${this.props.stackName}: what the ${templates[0]!.drill} drill may do`,
      document: new iam.PolicyDocument({ statements: mergeStatements(statements) }),
    });
    role.addManagedPolicy(policy);
    acknowledge(
      policy,
      "Describe*, List* and tag:GetResources, which FIS calls to resolve targets and to watch its actions, take no resource ARN; log deliveries, network ACLs, SSM commands and automation runs are created at run time; instances are those of the stack's Auto Scaling group (aws:autoscaling:groupName condition). Every action that changes a resource is scoped to the stack's own resources or to the network ACLs FIS creates with its managedByFIS tag.",
      ...wildcardFindings(this.stack, policy.document),
    );
    return role;
  }

  /** Experiment logging: FIS sets up the log delivery with the experiment role (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-and-resource-policy.html). */
  private loggingStatements(): iam.PolicyStatement[] {
    return [
      new iam.PolicyStatement({ actions: ['logs:CreateLogDelivery'], resources: ['*'] }),
      new iam.PolicyStatement({
        actions: ['logs:PutResourcePolicy', 'logs:DescribeResourcePolicies', 'logs:DescribeLogGroups'],
        resources: [this.stack.formatArn({ service: 'logs', resource: '*', arnFormat: ArnFormat.NO_RESOURCE_NAME })],
      }),
    ];
  }

  private actionStatements(actionId: string, t: DrillTemplate): iam.PolicyStatement[] {
    const { partition, region, account } = this.stack;
    const fleetName = this.props.fleet.autoScalingGroupName;
    const instances = `arn:${partition}:ec2:${region}:${account}:instance/*`;
    // The instances of the stack's group, by the tag Auto Scaling puts on them. The same key serves
    // the EC2 actions and ssm:SendCommand: the Service Authorization Reference lists, for
    // SendCommand's `instance` resource (arn:${Partition}:ec2:${Region}:${Account}:instance/${InstanceId}),
    // the condition keys aws:ResourceTag/${TagKey} and ssm:resourceTag/${TagKey}
    // (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssystemsmanager.html,
    // now list_ssm.html: "Actions defined by AWS Systems Manager", SendCommand, and "Resource types").
    // test/platform/stack/failure-drills.test.ts holds the SSM drills to those keys.
    const ownInstances = { StringEquals: { 'aws:ResourceTag/aws:autoscaling:groupName': fleetName } };
    const read = (...actions: string[]) => new iam.PolicyStatement({ actions, resources: ['*'] });
    switch (actionId) {
      case FIS_ACTIONS.terminateInstances.id:
        return [
          new iam.PolicyStatement({ actions: ['ec2:TerminateInstances'], resources: [instances], conditions: ownInstances }),
          read('ec2:DescribeInstances'),
        ];
      case FIS_ACTIONS.stopInstances.id:
        // No kms:CreateGrant: the fleet's volumes use the AWS managed EBS key, which needs no grant to
        // start an instance. An account whose EBS encryption by default uses a customer key leaves the
        // stopped instances stopped; the group replaces them, and completeIfInstancesTerminated lets the action end.
        return [
          new iam.PolicyStatement({
            actions: ['ec2:StopInstances', 'ec2:StartInstances'],
            resources: [instances],
            conditions: ownInstances,
          }),
          read('ec2:DescribeInstances'),
        ];
      case FIS_ACTIONS.spotInterruption.id:
        return [
          new iam.PolicyStatement({ actions: ['ec2:SendSpotInstanceInterruptions'], resources: [instances], conditions: ownInstances }),
          read('ec2:DescribeInstances'),
        ];
      case FIS_ACTIONS.capacityError.id:
        // https://docs.aws.amazon.com/fis/latest/userguide/security_iam_id-based-policy-examples.html#security-iam-policy-examples-ec2
        return [
          new iam.PolicyStatement({
            actions: ['ec2:InjectApiError'],
            resources: ['*'],
            conditions: {
              StringEquals: { 'ec2:FisActionId': FIS_ACTIONS.capacityError.id },
              'ForAllValues:ArnLike': {
                'ec2:FisTargetArns': [
                  `arn:${partition}:autoscaling:${region}:${account}:autoScalingGroup:*:autoScalingGroupName/${fleetName}`,
                ],
              },
            },
          }),
          read('autoscaling:DescribeAutoScalingGroups'),
        ];
      case FIS_ACTIONS.disruptConnectivity.id: {
        // As AWSFaultInjectionSimulatorNetworkAccess, with the VPC and subnets of this stack. With
        // network.existingVpc the az-loss template has this action only when
        // failureDrills.disruptSharedSubnets opts in (subnetCutLeftOut in lib/model/failure-modes/drills.ts):
        // the VPC ARN below names this stack's account, which is right only for a VPC of this
        // account. In a VPC shared through RAM the owner alone manages its network ACLs
        // (https://docs.aws.amazon.com/vpc/latest/userguide/vpc-sharing.html, "Manage VPC resources"),
        // so no statement here could make the cut work; preflight fails an opt-in whose app subnets
        // belong to another account.
        const acl = `arn:${partition}:ec2:${region}:${account}:network-acl/*`;
        const subnets = Object.values(t.targets).flatMap((target) =>
          target.resourceType === 'aws:ec2:subnet' ? (target.resourceArns ?? []).map((v) => this.resolve(v)) : [],
        );
        const fisTagged = { StringEquals: { 'aws:RequestTag/managedByFIS': 'true' } };
        return [
          new iam.PolicyStatement({ actions: ['ec2:CreateNetworkAcl'], resources: [acl], conditions: fisTagged }),
          new iam.PolicyStatement({
            actions: ['ec2:CreateNetworkAcl'],
            resources: [this.stack.formatArn({ service: 'ec2', resource: 'vpc', resourceName: this.props.vpc.vpcId })],
          }),
          new iam.PolicyStatement({
            actions: ['ec2:CreateTags'],
            resources: [acl],
            conditions: { StringEquals: { 'ec2:CreateAction': 'CreateNetworkAcl', 'aws:RequestTag/managedByFIS': 'true' } },
          }),
          new iam.PolicyStatement({
            actions: ['ec2:CreateNetworkAclEntry', 'ec2:DeleteNetworkAcl'],
            resources: [acl],
            conditions: { StringEquals: { 'ec2:ResourceTag/managedByFIS': 'true' } },
          }),
          new iam.PolicyStatement({ actions: ['ec2:ReplaceNetworkAclAssociation'], resources: [acl, ...subnets] }),
          read(
            'ec2:DescribeVpcs',
            'ec2:DescribeManagedPrefixLists',
            'ec2:DescribeSubnets',
            'ec2:DescribeNetworkAcls',
            'ec2:GetManagedPrefixListEntries',
          ),
        ];
      }
      case FIS_ACTIONS.cacheAzPower.id:
        return [
          new iam.PolicyStatement({ actions: ['elasticache:InterruptClusterAzPower'], resources: [this.replicationGroupArn()] }),
          read('elasticache:DescribeReplicationGroups', 'tag:GetResources'),
        ];
      case FIS_ACTIONS.rebootDb.id: {
        const dbs = Object.values(t.targets).flatMap((target) =>
          target.resourceType === 'aws:rds:db' ? (target.resourceArns ?? []).map((v) => this.resolve(v)) : [],
        );
        return [
          new iam.PolicyStatement({ actions: ['rds:RebootDBInstance'], resources: dbs }),
          read('rds:DescribeDBInstances', 'tag:GetResources'),
        ];
      }
      case FIS_ACTIONS.sendCommand.id: {
        const documents = Object.values(t.actions).flatMap((a) =>
          a.actionId === FIS_ACTIONS.sendCommand.id && typeof a.parameters?.documentArn === 'string' ? [a.parameters.documentArn] : [],
        );
        return [
          new iam.PolicyStatement({ actions: ['ssm:SendCommand'], resources: documents }),
          new iam.PolicyStatement({ actions: ['ssm:SendCommand'], resources: [instances], conditions: ownInstances }),
          // What the action needs (https://docs.aws.amazon.com/fis/latest/userguide/fis-actions-reference.html#ssm-send-command;
          // AWSFaultInjectionSimulatorSSMAccess grants the same SSM actions), and DescribeInstances to
          // resolve the instance target. The documents run on the instances under their instance
          // profile, not this role, so nothing they do is granted here.
          read('ssm:ListCommands', 'ssm:CancelCommand', 'ec2:DescribeInstances'),
        ];
      }
      case FIS_ACTIONS.startAutomation.id: {
        const failover = this.cacheFailover!;
        const name = failover.document.ref;
        return [
          new iam.PolicyStatement({
            actions: ['ssm:StartAutomationExecution'],
            resources: [
              this.stack.formatArn({ service: 'ssm', resource: 'document', resourceName: name }),
              this.stack.formatArn({ service: 'ssm', resource: 'automation-definition', resourceName: `${name}:*` }),
            ],
          }),
          new iam.PolicyStatement({
            actions: ['ssm:GetAutomationExecution', 'ssm:StopAutomationExecution'],
            resources: [this.stack.formatArn({ service: 'ssm', resource: 'automation-execution', resourceName: '*' })],
          }),
          new iam.PolicyStatement({
            actions: ['iam:PassRole'],
            resources: [failover.role.roleArn],
            conditions: { StringEquals: { 'iam:PassedToService': 'ssm.amazonaws.com' } },
          }),
        ];
      }
      case FIS_ACTIONS.wait.id:
        return [];
      default:
        throw new Error(`no permissions known for FIS action ${actionId}`);
    }
  }

  private replicationGroupArn(): string {
    return this.stack.formatArn({
      service: 'elasticache',
      resource: 'replicationgroup',
      resourceName: this.props.cacheReplicationGroupId,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  }

  /**
   * The cache-primary-failover automation: ElastiCache's TestFailover on the group's only shard
   * (cluster mode disabled: node group 0001), then a wait until the group is available again.
   * https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_TestFailover.html
   */
  private createCacheFailover(): { document: ssm.CfnDocument; role: iam.Role } {
    const group = this.replicationGroupArn();
    // The same timings give the FIS action its maxDuration (lib/model/failure-modes/drills.ts).
    const timings = cacheFailoverTimings(this.props.settings.faultMinutes);
    const role = new iam.Role(this, 'CacheFailoverRole', {
      description: `${this.props.stackName}: SSM automation role of the cache-primary-failover drill`,
      assumedBy: new iam.ServicePrincipal('ssm.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': this.stack.account } },
      }),
    });
    role.addManagedPolicy(
      new iam.ManagedPolicy(this, 'CacheFailoverPolicy', {
        description: `${this.props.stackName}: TestFailover on the stack's cache only`,
        statements: [
          new iam.PolicyStatement({ actions: ['elasticache:TestFailover', 'elasticache:DescribeReplicationGroups'], resources: [group] }),
        ],
      }),
    );
    const document = new ssm.CfnDocument(this, 'CacheFailoverDocument', {
      documentType: 'Automation',
      documentFormat: 'JSON',
      content: {
        schemaVersion: '0.3',
        description: `${this.props.stackName} drill cache-primary-failover: ElastiCache TestFailover on ${this.props.cacheReplicationGroupId}, shard 0001.`,
        assumeRole: '{{ AutomationAssumeRole }}',
        parameters: {
          AutomationAssumeRole: { type: 'String', description: 'Role the automation runs as (passed by the FIS action).' },
        },
        mainSteps: [
          {
            name: 'testFailover',
            action: 'aws:executeAwsApi',
            timeoutSeconds: timings.callTimeoutSeconds,
            inputs: {
              Service: 'elasticache',
              Api: 'TestFailover',
              ReplicationGroupId: this.props.cacheReplicationGroupId,
              NodeGroupId: '0001',
            },
          },
          // The group reads "available" for a moment before the failover starts modifying it.
          { name: 'letFailoverStart', action: 'aws:sleep', inputs: { Duration: `PT${timings.settleSeconds}S` } },
          {
            name: 'waitUntilAvailable',
            action: 'aws:waitForAwsResourceProperty',
            timeoutSeconds: timings.waitTimeoutSeconds,
            inputs: {
              Service: 'elasticache',
              Api: 'DescribeReplicationGroups',
              ReplicationGroupId: this.props.cacheReplicationGroupId,
              PropertySelector: '$.ReplicationGroups[0].Status',
              DesiredValues: ['available'],
            },
          },
        ],
      },
    });
    return { document, role };
  }
}

/**
 * cdk-nag's IAM5 finding IDs for the wildcard resources of a policy document, as cdk-nag
 * renders them (`AwsSolutions-IAM5[Resource::<arn>]`, intrinsics as `<LogicalId>` or
 * `<LogicalId.Attribute>`), so each wildcard is acknowledged by name and a new one is not.
 */
function wildcardFindings(stack: Stack, document: iam.PolicyDocument): string[] {
  const render = (value: unknown): string => {
    if (typeof value === 'string') return value;
    const v = value as { Ref?: string; 'Fn::GetAtt'?: string[]; 'Fn::Join'?: [string, unknown[]] };
    if (v.Ref) return `<${v.Ref}>`;
    if (v['Fn::GetAtt']) return `<${v['Fn::GetAtt'].join('.')}>`;
    if (v['Fn::Join']) return v['Fn::Join'][1].map(render).join(v['Fn::Join'][0]);
    return JSON.stringify(value);
  };
  const statements = (stack.resolve(document.toJSON()) as { Statement: { Resource: unknown }[] }).Statement;
  const resources = statements.flatMap((st) => (Array.isArray(st.Resource) ? st.Resource : [st.Resource])).map(render);
  return [...new Set(resources.filter((r) => r.includes('*')))].map((r) => `AwsSolutions::AwsSolutions-IAM5[Resource::${r}]`);
}

function mapValues<T, U>(record: Readonly<Record<string, T>>, f: (v: T) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, f(v)]));
}

/** Statements with the same actions, conditions and effect, merged into one with all their resources. */
function mergeStatements(statements: readonly iam.PolicyStatement[]): iam.PolicyStatement[] {
  const byKey = new Map<string, iam.PolicyStatement>();
  for (const s of statements) {
    const json = s.toStatementJson() as { Action?: unknown; Condition?: unknown };
    const key = JSON.stringify([json.Action, json.Condition ?? null]);
    const existing = byKey.get(key);
    if (existing) existing.addResources(...s.resources.filter((r) => !existing.resources.includes(r)));
    else byKey.set(key, s.copy());
  }
  return [...byKey.values()];
}

function pascal(text: string): string {
  return text
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
}

import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { type PipelinePlan, type PipelineStagePlan, STAGE_CONDITION_LIMITS } from '../lib/model/config/pipeline-settings';
import { acknowledge } from './acknowledge';
import { createEncryptionKey } from './encryption-key';
import { createPrivateBucket } from './private-bucket';

export interface DeliveryPipelineProps {
  readonly plan: PipelinePlan;
  /** The config file the build synthesizes, relative to the repository root (`-c configFile=`). */
  readonly configFile: string;
  /** The alarm names of each environment's gates (`<stack>-<key>` by default), by environment name. */
  readonly alarmNames: ReadonlyMap<string, readonly string[]>;
}

/** The CodeBuild variable the build exports: `true` when the diff guard found a blocking stateful change. */
export const STATEFUL_VARIABLE = 'STATEFUL_CHANGE';
/** The build action's variable namespace: `#{Build.STATEFUL_CHANGE}`. */
export const BUILD_NAMESPACE = 'Build';

/** A CodeBuild image with Node.js 22, the fleet's runtime (https://docs.aws.amazon.com/codebuild/latest/userguide/available-runtimes.html). */
const BUILD_IMAGE = codebuild.LinuxBuildImage.STANDARD_7_0;

/**
 * The delivery pipeline (docs/delivering.md, "The delivery pipeline"): CodePipeline V2 with
 * Source, Build (npm ci, npm test, synth, the diff guard against the templates CloudFormation
 * has), ApproveStateful (entered only when the diff guard flagged a stateful change), and one
 * stage per environment in `plan.stages` order, each with:
 * - entry: a CloudWatchAlarm rule per gate alarm (the environment's rollback triggers, at most 5
 *   rules per condition), result FAIL: a sick environment takes no change;
 * - on success: the same rules with WaitTime = the environment's bake, result ROLLBACK;
 * - on failure: ROLLBACK (to the stage's last successful execution: its artifacts, the assembly
 *   that execution built).
 * Limits and their sources: STAGE_CONDITION_LIMITS (lib/model/config/pipeline-settings.ts).
 */
export class DeliveryPipeline extends Construct {
  public readonly pipeline: codepipeline.Pipeline;
  public readonly artifactKey: kms.Key;

  constructor(scope: Construct, id: string, props: DeliveryPipelineProps) {
    super(scope, id);
    const { plan } = props;
    const stack = Stack.of(this);

    this.artifactKey = createEncryptionKey(this, 'ArtifactKey', {
      description: 'Encrypts the delivery pipeline artifacts and build logs',
    });
    // CloudWatch Logs must be allowed to use the key for the build log groups
    // (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html).
    this.artifactKey.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:*` } },
      }),
    );
    const artifacts = createPrivateBucket(this, 'Artifacts', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.artifactKey,
      bucketKeyEnabled: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        {
          id: 'age-out-old-artifacts',
          // A rollback re-runs the last successful execution with its artifacts: current objects
          // stay; only overwritten versions and unfinished uploads go.
          noncurrentVersionExpiration: Duration.days(30),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
    });
    acknowledge(
      artifacts,
      "The pipeline's artifact store: build outputs that the source and the pipeline's execution history reproduce, written and read only by the pipeline's roles; access logs, a replica, object events or object lock (which would block the version expiry) add nothing to that.",
      'AwsSolutions::AwsSolutions-S1',
      'NIST.800.53.R5::NIST.800.53.R5-S3BucketLoggingEnabled',
      'NIST.800.53.R5::NIST.800.53.R5-S3BucketReplicationEnabled',
      'cdk-validator-cfnguard::s3_bucket_logging_enabled_check',
      'cdk-validator-cfnguard::s3_event_notifications_enabled_check',
      'cdk-validator-cfnguard::s3_bucket_object_lock_enabled_check',
    );

    this.pipeline = new codepipeline.Pipeline(this, 'Pipeline', {
      pipelineName: stack.stackName,
      pipelineType: codepipeline.PipelineType.V2,
      artifactBucket: artifacts,
      restartExecutionOnUpdate: false,
      // Cross-account stages deploy through the bootstrap roles of their accounts (below), not
      // through CodePipeline's cross-account actions.
      crossAccountKeys: false,
    });

    const source = new codepipeline.Artifact('Source');
    const assembly = new codepipeline.Artifact('Assembly');
    this.pipeline.addStage({ stageName: 'Source', actions: [this.sourceAction(plan, source)] });

    const buildProject = this.project('Build', plan, this.buildSpec(props));
    this.pipeline.addStage({
      stageName: 'Build',
      actions: [
        new actions.CodeBuildAction({
          actionName: 'TestSynthDiff',
          project: buildProject,
          input: source,
          outputs: [assembly],
          variablesNamespace: BUILD_NAMESPACE,
        }),
      ],
    });

    // Stages are static: the approval is a stage whose entry condition skips it unless the diff
    // guard flagged a stateful change. SKIP is allowed only in an entry condition, and only with
    // the LambdaInvoke and VariableCheck rules (STAGE_CONDITION_LIMITS.skipSource): a VariableCheck.
    this.pipeline.addStage({
      stageName: 'ApproveStateful',
      actions: [
        new actions.ManualApprovalAction({
          actionName: 'ApproveStatefulChange',
          additionalInformation:
            'The diff guard found a stateful resource this change would destroy, replace or orphan, or a change whose rollback can fail. Read the Build log (the diff guard report) before approving: every environment stage after this one deploys it. A rollback of a later stage re-deploys the previous artifacts without this approval: check that the change can be undone (an engine upgrade cannot).',
        }),
      ],
      beforeEntry: {
        conditions: [
          {
            result: codepipeline.Result.SKIP,
            rules: [
              new codepipeline.Rule({
                name: 'StatefulChangeFlagged',
                provider: 'VariableCheck',
                version: '1',
                // https://docs.aws.amazon.com/codepipeline/latest/userguide/rule-reference-VariableCheck.html
                configuration: { Variable: `#{${BUILD_NAMESPACE}.${STATEFUL_VARIABLE}}`, Value: 'true', Operator: 'EQ' },
              }),
            ],
          },
        ],
      },
    });

    plan.stages.forEach((s) => {
      const alarms = props.alarmNames.get(s.environment) ?? [];
      if (alarms.length < 1 || alarms.length > STAGE_CONDITION_LIMITS.maxRulesPerCondition)
        throw new Error(`stage ${s.environment}: ${alarms.length} gate alarms; a condition takes 1-5 rules`);
      const deploy = this.project(`Deploy-${s.environment}`, plan, this.deploySpec(s), s);
      this.pipeline.addStage({
        stageName: `Deploy-${s.environment}`,
        actions: [
          new actions.CodeBuildAction({
            actionName: 'Deploy',
            project: deploy,
            input: assembly,
          }),
        ],
        // Entry: the environment's alarms must not be in ALARM; otherwise the stage fails and
        // nothing enters a sick environment.
        beforeEntry: { conditions: [{ result: codepipeline.Result.FAIL, rules: this.alarmRules(s, alarms, 'Entry') }] },
        // On success: the same alarms, watched for the bake (WaitTime, minutes); one in ALARM
        // rolls the stage back to its last successful execution.
        onSuccess: {
          conditions: [{ result: codepipeline.Result.ROLLBACK, rules: this.alarmRules(s, alarms, 'Bake', s.bakeMinutes) }],
        },
        // On failure (the deploy failed, or CloudFormation rolled it back): ROLLBACK. A rollback
        // re-runs the last successful execution of this stage with its artifacts, only if that
        // execution started in the current pipeline structure version, and never for a stage's
        // first execution (https://docs.aws.amazon.com/codepipeline/latest/userguide/stage-rollback.html,
        // https://docs.aws.amazon.com/codepipeline/latest/userguide/stage-rollback-auto.html).
        onFailure: { result: codepipeline.Result.ROLLBACK },
      });
    });

    this.grantAlarmReads(plan);
    this.acknowledgeFindings();
  }

  private sourceAction(plan: PipelinePlan, output: codepipeline.Artifact): codepipeline.IAction {
    const src = plan.source;
    if (src.type === 'codeconnections') {
      const [owner, repo] = src.repository.split('/') as [string, string];
      // https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_codepipeline_actions.CodeStarConnectionsSourceActionProps.html
      return new actions.CodeStarConnectionsSourceAction({
        actionName: 'Repository',
        connectionArn: src.connectionArn,
        owner,
        repo,
        branch: src.branch,
        output,
        triggerOnPush: true,
      });
    }
    // The S3 source needs a versioned bucket; S3Trigger.EVENTS starts the pipeline from a
    // CloudTrail data event of the object, so a trail must log the bucket's writes
    // (https://docs.amazonaws.cn/en_us/codepipeline/latest/userguide/action-reference-S3.md).
    const bucket = s3.Bucket.fromBucketName(this, 'SourceBucket', src.bucket);
    return new actions.S3SourceAction({
      actionName: 'Archive',
      bucket,
      bucketKey: src.key,
      output,
      trigger: actions.S3Trigger.EVENTS,
    });
  }

  /** A CodeBuild project with its own encrypted log group; `stage` lets it assume that account's bootstrap roles. */
  private project(id: string, plan: PipelinePlan, buildSpec: codebuild.BuildSpec, stage?: PipelineStagePlan): codebuild.PipelineProject {
    const logGroup = new logs.LogGroup(this, `${id}Logs`, {
      retention: logs.RetentionDays.ONE_YEAR,
      encryptionKey: this.artifactKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const project = new codebuild.PipelineProject(this, id, {
      buildSpec,
      encryptionKey: this.artifactKey,
      environment: { buildImage: BUILD_IMAGE, computeType: codebuild.ComputeType.MEDIUM, privileged: false },
      logging: { cloudWatch: { logGroup } },
      timeout: Duration.hours(stage ? 4 : 1),
    });
    const q = plan.bootstrapQualifier;
    const accounts = stage ? [stage] : plan.stages;
    // The CDK bootstrap roles of the target accounts (`cdk bootstrap --trust <pipeline account>`
    // for the deploy and publishing roles, `--trust-for-lookup` for the lookup role): the CDK CLI
    // assumes the deploy and file-publishing roles itself; the build reads the deployed
    // templates through the lookup role (ReadOnlyAccess). Names from the bootstrap template of
    // the pinned aws-cdk (node_modules/aws-cdk/lib/api/bootstrap/bootstrap-template.yaml).
    const roles = accounts.flatMap((a) =>
      (stage ? ['deploy', 'file-publishing', 'lookup'] : ['lookup']).map(
        (kind) => `arn:${Stack.of(this).partition}:iam::${a.account}:role/cdk-${q}-${kind}-role-${a.account}-${a.region}`,
      ),
    );
    project.addToRolePolicy(new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [...new Set(roles)] }));
    return project;
  }

  /** npm ci, npm test, synth, and the diff guard against the templates each environment's stack has now. */
  private buildSpec(props: DeliveryPipelineProps): codebuild.BuildSpec {
    const c = `-c configFile=${props.configFile}`;
    const fetch = props.plan.stages.map(
      (s) =>
        // Fails closed: only a stack that does not exist yet counts as new (no baseline); any other
        // error (access denied, throttling, a wrong region) stops the build, or the diff guard
        // would see no baseline, flag nothing stateful and skip the approval.
        `err=$(AWS_PROFILE=lookup-${s.environment} aws cloudformation get-template --region ${s.region} --stack-name ${s.stackName} --query TemplateBody --output json 2>&1 >deployed/${s.stackName}.template.json) || { rm -f deployed/${s.stackName}.template.json; case "$err" in *"does not exist"*) echo "${s.stackName}: not created yet, diffed as new" ;; *) echo "cannot read the deployed template of ${s.stackName}: $err"; exit 2 ;; esac; }`,
    );
    return codebuild.BuildSpec.fromObject({
      version: '0.2',
      env: { 'exported-variables': [STATEFUL_VARIABLE], variables: { [STATEFUL_VARIABLE]: 'false', CI: 'true' } },
      phases: {
        // npm test runs the integration tests and the proving ground on real PostgreSQL, redis-server
        // and HAProxy: the repository's prerequisites script installs them (apt-get on the
        // CodeBuild standard image), and CI=true makes a missing one fail, never skip.
        install: {
          'runtime-versions': { nodejs: '22' },
          commands: ['npm run --if-present prereqs -- --install', 'npm ci'],
        },
        build: {
          commands: [
            'npm test',
            `npm run synth -- ${c}`,
            // The pipeline has no git history to diff: the baseline is what CloudFormation has
            // (a stack not yet created has no template, and the diff guard treats it as new).
            'mkdir -p deployed ~/.aws',
            ...profileLines(props.plan, 'lookup'),
            ...fetch,
            // Exit 1: a stateful change the allow-list does not accept; the approval stage is then entered.
            // `npm run diff` is the diff guard (a team's project: "diff": "loadbearing-diff").
            `code=0; npm run diff -- --base-dir deployed --current-dir cdk.out ${c} || code=$?; if [ "$code" = 1 ]; then export ${STATEFUL_VARIABLE}=true; elif [ "$code" != 0 ]; then exit "$code"; fi`,
          ],
        },
      },
      artifacts: { files: ['**/*'], 'exclude-paths': ['node_modules/**/*'] },
    });
  }

  /** The deploy of one environment from the build's assembly, with the account's bootstrap roles. */
  private deploySpec(s: PipelineStagePlan): codebuild.BuildSpec {
    return codebuild.BuildSpec.fromObject({
      version: '0.2',
      phases: {
        install: { 'runtime-versions': { nodejs: '22' }, commands: ['npm ci'] },
        build: {
          commands: [
            // The assembly of the Build stage (a rollback re-runs this with the artifacts of the
            // last successful execution): no synth here, so what was tested is what is deployed.
            `npx cdk deploy ${s.stackName} --app cdk.out --require-approval never --progress events`,
          ],
        },
      },
    });
  }

  /** One CloudWatchAlarm rule per gate alarm (https://docs.aws.amazon.com/codepipeline/latest/userguide/rule-reference-CloudWatchAlarm.html). */
  private alarmRules(s: PipelineStagePlan, alarms: readonly string[], kind: 'Entry' | 'Bake', waitMinutes?: number): codepipeline.Rule[] {
    return alarms.map(
      (name, i) =>
        new codepipeline.Rule({
          name: `${kind}${i + 1}`,
          provider: 'CloudWatchAlarm',
          version: '1',
          region: s.region,
          configuration: {
            AlarmName: name,
            AlarmStates: 'ALARM',
            ...(waitMinutes !== undefined ? { WaitTime: String(waitMinutes) } : {}),
          },
        }),
    );
  }

  /**
   * The pipeline role reads the gate alarms. In the pipeline's own account: a grant of
   * cloudwatch:DescribeAlarms on them. In another account the rule names a role there
   * (RuleDeclaration RoleArn, https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-codepipeline-pipeline-ruledeclaration.html):
   * the bootstrap lookup role (ReadOnlyAccess, trusting the accounts of `--trust-for-lookup`),
   * which the pipeline role may assume.
   */
  private grantAlarmReads(plan: PipelinePlan): void {
    const stack = Stack.of(this);
    const local = plan.stages.filter((s) => s.account === stack.account);
    if (local.length > 0)
      this.pipeline.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['cloudwatch:DescribeAlarms'],
          resources: local.map((s) => `arn:${stack.partition}:cloudwatch:${s.region}:${s.account}:alarm:${s.stackName}-*`),
        }),
      );
    const remote = plan.stages.filter((s) => s.account !== stack.account);
    if (remote.length === 0) return;
    const roleOf = (s: PipelineStagePlan) =>
      `arn:${stack.partition}:iam::${s.account}:role/cdk-${plan.bootstrapQualifier}-lookup-role-${s.account}-${s.region}`;
    this.pipeline.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [...new Set(remote.map(roleOf))] }),
    );
    // codepipeline.Rule renders a RoleArn only for a Role of this app: the lookup role is named.
    const cfn = this.pipeline.node.defaultChild as codepipeline.CfnPipeline;
    const stageIndex = (name: string) => this.pipeline.stages.findIndex((st) => st.stageName === name);
    for (const s of remote) {
      const i = stageIndex(`Deploy-${s.environment}`);
      const n = Math.min(STAGE_CONDITION_LIMITS.maxRulesPerCondition, s.alarmKeys.length);
      for (let r = 0; r < n; r++) {
        cfn.addPropertyOverride(`Stages.${i}.BeforeEntry.Conditions.0.Rules.${r}.RoleArn`, roleOf(s));
        cfn.addPropertyOverride(`Stages.${i}.OnSuccess.Conditions.0.Rules.${r}.RoleArn`, roleOf(s));
      }
    }
  }

  /**
   * The grants CDK generates for the pipeline, its actions and the build projects: inline
   * policies with the wildcard actions and object ARNs of the artifact bucket and key, and the
   * projects' own log and report-group ARNs. Each wildcard is acknowledged by name, so a new one
   * is not (cdk-nag's granular IAM5 IDs).
   */
  private acknowledgeFindings(): void {
    const stack = Stack.of(this);
    for (const policy of this.node.findAll().filter((c): c is iam.Policy => c instanceof iam.Policy)) {
      acknowledge(
        policy,
        "CDK's grants for the delivery pipeline (the pipeline role, its action roles and the CodeBuild projects): the artifact bucket and key, the project's own logs and reports, the bootstrap roles it may assume, the gate alarms; scoped to those resources, kept next to the role they belong to.",
        'NIST.800.53.R5::NIST.800.53.R5-IAMNoInlinePolicy',
        ...wildcardFindings(stack, policy.document),
      );
    }
  }
}

/** cdk-nag's IAM5 IDs for the wildcard actions and resources of a policy document, as cdk-nag renders them. */
function wildcardFindings(stack: Stack, document: iam.PolicyDocument): string[] {
  const render = (value: unknown): string => {
    if (typeof value === 'string') return value;
    const v = value as { Ref?: string; 'Fn::GetAtt'?: string[]; 'Fn::Join'?: [string, unknown[]] };
    if (v.Ref) return `<${v.Ref}>`;
    if (v['Fn::GetAtt']) return `<${v['Fn::GetAtt'].join('.')}>`;
    if (v['Fn::Join']) return v['Fn::Join'][1].map(render).join(v['Fn::Join'][0]);
    return JSON.stringify(value);
  };
  const list = (x: unknown): unknown[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);
  const statements = (stack.resolve(document.toJSON()) as { Statement: { Action?: unknown; Resource?: unknown }[] }).Statement;
  const actions = statements.flatMap((st) => list(st.Action)).map(render);
  const resources = statements.flatMap((st) => list(st.Resource)).map(render);
  return [
    ...[...new Set(actions.filter((a) => a.includes('*')))].map((a) => `AwsSolutions::AwsSolutions-IAM5[Action::${a}]`),
    ...[...new Set(resources.filter((r) => r.includes('*')))].map((r) => `AwsSolutions::AwsSolutions-IAM5[Resource::${r}]`),
  ];
}

/** ~/.aws/config profiles that assume one bootstrap role per environment from the CodeBuild container's credentials. */
function profileLines(plan: PipelinePlan, kind: 'lookup' | 'deploy'): string[] {
  return plan.stages.flatMap((s) => [
    `printf '[profile ${kind}-${s.environment}]\\nrole_arn = arn:aws:iam::${s.account}:role/cdk-${plan.bootstrapQualifier}-${kind}-role-${s.account}-${s.region}\\ncredential_source = EcsContainer\\nregion = ${s.region}\\n' >> ~/.aws/config`,
  ]);
}

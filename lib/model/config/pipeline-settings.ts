import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError, type ConfigProblem, problemsFromZod, renderValue } from './config-error';
import type { EnvironmentConfig } from './environment-schema';
import { ALWAYS, matching, violation } from './schema-helpers';

/** The stack of the delivery pipeline (docs/delivering.md, "The delivery pipeline"). */
export const PIPELINE_STACK_NAME = 'loadbearing-delivery';

/**
 * The limits of CodePipeline V2 stage conditions the pipeline depends on, each with its source.
 * - `maxRulesPerCondition`: "Array Members: Minimum number of 1 item. Maximum number of 5 items."
 *   (https://docs.aws.amazon.com/codepipeline/latest/APIReference/API_Condition.html); a stage has
 *   exactly one condition of each kind (BeforeEntryConditions, SuccessConditions,
 *   FailureConditions: "Fixed number of 1 item",
 *   https://docs.aws.amazon.com/codepipeline/latest/APIReference/API_BeforeEntryConditions.html).
 * - Results: Entry "Fail or Skip", On Failure "Rollback", On Success "Rollback"
 *   (https://docs.aws.amazon.com/codepipeline/latest/userguide/stage-conditions.html; the Chinese
 *   copy of the page, https://docs.amazonaws.cn/codepipeline/latest/userguide/stage-conditions.html,
 *   adds "or Fail" for On Success and says Skip is supported only with the LambdaInvoke and
 *   VariableCheck rules, that a Skip condition cannot be overridden, and that a skipped stage can
 *   be neither retried nor rolled back by hand).
 * - `WaitTime` of the CloudWatchAlarm rule: "The wait time in minutes"
 *   (https://docs.aws.amazon.com/codepipeline/latest/userguide/rule-reference-CloudWatchAlarm.html).
 *   The page gives no range; the pipeline takes whole minutes from 1 (a bake of 0 watches nothing
 *   after the deploy) to 1440, the bound of `delivery.bakeMinutes`, and says so when it refuses.
 *   (The aws-cdk-lib Conditions example writes `WaitTime: '300', // 5 minutes`: seconds, against
 *   the rule reference's minutes; the rule reference wins.)
 */
export const STAGE_CONDITION_LIMITS = {
  maxRulesPerCondition: 5,
  minWaitMinutes: 1,
  maxWaitMinutes: 1440,
  results: { beforeEntry: ['FAIL', 'SKIP'], onSuccess: ['ROLLBACK'], onFailure: ['ROLLBACK'] },
  skipRules: ['LambdaInvoke', 'VariableCheck'],
  conditionSource: 'https://docs.aws.amazon.com/codepipeline/latest/APIReference/API_Condition.html',
  resultsSource: 'https://docs.aws.amazon.com/codepipeline/latest/userguide/stage-conditions.html',
  skipSource: 'https://docs.amazonaws.cn/codepipeline/latest/userguide/stage-conditions.html',
  waitTimeSource: 'https://docs.aws.amazon.com/codepipeline/latest/userguide/rule-reference-CloudWatchAlarm.html',
} as const;

/** A CodeConnections connection: "codestar-connections" or "codeconnections" (https://docs.aws.amazon.com/servicecatalog/latest/dg/API_CodeStarParameters.html). */
const CONNECTION_ARN = /^arn:aws[a-z-]*:(codestar-connections|codeconnections):[a-z0-9-]+:\d{12}:connection\/[A-Za-z0-9-]+$/;
/** S3 bucket names (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html). */
const BUCKET_NAME = /^(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

const sourceSchema = z.discriminatedUnion('type', [
  z
    .strictObject({
      type: z.literal('codeconnections'),
      connectionArn: matching(
        CONNECTION_ARN,
        'must be the ARN of a CodeConnections connection',
        'copy it from the console (Developer Tools > Settings > Connections), e.g. "arn:aws:codeconnections:eu-west-1:123456789012:connection/1a2b3c4d-…".',
      ).describe('The connection to the repository host (GitHub, GitLab, Bitbucket), created and authorized once in the console.'),
      repository: matching(/^[\w.-]+\/[\w.-]+$/, 'must be "owner/name"', 'write it as on the host, e.g. "acme/platform".').describe(
        'The repository, "owner/name" (FullRepositoryId).',
      ),
      branch: z.string().min(1).max(255).default('main').describe('The branch whose pushes start the pipeline.'),
    })
    .describe('A repository reached through AWS CodeConnections (source action CodeStarSourceConnection).'),
  z
    .strictObject({
      type: z.literal('s3'),
      bucket: matching(BUCKET_NAME, 'must be an S3 bucket name', 'use the name of a versioned bucket, e.g. "acme-releases".').describe(
        'A versioned bucket in the pipeline account (the S3 source action requires versioning).',
      ),
      key: z
        .string()
        .min(1)
        .max(1024)
        .endsWith('.zip')
        .describe('The .zip of the repository the pipeline builds, e.g. "platform/main.zip".'),
    })
    .describe('A .zip in a versioned S3 bucket (source action S3); each new version starts the pipeline.'),
]);

export const pipelineSettingsSchema = z
  .strictObject({
    enabled: z.boolean().default(false).describe('Synthesize the delivery pipeline stack `loadbearing-delivery`.'),
    account: matching(/^\d{12}$/, 'must be a 12-digit AWS account ID', 'use the tooling account, e.g. "111111111111".')
      .optional()
      .describe('The account of the pipeline. @default - the first environment of `environments`'),
    region: z.string().optional().describe("The pipeline's region. @default - the first environment of `environments`"),
    source: sourceSchema.optional().describe('Where the pipeline gets the repository. Required when enabled.'),
    environments: z
      .array(z.string())
      .optional()
      .describe(
        'The environments the pipeline deploys, one stage each, in this order. @default - every environment of the file, in file order',
      ),
    bootstrapQualifier: matching(/^[a-z0-9]{1,10}$/, 'must be 1-10 lower-case letters or digits', 'use the qualifier of `cdk bootstrap`.')
      .default('hnb659fds')
      .describe("The CDK bootstrap qualifier of the environments' accounts (the deploy and lookup roles are named with it)."),
  })
  .prefault({})
  .superRefine((p, ctx) => {
    if (p.enabled === true && p.source === undefined)
      violation(
        ctx,
        ['source'],
        undefined,
        'is required when delivery.pipeline.enabled is true: the pipeline has nothing to build without it',
        'add {"type": "codeconnections", "connectionArn": "...", "repository": "owner/name"} or {"type": "s3", "bucket": "...", "key": "....zip"}.',
      );
  }, ALWAYS)
  .describe('The delivery pipeline (docs/delivering.md, "The delivery pipeline"): opt-in.');

export const deliveryFileSchema = z
  .strictObject({ pipeline: pipelineSettingsSchema })
  .describe('Delivery across the environments of this file.');

export type PipelineSettings = z.output<typeof pipelineSettingsSchema>;
export type PipelineSource = NonNullable<PipelineSettings['source']>;

/** One environment's stage: what its gates read and how long it bakes. */
export interface PipelineStagePlan {
  readonly environment: string;
  readonly stackName: string;
  readonly account: string;
  readonly region: string;
  /** The CloudWatchAlarm rules' wait after a successful deploy: the environment's `delivery.bakeMinutes`. */
  readonly bakeMinutes: number;
  /** Alarm keys the entry and on-success conditions read: the environment's rollback triggers (at most 5). */
  readonly alarmKeys: readonly string[];
}

export interface PipelinePlan {
  readonly account: string;
  readonly region: string;
  readonly source: PipelineSource;
  readonly bootstrapQualifier: string;
  readonly stages: readonly PipelineStagePlan[];
}

/**
 * The pipeline of a config file, or undefined when it is off: the stages in order, each checked
 * against the limits of its rules. Every problem is reported at once, naming the field.
 */
export function planPipeline(
  settings: PipelineSettings,
  environments: readonly EnvironmentConfig[],
  where: string,
): PipelinePlan | undefined {
  if (!settings.enabled) return undefined;
  const problems: ConfigProblem[] = [];
  const order = settings.environments ?? environments.map((e) => e.name);
  const known = new Set(environments.map((e) => e.name));
  order.forEach((name, i) => {
    if (!known.has(name))
      problems.push({
        path: `delivery.pipeline.environments[${i}]`,
        value: renderValue(name),
        rule: `names no environment of this file (its environments: ${[...known].join(', ')})`,
        fix: 'name environments of `environments`, in the order the pipeline promotes through them.',
      });
    else if (order.indexOf(name) !== i)
      problems.push({
        path: `delivery.pipeline.environments[${i}]`,
        value: renderValue(name),
        rule: 'names an environment twice: a stage per environment',
        fix: 'list each environment once.',
      });
  });
  if (order.length === 0)
    problems.push({
      path: 'delivery.pipeline.environments',
      value: '[]',
      rule: 'holds no environment: the pipeline would deploy nothing',
      fix: 'name at least one environment, or leave the field out for all of them.',
    });
  const stages: PipelineStagePlan[] = [];
  for (const name of order) {
    const env = environments.find((e) => e.name === name);
    if (!env || stages.some((s) => s.environment === name)) continue;
    const bake = env.delivery.bakeMinutes;
    const L = STAGE_CONDITION_LIMITS;
    if (!Number.isInteger(bake) || bake < L.minWaitMinutes || bake > L.maxWaitMinutes)
      problems.push({
        path: `environments.${name}.delivery.bakeMinutes`,
        value: renderValue(bake),
        rule: `is the WaitTime of the pipeline stage's on-success CloudWatchAlarm rule, in whole minutes from ${L.minWaitMinutes} to ${L.maxWaitMinutes} (${L.waitTimeSource}; the page gives no range: ${L.maxWaitMinutes} is the bound of bakeMinutes, and 0 would watch nothing after the deploy)`,
        fix: `set environments.${name}.delivery.bakeMinutes to ${L.minWaitMinutes}-${L.maxWaitMinutes}, e.g. 5, or leave ${name} out of delivery.pipeline.environments.`,
      });
    const keys = env.delivery.rollbackTriggers;
    if (keys.length === 0 || keys.length > L.maxRulesPerCondition)
      problems.push({
        path: `environments.${name}.delivery.rollbackTriggers`,
        value: renderValue(keys),
        rule: `are the alarms of the stage's entry and on-success conditions, a CloudWatchAlarm rule each: a condition takes 1-${L.maxRulesPerCondition} rules (${L.conditionSource})`,
        fix: `keep 1-${L.maxRulesPerCondition} alarm keys.`,
      });
    stages.push({
      environment: name,
      stackName: env.stackName,
      account: env.account,
      region: env.region,
      bakeMinutes: bake,
      alarmKeys: keys,
    });
  }
  const first = environments.find((e) => e.name === order[0]);
  if (problems.length > 0) throw new ConfigError(problems, where);
  return {
    account: settings.account ?? first!.account,
    region: settings.region ?? first!.region,
    source: settings.source!,
    bootstrapQualifier: settings.bootstrapQualifier,
    stages,
  };
}

/** The pipeline settings of a config file (its `delivery.pipeline`), validated; off when the file has none. */
export function readPipelineSettings(path: string): PipelineSettings {
  const json = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  const parsed = deliveryFileSchema.safeParse(json.delivery ?? {}, { reportInput: true });
  if (!parsed.success) throw new ConfigError(problemsFromZod(parsed.error.issues, ['delivery'], deliveryFileSchema), path);
  return parsed.data.pipeline;
}

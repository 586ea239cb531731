import { isAbsolute, relative } from 'node:path';
import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { DeliveryPipeline } from '../../constructs/delivery-pipeline';
import { type PipelinePlan, PIPELINE_STACK_NAME } from '../model/config/pipeline-settings';

export interface DeliveryStackProps extends StackProps {
  readonly plan: PipelinePlan;
  /** The config file, relative to the repository root: what the pipeline's build synthesizes. */
  readonly configFile: string;
  /** Each environment's gate alarm names (its rollback triggers), by environment name. */
  readonly alarmNames: ReadonlyMap<string, readonly string[]>;
}

/**
 * `loadbearing-delivery`: the delivery pipeline of a config file (`delivery.pipeline`), a stack
 * of its own in the pipeline's account and region (docs/delivering.md, "The delivery pipeline").
 */
export class DeliveryStack extends Stack {
  public readonly pipeline: DeliveryPipeline;

  constructor(scope: Construct, props: DeliveryStackProps) {
    const { plan, configFile, alarmNames, ...stackProps } = props;
    super(scope, PIPELINE_STACK_NAME, {
      ...stackProps,
      stackName: PIPELINE_STACK_NAME,
      env: { account: plan.account, region: plan.region },
      description: `The delivery pipeline: ${plan.stages.map((s) => s.environment).join(' -> ')}, with alarm gates and a bake per stage`,
    });
    this.pipeline = new DeliveryPipeline(this, 'Delivery', { plan, configFile, alarmNames });
  }
}

/**
 * Adds `loadbearing-delivery` for `plan`, its gates read from the environments' stacks in the app
 * (their rollback trigger alarm names), or `<stack>-<key>` for an environment not synthesized.
 */
export function addDeliveryStack(
  scope: Construct,
  plan: PipelinePlan,
  configFile: string,
  stacks: readonly { readonly config: { readonly name: string }; readonly rollbackTriggerAlarmNames: readonly string[] }[],
): DeliveryStack {
  const alarmNames = new Map(
    plan.stages.map((s) => [
      s.environment,
      stacks.find((st) => st.config.name === s.environment)?.rollbackTriggerAlarmNames ?? s.alarmKeys.map((k) => `${s.stackName}-${k}`),
    ]),
  );
  const relativeFile =
    isAbsolute(configFile) && !relative(process.cwd(), configFile).startsWith('..') ? relative(process.cwd(), configFile) : configFile;
  return new DeliveryStack(scope, { plan, configFile: relativeFile, alarmNames });
}

import type { CfnResource, CfnTemplate } from './template';

/** A resource a CloudFormation transform adds to the processed template, which cdk.out does not show. */
export interface TransformResource {
  readonly logicalId: string;
  readonly resource: CfnResource;
  /** The template resource that makes the transform add it, and that waits for it. */
  readonly addedFor: string;
  readonly transform: string;
}

const SECRETS_MANAGER_TRANSFORMS = new Set(['AWS::SecretsManager-2020-07-23', 'AWS::SecretsManager-2024-09-16']);

/**
 * What the transforms of a template add, as the transforms document it.
 *
 * `AWS::SecretsManager-*`: for each RotationSchedule with `HostedRotationLambda`, the rotation
 * function "is placed in a nested stack in the processed template"
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/transform-aws-secretsmanager.html):
 * one AWS::CloudFormation::Stack (an AWS::Serverless::Application from the Serverless Application
 * Repository's rotation templates) that the schedule waits for. It refers to what the
 * HostedRotationLambda properties name (subnets, security groups, the key).
 */
export function transformResources(template: CfnTemplate): TransformResource[] {
  const transforms =
    template.Transform === undefined ? [] : typeof template.Transform === 'string' ? [template.Transform] : [...template.Transform];
  const secrets = transforms.find((t) => SECRETS_MANAGER_TRANSFORMS.has(t));
  if (!secrets) return [];
  const added: TransformResource[] = [];
  for (const [id, r] of Object.entries(template.Resources ?? {})) {
    if (r.Type !== 'AWS::SecretsManager::RotationSchedule' || !r.Properties?.HostedRotationLambda) continue;
    added.push({
      logicalId: `${id}HostedRotationStack`,
      resource: {
        Type: 'AWS::CloudFormation::Stack',
        Properties: { HostedRotationLambda: r.Properties.HostedRotationLambda, SecretId: r.Properties.SecretId },
      },
      addedFor: id,
      transform: secrets,
    });
  }
  return added;
}

import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Acknowledges policy findings on one construct (the narrowest scope that holds the finding),
 * with the reason the finding is acceptable there. Rule IDs are `<pack>::<rule>`, as the CDK
 * prints them, e.g. `AwsSolutions::AwsSolutions-EC23`.
 */
export function acknowledge(scope: IConstruct, reason: string, ...ruleIds: string[]): void {
  for (const id of ruleIds) Validations.of(scope).acknowledge({ id, reason });
}

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

/**
 * Findings on small helper functions outside the request path (Lambda@Edge, CDK's deploy-time
 * custom resources): no VPC, concurrency reservation, dead-letter queue or log encryption, and
 * AWS's basic execution policy for their logs.
 */
export const HELPER_FUNCTION_RULES = [
  'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
  'NIST.800.53.R5::NIST.800.53.R5-LambdaConcurrency',
  'NIST.800.53.R5::NIST.800.53.R5-LambdaDLQ',
  'NIST.800.53.R5::NIST.800.53.R5-LambdaInsideVPC',
  'NIST.800.53.R5::NIST.800.53.R5-CloudWatchLogGroupEncrypted',
  'cdk-validator-cfnguard::lambda_inside_vpc_check',
  'cdk-validator-cfnguard::cloudwatch_log_group_encrypted_check',
];

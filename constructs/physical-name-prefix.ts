import { Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

/**
 * The prefix of the physical names a construct gives its resources: `namePrefix`, or the stack
 * name, in lower case (RDS and ElastiCache store identifiers in lower case, and the log group
 * and SSM parameter names derived from them must match).
 */
export function physicalNamePrefix(scope: Construct, namePrefix?: string): string {
  return (namePrefix ?? Stack.of(scope).stackName).toLowerCase();
}

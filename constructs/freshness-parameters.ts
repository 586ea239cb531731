import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as ssm from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import type { ContentClass } from '../lib/model/config/edge-settings';
import { freshnessParameterValues } from '../lib/model/config/freshness-table';
import { parameterPath, publishConnectionParameters } from './connection-parameters';

/**
 * Publishes the freshness model, one SSM parameter `/<prefix>/freshness/<class>` per content
 * class (JSON: path, TTLs at each layer, staleness bounds, invalidation). The app reads its
 * cache TTLs from here in every environment, whether or not CloudFront is in front.
 */
export function publishFreshnessParameters(scope: Construct, prefix: string, classes: readonly ContentClass[]): ssm.StringParameter[] {
  return publishConnectionParameters(scope, prefix, 'freshness', freshnessParameterValues(classes));
}

/**
 * Lets `grantee` read the freshness model the way the app does: one `GetParametersByPath` on
 * `/<prefix>/freshness/` (FRESHNESS_PARAMETER_PATH). Parameter Store authorizes that call
 * against the path in the request, not against the parameters it returns, so a grant on each
 * parameter (`grantRead`) does not allow it
 * (https://docs.aws.amazon.com/systems-manager/latest/userguide/ps-retrieval-authorization.html).
 * The grant names exactly the path, spelled with and without its trailing slash, and nothing
 * below it: no wildcard, so no other hierarchy can be listed with it.
 */
export function grantReadFreshnessModel(scope: Construct, grantee: iam.IGrantable, prefix: string): iam.Grant {
  const path = parameterPath(prefix, 'freshness');
  const arn = (resourceName: string) =>
    Stack.of(scope).formatArn({ service: 'ssm', resource: 'parameter', resourceName, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
  const withoutLeadingSlash = path.slice(1);
  return iam.Grant.addToPrincipal({
    grantee,
    actions: ['ssm:GetParametersByPath'],
    resourceArns: [arn(withoutLeadingSlash.replace(/\/$/, '')), arn(withoutLeadingSlash)],
  });
}

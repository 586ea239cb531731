import type * as ssm from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import type { ContentClass } from '../lib/config/edge-settings';
import { freshnessParameterValues } from '../lib/config/freshness-table';
import { publishConnectionParameters } from './connection-parameters';

/**
 * Publishes the freshness model, one SSM parameter `/<prefix>/freshness/<class>` per content
 * class (JSON: path, TTLs at each layer, staleness bounds, invalidation). The app reads its
 * cache TTLs from here in every environment, whether or not CloudFront is in front.
 */
export function publishFreshnessParameters(scope: Construct, prefix: string, classes: readonly ContentClass[]): ssm.StringParameter[] {
  return publishConnectionParameters(
    scope,
    prefix,
    'freshness',
    freshnessParameterValues(classes),
  );
}

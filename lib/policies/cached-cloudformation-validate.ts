import { CloudFormationValidatePlugin, type IPolicyValidationContext, type PolicyValidationPluginReport } from 'aws-cdk-lib';
// The validator ships inside aws-cdk-lib, so the library version identifies it; asking the
// validator for its own version would load its WASM engine even on a cache hit.
const CDK_VERSION = (require('aws-cdk-lib/package.json') as { version: string }).version;
import { cachedValidate, type ValidationCacheOptions } from './validation-cache';

/**
 * CDK's built-in CloudFormation template validator, with the validation cache. It stays a
 * `CloudFormationValidatePlugin` (so CDK does not add its own copy, and keeps treating its
 * findings the same way); its start-up alone costs seconds per process, which a cache hit skips.
 */
export class CachedCloudFormationValidate extends CloudFormationValidatePlugin {
  constructor(private readonly cache: ValidationCacheOptions) {
    super();
  }

  public override validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    return cachedValidate({ name: this.name, version: `aws-cdk-lib@${CDK_VERSION}` }, context, this.cache, () => super.validate(context));
  }
}

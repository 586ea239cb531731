import { CloudFormationValidatePlugin, type IPolicyValidationContext, type PolicyValidationPluginReport } from 'aws-cdk-lib';
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
    return cachedValidate(this, context, this.cache, () => super.validate(context));
  }
}

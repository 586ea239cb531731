import { dirname } from 'node:path';
import { CloudFormationValidatePlugin, type IPolicyValidationContext, type PolicyValidationPluginReport } from 'aws-cdk-lib';
import { cachedValidate, type ValidationCacheOptions } from './validation-cache';

// The validator ships inside aws-cdk-lib, so the library version identifies it; asking the
// validator for its own version would load its WASM engine even on a cache hit.
const CDK_VERSION = (require('aws-cdk-lib/package.json') as { version: string }).version;

/**
 * The validator's version from its package.json, without loading its engine (about 0.3 s of
 * WASM start-up that CDK would otherwise pay after every synth, only to label the report).
 */
function bundledValidatorVersion(): string | undefined {
  try {
    const from = dirname(require.resolve('aws-cdk-lib/package.json'));
    return (require(require.resolve('@aws/cloudformation-validate/package.json', { paths: [from] })) as { version: string }).version;
  } catch {
    return undefined;
  }
}

/**
 * CDK's built-in CloudFormation template validator, with the validation cache. It stays a
 * `CloudFormationValidatePlugin` (so CDK does not add its own copy, and keeps treating its
 * findings the same way); its start-up alone costs seconds per process, which a cache hit skips.
 */
export class CachedCloudFormationValidate extends CloudFormationValidatePlugin {
  private readonly validatorVersion = bundledValidatorVersion();

  constructor(private readonly cache: ValidationCacheOptions) {
    super();
  }

  public override get version(): string | undefined {
    return this.validatorVersion ?? super.version;
  }

  public override validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    return cachedValidate({ name: this.name, version: `aws-cdk-lib@${CDK_VERSION}` }, context, this.cache, () => super.validate(context));
  }
}

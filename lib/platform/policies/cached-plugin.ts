import type { IPolicyValidationContext, IPolicyValidationPlugin, PolicyValidationPluginReport } from 'aws-cdk-lib';
import { cachedValidate, type ValidationCacheOptions } from './validation-cache';

/** Wraps any validation plugin with the validation cache (see `cachedValidate`). */
export class CachedPlugin implements IPolicyValidationPlugin {
  public readonly name: string;
  public readonly version?: string;
  public readonly ruleIds?: string[];

  constructor(
    private readonly inner: IPolicyValidationPlugin,
    private readonly options: ValidationCacheOptions,
  ) {
    this.name = inner.name;
    this.version = inner.version;
    this.ruleIds = inner.ruleIds;
  }

  public validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    return cachedValidate(this.inner, context, this.options, () => this.inner.validate(context));
  }
}

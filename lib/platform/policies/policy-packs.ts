import { Validations, type App, type IPolicyValidationPlugin } from 'aws-cdk-lib';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';
import { CachedCloudFormationValidate } from './cached-cloudformation-validate';
import { CachedPlugin } from './cached-plugin';
import { ControlTowerGuard } from './control-tower-guard';
import { SelectedPack } from './pack-selection';

export interface PolicyPackOptions {
  /**
   * Keep validation reports here and reuse them while the input is unchanged.
   * @default - no cache: every synth runs every validator
   */
  readonly cacheDirectory?: string;
  /**
   * Run CDK's built-in CloudFormation validator (with the cache). Pass false for
   * `CDK_VALIDATION=false` / `cdk synth --no-validation`.
   * @default - the App's `builtinCloudFormationValidation` setting
   */
  readonly builtinValidation?: boolean;
  /** Told when a gate runs in full because the cache has no report for its input. @default - silent */
  readonly progress?: (line: string) => void;
}

/**
 * Registers the policy gates that run on every synth: cdk-nag's AwsSolutions and
 * NIST 800-53 rev 5 packs, and the AWS Control Tower proactive controls (cfn-guard), each on the
 * stacks that select it (`selectPolicyPacks`; a stack that selects nothing gets all three), plus
 * CDK's built-in CloudFormation validator where the App has it on. Any finding that is neither fixed
 * nor acknowledged (next to the resource it concerns, with a reason) fails synth.
 */
export function addPolicyPacks(app: App, options: PolicyPackOptions = {}): void {
  const cache = options.cacheDirectory;
  const progress = options.progress;
  const withCache = (plugin: IPolicyValidationPlugin, constructTree = false) =>
    cache ? new CachedPlugin(plugin, { directory: cache, constructTree, progress }) : plugin;
  // Each pack reports only on the stacks that select it (`policies.packs`, see pack-selection.ts).
  const plugins: IPolicyValidationPlugin[] = [
    new SelectedPack('aws-solutions', withCache(new AwsSolutionsChecks(app, { verbose: true }), true), app),
    new SelectedPack('nist-800-53-r5', withCache(new NIST80053R5Checks(app, { verbose: true }), true), app),
    new SelectedPack('control-tower', withCache(new ControlTowerGuard()), app),
  ];
  const builtin =
    options.builtinValidation ?? (app as { _builtinCloudFormationValidation?: boolean })._builtinCloudFormationValidation ?? false;
  // Registering a CloudFormationValidatePlugin replaces CDK's default instance.
  if (builtin && cache) plugins.push(new CachedCloudFormationValidate({ directory: cache, progress }));
  Validations.of(app).addPlugins(...plugins);
}

import { App, Validations, type AppProps } from 'aws-cdk-lib';
import { isConfigError } from '../model/config/config-error';
import type { EnvironmentConfig } from '../model/config/environment-schema';
import { builtinEnvironments, loadConfigFile } from '../model/config/load-config';
import { selectEnvironments, STACKS_CONTEXT } from '../model/config/select-environments';
import { PLATFORM_FEATURE_FLAGS } from './feature-flags';
import { assertInvariants, optedOut } from '../model/invariants/check-invariants';
import { InvariantsPlugin } from './invariants-plugin';
import { PlatformStack, type PlatformStackProps } from './platform-stack';
import { addDeliveryStack } from './delivery-stack';
import { PIPELINE_STACK_NAME, planPipeline, readPipelineSettings } from '../model/config/pipeline-settings';
import { addPolicyPacks, type PolicyPackOptions } from './policies/policy-packs';
import { selectPolicyPacks } from './policies/pack-selection';
import { defaultValidationCacheDirectory } from './policies/validation-cache';

/** What a stack gets besides its config: component subclasses, alarm naming and routing. */
export type EnvironmentStackProps = Omit<PlatformStackProps, 'config'>;

export interface PlatformAppOptions extends PolicyPackOptions {
  /** Register the policy packs (cdk-nag, Control Tower controls). @default true */
  readonly policies?: boolean;
  /**
   * Props of each environment's stack (e.g. `components: { fleet: MyFleet }`), or a function of
   * its config that returns them. @default - the platform's constructs
   */
  readonly stackProps?: EnvironmentStackProps | ((config: EnvironmentConfig) => EnvironmentStackProps);
}

/**
 * Adds one PlatformStack per environment to the app, after checking the cross-component
 * invariants (a violation throws a ConfigError before any stack exists), plus the template-phase
 * invariants and, unless `policies` is false, the policy gates. Used by `PlatformApp` and by the
 * tests, so both build exactly the same thing.
 */
export function addPlatform(app: App, environments: readonly EnvironmentConfig[], options: PlatformAppOptions = {}): PlatformStack[] {
  const warnings = assertInvariants(environments);
  const stacks = environments.map((config) => {
    const extra = typeof options.stackProps === 'function' ? options.stackProps(config) : options.stackProps;
    const stack = new PlatformStack(app, config.stackName, { ...extra, config });
    selectPolicyPacks(stack, config.policies.packs);
    for (const w of warnings.get(config.name) ?? []) {
      Validations.of(stack).addWarning(
        `loadbearing-invariant-${w.ruleId}`,
        `${w.problem.path} = ${w.problem.value}: ${w.problem.rule}. Fix: ${w.problem.fix}`,
      );
    }
    return stack;
  });
  Validations.of(app).addPlugins(
    new InvariantsPlugin(
      new Map(environments.map((e) => [e.stackName, optedOut(e)])),
      new Map(environments.map((e) => [e.stackName, { account: e.account, region: e.region, stackName: e.stackName }])),
    ),
  );
  if (options.policies ?? true) addPolicyPacks(app, options);
  return stacks;
}

export interface PlatformAppProps extends AppProps {
  /**
   * Run the policy gates (cdk-nag's AwsSolutions and NIST 800-53 packs, the Control Tower
   * controls, CDK's CloudFormation validator) on every synth; a finding that is neither fixed nor
   * acknowledged fails synth.
   * @default true, unless the context sets `policies=false` (the diff guard's synths, which only need templates)
   */
  readonly policies?: boolean;
  /**
   * Where the policy gates keep their reports of unchanged templates (a build cache, keyed by
   * the template and the validators' versions). `false` turns the cache off.
   * @default `.cache/loadbearing-validation` in the node_modules folder that holds aws-cdk-lib
   */
  readonly validationCacheDirectory?: string | false;
  /**
   * Where a policy gate that runs in full (a cache miss takes seconds) says so.
   * @default - a line on stderr: `policy gate <what it runs>`
   */
  readonly policyProgress?: (line: string) => void;
}

/** Options of `PlatformApp.run`. */
export interface PlatformAppRunOptions {
  /** Where a config error is reported. @default process.stderr */
  readonly stderr?: (text: string) => void;
}

/**
 * A CDK App set up like the platform's own (`npm run synth`): the platform's feature flags as
 * context defaults (a team's `cdk.json` and `-c` still win), the policy gates on, and
 * `addEnvironments` for one PlatformStack per environment of the config. `PlatformApp.run`
 * builds and synthesizes it and reports a config error as its message, without a stack trace.
 *
 * ```ts
 * PlatformApp.run((app) => app.addEnvironments());
 * ```
 */
export class PlatformApp extends App {
  /**
   * Builds the app with `build`, synthesizes it, and returns the exit code: 0, or 1 after a
   * config error (invalid config file, invariant violation, bad construct settings), which is
   * printed as its message alone and also sets `process.exitCode`. Any other error is a bug and
   * is thrown as it is.
   */
  public static run(build: (app: PlatformApp) => void, props: PlatformAppProps = {}, options: PlatformAppRunOptions = {}): number {
    const app = new PlatformApp(props);
    try {
      build(app);
      app.synth();
      return 0;
    } catch (error) {
      const stderr = options.stderr ?? ((text: string) => process.stderr.write(text));
      if (isValidationFailure(error)) {
        // The policy gates or the template invariants failed: CDK has printed every finding with
        // its fix above; the report's path is the rest of the answer, not a stack trace.
        const report = /can be found in: (\S+)/.exec(error.message)?.[1];
        stderr(
          `\nsynth stopped: the policy gates or template invariants found the problems listed above${report ? `; report: ${report}` : ''}\n\n`,
        );
        process.exitCode = 1;
        return 1;
      }
      if (!isConfigError(error)) throw error;
      // A user mistake, not a platform bug: the message is the whole answer.
      stderr(`\n${error.message}\n\n`);
      process.exitCode = 1;
      return 1;
    }
  }

  constructor(props: PlatformAppProps = {}) {
    const { policies, validationCacheDirectory, policyProgress, ...appProps } = props;
    // autoSynth is off: a config error must stop the app before anything is written.
    super({ autoSynth: false, ...appProps, context: { ...PLATFORM_FEATURE_FLAGS, ...appProps.context } });
    if (policies ?? String(this.node.tryGetContext('policies')) !== 'false') {
      const cache = validationCacheDirectory ?? defaultValidationCacheDirectory();
      addPolicyPacks(this, {
        ...(cache === false ? {} : { cacheDirectory: cache }),
        // `cdk synth --no-validation` and the diff guard set CDK_VALIDATION=false.
        builtinValidation: process.env.CDK_VALIDATION !== 'false',
        progress: policyProgress ?? ((line) => process.stderr.write(`policy gate ${line}\n`)),
      });
    }
  }

  /** The environments of `-c configFile=<path>` (validated), or the built-in dev, staging and prod. */
  public environments(): EnvironmentConfig[] {
    const configFile: unknown = this.node.tryGetContext('configFile');
    return typeof configFile === 'string' && configFile !== '' ? loadConfigFile(configFile) : builtinEnvironments();
  }

  /**
   * One PlatformStack per environment (default: `environments()`, limited to the stacks of
   * `-c stacks=<name,...>` when given), after the cross-component invariants pass, with the
   * template-phase invariants. The policy gates are the app's.
   */
  public addEnvironments(
    options: { readonly environments?: readonly EnvironmentConfig[]; readonly stackProps?: PlatformAppOptions['stackProps'] } = {},
  ): PlatformStack[] {
    const all = options.environments ?? this.environments();
    const selection: unknown = this.node.tryGetContext(STACKS_CONTEXT);
    const wanted = typeof selection === 'string' && selection !== '' ? selection.split(',').map((s) => s.trim()) : undefined;
    const envSelection = wanted?.filter((s) => s !== PIPELINE_STACK_NAME).join(',');
    const environments =
      wanted !== undefined && envSelection === '' ? [] : selectEnvironments(all, wanted !== undefined ? envSelection : selection);
    const stacks = addPlatform(this, environments, { policies: false, ...(options.stackProps ? { stackProps: options.stackProps } : {}) });
    // The delivery pipeline of the config file (`delivery.pipeline`), unless a selection leaves it out.
    const configFile: unknown = this.node.tryGetContext('configFile');
    if (typeof configFile === 'string' && configFile !== '' && (wanted === undefined || wanted.includes(PIPELINE_STACK_NAME))) {
      const plan = planPipeline(readPipelineSettings(configFile), all, configFile);
      if (plan) addDeliveryStack(this, plan, configFile, stacks);
    }
    return stacks;
  }
}

/** CDK's error when a validation plugin (a policy pack, the template invariants) reported an unacknowledged finding. */
function isValidationFailure(error: unknown): error is Error {
  return error instanceof Error && error.name === 'ValidationFailed';
}

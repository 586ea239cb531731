import type { EnvironmentConfig } from '../model/config/environment-schema';
import { awsConfigFiles, awsProfileDefined, awsProfileNames } from './aws-profiles.js';
import type { OptionSpec, OptionValues, OutputStream } from './command.js';
import { configFileOption, ENVIRONMENT_OPTIONS, loadEnvironment } from './environment-option.js';
import { UsageError } from './errors.js';

/**
 * The options that say which deployed stack a command works on, shared by every command that
 * calls AWS: the environment (`--env`, from `--config` / `-c configFile=`, default the built-in
 * ones) gives the stack name and region; `--stack` and `--region` override them; `--profile`
 * picks the credentials.
 */
export const TARGET_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  ...ENVIRONMENT_OPTIONS,
  stack: { type: 'string', valueName: '<name>', description: "stack name (default: the environment's stackName)" },
  region: {
    type: 'string',
    valueName: '<region>',
    description: "AWS region (default: the environment's, else AWS_REGION, then the profile's)",
  },
  profile: { type: 'string', valueName: '<profile>', description: 'AWS profile (default: AWS_PROFILE, then "default")' },
};

/** Where a command's AWS calls go. */
export interface Target {
  /** The environment, when `--env` named one. */
  readonly environment?: EnvironmentConfig;
  /** The stack name: --stack, else the environment's. */
  readonly stack?: string;
  /** --region, else the environment's; undefined leaves it to AWS_REGION and the profile. */
  readonly region?: string;
  readonly profile?: string;
}

/**
 * Reads the target options: the environment from config (when `--env` is given, or required),
 * with `--stack` and `--region` as overrides, and checks `--region` and `--profile` before any
 * AWS call. Resolves to undefined after printing a config error (exit 2).
 * @throws UsageError for a bad option value, naming the option, the value, the rule and the fix.
 */
export async function resolveTarget(
  values: OptionValues,
  command: string,
  stderr: OutputStream,
  env: NodeJS.ProcessEnv,
  options: { readonly requireEnvironment?: boolean } = {},
): Promise<Target | undefined> {
  const stackOverride = str(values.stack);
  const regionOverride = str(values.region);
  const profile = str(values.profile);
  if (regionOverride !== undefined) await checkRegion(regionOverride);
  if (profile !== undefined) checkProfile(profile, env);
  let environment: EnvironmentConfig | undefined;
  if (typeof values.env === 'string' || options.requireEnvironment) {
    environment = await loadEnvironment(values, command, stderr);
    if (!environment) return undefined;
  } else if (configFileOption(values) !== undefined) {
    throw new UsageError(`a config file was given without --env; fix: add --env <name> to pick one of its environments`);
  }
  const stack = stackOverride ?? environment?.stackName;
  const region = regionOverride ?? environment?.region;
  return {
    ...(environment ? { environment } : {}),
    ...(stack !== undefined ? { stack } : {}),
    ...(region !== undefined ? { region } : {}),
    ...(profile !== undefined ? { profile } : {}),
  };
}

/** `--region` must be a region code aws-cdk-lib knows (the same list the config checks). */
export async function checkRegion(region: string): Promise<void> {
  const { AWS_REGIONS } = await import('../model/config/aws-limits.js');
  const { closest } = await import('../model/config/config-error.js');
  if (AWS_REGIONS.includes(region)) return;
  const near = closest(region, AWS_REGIONS);
  throw new UsageError(
    `--region "${region}" is not an AWS region; fix: ${near ? `did you mean "${near}"?` : 'pass a region code such as "us-east-1" or "eu-west-1"'}`,
  );
}

/** `--profile` must name a profile of the shared config or credentials file, or the SDK fails later with less to say. */
export function checkProfile(profile: string, env: NodeJS.ProcessEnv): void {
  if (awsProfileDefined(profile, env)) return;
  const files = awsConfigFiles(env);
  const known = awsProfileNames(env);
  throw new UsageError(
    `--profile "${profile}" is not in ${files.config} or ${files.credentials}; fix: pass one of ${known.length > 0 ? known.join(', ') : '(no profiles defined)'}, or create it with \`aws configure --profile ${profile}\``,
  );
}

function str(value: OptionValues[string]): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/**
 * For "no credentials": when the profile in use (--profile, else AWS_PROFILE) is not defined,
 * that is the whole story, and "use --profile" would be the wrong advice. Undefined otherwise.
 */
export function missingProfileAdvice(err: unknown, profile: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  const e = err as { name?: string; message?: string; cause?: unknown } | undefined;
  const inner = (e?.cause as { name?: string; message?: string } | undefined) ?? e;
  const noCredentials = [e, inner].some(
    (x) => x?.name === 'CredentialsProviderError' || /could not load credentials/i.test(x?.message ?? ''),
  );
  const name = profile ?? env.AWS_PROFILE;
  if (!noCredentials || name === undefined || awsProfileDefined(name, env)) return undefined;
  const source = profile !== undefined ? '--profile' : 'AWS_PROFILE';
  const known = awsProfileNames(env);
  return `no AWS credentials: ${source} names profile "${name}", which is not in the AWS config or credentials file; fix: ${source === '--profile' ? 'pass' : 'set AWS_PROFILE to'} one of ${known.length > 0 ? known.join(', ') : '(no profiles defined: run `aws configure`)'}`;
}

import type { EnvironmentConfig } from '../model/config/environment-schema';
import { awsProfileDefined } from './aws-profiles.js';
import { CONNECTION_TIMEOUT_MS, DEFAULT_TIMEOUT_MS, REQUEST_TIMEOUT_MS } from './cli-timeouts.js';
import { ExitCode, writeLine, type Command, type LocalIo, type OptionValues } from './command.js';
import { startDeadline } from './deadline.js';
import { parseDuration } from './duration.js';
import { configFileOption, ENVIRONMENT_OPTIONS, loadEnvironment } from './environment-option.js';
import { checkProfile } from './target-options.js';
import { DeadlineExceededError, describeError, OperatorError } from './errors.js';
import { DURATION_HELP } from './help.js';
import { accountCheck } from './preflight-account-check.js';
import { bootstrapCheck } from './preflight-bootstrap-check.js';
import { certificateCheck } from './preflight-certificate-check.js';
import type { PreflightCheck, PreflightContext, PreflightRow } from './preflight-check.js';
import { cloudFrontVerificationCheck } from './preflight-cloudfront-check.js';
import { databaseOrderableCheck } from './preflight-database-check.js';
import { elasticIpCheck } from './preflight-elastic-ip-check.js';
import { existingVpcEndpointsCheck } from './preflight-existing-vpc-endpoints-check.js';
import { existingVpcRoutesCheck } from './preflight-existing-vpc-routes-check.js';
import { existingVpcSubnetsCheck } from './preflight-existing-vpc-subnets-check.js';
import { instanceTypeOfferingCheck } from './preflight-offering-check.js';
import { preflightReport, renderPreflightText, type PreflightReport } from './preflight-report.js';
import { failureVerdict, isCredentialsFailure, PreflightSession, AwsCallError } from './preflight-session.js';
import { vcpuQuotaCheck } from './preflight-vcpu-check.js';
import { readSynthesizedTemplate, TEMPLATE_OPTIONS, type SynthesizedTemplate } from './synthesized-template.js';

/** CloudFront uses ACM certificates from us-east-1 only; an ALB, those of its own region (https://docs.aws.amazon.com/acm/latest/userguide/acm-regions.html). */
const CLOUDFRONT_CERTIFICATE_REGION = 'us-east-1';

/**
 * The checks of an environment, in the order they run and print. The account comes first: with
 * credentials of another account, every other check would answer for that account.
 */
export function preflightChecks(env: EnvironmentConfig): PreflightCheck[] {
  const checks: PreflightCheck[] = [accountCheck, bootstrapCheck(env.region)];
  // The edge's Lambda@Edge function lives in a support stack in us-east-1 (docs/deploying.md).
  if (env.edge.enabled && env.region !== CLOUDFRONT_CERTIFICATE_REGION) checks.push(bootstrapCheck(CLOUDFRONT_CERTIFICATE_REGION));
  if (env.edge.enabled && env.edge.certificateArn) {
    checks.push(
      certificateCheck({
        id: 'certificate-edge',
        check: 'CloudFront certificate',
        arn: env.edge.certificateArn,
        configKey: 'edge.certificateArn',
        region: CLOUDFRONT_CERTIFICATE_REGION,
        regionReason: `CloudFront uses ACM certificates from ${CLOUDFRONT_CERTIFICATE_REGION} only`,
        names: env.edge.domainNames,
        namesKey: 'edge.domainNames',
      }),
    );
  }
  if (env.loadBalancer.certificateArn) {
    checks.push(
      certificateCheck({
        id: 'certificate-alb',
        check: 'ALB certificate',
        arn: env.loadBalancer.certificateArn,
        configKey: 'loadBalancer.certificateArn',
        region: env.region,
        regionReason: `the ALB is in ${env.region} and uses certificates of its own region`,
        names: env.edge.originDomainName ? [env.edge.originDomainName] : [],
        namesKey: 'edge.originDomainName',
      }),
    );
  }
  checks.push(vcpuQuotaCheck('on-demand'), vcpuQuotaCheck('spot'), elasticIpCheck);
  // The network team's VPC: the subnets, routes and endpoints the config names (taken on trust by synth).
  if (env.network.existingVpc) {
    checks.push(existingVpcSubnetsCheck, existingVpcRoutesCheck);
    if (env.network.existingVpc.appEgress.kind === 'vpc-endpoints') checks.push(existingVpcEndpointsCheck);
  }
  checks.push(instanceTypeOfferingCheck, databaseOrderableCheck);
  if (env.edge.enabled) checks.push(cloudFrontVerificationCheck);
  return checks;
}

/** Every IAM action preflight may call, sorted (docs/deploying.md lists them). */
export const PREFLIGHT_PERMISSIONS: readonly string[] = [
  ...new Set(
    [
      accountCheck,
      bootstrapCheck(CLOUDFRONT_CERTIFICATE_REGION),
      certificateCheck({ id: '', check: '', arn: '', configKey: '', region: '', regionReason: '', names: [], namesKey: '' }),
      vcpuQuotaCheck('on-demand'),
      vcpuQuotaCheck('spot'),
      elasticIpCheck,
      existingVpcSubnetsCheck,
      existingVpcRoutesCheck,
      existingVpcEndpointsCheck,
      instanceTypeOfferingCheck,
      databaseOrderableCheck,
      cloudFrontVerificationCheck,
    ].flatMap((c) => c.permissions),
  ),
].sort();

/**
 * Runs one check: its row, or one row per item it judged (`<id>:<key>`, the config field as the
 * CHECK column). A thrown error becomes an `unknown` row, except a credentials error.
 */
export async function runPreflightCheck(check: PreflightCheck, ctx: PreflightContext): Promise<PreflightRow[]> {
  try {
    const outcome = await check.run(ctx);
    if ('items' in outcome) {
      if (outcome.items.length === 0) throw new Error(`check ${check.id} judged no item`);
      return outcome.items.map(({ key, field, ...verdict }) => ({ id: `${check.id}:${key}`, check: field, ...verdict }));
    }
    return [{ id: check.id, check: check.check, ...outcome }];
  } catch (err) {
    if (isCredentialsFailure(err)) throw err;
    return [{ id: check.id, check: check.check, ...failureVerdict(err) }];
  }
}

/** The one line for credentials that are missing or rejected, naming the profile when one was asked for. */
function credentialsProblem(err: unknown, profile: string | undefined, env: NodeJS.ProcessEnv): string {
  const cause = err instanceof AwsCallError ? err.cause : err;
  const missing =
    (cause as { name?: string })?.name === 'CredentialsProviderError' ||
    /could not load credentials/i.test((cause as Error)?.message ?? '');
  if (missing && profile) {
    return awsProfileDefined(profile, env)
      ? `AWS profile "${profile}" gave no credentials (an expired SSO session? run \`aws sso login --profile ${profile}\`), then run preflight again`
      : `AWS profile "${profile}" does not exist in the AWS config or credentials file (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE); fix: pass an existing profile to --profile (\`aws configure list-profiles\`)`;
  }
  if (missing) return describeError(cause, '');
  const e = cause as { name?: string; message?: string };
  return `AWS rejected the credentials (${e.name ?? 'Error'}): ${(e.message ?? '').split('\n', 1)[0]!.trim()}`;
}

function str(value: OptionValues[string]): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/**
 * Runs every check of an environment against its synthesized template and returns the report
 * (also `loadbearing deploy`'s preflight of a first create).
 * @throws OperatorError for missing or rejected credentials
 */
export async function runPreflight(o: {
  readonly env: EnvironmentConfig;
  readonly template: SynthesizedTemplate;
  /** The template's path, for the report. */
  readonly templatePath: string;
  readonly profile?: string;
  readonly timeoutMs: number;
  readonly io: Pick<LocalIo, 'clock' | 'retryPolicy' | 'env'>;
}): Promise<PreflightReport> {
  const { env, template, profile, timeoutMs, io } = o;
  const deadline = startDeadline(timeoutMs, () => new DeadlineExceededError(timeoutMs, 'AWS'));
  const session = new PreflightSession({
    ...(profile ? { profile } : {}),
    connectionTimeoutMs: Math.min(CONNECTION_TIMEOUT_MS, timeoutMs),
    requestTimeoutMs: Math.min(REQUEST_TIMEOUT_MS, timeoutMs),
    retryPolicy: io.retryPolicy,
    clock: io.clock,
    signal: deadline.signal,
  });
  const ctx: PreflightContext = { env, template, session };
  try {
    const checks = preflightChecks(env);
    const rows: PreflightRow[] = [];
    let notRun: PreflightReport['notRun'] = null;
    for (const [i, check] of checks.entries()) {
      const checked = await runPreflightCheck(check, ctx);
      rows.push(...checked);
      if (check === accountCheck && checked.some((row) => row.status === 'fail')) {
        notRun = {
          checks: checks.slice(i + 1).map((c) => c.id),
          reason: `the credentials are of another account than ${env.account}: they would check that account`,
        };
        break;
      }
    }
    return preflightReport({
      environment: env.name,
      stack: env.stackName,
      account: env.account,
      region: env.region,
      template: o.templatePath,
      rows,
      notRun,
    });
  } catch (err) {
    if (isCredentialsFailure(err)) throw new OperatorError(credentialsProblem(err, profile ?? io.env.AWS_PROFILE, io.env));
    throw err;
  } finally {
    deadline.dispose();
    session.destroy();
  }
}

async function preflight(values: OptionValues, io: LocalIo): Promise<number> {
  const timeoutMs = values.timeout !== undefined ? parseDuration(str(values.timeout) ?? '', '--timeout') : DEFAULT_TIMEOUT_MS;
  // A profile no file defines is bad input, known before anything is read or called.
  const wanted = str(values.profile);
  if (wanted !== undefined) checkProfile(wanted, io.env);
  const env = await loadEnvironment(values, 'preflight', io.stderr);
  if (!env) return ExitCode.Error;
  const templateDir = str(values['template-dir']) ?? 'cdk.out';
  const template = readSynthesizedTemplate(env, templateDir, configFileOption(values));
  const profile = str(values.profile);
  const report = await runPreflight({
    env,
    template,
    templatePath: `${templateDir.replace(/\/$/, '')}/${env.stackName}.template.json`,
    ...(profile ? { profile } : {}),
    timeoutMs,
    io,
  });
  if (values.json === true) writeLine(io.stdout, JSON.stringify(report, null, 2));
  else io.stdout.write(renderPreflightText(report));
  return report.exitCode;
}

/** `loadbearing preflight --env <name>`: read-only checks of the target account before a deploy. */
export const preflightCommand: Command = {
  name: 'preflight',
  summary: 'Check the target account and region before a deploy: credentials, bootstrap, certificates, quotas, offerings',
  usage:
    '--env <name> [--config <file.json> | -c configFile=<file.json>] [--template-dir <dir>] [--profile <name>] [--timeout <duration>] [--json]',
  details: [
    'Reads the environment from config (account, region, AZs, certificates) and its synthesized',
    'template (<template-dir>/<stack>.template.json: the fleet, NAT gateways, DB instances and the',
    "bootstrap version it requires), then makes read-only AWS calls in the environment's account",
    'and region and prints one row per check: pass, fail, unknown (the call failed: the row names',
    'the error and the IAM action it needs) or manual (no API can tell), with the fix.',
    '',
    "Checks: the credentials' account is the config's (a wrong account stops the other checks);",
    'the CDK bootstrap stack and its version (in us-east-1 too with the edge outside it); each',
    'certificate is ISSUED, in the right region and covers the configured names; the On-Demand and',
    "Spot vCPU quotas fit current usage plus the fleet at its peak (MaxSize, the update policy's",
    'headroom, a warm pool); free Elastic IPs cover the NAT gateways; with network.existingVpc,',
    'each subnet is in the VPC and the AZ it is keyed under with free addresses for what the',
    'stack puts there, the route tables give each tier its path (and the VPC endpoints exist,',
    "with private DNS), one row per failing item; the fleet's instance types are offered in every",
    "AZ; the DB class and engine version are orderable there; and, with the edge, CloudFront's",
    'account verification (manual). Every call is retried on throttling and',
    `bounded by --timeout (default ${DEFAULT_TIMEOUT_MS / 1000}s for the whole run). ${DURATION_HELP}`,
    '',
    'Exit codes: 0 every check passed (manual rows do not count against it),',
    '            1 a check failed or is unknown (the last line says which),',
    '            2 unknown environment, invalid config, no synthesized template, no or rejected',
    '              credentials, or a profile that does not exist.',
  ].join('\n'),
  sdkClients: [
    '@aws-sdk/client-sts',
    '@aws-sdk/client-cloudformation',
    '@aws-sdk/client-ssm',
    '@aws-sdk/client-acm',
    '@aws-sdk/client-service-quotas',
    '@aws-sdk/client-ec2',
    '@aws-sdk/client-rds',
  ],
  verdict: 'a check failed or could not be decided',
  options: {
    ...ENVIRONMENT_OPTIONS,
    ...TEMPLATE_OPTIONS,
    profile: {
      type: 'string',
      valueName: '<profile>',
      description: 'AWS profile (default: AWS_PROFILE, then "default"); the region is the environment\'s',
    },
    timeout: { type: 'string', valueName: '<duration>', description: `deadline for all AWS calls (default ${DEFAULT_TIMEOUT_MS / 1000}s)` },
  },
  local: preflight,
};

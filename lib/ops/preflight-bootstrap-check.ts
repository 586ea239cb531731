import type { PreflightCheck } from './preflight-check.js';
import { AwsCallError } from './preflight-session.js';
import { bootstrapRequirement } from './preflight-template.js';

/** The CDK bootstrap stack's default name (https://docs.aws.amazon.com/cdk/v2/guide/ref-cli-cmd-bootstrap.html: "the CDK bootstrap stack, named CDKToolkit"). */
export const BOOTSTRAP_STACK_NAME = 'CDKToolkit';

function causeName(err: unknown): string | undefined {
  return err instanceof AwsCallError ? (err.cause as { name?: string } | undefined)?.name : undefined;
}

/**
 * The CDK bootstrap stack exists in `region` (CloudFormation DescribeStacks `CDKToolkit`), and the
 * version in its SSM parameter (`/cdk-bootstrap/<qualifier>/version`, the one `cdk deploy` reads) is
 * at least the minimum the synthesized template's own `CheckBootstrapVersion` rule demands: not a
 * number of this file, so a newer aws-cdk-lib that needs a newer bootstrap is checked as it is.
 * The us-east-1 row (the edge's support stack) uses the main template's minimum: both stacks come
 * from the same synthesizer.
 */
export function bootstrapCheck(region: string): PreflightCheck {
  return {
    id: `bootstrap-${region}`,
    check: `CDK bootstrap ${region}`,
    permissions: ['cloudformation:DescribeStacks', 'ssm:GetParameter'],
    async run({ env, template, session }) {
      const required = bootstrapRequirement(template);
      const bootstrap = `npx cdk bootstrap aws://${env.account}/${region}`;
      const { CloudFormationClient, DescribeStacksCommand } = await import('@aws-sdk/client-cloudformation');
      const cfn = session.client('cloudformation', region, (config) => new CloudFormationClient(config));
      let stackStatus: string | undefined;
      try {
        const out = await session.call('cloudformation:DescribeStacks', (abortSignal) =>
          cfn.send(new DescribeStacksCommand({ StackName: BOOTSTRAP_STACK_NAME }), { abortSignal }),
        );
        stackStatus = out.Stacks?.[0]?.StackStatus ?? 'UNKNOWN';
      } catch (err) {
        // CloudFormation answers a missing stack with ValidationError "Stack with id CDKToolkit does not exist".
        if (causeName(err) !== 'ValidationError') throw err;
      }
      if (!stackStatus) {
        return {
          status: 'fail',
          detail: `no ${BOOTSTRAP_STACK_NAME} stack in ${region} of account ${env.account}`,
          fix: `run \`${bootstrap}\``,
        };
      }
      if (!/_COMPLETE$/.test(stackStatus) || /^(ROLLBACK|DELETE)_COMPLETE$/.test(stackStatus)) {
        return {
          status: 'fail',
          detail: `${BOOTSTRAP_STACK_NAME} in ${region} is ${stackStatus}`,
          fix: `wait for it to finish, or repair it and run \`${bootstrap}\` again`,
        };
      }

      const { SSMClient, GetParameterCommand } = await import('@aws-sdk/client-ssm');
      const ssm = session.client('ssm', region, (config) => new SSMClient(config));
      let version: number;
      try {
        const out = await session.call('ssm:GetParameter', (abortSignal) =>
          ssm.send(new GetParameterCommand({ Name: required.parameterName }), { abortSignal }),
        );
        version = Number(out.Parameter?.Value);
      } catch (err) {
        if (causeName(err) !== 'ParameterNotFound') throw err;
        return {
          status: 'fail',
          detail: `${BOOTSTRAP_STACK_NAME} is ${stackStatus}, but there is no SSM parameter ${required.parameterName} in ${region} (bootstrapped with another qualifier, or an old bootstrap)`,
          fix: `run \`${bootstrap}\``,
        };
      }
      const wanted =
        required.minimumVersion !== undefined
          ? `, the template needs ${required.minimumVersion} or later (its CheckBootstrapVersion rule)`
          : ' (the template has no CheckBootstrapVersion rule)';
      if (!Number.isFinite(version)) {
        return { status: 'fail', detail: `${required.parameterName} in ${region} is not a version number`, fix: `run \`${bootstrap}\`` };
      }
      if (required.minimumVersion !== undefined && version < required.minimumVersion) {
        return {
          status: 'fail',
          detail: `bootstrap version ${version} in ${region}${wanted}`,
          fix: `run \`${bootstrap}\` with this project's CDK CLI to upgrade it`,
        };
      }
      return { status: 'pass', detail: `${BOOTSTRAP_STACK_NAME} ${stackStatus}, version ${version}${wanted}` };
    },
  };
}

import type { PreflightCheck } from './preflight-check.js';

/**
 * The credentials belong to the account the config deploys to. STS GetCallerIdentity answers for
 * any valid credentials: "No permissions are required to perform this operation"
 * (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html), so a failure
 * here is a credentials problem, which ends preflight (exit 2), or the network.
 */
export const accountCheck: PreflightCheck = {
  id: 'account',
  check: 'credentials account',
  permissions: ['sts:GetCallerIdentity'],
  async run({ env, session }) {
    const { STSClient, GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
    const sts = session.client('sts', env.region, (config) => new STSClient(config));
    const identity = await session.call('sts:GetCallerIdentity', (abortSignal) =>
      sts.send(new GetCallerIdentityCommand({}), { abortSignal }),
    );
    const who = identity.Arn ? ` (${identity.Arn})` : '';
    if (identity.Account === env.account)
      return { status: 'pass', detail: `the credentials are of account ${env.account}${who}, the config's` };
    return {
      status: 'fail',
      detail: `the credentials are of account ${identity.Account ?? '(none)'}${who}, but ${env.name} deploys to account ${env.account}`,
      fix: `use credentials of account ${env.account} (--profile or AWS_PROFILE), or correct "account" of ${env.name} in the config`,
    };
  },
};

import type { PreflightCheck } from './preflight-check.js';

/**
 * Where to ask AWS Support. A new account may have to be verified before it can create CloudFront
 * resources; no API says whether it is. The create then fails with "Your account must be verified
 * before you can add new CloudFront resources. To verify your account, please contact AWS Support"
 * (AccessDenied, reported e.g. in https://github.com/aws-samples/aws-cdk-examples/issues/279 and
 * https://github.com/sst/sst/issues/3704). AWS documents no such check; its CloudFront quotas page
 * sends what Service Quotas cannot change to a Support case
 * (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html).
 */
export const CLOUDFRONT_VERIFICATION_DOCS = 'https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html';
export const SUPPORT_CASE_URL = 'https://support.console.aws.amazon.com/support/home#/case/create';

/** A manual step: no API call, no permission. */
export const cloudFrontVerificationCheck: PreflightCheck = {
  id: 'cloudfront-verification',
  check: 'CloudFront account verification',
  permissions: [],
  async run({ env }) {
    return {
      status: 'manual',
      detail: `edge.enabled: account ${env.account} must be allowed to create CloudFront distributions; no API tells, and a new account's first distribution fails with "Your account must be verified before you can add new CloudFront resources"`,
      fix: `if the account has never created a distribution, open an AWS Support case (${SUPPORT_CASE_URL}) asking to verify it for CloudFront before the deploy; see ${CLOUDFRONT_VERIFICATION_DOCS}`,
    };
  },
};

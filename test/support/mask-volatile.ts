/**
 * Parts of a template that change without any change to the platform: asset hashes (any byte
 * of bundled handler code, or a library upgrade), the release ID (a hash of the launch template,
 * which holds the release asset's hash: `r` and 12 hex digits) and library version strings.
 *
 * Deliberately NOT masked, because a reviewer must see them: the bootstrap version rule
 * (`CheckBootstrapVersion`: it changes only when a library upgrade needs a newer bootstrap
 * stack, and deploys fail until every account is re-bootstrapped) and the runtime of CDK's
 * custom-resource handlers (`nodejs24.x`: a real change to a deployed function).
 * test/platform/review/snapshot-hygiene.test.ts checks the snapshots hold nothing machine-specific.
 */
export const VOLATILE = /[0-9a-f]{64}|\br[0-9a-f]{12}\b|"?aws-cdk-lib@?\d+\.\d+\.\d+"?/;

export function maskVolatile(text: string): string {
  return text
    .replace(/[0-9a-f]{64}/g, '[ASSET-HASH]')
    .replace(/\br[0-9a-f]{12}\b/g, '[RELEASE]')
    .replace(/aws-cdk-lib@\d+\.\d+\.\d+/g, 'aws-cdk-lib@[VERSION]');
}

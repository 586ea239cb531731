/**
 * Parts of a template that change without any change to the platform: asset hashes (any byte
 * of bundled handler code, or a library upgrade) and library version strings.
 */
export const VOLATILE = /[0-9a-f]{64}|"?aws-cdk-lib@?\d+\.\d+\.\d+"?/;

export function maskVolatile(text: string): string {
  return text.replace(/[0-9a-f]{64}/g, '[ASSET-HASH]').replace(/aws-cdk-lib@\d+\.\d+\.\d+/g, 'aws-cdk-lib@[VERSION]');
}

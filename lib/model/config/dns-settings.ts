import { z } from 'zod';
import { ALWAYS, matching, violation } from './schema-helpers';

/** A DNS name of lower-case labels (the zone's name, without the trailing dot). */
const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

export const dnsSettingsSchema = z
  .strictObject({
    hostedZoneId: matching(
      /^Z[A-Z0-9]{1,31}$/,
      'must be a Route 53 hosted zone ID ("Z" and up to 31 upper-case letters or digits)',
      'copy the ID from `aws route53 list-hosted-zones-by-name --dns-name <zone>`, e.g. "Z0123456789ABCDEFGHIJ".',
    )
      .optional()
      .describe(
        "Route 53 public hosted zone, in the stack's account, where the stack creates the edge's records. @default - no records: the stack outputs them (DnsRecordsToCreate) for you to create",
      ),
    zoneName: matching(
      DNS_NAME,
      'must be a DNS name such as "example.com" (lower case, no trailing dot)',
      'use the hosted zone\'s name, e.g. "example.com".',
    )
      .optional()
      .describe("The hosted zone's name; every record the stack creates must be within it. Required with hostedZoneId."),
  })
  .superRefine((dns, ctx) => {
    if ((dns.hostedZoneId === undefined) !== (dns.zoneName === undefined)) {
      const missing = dns.hostedZoneId === undefined ? 'hostedZoneId' : 'zoneName';
      violation(
        ctx,
        [missing],
        undefined,
        "hostedZoneId and zoneName go together (CloudFormation needs the ID; the records' names are checked against the name)",
        `set dns.${missing} too, or remove both.`,
      );
    }
  }, ALWAYS)
  .describe(
    'DNS for the edge: alias records for edge.originDomainName (to the ALB) and edge.domainNames (to CloudFront). A zone in another account cannot be written from this stack: leave these unset and create the output records there (docs/deploying.md, "DNS").',
  );

export type DnsSettings = z.output<typeof dnsSettingsSchema>;

/** Whether a record name lies in a zone: the apex or a name below it (a wildcard label counts as one). */
export function inZone(name: string, zoneName: string): boolean {
  return name === zoneName || name.endsWith(`.${zoneName}`);
}

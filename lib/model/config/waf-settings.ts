import { z } from 'zod';
import { int, logRetentionDays } from './schema-helpers';

export const wafSettingsSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Attach an AWS WAF web ACL to the ALB.'),
    rateLimitPerIp: int(10, 2_000_000_000)
      .default(2000)
      .describe('Requests one client IP may send in any 5-minute window before it gets the block response.'),
    blockResponse: z
      .strictObject({
        statusCode: int(200, 599).default(429).describe('Status of the rate-limit response.'),
        body: z
          .string()
          .max(4096)
          .default('{"error":"rate_limited","message":"Too many requests. Retry after a short wait."}')
          .describe('JSON body of the rate-limit response.'),
        retryAfterSeconds: int(1, 3600).default(60).describe('`Retry-After` header on the rate-limit response.'),
      })
      .prefault({})
      .describe('The consistent response a rate-limited client gets.'),
    logRetentionDays: logRetentionDays.default(365).describe('Retention of WAF logs (CloudWatch Logs).'),
    largeBodyPaths: z
      .array(
        z.string().regex(/^\/[\w\-./~]{0,199}$/, {
          message: 'must be a URI path prefix starting with "/", at most 200 characters, e.g. "/webhooks/"',
        }),
      )
      .max(10)
      .default([])
      .describe(
        'URI path prefixes (e.g. "/webhooks/", "/forms/upload") that may send request bodies over 8 KB. AWS\'s common rule set blocks every body over 8 KB with a 403 (its SizeRestrictions_BODY rule); for these prefixes both web ACLs let such a body through (the rule only counts it), for every other path they still block it. WAF inspects only the first 8 KB (ALB) or 16 KB (CloudFront) of any body, so the rest of a large body on these paths is not inspected (docs/failure-modes.md, "Request bodies over 8 KB").',
      ),
    edgeBackstop: z
      .strictObject({
        requestsPer5Minutes: int(10, 2_000_000_000)
          .optional()
          .describe(
            'Requests through CloudFront, all clients together, that the ALB takes in any 5 minutes before it sheds the rest with a JSON 503. @default - 2 x fleet.maxCapacity x fleet.requestsPerTarget x 5: twice what the fleet at its maximum is sized to serve',
          ),
        retryAfterSeconds: int(1, 3600).default(30).describe('`Retry-After` on the shed response.'),
      })
      .prefault({})
      .describe(
        "With CloudFront in front (edge.enabled), every request reaches the ALB from a CloudFront address, so a per-IP limit there would count edge servers, not clients; the per-client limit is the edge web ACL's, and the ALB's web ACL keeps this aggregate backstop instead.",
      ),
  })
  .describe(
    'AWS WAF on the ALB: a per-IP rate limit (behind CloudFront: an aggregate backstop), the AWS common and known-bad-inputs managed rule sets, logging.',
  );

/** The shed response of the edge backstop: the same JSON shape as the rate-limit response. */
export const EDGE_BACKSTOP_BODY = '{"error":"overloaded","message":"The service is busy. Retry after a short wait."}';

/** The backstop limit: configured, or twice what the fleet at maxCapacity is sized to serve in 5 minutes. */
export function edgeBackstopLimit(waf: WafSettings, fleet: { readonly maxCapacity: number; readonly requestsPerTarget: number }): number {
  return waf.edgeBackstop.requestsPer5Minutes ?? Math.min(2_000_000_000, 2 * fleet.maxCapacity * fleet.requestsPerTarget * 5);
}

export type WafSettings = z.output<typeof wafSettingsSchema>;
export type WafSettingsInput = z.input<typeof wafSettingsSchema>;

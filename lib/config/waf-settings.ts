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
  })
  .describe('AWS WAF on the ALB: a per-IP rate limit, the AWS common and known-bad-inputs managed rule sets, logging.');

export type WafSettings = z.output<typeof wafSettingsSchema>;
export type WafSettingsInput = z.input<typeof wafSettingsSchema>;

import { z } from 'zod';
import { ALWAYS, int, isNum, violation } from './schema-helpers';

const healthCheckSchema = z
  .strictObject({
    path: z
      .string()
      .regex(/^\/[\w\-./]*$/, { message: 'must be a URL path starting with "/"' })
      .default('/healthz')
      .describe(
        'Shallow health endpoint: the process is up and can serve. It must not call the DB or cache, so a dependency outage does not drain the whole fleet.',
      ),
    intervalSeconds: int(5, 300).default(10).describe('Seconds between health checks.'),
    timeoutSeconds: int(2, 120).default(5).describe('Seconds before a check counts as failed; must be less than intervalSeconds.'),
    healthyThresholdCount: int(2, 10).default(2).describe('Consecutive successes before a target is healthy.'),
    unhealthyThresholdCount: int(2, 10).default(3).describe('Consecutive failures before a target is unhealthy.'),
  })
  .superRefine((hc, ctx) => {
    if (isNum(hc.timeoutSeconds) && isNum(hc.intervalSeconds) && hc.timeoutSeconds >= hc.intervalSeconds) {
      violation(
        ctx,
        ['timeoutSeconds'],
        hc.timeoutSeconds,
        `must be less than intervalSeconds (${hc.intervalSeconds})`,
        'lower timeoutSeconds or raise intervalSeconds.',
      );
    }
  }, ALWAYS);

const maintenanceSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(false)
      .describe('Serve the fixed response below instead of forwarding to the fleet (the graceful-degradation switch).'),
    statusCode: int(200, 599).default(503).describe('HTTP status of the fixed response.'),
    contentType: z
      .enum(['text/plain', 'text/css', 'text/html', 'application/javascript', 'application/json'])
      .default('application/json')
      .describe('Content type of the fixed response.'),
    body: z
      .string()
      .max(1024)
      .default('{"error":"maintenance","message":"The service is temporarily degraded. Please retry shortly."}')
      .describe('Body of the fixed response (the ALB allows 1024 bytes).'),
    pathPatterns: z
      .array(z.string().regex(/^\/[\w\-./*?]*$/, { message: 'must be an ALB path pattern starting with "/"' }))
      .min(1)
      .max(5)
      .default(['/*'])
      .describe('Paths that get the fixed response, e.g. ["/api/reports/*"] to shed one expensive feature; ["/*"] for the whole site.'),
  })
  .describe('A listener rule, switched on through config, that answers with a fixed response.');

export const loadBalancerSettingsSchema = z
  .strictObject({
    certificateArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{36}$/, { message: 'must be an ACM certificate ARN' })
      .optional()
      .describe(
        "ACM certificate for HTTPS, in this environment's account and region. With it, port 80 redirects to 443; without it (dev), the ALB serves plain HTTP on port 80. @default - no certificate: HTTP only",
      ),
    idleTimeoutSeconds: int(1, 4000)
      .default(60)
      .describe('ALB idle timeout. The app keep-alive timeout must be longer (see app.keepAliveTimeoutSeconds).'),
    desyncMitigationMode: z
      .enum(['defensive', 'strictest'])
      .default('defensive')
      .describe(
        'HTTP desync (request smuggling) mitigation. `defensive` blocks ambiguous requests that are a known risk and keeps compatible clients working.',
      ),
    healthCheck: healthCheckSchema.prefault({}).describe('Target group health check.'),
    deregistrationDelaySeconds: int(0, 3600)
      .default(30)
      .describe('Connection draining on scale-in and deploys. Longer than the app request timeout, so in-flight requests finish.'),
    algorithm: z
      .enum(['least_outstanding_requests', 'round_robin'])
      .default('least_outstanding_requests')
      .describe(
        'Target group routing algorithm. Least outstanding requests sends work to the least busy target, so one slow instance or one expensive request does not queue others behind it.',
      ),
    slowStartSeconds: z
      .union([z.literal(0), int(30, 900)])
      .default(0)
      .describe(
        'Ramp-up time for a new target (0 = off). AWS only allows it with `round_robin`; with least outstanding requests, the instance warm-up and health-check grace period protect new instances instead.',
      ),
    maintenance: maintenanceSchema.prefault({}),
    accessLogRetentionDays: int(1, 3650).default(90).describe('Days before ALB access log objects expire.'),
    accessLogArchiveAfterDays: int(30, 3650).default(30).describe('Days before access logs move to infrequent-access storage.'),
  })
  .superRefine((lb, ctx) => {
    if (lb.algorithm === 'least_outstanding_requests' && isNum(lb.slowStartSeconds) && lb.slowStartSeconds > 0) {
      violation(
        ctx,
        ['slowStartSeconds'],
        lb.slowStartSeconds,
        'AWS rejects slow start on a target group that uses least_outstanding_requests (the deploy would fail)',
        'set slowStartSeconds to 0, or set algorithm to "round_robin".',
      );
    }
  }, ALWAYS)
  .describe('The internet-facing Application Load Balancer and its target group.');

export type LoadBalancerSettings = z.output<typeof loadBalancerSettingsSchema>;
export type LoadBalancerSettingsInput = z.input<typeof loadBalancerSettingsSchema>;

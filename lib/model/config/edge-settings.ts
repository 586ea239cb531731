import { z } from 'zod';
import { ALWAYS, int, logRetentionDays, violation } from './schema-helpers';

const DAY = 86_400;

export const contentClassSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,30}$/, { message: 'must be a short kebab-case name, e.g. "static"' })
      .describe('Name of the content class.'),
    pathPattern: z
      .string()
      .regex(/^\/[\w\-./*?]*$/, { message: 'must be a CloudFront path pattern starting with "/", e.g. "/static/*"' })
      .describe('CloudFront path pattern; exactly one class uses "/*" (the default behavior).'),
    cacheable: z.boolean().default(true).describe('Whether the edge may cache responses at all.'),
    edgeTtlSeconds: int(0, 365 * DAY).describe('How long CloudFront keeps a response (default and maximum TTL).'),
    appCacheTtlSeconds: int(0, 365 * DAY)
      .default(0)
      .describe('How long the app keeps this data in its own cache (ElastiCache) before reading the DB again.'),
    maxStalenessSeconds: int(0, 365 * DAY).describe('The oldest data a user may see: the app cache TTL plus the edge TTL must fit in it.'),
    staleWhileRevalidateSeconds: int(0, 365 * DAY)
      .default(0)
      .describe('`stale-while-revalidate`: serve the cached copy while refreshing it in the background.'),
    staleIfErrorSeconds: int(0, 365 * DAY)
      .default(0)
      .describe('`stale-if-error`: serve the cached copy when the origin fails.'),
    invalidation: z
      .enum(['versioned-urls', 'explicit-invalidation', 'expiry'])
      .default('expiry')
      .describe(
        'How new content reaches users: versioned URLs (new name per build), an explicit CloudFront invalidation on deploy, or waiting for the TTL.',
      ),
    queryStrings: z
      .union([z.enum(['none', 'all']), z.array(z.string()).min(1).max(10)])
      .default('none')
      .describe('Query strings in the cache key.'),
    headers: z.array(z.string()).max(10).default([]).describe('Headers in the cache key.'),
    cookies: z
      .union([z.enum(['none', 'all']), z.array(z.string()).min(1).max(10)])
      .default('none')
      .describe('Cookies in the cache key.'),
    compress: z.boolean().default(true).describe('Compress with gzip/brotli at the edge (and keep the encodings apart in the cache key).'),
    degradedFallback: z
      .boolean()
      .default(false)
      .describe(
        "When the ALB answers GET or HEAD with 500/502/503/504, serve the static degraded page instead (a 503 with Retry-After, from a Lambda@Edge origin-response function). Every method still reaches the origin; other methods get the origin's response.",
      ),
  })
  .describe('One content class of the freshness model.');

export type ContentClass = z.output<typeof contentClassSchema>;

export const DEFAULT_FRESHNESS: z.input<typeof contentClassSchema>[] = [
  {
    name: 'static',
    pathPattern: '/static/*',
    edgeTtlSeconds: 365 * DAY,
    maxStalenessSeconds: 365 * DAY,
    invalidation: 'versioned-urls',
    staleIfErrorSeconds: DAY,
  },
  {
    name: 'api',
    pathPattern: '/api/*',
    cacheable: false,
    edgeTtlSeconds: 0,
    appCacheTtlSeconds: 30,
    maxStalenessSeconds: 30,
    queryStrings: 'all',
  },
  // Paths that take POSTs from browsers and other services. A cacheable class forwards to the
  // origin only its cache key (pages: two query strings, no cookies, no headers), so a login form
  // or a webhook posted to a page path would arrive without its session cookie, CSRF token or
  // signature header. These classes are not cached, and every viewer header (but Host), cookie and
  // query string reaches the app (docs/architecture.md, "Forms and webhooks").
  {
    name: 'forms',
    pathPattern: '/forms/*',
    cacheable: false,
    edgeTtlSeconds: 0,
    maxStalenessSeconds: 0,
    queryStrings: 'all',
  },
  {
    name: 'webhooks',
    pathPattern: '/webhooks/*',
    cacheable: false,
    edgeTtlSeconds: 0,
    maxStalenessSeconds: 0,
    queryStrings: 'all',
  },
  {
    name: 'pages',
    pathPattern: '/*',
    edgeTtlSeconds: 60,
    appCacheTtlSeconds: 120,
    maxStalenessSeconds: 300,
    staleWhileRevalidateSeconds: 30,
    staleIfErrorSeconds: 600,
    invalidation: 'explicit-invalidation',
    queryStrings: ['page', 'lang'],
    degradedFallback: true,
  },
];

export const edgeSettingsSchema = z
  .strictObject({
    enabled: z.boolean().default(false).describe('Put a CloudFront distribution in front of the ALB (prod preset: on).'),
    priceClass: z.enum(['PriceClass_100', 'PriceClass_200', 'PriceClass_All']).default('PriceClass_100').describe('Edge locations used.'),
    originDomainName: z
      .string()
      .regex(/^([a-z0-9-]+\.)+[a-z]{2,}$/, { message: 'must be a DNS name' })
      .optional()
      .describe(
        "DNS name of the ALB covered by loadBalancer.certificateArn (CloudFront checks it over HTTPS); required with a certificate. @default - the ALB's own DNS name, over HTTP (no certificate)",
      ),
    domainNames: z
      .array(z.string().regex(/^([a-z0-9*-]+\.)+[a-z]{2,}$/, { message: 'must be a DNS name' }))
      .max(10)
      .default([])
      .describe('Domain names users reach the distribution by (alternate domain names).'),
    certificateArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate\/[0-9a-f-]{36}$/, {
        message: 'must be an ACM certificate ARN in us-east-1 (CloudFront only uses certificates from there)',
      })
      .optional()
      .describe(
        'ACM certificate (us-east-1) for domainNames; with it viewers get TLS 1.2+ via SNI. @default - the default *.cloudfront.net certificate',
      ),
    originReadTimeoutSeconds: int(1, 180)
      .default(45)
      .describe(
        'How long CloudFront waits for the ALB; longer than the app request timeout (invariant TC-7). Above 60 needs a quota increase.',
      ),
    originShield: z
      .strictObject({
        enabled: z
          .boolean()
          .default(false)
          .describe('Add Origin Shield: one more cache layer that collapses requests from all edge locations.'),
        region: z.string().optional().describe('Origin Shield region. @default - the stack region'),
      })
      .prefault({}),
    webAclArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:wafv2:us-east-1:\d{12}:global\/webacl\/.+$/, {
        message: 'must be a CLOUDFRONT-scope WAF web ACL ARN (us-east-1, "global/webacl/...")',
      })
      .optional()
      .describe('An existing CLOUDFRONT-scope web ACL. @default - one is created in the stack when it is in us-east-1'),
    errorCachingSeconds: int(0, 300)
      .default(10)
      .describe(
        "How long CloudFront caches an error or the degraded page (distribution-wide, per status), so a recovered origin is used again quickly; also the degraded page's Retry-After.",
      ),
    accessLogRetentionDays: int(1, 3650).default(90).describe('Days before CloudFront access logs expire.'),
    logRetentionDays: logRetentionDays
      .default(365)
      .describe(
        'Retention of the degraded-page function\'s log group in us-east-1 (the stack\'s own, when the stack is there). Lambda@Edge writes to a group of the same name in every Region where it runs; those it creates itself, without retention (docs/operations.md, "Lambda@Edge").',
      ),
    degradedPageHtml: z
      .string()
      .max(10_000)
      .default(
        '<!doctype html><html><head><meta charset="utf-8"><title>We will be right back</title></head><body><h1>We will be right back</h1><p>Part of the service is temporarily unavailable. Please try again in a few minutes.</p></body></html>',
      )
      .describe('The static page served when the origin fails.'),
    freshness: z
      .array(contentClassSchema)
      .min(1)
      .max(20)
      .prefault(DEFAULT_FRESHNESS)
      .describe('The freshness model: one entry per content class.'),
  })
  .superRefine((edge, ctx) => {
    if (Array.isArray(edge.domainNames) && edge.domainNames.length > 0 && !edge.certificateArn) {
      violation(
        ctx,
        ['certificateArn'],
        undefined,
        'required when domainNames are set: CloudFront needs a certificate for them',
        'set certificateArn to an ACM certificate in us-east-1 that covers the domain names, or remove domainNames.',
      );
    }
    const classes = Array.isArray(edge.freshness) ? edge.freshness : [];
    const defaults = classes.filter((c) => c?.pathPattern === '/*');
    if (classes.length > 0 && defaults.length !== 1) {
      violation(
        ctx,
        ['freshness'],
        classes.map((c) => c?.pathPattern),
        `needs exactly one class with pathPattern "/*" (the default behavior), found ${defaults.length}`,
        'give the catch-all class pathPattern "/*".',
      );
    }
    const seen = new Map<string, number>();
    classes.forEach((c, i) => {
      for (const key of ['name', 'pathPattern'] as const) {
        const value = c?.[key];
        if (typeof value !== 'string') continue;
        const tag = `${key}:${value}`;
        if (seen.has(tag))
          violation(ctx, ['freshness', i, key], value, `is also used by freshness[${seen.get(tag)}]`, `give each class its own ${key}.`);
        else seen.set(tag, i);
      }
      if (c && c.cacheable === false && c.degradedFallback) {
        violation(
          ctx,
          ['freshness', i, 'degradedFallback'],
          true,
          'a non-cacheable class (an API) cannot fall back to a static HTML page',
          'set degradedFallback to false; API clients get the error and retry.',
        );
      }
    });
  }, ALWAYS)
  .describe('CloudFront in front of the ALB: cache behaviors from the freshness model, origin protection, a static degraded-mode origin.');

export type EdgeSettings = z.output<typeof edgeSettingsSchema>;
export type EdgeSettingsInput = z.input<typeof edgeSettingsSchema>;

import { z } from 'zod';
import { int } from './schema-helpers';

/**
 * How the application on the fleet behaves at each hop. The platform writes these values to
 * `/etc/loadbearing/app.env` on every instance (and SSM), so the timeouts the invariants check
 * are the timeouts the app actually uses.
 */
export const appSettingsSchema = z
  .strictObject({
    port: int(1024, 65535).default(8080).describe('Port the app listens on; the only port the ALB may reach.'),
    keepAliveTimeoutSeconds: int(1, 4100)
      .default(75)
      .describe('App (HTTP server) keep-alive timeout. Longer than the ALB idle timeout, so the ALB, not the app, closes idle connections (otherwise: sporadic 502s).'),
    requestTimeoutSeconds: int(1, 3600).default(30).describe('Upper bound on handling one request in the app, including all downstream calls.'),
    dbPoolSize: int(1, 500).default(10).describe('Writer connections per instance (the app pool size).'),
    dbReaderPoolSize: int(0, 500).default(10).describe('Reader connections per instance, spread over the read replicas.'),
    cacheTimeoutMs: int(1, 60_000).default(250).describe('Cache client command timeout in ms. A slow cache must fail fast and fall back to the DB.'),
    cacheConnectionsPerInstance: int(1, 1000).default(8).describe('Cache client connections per instance; sizes the cache-connections alarm.'),
    retryMaxAttempts: int(1, 10).default(3).describe('Attempts per downstream call (DB, cache, APIs), with exponential backoff and full jitter.'),
    retryBaseDelayMs: int(1, 10_000).default(50).describe('First retry backoff in ms; doubles per attempt, randomized (full jitter).'),
    retryMaxDelayMs: int(1, 60_000).default(1000).describe('Cap on one retry backoff in ms.'),
    retryBudgetPercent: int(0, 100)
      .default(10)
      .describe('Retries allowed as a % of first attempts (a token bucket): during an outage retries add at most this much load.'),
    shedPoolWaitMs: int(1, 3_600_000)
      .default(500)
      .describe('Load shedding: while the oldest request waiting for a DB connection has waited longer than this, new requests get 503 + Retry-After at once. A request already queued gives up after twice this (at most the request timeout, TC-8).'),
    shedQueueLength: int(1, 100_000)
      .default(64)
      .describe('Load shedding: while more requests than this wait for a writer connection, new requests get 503 + Retry-After at once.'),
    shedEventLoopLagMs: int(1, 60_000).default(200).describe('Load shedding: above this event-loop lag, new requests get 503 + Retry-After.'),
    idempotencyRetentionHours: int(1, 8760).default(24).describe('How long an Idempotency-Key and its stored answer are kept; a replay after that is a new request.'),
  })
  .describe('Settings the platform hands to the application: ports, timeouts, pool sizes, retries.');

export type AppSettings = z.output<typeof appSettingsSchema>;
export type AppSettingsInput = z.input<typeof appSettingsSchema>;

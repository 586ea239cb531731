/**
 * How long one client connection may stall before the service closes it, from the contract's
 * two timeouts. The service applies these (service/src/server.ts) and the timeout-chain
 * invariant TC-10 checks them (lib/model/invariants/timeout-chain.ts): one function, so both
 * see the same numbers.
 *
 * Node.js (18 and later) measures the headers timeout and the request timeout from the start of
 * each request, and a connection's first request from the moment it was accepted; it checks them
 * every `connectionsCheckingInterval` (30 s by default, settable only when the server is created),
 * and it requires headersTimeout <= requestTimeout (when set later, the larger one applies to
 * both; https://nodejs.org/api/http.html#serverheaderstimeout). The keep-alive timeout is a
 * socket timer of its own between requests, so none of these needs to exceed it any more (Node 16
 * and earlier ran the headers timer across keep-alive requests, hence the old "headersTimeout
 * above keepAliveTimeout" advice). Node 22 adds `keepAliveTimeoutBuffer` (1 s by default) to the
 * keep-alive timeout; the service sets it to 0, so an idle connection closes at the configured
 * keep-alive timeout. The socket timeout (`server.timeout`) bounds a connection that makes no
 * progress at all: a client that stops reading its answer, or stops sending mid-request. Node
 * lets it pass once when a write was still progressing since the timer started, so a client that
 * stops reading in the middle of a large answer is closed between one and two of these after its
 * last progress.
 */

/** How often Node checks the headers and request timeouts: the most they can be late. */
export const CONNECTIONS_CHECK_INTERVAL_MS = 1000;

/** A connection with no progress for the request timeout plus this is closed (the handler answers by the request timeout). */
export const STALLED_MARGIN_MS = 1000;

export interface ConnectionBounds {
  /** The headers of a request must arrive within this, counted from the request's first byte (a new connection: from accept). */
  readonly headersMs: number;
  /** The whole request (headers and body) must arrive within this. */
  readonly requestMs: number;
  /** An idle keep-alive connection is closed after this (the ALB closes its side first: TC-1). */
  readonly keepAliveMs: number;
  /** A connection that neither sends nor reads anything for this long (twice this if a write was still progressing) is closed: slow readers, stalled uploads. */
  readonly stalledMs: number;
  /** The headers and request bounds are checked this often: each may be late by up to this. */
  readonly checkIntervalMs: number;
}

/** The bounds of one connection from `APP_REQUEST_TIMEOUT_MS` and `APP_KEEPALIVE_TIMEOUT_MS`. */
export function connectionBounds(requestTimeoutMs: number, keepAliveTimeoutMs: number): ConnectionBounds {
  return {
    headersMs: requestTimeoutMs,
    requestMs: requestTimeoutMs,
    keepAliveMs: keepAliveTimeoutMs,
    stalledMs: requestTimeoutMs + STALLED_MARGIN_MS,
    checkIntervalMs: CONNECTIONS_CHECK_INTERVAL_MS,
  };
}

/** The longest a stalled connection stays open: the headers or request bound plus the checking interval, or twice the stalled bound. */
export function longestStallMs(b: ConnectionBounds): number {
  return Math.max(b.headersMs + b.checkIntervalMs, b.requestMs + b.checkIntervalMs, 2 * b.stalledMs);
}

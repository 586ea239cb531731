/** Overall deadline when --timeout is not given. */
export const DEFAULT_TIMEOUT_MS = 60_000;
/** Per-call limits; both are also capped by the overall deadline. */
export const CONNECTION_TIMEOUT_MS = 3_000;
export const REQUEST_TIMEOUT_MS = 10_000;

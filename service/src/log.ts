import pino from 'pino';

/** Structured JSON logs on stdout (one object per line); the request ID is bound per request. */
export function createLogger(stack: string) {
  return pino({ base: { service: 'loadbearing-service', stack }, timestamp: pino.stdTimeFunctions.isoTime, messageKey: 'message' });
}

export type Logger = ReturnType<typeof createLogger>;

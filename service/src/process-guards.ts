import type { Logger } from './log';

/**
 * The last line of defence: an error that escaped every handler (thrown in a timer or an event
 * listener, a promise rejected with nobody listening) is logged at error level with its stack,
 * and the process keeps serving. Node's default is to exit, which would drop every in-flight
 * request of this worker for one bad request; every request's own errors are handled long
 * before this (server.ts answers them as JSON), so what reaches here is a bug to fix, not a
 * state to crash on.
 */
export function guardProcess(log: Pick<Logger, 'error'>): void {
  process.on('uncaughtException', (error, origin) => {
    log.error({ err: error.message, stack: error.stack, origin }, 'an error escaped every handler; logged, still serving');
  });
  process.on('unhandledRejection', (reason) => {
    const error = reason instanceof Error ? reason : new Error(String(reason));
    log.error(
      { err: error.message, stack: error.stack, origin: 'unhandledRejection' },
      'an error escaped every handler; logged, still serving',
    );
  });
}

/** One overall deadline for a command: an AbortSignal that fires after `ms`. */
export interface Deadline {
  readonly signal: AbortSignal;
  dispose(): void;
}

export function startDeadline(ms: number, reason: () => Error): Deadline {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(reason()), ms);
  return { signal: controller.signal, dispose: () => clearTimeout(timer) };
}

/**
 * Settles with `promise`, or rejects with the signal's reason as soon as it aborts, even
 * if the promise never settles (a mocked or stuck call). A late rejection is swallowed.
 */
export function raceAbort<T>(call: T | PromiseLike<T>, signal: AbortSignal): Promise<T> {
  const promise = Promise.resolve(call);
  promise.catch(() => undefined);
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

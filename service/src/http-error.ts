import { errorBody, type ErrorBody, type ErrorCode } from '@loadbearing/contract';

/** An error that is answered as-is: a status and the platform's one error shape. */
export class HttpError extends Error {
  constructor(
    public readonly status: number,
    public readonly code: ErrorCode,
    message: string,
    public readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }

  get body(): ErrorBody {
    return errorBody(this.code, this.message);
  }
}

/** Load shedding's answer: 503, `Retry-After`, the error shape; built before any work is done. */
export function overloaded(reason: string): HttpError {
  return new HttpError(503, 'overloaded', `The service is overloaded (${reason}). Retry after a short wait.`, { 'retry-after': '1' });
}

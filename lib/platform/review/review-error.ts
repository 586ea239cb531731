/**
 * A mistake in how the review was asked for (a bad option, a missing ref or directory) or a
 * synth that failed. The CLI prints the message and the fix, without a stack trace, and exits 2.
 */
export class ReviewError extends Error {
  /** How to fix it, one sentence. */
  public readonly fix: string;
  /** Extra lines worth showing, e.g. the output of a failed synth. */
  public readonly details: readonly string[];

  constructor(message: string, fix: string, details: readonly string[] = []) {
    super(message);
    this.name = 'ReviewError';
    this.fix = fix;
    this.details = details;
  }
}

export function isReviewError(e: unknown): e is ReviewError {
  return e instanceof Error && e.name === 'ReviewError' && typeof (e as ReviewError).fix === 'string';
}

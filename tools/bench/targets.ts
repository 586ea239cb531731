/** One performance target with its measured value and verdict. */
export interface TargetResult {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
}

/** `value <= limit` (or `<`) as a TargetResult, with the value in seconds. */
export function secondsTarget(target: string, seconds: number | undefined, limit: number, strict = false): TargetResult {
  if (seconds === undefined) return { target, measured: 'not measured', met: false };
  return { target, measured: `${seconds.toFixed(2)} s`, met: strict ? seconds < limit : seconds <= limit };
}

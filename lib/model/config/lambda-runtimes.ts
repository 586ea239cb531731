/**
 * The Lambda runtimes the platform's stacks pin, with the dates AWS Lambda stops supporting them.
 *
 * Lambda deprecates a runtime in stages: after the deprecation date it no longer patches it;
 * from "block function create" CreateFunction refuses it, so the first create of a stack (and
 * any replacement of the function) fails; from "block function update" so does every update of
 * the function's code or configuration
 * (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html#runtime-support-policy).
 * A stack create takes 45-75 minutes here (docs/deploying.md) and the function comes late in
 * it, so a blocked runtime fails a deploy long after it started, from nowhere in this repository.
 *
 * test/model/config/lambda-runtimes.test.ts is the tripwire: it fails when a pinned runtime is within
 * {@link RUNTIME_TRIPWIRE_DAYS} of its block-create date, and when a synthesized template uses
 * a runtime this table does not list. AWS does move dates (two versions of the Node.js page give
 * nodejs20.x's block-create as 2026-06-01 and as 2026-08-31): when it does, update the row from
 * the pages it cites.
 */

/** One Lambda runtime a stack uses, and AWS's dates for it (ISO dates, UTC). */
export interface LambdaRuntimeSupport {
  /** The runtime identifier, as in the template's `Runtime`. */
  readonly runtime: string;
  /** After it Lambda no longer patches the runtime. */
  readonly deprecation: string;
  /** From it Lambda refuses to create a function with the runtime. */
  readonly blockCreate: string;
  /** From it Lambda refuses to update such a function. */
  readonly blockUpdate: string;
  /** Where the dates come from. */
  readonly source: string;
  /** Which functions of the stacks run on it. */
  readonly usedBy: readonly string[];
}

/**
 * The dates are AWS's, from the Lambda developer guide: the runtimes page (lambda-runtimes.html,
 * "Supported runtimes") and the Node.js page (lambda-nodejs.html), whose table of the Node.js
 * runtimes has these rows (Name, Identifier, Operating system, Deprecation date, Block function
 * create, Block function update); read on 2026-12-07.
 */
export const LAMBDA_RUNTIMES: readonly LambdaRuntimeSupport[] = [
  {
    runtime: 'nodejs24.x',
    deprecation: '2028-04-30',
    blockCreate: '2028-06-01',
    blockUpdate: '2028-07-01',
    source:
      'https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html#runtimes-supported; row "Node.js 24, nodejs24.x, Amazon Linux 2023, Apr 30, 2028, Jun 1, 2028, Jul 1, 2028" of https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html',
    usedBy: [
      'the secret rotation functions (constructs/secret-rotation.ts, ROTATION_RUNTIME)',
      'the rollback guard (constructs/rollback-guard.ts)',
      'the canary of every environment (constructs/canary.ts, CANARY_RUNTIME)',
      "CDK's custom-resource providers (Custom::VpcRestrictDefaultSG; Custom::S3AutoDeleteObjects in destroyable stacks): aws-cdk-lib chooses it",
    ],
  },
  {
    runtime: 'nodejs22.x',
    deprecation: '2027-04-30',
    blockCreate: '2027-06-01',
    blockUpdate: '2027-07-01',
    source:
      'https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html#runtimes-supported; row "Node.js 22, nodejs22.x, Amazon Linux 2023, Apr 30, 2027, Jun 1, 2027, Jul 1, 2027" of https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html',
    usedBy: [
      'the degraded-page Lambda@Edge function (constructs/edge.ts): Lambda@Edge support for nodejs24.x was not confirmed in the CloudFront docs read on 2026-12-07',
    ],
  },
];

/** How long before a runtime's block-create date the tripwire goes red: time to move a function to a newer runtime and ship it. */
export const RUNTIME_TRIPWIRE_DAYS = 120;

/** A pinned runtime too close to (or past) the day Lambda stops creating functions with it. */
export interface ExpiringRuntime {
  readonly runtime: string;
  readonly blockCreate: string;
  /** Whole days from `now` to the block-create date; 0 or less once it has passed. */
  readonly daysLeft: number;
  readonly usedBy: readonly string[];
}

const DAY_MS = 86_400_000;

/** Midnight UTC of an ISO date (`2027-06-01`). */
export function utcDay(iso: string): number {
  const ms = Date.parse(`${iso}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(iso) || Number.isNaN(ms)) throw new Error(`not an ISO date: ${iso}`);
  return ms;
}

/**
 * The runtimes of `table` whose block-create date is `withinDays` or fewer days after `now`
 * (counted in whole UTC days), or already past. `now` is a parameter so the tripwire can be
 * tested on fixed dates; the test that guards the stacks passes the real date.
 */
export function runtimesNearBlockCreate(
  now: Date,
  table: readonly LambdaRuntimeSupport[] = LAMBDA_RUNTIMES,
  withinDays = RUNTIME_TRIPWIRE_DAYS,
): ExpiringRuntime[] {
  const today = Math.floor(now.getTime() / DAY_MS) * DAY_MS;
  return table
    .map((r) => ({
      runtime: r.runtime,
      blockCreate: r.blockCreate,
      daysLeft: Math.round((utcDay(r.blockCreate) - today) / DAY_MS),
      usedBy: r.usedBy,
    }))
    .filter((r) => r.daysLeft <= withinDays);
}

/** The row of a runtime, if the table has it. */
export function lambdaRuntimeSupport(
  runtime: string,
  table: readonly LambdaRuntimeSupport[] = LAMBDA_RUNTIMES,
): LambdaRuntimeSupport | undefined {
  return table.find((r) => r.runtime === runtime);
}

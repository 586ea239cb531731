import type { EnvironmentConfig } from '../model/config/environment-schema';
import type { PreflightSession } from './preflight-session.js';
import type { SynthesizedTemplate } from './synthesized-template.js';

/**
 * `pass` and `fail` are answers; `unknown` means preflight could not find out (an API error, the
 * deadline, a template value it cannot read); `manual` is a step no API can check, printed with
 * its documentation. Only `pass` and `manual` let the command exit 0.
 */
export type PreflightStatus = 'pass' | 'fail' | 'unknown' | 'manual';

export interface PreflightRow {
  /** Stable key, e.g. `bootstrap-us-east-1`. */
  readonly id: string;
  /** What is checked, in a few words. */
  readonly check: string;
  readonly status: PreflightStatus;
  /** What was found (for vCPU rows: the whole arithmetic). */
  readonly detail: string;
  /** What to do; absent on `pass`. */
  readonly fix?: string;
}

/** What a check sees: the environment, its synthesized template and the AWS session. */
export interface PreflightContext {
  readonly env: EnvironmentConfig;
  readonly template: SynthesizedTemplate;
  readonly session: PreflightSession;
}

/** The verdict of one check; the runner adds its id and name. */
export type PreflightVerdict = Omit<PreflightRow, 'id' | 'check'>;

/**
 * One item of a check that judges several (a subnet, a route table, an endpoint): a row of its
 * own, with the id `<check id>:<key>` and the config field it comes from as its CHECK column.
 */
export interface PreflightItemVerdict extends PreflightVerdict {
  /** Unique within the check, e.g. `app.eu-west-1a`. */
  readonly key: string;
  /** The config field, e.g. `network.existingVpc.subnets.app.eu-west-1a`. */
  readonly field: string;
}

/** What a check returns: one verdict, or one row per item (e.g. each failing subnet). */
export type PreflightOutcome = PreflightVerdict | { readonly items: readonly PreflightItemVerdict[] };

/** One row of `loadbearing preflight`. */
export interface PreflightCheck {
  readonly id: string;
  readonly check: string;
  /** The IAM actions its calls need (the docs list their union). */
  readonly permissions: readonly string[];
  /**
   * Makes the check's read-only calls through `ctx.session` and judges them. An error it throws
   * becomes an `unknown` row (with the action of the call that failed), except a credentials
   * error, which ends the command (exit 2).
   */
  run(ctx: PreflightContext): Promise<PreflightOutcome>;
}

import { z } from 'zod';
import type { RuleParams } from './config-error';

/** Adds a hand-written rule violation with the value and a fix, at a path relative to the refined object. */
export function violation(ctx: z.RefinementCtx, path: (string | number)[], value: unknown, rule: string, fix: string): void {
  const params: RuleParams = { value, fix };
  ctx.addIssue({ code: 'custom', path, message: rule, params, input: value });
}

/**
 * Cross-field rules run even when another field already failed (zod skips them by default),
 * so a user sees every problem at once; only the object itself must be an object. Such rules
 * must check the types of the fields they compare.
 */
export const ALWAYS = {
  when: (payload: { value: unknown }) => typeof payload.value === 'object' && payload.value !== null && !Array.isArray(payload.value),
} as const;

export function isNum(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** A string matching a pattern, with a rule and a fix for the error message. */
export function matching(pattern: RegExp, rule: string, fix: string) {
  return z.string().superRefine((value, ctx) => {
    if (!pattern.test(value)) violation(ctx, [], value, rule, fix);
  });
}

/** An integer within bounds. */
export function int(min: number, max: number): z.ZodNumber {
  return z.number().int().min(min).max(max);
}

/**
 * CloudWatch Logs retention values (days) that the API accepts
 * (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html),
 * from one year on: the Control Tower control CT.CLOUDWATCH.PR.2 that the policy gate runs refuses
 * less, so the schema does too (docs/configuration.md, "AWS limits").
 */
export const LOG_RETENTION_DAYS = [365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

export const logRetentionDays = z
  .number()
  .superRefine((days, ctx) => {
    if (!(LOG_RETENTION_DAYS as readonly number[]).includes(days)) {
      violation(
        ctx,
        [],
        days,
        `must be a CloudWatch Logs retention of a year or more (the Control Tower minimum): one of ${LOG_RETENTION_DAYS.join(', ')}`,
        `use ${LOG_RETENTION_DAYS.find((d) => d >= days) ?? 3653} or another value from that list.`,
      );
    }
  })
  .describe(
    `Log retention in days; one of ${LOG_RETENTION_DAYS.join(', ')} (CloudWatch Logs values of a year or more: the Control Tower minimum).`,
  );

const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** An IPv4 CIDR block with a prefix length in [minPrefix, maxPrefix]. */
export function ipv4Cidr(minPrefix: number, maxPrefix: number) {
  return z.string().superRefine((value, ctx) => {
    const m = CIDR.exec(value);
    const octets = m ? m.slice(1, 5).map(Number) : [];
    if (!m || octets.some((o) => o > 255)) {
      violation(
        ctx,
        [],
        value,
        'must be an IPv4 CIDR block like "10.0.0.0/16"',
        'write four octets (0-255) and a prefix length, e.g. "10.20.0.0/16".',
      );
      return;
    }
    const prefix = Number(m[5]);
    if (prefix < minPrefix || prefix > maxPrefix) {
      violation(
        ctx,
        [],
        value,
        `the prefix length must be between /${minPrefix} and /${maxPrefix}`,
        `use a /${minPrefix} to /${maxPrefix} block, e.g. "10.0.0.0/16".`,
      );
      return;
    }
    const address = octets.reduce((acc, o) => acc * 256 + o, 0);
    if (address % 2 ** (32 - prefix) !== 0) {
      violation(
        ctx,
        [],
        value,
        'host bits are set: the address is not the start of its block',
        `use the network address of the block (the address with the last ${32 - prefix} bits zero).`,
      );
    }
  });
}

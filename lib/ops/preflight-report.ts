import { ExitCode } from './command.js';
import type { PreflightRow, PreflightStatus } from './preflight-check.js';
import { alignColumns } from './text-format.js';

/** `loadbearing preflight --json`: fields are only ever added. */
export interface PreflightReport {
  readonly environment: string;
  readonly stack: string;
  readonly account: string;
  readonly region: string;
  /** The synthesized template the checks read. */
  readonly template: string;
  readonly result: 'pass' | 'fail';
  readonly exitCode: number;
  readonly summary: Readonly<Record<PreflightStatus, number>>;
  readonly rows: readonly PreflightRow[];
  /** Checks that did not run, and why (after a wrong account); null when all ran. */
  readonly notRun: { readonly checks: readonly string[]; readonly reason: string } | null;
}

export interface PreflightReportInput {
  readonly environment: string;
  readonly stack: string;
  readonly account: string;
  readonly region: string;
  readonly template: string;
  readonly rows: readonly PreflightRow[];
  readonly notRun?: PreflightReport['notRun'];
}

/** Exit 0 when every row passed (manual rows do not count against it) and every check ran, else 1. */
export function preflightReport(input: PreflightReportInput): PreflightReport {
  const summary: Record<PreflightStatus, number> = { pass: 0, fail: 0, unknown: 0, manual: 0 };
  for (const row of input.rows) summary[row.status]++;
  const notRun = input.notRun && input.notRun.checks.length > 0 ? input.notRun : null;
  const ok = summary.fail === 0 && summary.unknown === 0 && notRun === null;
  return { ...input, result: ok ? 'pass' : 'fail', exitCode: ok ? ExitCode.Ok : ExitCode.Alarm, summary, rows: input.rows, notRun };
}

/** The last line: all passed, or which rows did not. */
export function preflightVerdict(report: PreflightReport): string {
  const manual = report.rows.filter((r) => r.status === 'manual').map((r) => r.id);
  const todo = manual.length > 0 ? `; by hand: ${manual.join(', ')}` : '';
  if (report.result === 'pass') return `PASS: all ${report.summary.pass} checks passed${todo}`;
  const failed = report.rows.filter((r) => r.status === 'fail').map((r) => r.id);
  const unknown = report.rows.filter((r) => r.status === 'unknown').map((r) => r.id);
  return (
    [
      'FAIL:',
      [
        ...(failed.length > 0 ? [`${failed.length} failed (${failed.join(', ')})`] : []),
        ...(unknown.length > 0 ? [`${unknown.length} unknown (${unknown.join(', ')})`] : []),
        ...(report.notRun ? [`${report.notRun.checks.length} not run (${report.notRun.checks.join(', ')})`] : []),
      ].join(', '),
    ].join(' ') + todo
  );
}

/** The text table: one row per check, its fix on the line below, then the verdict. */
export function renderPreflightText(report: PreflightReport): string {
  const lines = alignColumns([['STATUS', 'CHECK', 'DETAIL'], ...report.rows.map((r) => [r.status, r.check, r.detail])]);
  const indent = ' '.repeat(lines[0]!.indexOf('DETAIL'));
  const body = lines.flatMap((line, i) => {
    const row = report.rows[i - 1];
    return row?.fix ? [line, `${indent}fix: ${row.fix}`] : [line];
  });
  return [
    `preflight ${report.stack} (${report.environment}): account ${report.account}, ${report.region}, template ${report.template}`,
    '',
    ...body,
    ...(report.notRun ? ['', `not run: ${report.notRun.checks.join(', ')}: ${report.notRun.reason}`] : []),
    '',
    preflightVerdict(report),
    '',
  ].join('\n');
}

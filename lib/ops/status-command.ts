import { COMPONENTS } from './alarm-naming.js';
import { discoverAlarms, type AlarmState, type OpsAlarm } from './alarm-discovery.js';
import { ExitCode, writeLine, type Command } from './command.js';
import { formatAge } from './duration.js';
import { alignColumns, isoSeconds, truncate } from './text-format.js';

/** Counts of alarms by state. */
export interface StatusSummary {
  total: number;
  ok: number;
  alarm: number;
  insufficientData: number;
}

/** One alarm in `--json` output (status and gate). */
export interface AlarmJson {
  name: string;
  type: OpsAlarm['type'];
  component: OpsAlarm['component'];
  signal: string;
  severity: OpsAlarm['severity'];
  state: AlarmState;
  stateReason: string;
  /** ISO 8601, or null when CloudWatch did not say. */
  stateUpdatedAt: string | null;
}

/** `status --json` output. */
export interface StatusJson {
  stack: string;
  prefix: string;
  generatedAt: string;
  exitCode: number;
  summary: StatusSummary;
  /** In request-path order (cdn, alb, fleet, db, cache, service, other), then by name. */
  alarms: AlarmJson[];
}

export function summarize(alarms: readonly OpsAlarm[]): StatusSummary {
  const count = (state: AlarmState) => alarms.filter((a) => a.state === state).length;
  return { total: alarms.length, ok: count('OK'), alarm: count('ALARM'), insufficientData: count('INSUFFICIENT_DATA') };
}

/** 1 when any alarm is in ALARM; INSUFFICIENT_DATA alone does not fail (it means "no recent data"). */
export function statusExitCode(alarms: readonly OpsAlarm[]): number {
  return alarms.some((a) => a.state === 'ALARM') ? ExitCode.Alarm : ExitCode.Ok;
}

export function alarmToJson(alarm: OpsAlarm): AlarmJson {
  return {
    name: alarm.name,
    type: alarm.type,
    component: alarm.component,
    signal: alarm.signal,
    severity: alarm.severity,
    state: alarm.state,
    stateReason: alarm.stateReason,
    stateUpdatedAt: alarm.stateUpdatedAt ? alarm.stateUpdatedAt.toISOString() : null,
  };
}

/** Reason column width when the output is not a terminal. */
export const REASON_WIDTH = 100;

/** The status table: a summary line, then one block per component in request-path order. */
export function renderStatus(stack: string, alarms: readonly OpsAlarm[], nowMs: number, columns?: number): string {
  const summary = summarize(alarms);
  const rows: string[][] = [];
  const headers = new Map<number, string>();
  for (const component of [...COMPONENTS, 'other' as const]) {
    const group = alarms.filter((a) => a.component === component);
    if (group.length === 0) continue;
    headers.set(rows.length, component);
    for (const a of group) {
      const since = a.stateUpdatedAt ? `${formatAge(a.stateUpdatedAt.getTime(), nowMs)} (${isoSeconds(a.stateUpdatedAt)})` : '-';
      rows.push([a.state, a.severity, a.name, since, a.stateReason]);
    }
  }
  const aligned = alignColumns(rows.map((r) => r.slice(0, 4)));
  const reasonWidth = columns ? Math.max(30, columns - 2 - aligned[0]!.length - 2) : REASON_WIDTH;
  const lines = [
    `${stack}: ${summary.total} alarms: ${summary.alarm} ALARM, ${summary.ok} OK, ${summary.insufficientData} INSUFFICIENT_DATA`,
  ];
  aligned.forEach((line, i) => {
    const header = headers.get(i);
    if (header) lines.push('', header);
    lines.push(`  ${line}  ${truncate(rows[i]![4]!, reasonWidth)}`.trimEnd());
  });
  if (summary.insufficientData > 0) {
    lines.push(
      '',
      `note: ${summary.insufficientData} alarm(s) in INSUFFICIENT_DATA: not enough recent datapoints to evaluate ` +
        '(normal for new or idle resources); this does not change the exit code.',
    );
  }
  return `${lines.join('\n')}\n`;
}

export const statusCommand: Command = {
  name: 'status',
  summary: 'Current state of every alarm of the stack, grouped by component',
  usage: '--env <name> [-c configFile=<file.json>] [--json] [options]',
  details: [
    'Prints one line per alarm: state, severity, name, since when (age and ISO time) and',
    'the state reason (shortened; --json has it in full).',
    '',
    'Exit codes: 0 no alarm in ALARM (INSUFFICIENT_DATA alone is 0, with a note),',
    '            1 any alarm in ALARM, 2 usage, credential, access, network or deadline error.',
  ].join('\n'),
  verdict: 'an alarm of the stack is in ALARM',
  options: {},
  prepare: () => ({
    async run(ctx) {
      const alarms = await discoverAlarms(ctx.cw, ctx.prefix);
      const exitCode = statusExitCode(alarms);
      if (ctx.json) {
        const json: StatusJson = {
          stack: ctx.stack,
          prefix: ctx.prefix,
          generatedAt: new Date(ctx.clock.now()).toISOString(),
          exitCode,
          summary: summarize(alarms),
          alarms: alarms.map(alarmToJson),
        };
        writeLine(ctx.stdout, JSON.stringify(json, null, 2));
      } else {
        ctx.stdout.write(renderStatus(ctx.stack, alarms, ctx.clock.now(), ctx.stdout.isTTY ? ctx.stdout.columns : undefined));
      }
      return exitCode;
    },
  }),
};

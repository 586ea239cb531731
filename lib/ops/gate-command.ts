import { discoverAlarms, type OpsAlarm } from './alarm-discovery.js';
import { ExitCode, writeLine, type Command, type CommandContext, type OptionValues } from './command.js';
import { formatAge, formatDuration, parseDuration } from './duration.js';
import { UsageError } from './errors.js';
import { DURATION_HELP } from './help.js';
import { ProgressLine } from './progress-line.js';
import { alarmToJson, summarize, type AlarmJson } from './status-command.js';

export const DEFAULT_INTERVAL_MS = 30_000;
export const MIN_INTERVAL_MS = 1_000;
/** Off a terminal, a plain progress line is printed at most this often. */
export const PLAIN_PROGRESS_EVERY_MS = 30_000;

export interface GateOptions {
  readonly bakeMs: number;
  readonly intervalMs: number;
}

/** `gate --json` output. */
export interface GateJson {
  stack: string;
  prefix: string;
  result: 'pass' | 'fail';
  exitCode: number;
  bakeSeconds: number;
  intervalSeconds: number;
  elapsedSeconds: number;
  /** Polls made, each ceil(alarms / 100) DescribeAlarms calls. */
  checks: number;
  /** Critical alarms in ALARM at the check that failed the gate; empty on pass. */
  failedOn: AlarmJson[];
  /** Warning alarms seen in ALARM during the bake (as last seen in ALARM). */
  warnings: AlarmJson[];
}

export function parseGateOptions(values: OptionValues): GateOptions {
  if (typeof values.bake !== 'string') throw new UsageError('missing --bake <duration>, e.g. --bake 10m; see: loadbearing gate --help');
  const bakeMs = parseDuration(values.bake, '--bake');
  if (typeof values.interval !== 'string') return { bakeMs, intervalMs: Math.min(DEFAULT_INTERVAL_MS, bakeMs) };
  const intervalMs = parseDuration(values.interval, '--interval');
  if (intervalMs < MIN_INTERVAL_MS) throw new UsageError(`--interval (${values.interval}) must be at least 1s`);
  if (intervalMs > bakeMs) throw new UsageError(`--interval (${values.interval}) must not be longer than --bake (${values.bake})`);
  return { bakeMs, intervalMs };
}

/**
 * Checks the alarms at the start and every interval (scheduled from the start) until the
 * bake time is over, with a last check at its end: ceil(bake / interval) + 1 checks.
 * Returns 1 at the first check that finds a critical alarm in ALARM, 0 after a clean bake.
 */
export async function runGate(ctx: CommandContext, options: GateOptions): Promise<number> {
  const { clock } = ctx;
  const text = ctx.json ? ctx.stderr : ctx.stdout;
  const progress = new ProgressLine(ctx.stderr, clock, PLAIN_PROGRESS_EVERY_MS);
  const bake = formatDuration(options.bakeMs);
  const warnings = new Map<string, OpsAlarm>();
  const start = clock.now();
  let checks = 0;
  const finish = (result: GateJson['result'], failedOn: OpsAlarm[], elapsedMs: number): number => {
    const exitCode = result === 'pass' ? ExitCode.Ok : ExitCode.Alarm;
    if (ctx.json) {
      const json: GateJson = {
        stack: ctx.stack,
        prefix: ctx.prefix,
        result,
        exitCode,
        bakeSeconds: options.bakeMs / 1000,
        intervalSeconds: options.intervalMs / 1000,
        elapsedSeconds: Math.round(elapsedMs / 1000),
        checks,
        failedOn: failedOn.map(alarmToJson),
        warnings: [...warnings.values()].map(alarmToJson),
      };
      writeLine(ctx.stdout, JSON.stringify(json, null, 2));
    }
    return exitCode;
  };

  writeLine(
    text,
    `gate ${ctx.stack}: baking ${bake}, checking alarms every ${formatDuration(options.intervalMs)}; ` +
      'a critical alarm in ALARM fails the gate, warning alarms are only reported',
  );
  try {
    for (;;) {
      const alarms = await discoverAlarms(ctx.cw, ctx.prefix);
      checks++;
      const now = clock.now();
      const elapsedMs = now - start;
      const inAlarm = alarms.filter((a) => a.state === 'ALARM');
      for (const alarm of inAlarm.filter((a) => a.severity === 'warning')) {
        if (!warnings.has(alarm.name)) {
          progress.clear();
          writeLine(text, `warning: ${alarm.name} is in ALARM (warning alarm: reported, does not fail the gate): ${alarm.stateReason}`);
        }
        warnings.set(alarm.name, alarm);
      }
      const critical = inAlarm.filter((a) => a.severity === 'critical');
      if (critical.length > 0) {
        progress.clear();
        for (const alarm of critical) {
          const since = alarm.stateUpdatedAt ? ` since ${formatAge(alarm.stateUpdatedAt.getTime(), now)}` : '';
          writeLine(text, `FAIL: critical alarm ${alarm.name} is in ALARM${since}: ${alarm.stateReason}`);
        }
        writeLine(text, `gate failed after ${formatDuration(elapsedMs)} of ${bake} (check ${checks})`);
        return finish('fail', critical, elapsedMs);
      }
      if (elapsedMs >= options.bakeMs) {
        progress.clear();
        writeLine(
          text,
          `PASS: ${ctx.stack} baked ${bake} with no critical alarm in ALARM ` +
            `(${checks} checks of ${alarms.length} alarms, ${warnings.size} warning alarm(s) seen in ALARM)`,
        );
        return finish('pass', [], elapsedMs);
      }
      const nextAt = Math.min(start + checks * options.intervalMs, start + options.bakeMs);
      const summary = summarize(alarms);
      progress.update(
        `gate ${ctx.stack}: ${formatDuration(elapsedMs)} of ${bake} baked, ${summary.total} alarms ` +
          `(${summary.ok} OK, ${summary.alarm} ALARM, ${summary.insufficientData} INSUFFICIENT_DATA), no critical in ALARM; ` +
          `next check in ${formatDuration(nextAt - now)}`,
      );
      await clock.sleep(Math.max(0, nextAt - now), ctx.signal);
    }
  } finally {
    progress.clear();
  }
}

export const gateCommand: Command = {
  name: 'gate',
  summary: 'Deployment gate: watch the alarms for a bake time, fail on a critical alarm',
  usage: '--env <name> [-c configFile=<file.json>] --bake <duration> [--interval <duration>] [options]',
  details: [
    "Run it right after `cdk deploy`. It checks the stack's alarms at once and then every",
    '--interval until --bake has passed, showing a progress line on stderr (one updating',
    'line on a terminal, a plain line every 30s otherwise).',
    '',
    'The first check that finds a critical alarm ([critical] description) in ALARM ends the',
    'gate with exit 1 and prints the alarm and its reason. Warning alarms in ALARM are',
    'printed once but do not fail the gate. The overall deadline is bake + --timeout.',
    DURATION_HELP,
    '',
    'Exit codes: 0 clean bake, 1 a critical alarm in ALARM,',
    '            2 usage, credential, access, network or deadline error (the gate could not watch).',
  ].join('\n'),
  verdict: 'a critical alarm went into ALARM during the bake',
  options: {
    bake: { type: 'string', valueName: '<duration>', description: 'how long to watch the alarms (required), e.g. 10m' },
    interval: { type: 'string', valueName: '<duration>', description: 'time between checks (default 30s, at least 1s, at most --bake)' },
  },
  prepare(values, timeoutMs) {
    const options = parseGateOptions(values);
    return { deadlineMs: options.bakeMs + timeoutMs, run: (ctx) => runGate(ctx, options) };
  },
};

import { discoverAlarms } from './alarm-discovery.js';
import { ExitCode, type Command, type CommandContext, type OptionValues } from './command.js';
import { formatDuration, parseDuration } from './duration.js';
import { describeError, OperatorError, UsageError } from './errors.js';
import { DURATION_HELP } from './help.js';
import { fetchMetricData, type MetricWindow } from './metric-data.js';
import { KEY_METRICS, metricValue, queryId, resourceQueries, type MetricUnit } from './report-metrics.js';
import { deriveResources, type Resource } from './report-resources.js';
import { alignColumns, isoSeconds } from './text-format.js';
import { evaluateVerdicts, formatValue, type Verdict } from './verdicts.js';

export const DEFAULT_SINCE_MS = 3_600_000;
const MIN_SINCE_MS = 60_000;
/** CloudWatch keeps 1-hour datapoints for 455 days. */
const MAX_SINCE_MS = 455 * 86_400_000;
const FIFTEEN_DAYS_S = 15 * 86_400;

/** The report window: one CloudWatch period spanning all of it, ending at the last whole minute. */
export interface ReportWindow extends MetricWindow {
  readonly periodSeconds: number;
}

export function reportWindow(sinceMs: number, nowMs: number): ReportWindow {
  const end = Math.floor(nowMs / 60_000) * 60_000;
  const seconds = Math.ceil(sinceMs / 1000);
  // Periods must be multiples of 60 s, and of 3600 s for data older than 15 days.
  const unit = seconds > FIFTEEN_DAYS_S ? 3_600 : 60;
  const periodSeconds = Math.ceil(seconds / unit) * unit;
  return { start: new Date(end - periodSeconds * 1000), end: new Date(end), periodSeconds };
}

/** One key metric of one resource in the report. */
export interface MetricJson {
  key: string;
  label: string;
  unit: MetricUnit;
  /** null unless status is "ok". */
  value: number | null;
  /** ok: measured; no-data: fetched, but no datapoint in the window; error: could not be fetched. */
  status: 'ok' | 'no-data' | 'error';
  /** Why it could not be fetched; only with status "error". */
  error?: string;
}

export interface ResourceJson {
  kind: Resource['kind'];
  component: Resource['component'];
  id: string;
  label: string;
  namespace: string;
  dimensions: Record<string, string>;
  metrics: MetricJson[];
}

/** `report --json` output. */
export interface ReportJson {
  stack: string;
  prefix: string;
  since: string;
  window: { start: string; end: string; periodSeconds: number };
  /** false when any metric has status "error". */
  complete: boolean;
  /** Metrics that could not be read (status "error"), of `metrics` in all; the first one's reason. */
  unread: { count: number; metrics: number; firstReason: string | null };
  alarms: number;
  resources: ResourceJson[];
  verdicts: Verdict[];
  /** API calls this report made, retries included. */
  calls: { describeAlarms: number; getMetricData: number };
  queries: number;
}

export function parseSince(values: OptionValues): number {
  if (values.since === undefined) return DEFAULT_SINCE_MS;
  const ms = parseDuration(String(values.since), '--since');
  if (ms < MIN_SINCE_MS)
    throw new UsageError(`--since (${String(values.since)}) must be at least 1m: CloudWatch periods are whole minutes`);
  if (ms > MAX_SINCE_MS) throw new UsageError(`--since (${String(values.since)}) must be at most 455d: CloudWatch keeps no older data`);
  return ms;
}

export async function buildReport(ctx: CommandContext, sinceMs: number): Promise<ReportJson> {
  const alarms = await discoverAlarms(ctx.cw, ctx.prefix);
  const resources = deriveResources(alarms);
  if (resources.length === 0) {
    throw new OperatorError(
      `none of the ${alarms.length} alarms of ${ctx.stack} watches a known resource dimension ` +
        '(DistributionId, LoadBalancer, AutoScalingGroupName, DBInstanceIdentifier, ProxyName, CacheClusterId): nothing to report',
    );
  }
  const window = reportWindow(sinceMs, ctx.clock.now());
  const clusters = resources.flatMap((resource, i) => resourceQueries(resource, i, window.periodSeconds));
  const series = await fetchMetricData(ctx.cw, clusters, window, (err) => describeError(err, ctx.endpoint));
  const windowMinutes = window.periodSeconds / 60;

  const resourceJson = resources.map(
    (resource, i): ResourceJson => ({
      kind: resource.kind,
      component: resource.component,
      id: resource.id,
      label: resource.label,
      namespace: resource.namespace,
      dimensions: { ...resource.dimensions },
      metrics: KEY_METRICS[resource.kind].map((spec): MetricJson => {
        const result = series.get(queryId(i, spec.key));
        const base = { key: spec.key, label: spec.label, unit: spec.unit };
        if (!result?.ok) return { ...base, value: null, status: 'error', error: result?.error ?? 'no result' };
        const value = metricValue(spec, result.values, windowMinutes);
        return value === undefined ? { ...base, value: null, status: 'no-data' } : { ...base, value, status: 'ok' };
      }),
    }),
  );
  const verdicts = evaluateVerdicts(
    resources.map((resource, i) => ({
      resource,
      values: Object.fromEntries(resourceJson[i]!.metrics.map((m) => [m.key, m.value ?? undefined])),
    })),
  );
  const all = resourceJson.flatMap((r) => r.metrics);
  const unread = all.filter((m) => m.status === 'error');
  return {
    stack: ctx.stack,
    prefix: ctx.prefix,
    since: formatDuration(sinceMs),
    window: { start: window.start.toISOString(), end: window.end.toISOString(), periodSeconds: window.periodSeconds },
    complete: unread.length === 0,
    unread: { count: unread.length, metrics: all.length, firstReason: unread[0]?.error ?? null },
    alarms: alarms.length,
    resources: resourceJson,
    verdicts,
    calls: { describeAlarms: ctx.cw.calls.DescribeAlarms, getMetricData: ctx.cw.calls.GetMetricData },
    queries: clusters.reduce((n, c) => n + c.length, 0),
  };
}

function metricText(m: MetricJson): string {
  if (m.status === 'ok') return formatValue(m.value!, m.unit);
  return m.status === 'no-data' ? 'no data' : `n/a: ${m.error}`;
}

export function renderReport(report: ReportJson): string {
  const window = `${isoSeconds(new Date(report.window.start))} to ${isoSeconds(new Date(report.window.end))}`;
  const lines = [
    `report ${report.stack}: last ${report.since} (${window}), ${report.resources.length} resources from ${report.alarms} alarms`,
  ];
  const { unread } = report;
  // A failed fetch is not an empty window: say so first, with the reason, before any verdict.
  if (unread.count > 0) lines.push(`could not read ${unread.count} of ${unread.metrics} metrics: ${unread.firstReason}`);
  lines.push('');
  const measuredAny = report.resources.some((r) => r.metrics.some((m) => m.status === 'ok'));
  const fromWhat = unread.count > 0 ? ' (of the metrics that could be read)' : '';
  if (report.verdicts.length > 0) {
    lines.push(`Where the pressure is${fromWhat}:`, ...report.verdicts.map((v) => `  ! ${v.message}`));
  } else if (measuredAny) {
    lines.push(`Where the pressure is: nowhere${fromWhat}; every measured value is within its threshold.`);
  } else if (unread.count === unread.metrics) {
    lines.push('Where the pressure is: unknown; no metric could be read.');
  } else {
    lines.push(`Where the pressure is: unknown; no metric${unread.count > 0 ? ' that could be read' : ''} had data in the window.`);
  }
  for (const resource of report.resources) {
    lines.push('', resource.label, ...alignColumns(resource.metrics.map((m) => [m.label, metricText(m)])).map((l) => `  ${l}`));
  }
  lines.push(
    '',
    `API calls: DescribeAlarms ${report.calls.describeAlarms}, GetMetricData ${report.calls.getMetricData} (${report.queries} queries)`,
  );
  return `${lines.join('\n')}\n`;
}

export const reportCommand: Command = {
  name: 'report',
  summary: 'Bottleneck report: key metrics of every component, and where the pressure is',
  usage: '--env <name> [-c configFile=<file.json>] [--since <duration>] [options]',
  details: [
    'Finds the resources (ALB, fleet ASG, DB writer/replicas/proxy, cache, CloudFront) in the',
    "dimensions of the stack's alarms, fetches their key metrics over the window with",
    'GetMetricData (batches of up to 500 queries) and says in plain words where the pressure',
    'is, with the numbers behind each verdict. Metrics that could not be read show as',
    '"n/a: <reason>", the report says "could not read N of M metrics: <first reason>" first,',
    'and is printed anyway.',
    DURATION_HELP,
    '',
    'Exit codes: 0 report printed, every metric read (also with verdicts),',
    '            2 a metric could not be read (the report is printed; --json has "complete": false),',
    '              usage, credential, access, network or deadline error, or no resources found.',
  ].join('\n'),
  options: {
    since: { type: 'string', valueName: '<duration>', description: 'window to look back over (default 1h, 1m to 455d)' },
  },
  prepare(values) {
    const sinceMs = parseSince(values);
    return {
      async run(ctx) {
        const report = await buildReport(ctx, sinceMs);
        ctx.stdout.write(ctx.json ? `${JSON.stringify(report, null, 2)}\n` : renderReport(report));
        // A report built on partly unreadable data must not pass as a clean one in a script.
        return report.complete ? ExitCode.Ok : ExitCode.Error;
      },
    };
  },
};

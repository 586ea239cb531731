import type { SeriesPoint } from '../measurement';

/**
 * One chart per scenario as SVG: requests per second by outcome, p50 and p99 latency (from
 * the planned send), and the error rate, over time, with the fault window shaded. Rendered by
 * vega-lite and vega's `toSVG` (no canvas, no native binary), loaded on use (only the report needs them).
 */
export async function scenarioChart(
  title: string,
  series: readonly SeriesPoint[],
  fault: { startS: number; endS: number },
): Promise<string> {
  const vl = await import('vega-lite');
  const vega = await import('vega');
  const width = 640;
  const shade = {
    data: { values: [{ start: fault.startS, end: fault.endS }] },
    mark: { type: 'rect', color: '#d62728', opacity: 0.1 },
    encoding: { x: { field: 'start', type: 'quantitative' }, x2: { field: 'end' } },
  };
  const x = { field: 'tS', type: 'quantitative', title: 'seconds' };
  const long = (fields: Record<string, string>, positiveOnly = false) =>
    series.flatMap((p) =>
      Object.entries(fields)
        .map(([key, name]) => ({ tS: p.tS, series: name, value: (p as unknown as Record<string, number>)[key] ?? 0 }))
        .filter((v) => !positiveOnly || v.value > 0),
    );
  const maxError = Math.max(0, ...series.map((p) => p.errorPercent));
  const panel = (values: object[], yTitle: string, scale: object = {}, colors?: { domain: string[]; range: string[] }) => ({
    width,
    height: 150,
    layer: [
      shade,
      {
        data: { values },
        mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.5 },
        encoding: {
          x,
          y: { field: 'value', type: 'quantitative', title: yTitle, scale },
          color: { field: 'series', type: 'nominal', title: null, ...(colors ? { scale: colors } : {}) },
        },
      },
    ],
  });
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: title, subtitle: 'shaded: the fault window; latency from the planned send (open loop)' },
    background: 'white',
    resolve: { scale: { color: 'independent' } },
    vconcat: [
      panel(
        long({ sentPerS: 'planned', okPerS: '2xx', shedPerS: 'shed 503', rateLimitedPerS: '429', errorPerS: 'errors' }),
        'requests / s',
        {},
        { domain: ['planned', '2xx', 'shed 503', '429', 'errors'], range: ['#7f7f7f', '#2ca02c', '#ff7f0e', '#9467bd', '#d62728'] },
      ),
      panel(
        long({ p50Ms: 'p50', p99Ms: 'p99' }, true),
        'latency (ms, log scale)',
        { type: 'log' },
        { domain: ['p50', 'p99'], range: ['#1f77b4', '#d62728'] },
      ),
      panel(
        long({ errorPercent: 'errors %' }),
        'errors (% of requests)',
        { domain: [0, Math.max(1, Math.ceil(maxError))] },
        { domain: ['errors %'], range: ['#d62728'] },
      ),
    ],
  };
  const compiled = vl.compile(spec as never).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

import { builtinEnvironments } from '../config/load-config';
import { budgetText, failureModeCatalogue, type CatalogueRow } from './catalogue';
import { DRILLS, isNoDrill } from './drills';
import { FAILURE_MODE_IDS, type FailureModeId } from './failure-mode';

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (names: readonly string[]) => names.map((n) => `\`${n}\``).join(', ');

/** One environment's catalogue row of a mode. */
interface EnvironmentRow {
  readonly env: string;
  readonly row: CatalogueRow;
}

/** A field's value: a line of text, or numbered steps. */
type FieldValue = string | readonly string[];

/** The Markdown list item of a field: one value for every environment, or one per environment when they differ. */
function field(label: string, rows: readonly EnvironmentRow[], value: (row: CatalogueRow) => FieldValue | undefined): string[] {
  const values = rows.flatMap(({ env, row }) => {
    const v = value(row);
    return v === undefined ? [] : [{ env, v }];
  });
  if (values.length === 0) return [];
  const render = (v: FieldValue, indent: string): string[] =>
    typeof v === 'string' ? [v] : ['', ...v.map((step, i) => `${indent}${i + 1}. ${step}`)];
  const joinFirst = ([first, ...rest]: string[], head: string) => [`${head}${first ? ` ${first}` : ''}`, ...rest];
  const same = values.length === rows.length && values.every(({ v }) => JSON.stringify(v) === JSON.stringify(values[0].v));
  if (same) return joinFirst(render(values[0].v, '   '), `- **${label}:**`);
  return [`- **${label}:**`, ...values.flatMap(({ env, v }) => joinFirst(render(v, '     '), `  - ${env}:`))];
}

function drillCell(row: CatalogueRow): string {
  const d = row.drill;
  if (d.name === 'none') return `none: ${d.detail}`;
  return d.inThisEnvironment
    ? `\`${d.name}\`, stop alarm \`${d.stopAlarm}\`: ${d.stopRules.join('; or ')}`
    : `\`${d.name}\` (not here: ${d.why})`;
}

/**
 * The failure-mode catalogue of docs/failure-modes.md, for the built-in environments: a summary
 * table, then one section per mode whose fields show each environment's value (once when they
 * agree). Every table cell stays short; the detail is in the lists.
 */
export function failureModesReference(): string {
  const envs = builtinEnvironments();
  const catalogues = envs.map((config) => ({ env: config.name, rows: failureModeCatalogue(config) }));
  const rowsOf = (mode: FailureModeId): EnvironmentRow[] =>
    catalogues.map(({ env, rows }) => ({ env, row: rows.find((r) => r.mode === mode)! }));
  const modes = catalogues[0].rows.map((r) => r.mode);
  const out = [
    `Environments: ${envs.map((e) => `${e.name} (\`${e.stackName}\`)`).join(', ')}.`,
    '',
    '| Mode | Failure | Expected cause alarms | Proving-ground scenario | Drill in AWS, in |',
    '| --- | --- | --- | --- | --- |',
    ...modes.map((mode) => {
      const rows = rowsOf(mode);
      const { row } = rows[0];
      const drilled = rows.filter((r) => r.row.drill.inThisEnvironment).map((r) => r.env);
      const drill =
        row.drill.name === 'none'
          ? 'none'
          : `\`${row.drill.name}\`, ${drilled.length > 0 ? drilled.join(', ') : 'no built-in environment'}`;
      return `| \`${mode}\` | ${cell(row.title)} | ${row.expectedAlarms.length > 0 ? code(row.expectedAlarms) : '-'} | ${row.scenario.name === 'none' ? 'none' : `\`${row.scenario.name}\``} | ${drill} |`;
    }),
  ];
  for (const mode of modes) {
    const rows = rowsOf(mode);
    const { row } = rows[0];
    out.push(
      '',
      `### \`${mode}\`: ${row.title}`,
      '',
      row.failure,
      '',
      ...field('Does not apply', rows, (r) => (r.applies ? undefined : r.appliesReason)),
      ...field('Built-in mitigation', rows, (r) => r.mitigation.summary),
      ...field('Config', rows, (r) => code(r.mitigation.configKeys)),
      ...field('Invariants', rows, (r) => r.invariants.join(', ')),
      ...field('Expected cause alarms', rows, (r) =>
        r.expectedAlarms.length > 0 ? code(r.expectedAlarms) : 'none (nothing a customer sees)',
      ),
      ...field('Impact budget', rows, (r) => budgetText(r.budget)),
      ...field('Proving-ground scenario', rows, (r) =>
        r.scenario.name === 'none' ? `none: ${r.scenario.detail}` : `\`${r.scenario.name}\`: ${r.scenario.detail}`,
      ),
      ...field('Drill in AWS', rows, drillCell),
      ...field('Runbook', rows, (r) => r.runbook),
    );
  }
  return out.join('\n');
}

/** What each drill does and does not prove (docs/failure-modes.md, "Drills in AWS"): one list item per mode. */
export function drillsReference(): string {
  return FAILURE_MODE_IDS.flatMap((mode) => {
    const d = DRILLS[mode];
    if (isNoDrill(d)) return [`- \`${mode}\`: no drill. ${d.reason}`];
    return [
      `- \`${mode}\`: drill \`${d.drill}\`${d.perZone ? ' (one per AZ)' : ''}.`,
      `  - What it does: ${d.summary}`,
      '  - What it does not prove:',
      ...d.limitations.map((l) => `    - ${l}`),
    ];
  }).join('\n');
}

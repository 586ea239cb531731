import { APP_ENV, APP_ENV_NAMES, type VariableSpec } from './app-env';

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The runtime contract as one Markdown table: variable, type, meaning, the invariant that checks it, what the reference service does. */
export function contractTable(): string {
  const rows = APP_ENV_NAMES.map((name) => {
    const s = APP_ENV[name] as VariableSpec<unknown>;
    const def = 'default' in s ? ` (default \`${String(s.default)}\`)` : '';
    return `| \`${name}\` | ${cell(s.type)}${def} | ${cell(s.meaning)} | ${cell(s.checkedBy)} | ${cell(s.service)} |`;
  });
  return ['| Variable | Type | Meaning | Checked by | What the reference service does |', '| --- | --- | --- | --- | --- |', ...rows].join(
    '\n',
  );
}

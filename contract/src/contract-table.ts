import { APP_ENV, APP_ENV_NAMES, type VariableSpec } from './app-env';

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The runtime contract as one Markdown table: variable, type, meaning, the invariant that checks it, what the reference service does. */
export function contractTable(): string {
  const notes: string[] = [];
  /** A cell of at most MAX_CELL characters: a longer text keeps its first sentence here and goes in full under the table. */
  const short = (name: string, column: string, text: string) => {
    if (text.length <= MAX_CELL) return cell(text);
    notes.push(`- \`${name}\`, ${column}: ${text}`);
    const sentence = /^(.+?[.!?])\s+(?=[A-Z`])/.exec(text)?.[1];
    const limit = MAX_CELL - ' (more below)'.length;
    return `${cell(sentence && sentence.length <= limit ? sentence : `${text.slice(0, limit - 3).replace(/\s+\S*$/, '')}...`)} (more below)`;
  };
  const rows = APP_ENV_NAMES.map((name) => {
    const s = APP_ENV[name] as VariableSpec<unknown>;
    const def = 'default' in s ? ` (default \`${String(s.default)}\`)` : '';
    return `| \`${name}\` | ${cell(s.type)}${def} | ${short(name, 'meaning', s.meaning)} | ${short(name, 'checked by', s.checkedBy)} | ${short(name, 'the reference service', s.service)} |`;
  });
  return [
    '| Variable | Type | Meaning | Checked by | What the reference service does |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    ...(notes.length > 0 ? ['', 'In full (the cells marked "more below"):', '', ...notes] : []),
  ].join('\n');
}

/** At most this many characters in a table cell of the docs. */
const MAX_CELL = 200;

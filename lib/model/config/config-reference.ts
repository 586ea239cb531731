import { z } from 'zod';
import { configFileSchema, environmentSchema, STAGES } from './environment-schema';
import { STAGE_PRESETS } from './stage-presets';

interface JsonSchema {
  type?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minItems?: number;
  maxItems?: number;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  required?: string[];
}

/**
 * The config reference (docs/configuration.md), generated from the schema that validates the
 * config, so the docs cannot drift from the rules. Stage-preset values are listed per stage.
 */
export function configReference(): string {
  const root = z.toJSONSchema(environmentSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const leaves: [string, JsonSchema][] = [];
  const sections: [string, JsonSchema][] = [];
  for (const [name, field] of Object.entries(root.properties ?? {})) {
    (field.properties ? sections : leaves).push([name, field]);
  }
  const out = [...fileFields(), '### Environment', '', table(leaves, [], root.required ?? [])];
  for (const [name, section] of sections) {
    out.push(`### \`${name}\``, '', summary(section.description), '');
    const rows: [string, JsonSchema][] = [];
    collect(section, [], rows);
    out.push(table(rows, [name], section.required ?? []));
  }
  return out.join('\n');
}

/**
 * The fields of the config file itself, besides `environments` (one per environment, below):
 * settings for the whole file, such as the diff guard's allow-list.
 */
function fileFields(): string[] {
  const file = z.toJSONSchema(configFileSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const rows: [string, JsonSchema][] = [];
  for (const [name, field] of Object.entries(file.properties ?? {})) {
    if (name === 'environments' || name === '$schema') continue;
    collect(field, [name], rows);
  }
  const lines = rows.map(([name, field]) => {
    const { text, documentedDefault } = splitDefault(field.description);
    return `| \`${name}\` | ${typeOf(field)} | ${documentedDefault ?? ''} | ${escapeCell(text)} |`;
  });
  return [
    '### Config file',
    '',
    "Fields of the file itself, next to `environments` (each environment's fields follow).",
    '',
    '| Field | Type | Default | Description |',
    '| --- | --- | --- | --- |',
    ...lines,
    '',
  ];
}

function collect(schema: JsonSchema, path: string[], rows: [string, JsonSchema][]): void {
  for (const [name, field] of Object.entries(schema.properties ?? {})) {
    if (field.properties) collect(field, [...path, name], rows);
    else rows.push([[...path, name].join('.'), field]);
  }
}

/** At most this many characters in a table cell (docs/*.md); longer text goes in full into the notes under the table. */
const MAX_CELL = 200;

function table(rows: [string, JsonSchema][], prefix: string[], required: string[]): string {
  const header = ['| Field | Type | Default | dev | staging | prod | Description |', '| --- | --- | --- | --- | --- | --- | --- |'];
  const notes: string[] = [];
  const lines = rows.map(([name, field]) => {
    const fullPath = [...prefix, ...name.split('.')];
    const presets = STAGES.map((stage) => cell(presetValue(stage, fullPath)));
    const { text, documentedDefault } = splitDefault(field.description);
    let defaultCell =
      field.default !== undefined ? cell(field.default) : required.includes(name) ? '**required**' : (documentedDefault ?? '');
    if (field.default === undefined && documentedDefault && documentedDefault.length > MAX_CELL) {
      notes.push(`- \`${name}\`, default: ${documentedDefault}`);
      defaultCell = `_${summaryOf(documentedDefault.replace(/^_|_$/g, ''))}_ (more below)`;
    }
    let description = escapeCell(text);
    if (description.length > MAX_CELL) {
      notes.push(`- \`${name}\`: ${text.replace(/\n/g, ' ')}`);
      description = `${escapeCell(summaryOf(text))} (more below)`;
    }
    return `| \`${name}\` | ${typeOf(field)} | ${defaultCell} | ${presets.join(' | ')} | ${description} |`;
  });
  return [...header, ...lines, '', ...(notes.length > 0 ? ['In full (the rows marked "more below"):', '', ...notes, ''] : [])].join('\n');
}

/** The start of a long text for a table cell: its first sentence, else its first words. */
function summaryOf(text: string): string {
  const limit = MAX_CELL - ' (more below)'.length;
  const sentence = /^(.+?(?<!\b(?:e\.g|i\.e))[.!?])\s+(?=[A-Z`])/.exec(text)?.[1];
  if (sentence && sentence.length <= limit) return sentence;
  return `${text.slice(0, limit - 3).replace(/\s+\S*$/, '')}...`;
}

function presetValue(stage: (typeof STAGES)[number], path: string[]): unknown {
  let value: unknown = STAGE_PRESETS[stage];
  for (const key of path) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  return value;
}

function typeOf(field: JsonSchema): string {
  if (field.enum) return field.enum.map((v) => `\`${JSON.stringify(v)}\``).join(' \\| ');
  if (field.anyOf) {
    const consts = field.anyOf.filter((a) => a.const !== undefined).map((a) => String(a.const));
    const ranges = field.anyOf.filter((a) => a.const === undefined).map(typeOf);
    const shown = consts.length > 6 ? [...consts.slice(0, 5), '...', consts[consts.length - 1]] : consts;
    return [shown.length ? `one of ${shown.join(', ')}` : '', ...ranges].filter(Boolean).join(' or ');
  }
  const bounds = (min?: number, max?: number) =>
    min !== undefined || max !== undefined ? ` ${min ?? ''}..${max !== undefined && max < Number.MAX_SAFE_INTEGER ? max : ''}` : '';
  switch (field.type) {
    case 'integer':
      return `integer${bounds(field.minimum, field.maximum)}`;
    case 'number':
      return `number${bounds(field.minimum ?? field.exclusiveMinimum, field.maximum)}`;
    case 'array':
      return `${field.items ? typeOf(field.items) : 'any'}[]${field.minItems !== undefined ? ` (${field.minItems}..${field.maxItems ?? ''})` : ''}`;
    case 'object':
      return 'map';
    default:
      return field.type ?? 'any';
  }
}

/** Descriptions may end with "@default - <behaviour>" for defaults that are behaviours. */
function splitDefault(description = ''): { text: string; documentedDefault?: string } {
  const match = /^(.*?)\s*@default\s*-?\s*(.+)$/s.exec(description);
  return match ? { text: match[1], documentedDefault: `_${match[2]}_` } : { text: description };
}

function summary(description = ''): string {
  return escapeCell(description);
}

function cell(value: unknown): string {
  if (value === undefined) return '';
  const json = JSON.stringify(value);
  return `\`${json.length > 40 ? `${json.slice(0, 37)}...` : json}\``.replace(/\|/g, '\\|');
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

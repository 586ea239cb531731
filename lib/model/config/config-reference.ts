import { z } from 'zod';
import { environmentSchema, STAGES } from './environment-schema';
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
  const out = ['### Environment', '', table(leaves, [], root.required ?? [])];
  for (const [name, section] of sections) {
    out.push(`### \`${name}\``, '', summary(section.description), '');
    const rows: [string, JsonSchema][] = [];
    collect(section, [], rows);
    out.push(table(rows, [name], section.required ?? []));
  }
  return out.join('\n');
}

function collect(schema: JsonSchema, path: string[], rows: [string, JsonSchema][]): void {
  for (const [name, field] of Object.entries(schema.properties ?? {})) {
    if (field.properties) collect(field, [...path, name], rows);
    else rows.push([[...path, name].join('.'), field]);
  }
}

function table(rows: [string, JsonSchema][], prefix: string[], required: string[]): string {
  const header = ['| Field | Type | Default | dev | staging | prod | Description |', '| --- | --- | --- | --- | --- | --- | --- |'];
  const lines = rows.map(([name, field]) => {
    const fullPath = [...prefix, ...name.split('.')];
    const presets = STAGES.map((stage) => cell(presetValue(stage, fullPath)));
    const { text, documentedDefault } = splitDefault(field.description);
    const defaultCell =
      field.default !== undefined ? cell(field.default) : required.includes(name) ? '**required**' : (documentedDefault ?? '');
    return `| \`${name}\` | ${typeOf(field)} | ${defaultCell} | ${presets.join(' | ')} | ${escapeCell(text)} |`;
  });
  return [...header, ...lines, ''].join('\n');
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

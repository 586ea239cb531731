import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** One stack template a synth wrote. */
export interface WrittenTemplate {
  readonly stack: string;
  /** Path of the template file. */
  readonly file: string;
  readonly resources: number;
  readonly bytes: number;
  /** The stack outputs DNS records for someone to create (no dns.hostedZoneId). */
  readonly dnsToCreate?: boolean;
  /** The stack's info annotations (e.g. which metrics its app alarms watch). */
  readonly notes?: readonly string[];
}

interface Manifest {
  readonly artifacts?: Record<
    string,
    {
      readonly type: string;
      readonly properties?: { readonly templateFile?: string };
      readonly metadata?: Record<string, readonly { readonly type: string; readonly data?: unknown }[]>;
    }
  >;
}

/** The stack templates of the assembly in `dir`, as its manifest lists them (what the last synth wrote). */
export function writtenTemplates(dir: string): WrittenTemplate[] {
  const manifestFile = join(dir, 'manifest.json');
  if (!existsSync(manifestFile)) return [];
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Manifest;
  return Object.entries(manifest.artifacts ?? {})
    .filter(([, a]) => a.type === 'aws:cloudformation:stack' && a.properties?.templateFile)
    .map(([stack, a]) => {
      const file = join(dir, a.properties!.templateFile!);
      const template = JSON.parse(readFileSync(file, 'utf8')) as { Resources?: object; Outputs?: Record<string, unknown> };
      return {
        stack,
        file,
        resources: Object.keys(template.Resources ?? {}).length,
        bytes: statSync(file).size,
        dnsToCreate: 'DnsRecordsToCreate' in (template.Outputs ?? {}),
        notes: Object.values(a.metadata ?? {})
          .flat()
          .filter((m) => m.type === 'aws:cdk:info' && typeof m.data === 'string')
          .map((m) => m.data as string),
      };
    });
}

/**
 * What a synth wrote, for people: one line per template, then any older templates the folder
 * still holds (a synth of one stack leaves the others' files from an earlier run in place).
 */
export function assemblySummary(dir: string, cwd: string): string[] {
  const written = writtenTemplates(dir);
  const show = (path: string) => {
    const rel = relative(cwd, path);
    return rel.startsWith('..') ? path : rel || '.';
  };
  const lines = written.map((t) => `wrote ${show(t.file)}: ${t.stack}, ${t.resources} resources, ${Math.round(t.bytes / 1024)} KiB`);
  for (const t of written.filter((w) => w.dnsToCreate)) {
    lines.push(
      `${t.stack}: no dns.hostedZoneId, so the stack creates no DNS records: create the ones its output DnsRecordsToCreate lists after the deploy (docs/deploying.md, "DNS for the edge")`,
    );
  }
  for (const t of written) lines.push(...(t.notes ?? []));
  const current = new Set(written.map((t) => t.file));
  const stale = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.template.json') && !current.has(join(dir, f))) : [];
  if (stale.length > 0) lines.push(`(${show(dir)} also holds ${stale.join(', ')} from an earlier synth: not part of this one)`);
  if (existsSync(join(dir, 'validation-report.json'))) lines.push(`policy gate report: ${show(join(dir, 'validation-report.json'))}`);
  return lines;
}

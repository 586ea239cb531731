import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Template } from './templates';

/**
 * Logical ID -> construct path (`/loadbearing-prod/Database/Writer/Resource`), from the
 * `aws:cdk:path` metadata `cdk synth` writes into each resource. Templates without it (path
 * metadata off, or hand-written) give an empty map, and the report shows logical IDs only.
 */
export function constructPaths(template: Template | undefined): Record<string, string> {
  const paths: Record<string, string> = {};
  for (const [logicalId, resource] of Object.entries(template?.Resources ?? {})) {
    const path = resource.Metadata?.['aws:cdk:path'];
    if (typeof path === 'string' && path !== '') paths[logicalId] = path.startsWith('/') ? path : `/${path}`;
  }
  return paths;
}

interface MetadataEntry {
  readonly type: string;
  readonly data?: unknown;
}
interface StackArtifact {
  readonly type?: string;
  readonly properties?: { readonly templateFile?: string };
  readonly metadata?: Record<string, MetadataEntry[]>;
  readonly additionalMetadataFile?: string;
}

/**
 * Logical ID -> construct path for every stack of a cloud assembly, keyed by template file
 * name, from the `aws:cdk:logicalId` entries CDK records per construct path (in the manifest,
 * or in the `<stack>.metadata.json` file it points to). Covers assemblies synthesized without
 * path metadata in the templates. Empty for a plain directory of templates.
 */
export function assemblyConstructPaths(dir: string): Map<string, Record<string, string>> {
  const result = new Map<string, Record<string, string>>();
  const manifestFile = join(dir, 'manifest.json');
  if (!existsSync(manifestFile)) return result;
  try {
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as { artifacts?: Record<string, StackArtifact> };
    for (const artifact of Object.values(manifest.artifacts ?? {})) {
      const templateFile = artifact.properties?.templateFile;
      if (artifact.type !== 'aws:cloudformation:stack' || !templateFile) continue;
      const extra = artifact.additionalMetadataFile ? join(dir, artifact.additionalMetadataFile) : undefined;
      const metadata: Record<string, MetadataEntry[]> = {
        ...artifact.metadata,
        ...(extra && existsSync(extra) ? (JSON.parse(readFileSync(extra, 'utf8')) as Record<string, MetadataEntry[]>) : {}),
      };
      const paths: Record<string, string> = {};
      for (const [path, entries] of Object.entries(metadata)) {
        for (const e of entries) if (e.type === 'aws:cdk:logicalId' && typeof e.data === 'string') paths[e.data] = path;
      }
      result.set(templateFile, paths);
    }
  } catch {
    // An unreadable manifest only costs the construct paths in the report.
  }
  return result;
}

/** A construct path as a reader knows it: without the stack and the trailing `/Resource`. */
export function displayPath(path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  const parts = path.split('/').filter(Boolean).slice(1);
  if (parts.length > 1 && (parts[parts.length - 1] === 'Resource' || parts[parts.length - 1] === 'Default')) parts.pop();
  return parts.join('/') || undefined;
}

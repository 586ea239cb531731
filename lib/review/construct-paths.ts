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

/** A construct path as a reader knows it: without the stack and the trailing `/Resource`. */
export function displayPath(path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  const parts = path.split('/').filter(Boolean).slice(1);
  if (parts.length > 1 && (parts[parts.length - 1] === 'Resource' || parts[parts.length - 1] === 'Default')) parts.pop();
  return parts.join('/') || undefined;
}

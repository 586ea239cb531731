import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CFN_MAX_RESOURCES, CFN_MAX_TEMPLATE_BYTES } from '../invariants/hard-limits';
import { round } from './measure';

export interface TemplateStat {
  readonly stack: string;
  readonly resources: number;
  readonly resourcesPercentOfLimit: number;
  readonly bytes: number;
  readonly bytesPercentOfLimit: number;
}

/** Resource count and size of every template in an assembly directory, against CloudFormation's limits. */
export function templateStats(assemblyDir: string): TemplateStat[] {
  return readdirSync(assemblyDir)
    .filter((f) => f.endsWith('.template.json'))
    .sort()
    .map((file) => {
      const path = join(assemblyDir, file);
      const resources = Object.keys((JSON.parse(readFileSync(path, 'utf8')) as { Resources?: object }).Resources ?? {}).length;
      const bytes = statSync(path).size;
      return {
        stack: file.replace(/\.template\.json$/, ''),
        resources,
        resourcesPercentOfLimit: round((resources / CFN_MAX_RESOURCES) * 100, 1),
        bytes,
        bytesPercentOfLimit: round((bytes / CFN_MAX_TEMPLATE_BYTES) * 100, 1),
      };
    });
}

import { CFN_MAX_RESOURCES, CFN_MAX_TEMPLATE_BYTES } from '../../lib/model/invariants/hard-limits';
import { writtenTemplates } from '../synth/assembly-summary';
import { round } from './measure';

export interface TemplateStat {
  readonly stack: string;
  readonly resources: number;
  readonly resourcesPercentOfLimit: number;
  readonly bytes: number;
  readonly bytesPercentOfLimit: number;
}

/** Resource count and size of every template a synth wrote, against CloudFormation's limits. */
export function templateStats(assemblyDir: string): TemplateStat[] {
  return writtenTemplates(assemblyDir)
    .sort((a, b) => a.stack.localeCompare(b.stack))
    .map(({ stack, resources, bytes }) => ({
      stack,
      resources,
      resourcesPercentOfLimit: round((resources / CFN_MAX_RESOURCES) * 100, 1),
      bytes,
      bytesPercentOfLimit: round((bytes / CFN_MAX_TEMPLATE_BYTES) * 100, 1),
    }));
}

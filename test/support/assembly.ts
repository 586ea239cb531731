import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export type CfnTemplate = { Resources: Record<string, CfnResource>; Outputs?: Record<string, unknown>; [key: string]: unknown };
export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  DependsOn?: string | string[];
  [key: string]: unknown;
}

export interface Violation {
  readonly ruleName: string;
  readonly severity?: string;
  readonly violatingConstructs: { constructPath: string }[];
}
export interface SuppressedViolation extends Violation {
  readonly acknowledgedId?: string;
  readonly acknowledgedAt?: string;
  readonly reason?: string;
}
export interface PluginReport {
  readonly pluginName: string;
  readonly conclusion: string;
  readonly violations: Violation[];
  readonly suppressedViolations?: SuppressedViolation[];
}

/** Reads a stack's template from a synthesized assembly directory. */
export function readTemplate(assemblyDir: string, stackName: string): CfnTemplate {
  return JSON.parse(readFileSync(join(assemblyDir, `${stackName}.template.json`), 'utf8')) as CfnTemplate;
}

/** The validation plugins' reports of an assembly (empty when no plugin ran). */
export function readValidationReport(assemblyDir: string): PluginReport[] {
  const file = join(assemblyDir, 'validation-report.json');
  if (!existsSync(file)) return [];
  return (JSON.parse(readFileSync(file, 'utf8')) as { pluginReports: PluginReport[] }).pluginReports;
}

/** `<plugin> <rule> at <path>` for every unacknowledged finding, for readable test failures. */
export function unacknowledgedFindings(reports: readonly PluginReport[]): string[] {
  return reports.flatMap((r) =>
    r.violations.flatMap((v) => v.violatingConstructs.map((c) => `${r.pluginName} ${v.ruleName} at ${c.constructPath}`)),
  );
}

/** Resources of a type, by logical ID. */
export function resourcesOfType(template: CfnTemplate, type: string): Record<string, CfnResource> {
  return Object.fromEntries(Object.entries(template.Resources).filter(([, r]) => r.Type === type));
}

import type { IPolicyValidationContext, IPolicyValidationPlugin, PolicyValidationPluginReport, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { PolicyPack } from '../../model/config/policy-settings';

/** The packs each stack selected, by the stack's construct path, per app. */
const selections = new WeakMap<IConstruct, Map<string, ReadonlySet<PolicyPack>>>();

/**
 * Checks `stack` against `packs` only (an environment's `policies.packs`). A stack that selects
 * nothing is checked against every pack, so a team's own stacks in the same app keep the gates.
 */
export function selectPolicyPacks(stack: Stack, packs: readonly PolicyPack[]): void {
  const root = stack.node.root;
  const byStack = selections.get(root) ?? new Map<string, ReadonlySet<PolicyPack>>();
  selections.set(root, byStack);
  byStack.set(stack.node.path, new Set(packs));
}

/**
 * A policy pack that reports only on the stacks that selected it. CDK runs every validation
 * plugin on every stack of the app, so the selection is applied around the plugin: it gets only
 * the selected stacks' templates (cfn-guard reads nothing else), and findings in other stacks
 * are dropped (cdk-nag walks the whole construct tree). Nothing runs when no stack selected it.
 */
export class SelectedPack implements IPolicyValidationPlugin {
  public readonly name: string;
  public readonly version?: string;
  public readonly ruleIds?: string[];

  constructor(
    private readonly pack: PolicyPack,
    private readonly inner: IPolicyValidationPlugin,
    private readonly root: IConstruct,
  ) {
    this.name = inner.name;
    this.version = inner.version;
    this.ruleIds = inner.ruleIds;
  }

  public validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const byStack = selections.get(this.root) ?? new Map<string, ReadonlySet<PolicyPack>>();
    const stacks = context.stackTemplates ?? [];
    const skipped = stacks.filter((s) => byStack.get(s.stackConstructPath)?.has(this.pack) === false);
    if (skipped.length === 0) return this.inner.validate(context);
    const kept = stacks.filter((s) => !skipped.includes(s));
    if (kept.length === 0) return { success: true, violations: [] };
    const skippedTemplates = new Set(skipped.map((s) => s.templatePath));
    const report = this.inner.validate({ ...context, templatePaths: kept.map((s) => s.templatePath), stackTemplates: kept });
    const inSkipped = (r: { templatePath?: string; constructPath?: string }) =>
      (r.templatePath !== undefined && skippedTemplates.has(r.templatePath)) ||
      (r.constructPath !== undefined &&
        skipped.some((s) => r.constructPath === s.stackConstructPath || r.constructPath!.startsWith(`${s.stackConstructPath}/`)));
    const violations = report.violations
      .map((v) => ({ ...v, violatingResources: v.violatingResources.filter((r) => !inSkipped(r)) }))
      .filter((v) => v.violatingResources.length > 0);
    return { ...report, violations, success: report.success || !violations.some((v) => v.severity !== 'warning') };
  }
}

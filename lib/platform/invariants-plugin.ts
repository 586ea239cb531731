import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { IPolicyValidationContext, IPolicyValidationPlugin, PolicyValidationPluginReport, PolicyViolation } from 'aws-cdk-lib';
import type { StackEnvironment } from '../model/deploy/intrinsics';
import type { CfnTemplate } from '../model/deploy/template';
import type { TemplateRule } from '../model/invariants/invariant-rule';
import { INVARIANT_RULES } from '../model/invariants/rules';

/**
 * Runs the template-phase invariants (resource count, template size) on every synthesized
 * template, through CDK's validation framework: a violation fails `cdk synth` like a cdk-nag
 * finding does.
 */
export class InvariantsPlugin implements IPolicyValidationPlugin {
  public readonly name = 'loadbearing-invariants';
  public readonly ruleIds: string[];
  private readonly rules: TemplateRule[];

  /**
   * @param optOuts rule IDs each stack (by stack name) opted out of
   * @param environments each stack's account and region (by stack name), for the rules that read the template
   */
  constructor(
    private readonly optOuts: ReadonlyMap<string, ReadonlySet<string>> = new Map(),
    private readonly environments: ReadonlyMap<string, StackEnvironment> = new Map(),
  ) {
    this.rules = INVARIANT_RULES.filter((r): r is TemplateRule => r.phase === 'template');
    this.ruleIds = this.rules.map((r) => r.id);
  }

  public validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const violations: PolicyViolation[] = [];
    for (const templatePath of context.templatePaths) {
      const text = readFileSync(templatePath, 'utf8');
      const template = JSON.parse(text) as CfnTemplate;
      const stackName = basename(templatePath).replace(/\.template\.json$/, '');
      const environment = this.environments.get(stackName);
      const stats = {
        stackName,
        resources: Object.keys(template.Resources ?? {}).length,
        bytes: Buffer.byteLength(text),
        template,
        ...(environment ? { environment } : {}),
      };
      for (const rule of this.rules) {
        if (this.optOuts.get(stackName)?.has(rule.id)) continue;
        for (const finding of rule.checkTemplate(stats)) {
          violations.push({
            ruleName: rule.id,
            description: `[${rule.id}] ${finding.message}`,
            fix: finding.fix,
            severity: rule.severity,
            violatingResources: [{ templatePath, locations: ['Resources'] }],
          });
        }
      }
    }
    return { success: violations.every((v) => v.severity !== 'error'), violations };
  }
}

import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { IPolicyValidationContext, IPolicyValidationPlugin, PolicyValidationPluginReport, PolicyViolation } from 'aws-cdk-lib';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';

const RULES_DIR = join(dirname(require.resolve('@cdklabs/cdk-validator-cfnguard/package.json')), 'rules', 'control-tower', 'cfn-guard');

/** Each bundled Control Tower rule file, with the resource types it inspects. */
function bundledRules(): { file: string; name: string; types: Set<string> }[] {
  return readdirSync(RULES_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => readdirSync(join(RULES_DIR, d.name)).map((f) => join(RULES_DIR, d.name, f)))
    .filter((file) => file.endsWith('.guard'))
    .map((file) => ({
      file,
      name: basename(file, '.guard'),
      types: new Set(readFileSync(file, 'utf8').match(/AWS::[A-Za-z0-9]+::[A-Za-z0-9]+/g) ?? []),
    }));
}

export interface ControlTowerGuardProps {
  /** Rule files (by name, e.g. `ct-s3-pr-1`) to skip. @default - none */
  readonly disabledRules?: readonly string[];
}

/**
 * The AWS Control Tower proactive controls: the cfn-guard rules bundled with
 * `@cdklabs/cdk-validator-cfnguard`, run offline by its bundled cfn-guard binary.
 *
 * Two adjustments to the plugin:
 * - **Speed.** cfn-guard evaluates every rule file against the whole template, so its cost
 *   grows with rules x template size (about 20 s for one prod template with all 237 rules).
 *   Every rule selects resources by type, so the wrapper groups the rules by the types they
 *   inspect, skips groups whose types do not occur, and runs each group on copies of the
 *   templates that hold only those types. The findings are the same; logical IDs are unchanged
 *   and paths point at the real templates.
 * - **Severity.** The plugin reports findings without a severity. Once any finding is
 *   acknowledged, CDK recomputes success from severities, so unmarked findings would stop
 *   failing synth; every finding is marked an error.
 */
export class ControlTowerGuard implements IPolicyValidationPlugin {
  public readonly name = 'cdk-validator-cfnguard';
  public readonly version: string;
  public readonly ruleIds: string[];
  private readonly rules: { file: string; name: string; types: Set<string> }[];

  constructor(props: ControlTowerGuardProps = {}) {
    this.rules = bundledRules().filter((r) => !(props.disabledRules ?? []).includes(r.name));
    this.ruleIds = this.rules.map((r) => r.name);
    this.version = new CfnGuardValidator({ controlTowerRulesEnabled: false }).version ?? 'unknown';
  }

  public validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const templates = context.templatePaths.map((path) => ({
      path,
      template: JSON.parse(readFileSync(path, 'utf8')) as { Resources?: Record<string, { Type: string }> },
    }));
    const present = new Set(templates.flatMap((t) => Object.values(t.template.Resources ?? {}).map((r) => r.Type)));
    // Rules that inspect the same resource types run together, on copies holding only those types.
    const groups = new Map<string, { types: Set<string>; rules: string[] }>();
    for (const rule of this.rules) {
      if (![...rule.types].some((t) => present.has(t))) continue;
      const key = [...rule.types].sort().join(',');
      const group = groups.get(key) ?? { types: rule.types, rules: [] };
      group.rules.push(rule.file);
      groups.set(key, group);
    }
    const workdir = mkdtempSync(join(tmpdir(), 'control-tower-'));
    try {
      const violations: PolicyViolation[] = [];
      [...groups.values()].forEach((group, i) => {
        const copies = new Map<string, string>();
        for (const { path, template } of templates) {
          const resources = Object.fromEntries(Object.entries(template.Resources ?? {}).filter(([, r]) => group.types.has(r.Type)));
          if (Object.keys(resources).length === 0) continue;
          const copy = join(workdir, `${i}-${basename(path)}`);
          writeFileSync(copy, JSON.stringify({ ...template, Resources: resources }));
          copies.set(copy, path);
        }
        if (copies.size === 0) return;
        const report = new CfnGuardValidator({ controlTowerRulesEnabled: false, rules: group.rules }).validate({
          ...context,
          templatePaths: [...copies.keys()],
        });
        for (const v of report.violations) {
          violations.push({
            ...v,
            severity: v.severity ?? 'error',
            violatingResources: v.violatingResources.map((r) => ({
              ...r,
              templatePath: (r.templatePath && copies.get(r.templatePath)) ?? r.templatePath,
            })),
          });
        }
      });
      return { success: violations.length === 0, violations };
    } finally {
      rmSync(workdir, { recursive: true, force: true });
    }
  }
}

import { RULE_GROUPS } from './invariant-rule';
import { INVARIANT_RULES } from './rules';

const PHASE = { config: 'config, before synth', template: 'synthesized template', schema: 'config schema' } as const;

/**
 * The list of invariants in docs/configuration.md, generated from the rule module: a table of
 * the rules, then why each exists (a list: the reasons are too long for a table cell).
 */
export function invariantsReference(): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  const lines = ['| ID | Group | Rule | Fails synth? | Checked on |', '| --- | --- | --- | --- | --- |'];
  for (const rule of INVARIANT_RULES) {
    const severity = rule.severity === 'error' ? 'yes' : 'no: warning';
    lines.push(`| ${rule.id} | ${RULE_GROUPS[rule.group]} | ${cell(rule.title)} | ${severity} | ${PHASE[rule.phase]} |`);
  }
  lines.push('', 'Why each rule exists:', '', ...INVARIANT_RULES.map((rule) => `- **${rule.id}**: ${rule.rationale}`));
  return `${lines.join('\n')}\n`;
}

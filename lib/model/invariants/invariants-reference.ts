import { RULE_GROUPS } from './invariant-rule';
import { INVARIANT_RULES } from './rules';

const PHASE = { config: 'config, before synth', template: 'synthesized template', schema: 'config schema' } as const;

/** The list of invariants in docs/configuration.md, generated from the rule module. */
export function invariantsReference(): string {
  const lines = ['| ID | Group | Rule | Fails synth? | Checked on | Why |', '| --- | --- | --- | --- | --- | --- |'];
  for (const rule of INVARIANT_RULES) {
    const severity = rule.severity === 'error' ? 'yes' : 'no: warning';
    lines.push(
      `| ${rule.id} | ${RULE_GROUPS[rule.group]} | ${rule.title} | ${severity} | ${PHASE[rule.phase]} | ${rule.rationale.replace(/\|/g, '\\|')} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

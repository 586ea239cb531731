import { ENVIRONMENT_RULE_TOPICS, ENVIRONMENT_RULES } from './environment-rules';

/** The list of environment rules in docs/configuration.md ("Environment rules"), generated from the rule module. */
export function environmentRulesReference(): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  return [
    '| ID | Topic | Rule | Why |',
    '| --- | --- | --- | --- |',
    ...ENVIRONMENT_RULES.map((r) => `| ${r.id} | ${ENVIRONMENT_RULE_TOPICS[r.topic]} | ${cell(r.title)} | ${cell(r.rationale)} |`),
    '',
  ].join('\n');
}

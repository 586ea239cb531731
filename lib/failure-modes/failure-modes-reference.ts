import { FAILURE_MODES } from './modes';

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The failure-mode table of docs/failure-modes.md, generated from the mode definitions. */
export function failureModesReference(): string {
  const rows = [...FAILURE_MODES.values()].map((m) =>
    [
      `\`${m.id}\``,
      cell(`**${m.title}.** ${m.failure}`),
      cell(`${m.mitigation.summary} Config: ${m.mitigation.configKeys.map((k) => `\`${k}\``).join(', ')}.`),
      m.invariants.join(', '),
      m.expectedAlarms.length > 0 ? m.expectedAlarms.map((a) => `\`${a}\``).join(', ') : '- (none: nothing a customer sees)',
      cell(m.runbook.map((step, i) => `${i + 1}. ${step}`).join(' ')),
    ].join(' | '),
  );
  return [
    '| Mode | Failure | Built-in mitigation | Invariants | Expected cause alarms | Runbook |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r} |`),
  ].join('\n');
}

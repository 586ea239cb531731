import { builtinEnvironments } from '../config/load-config';
import { failureModeCatalogue, catalogueMarkdown } from './catalogue';
import { DRILLS, isNoDrill } from './drills';
import { FAILURE_MODE_IDS } from './failure-mode';

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The failure-mode catalogue of docs/failure-modes.md: one table per built-in environment. */
export function failureModesReference(): string {
  return builtinEnvironments()
    .map((config) => [`### ${config.name} (\`${config.stackName}\`)`, '', catalogueMarkdown(failureModeCatalogue(config))].join('\n'))
    .join('\n\n');
}

/** What each drill does and does not prove (docs/failure-modes.md, "Drills in AWS"). */
export function drillsReference(): string {
  const rows = FAILURE_MODE_IDS.map((mode) => {
    const d = DRILLS[mode];
    if (isNoDrill(d)) return `| \`${mode}\` | none | ${cell(d.reason)} | - |`;
    return `| \`${mode}\` | \`${d.drill}\`${d.perZone ? ' (one per AZ)' : ''} | ${cell(d.summary)} | ${cell(d.limitations.join(' '))} |`;
  });
  return ['| Mode | Drill | What it does | What it does not prove |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

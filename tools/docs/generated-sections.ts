import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchTable } from '../bench/bench-table';
import { installSizeBench, type InstallSizeResult } from '../bench/install-size';
import type { BenchResults } from '../bench/run-bench';
import { awsLimitsReference } from '../../lib/model/config/aws-limits';
import { configReference } from '../../lib/model/config/config-reference';
import { environmentRulesReference } from '../../lib/model/config/environment-rules-reference';
import { freshnessTable } from '../../lib/model/config/freshness-table';
import { builtinEnvironments } from '../../lib/model/config/load-config';
import { contractTable } from '@loadbearing/contract';
import { createTimesTable } from '../../lib/model/deploy/create-times';
import { drillsReference, failureModesReference } from '../../lib/model/failure-modes/failure-modes-reference';
import { invariantsReference } from '../../lib/model/invariants/invariants-reference';
import { UPDATE_NOTES } from '../../lib/platform/review/update-notes';
import { IN_PLACE_RULES, REFUSED_UPDATES, type UpdateRule } from '../../lib/platform/review/update-rules';
import { projectRoot } from '../synth/project-root';
import { cliGrammarTable } from './cli-grammar';

/** A documentation section generated from code, and the page (relative to the repository root) it lives in. */
export interface GeneratedSection {
  readonly file: string;
  readonly render: () => string;
}

/**
 * Documentation sections generated from code. Each lives in its page between
 * `<!-- generated:<name>:start -->` and `<!-- generated:<name>:end -->`; `npm run docs` rewrites
 * them, and a test fails when a committed page differs from what the code says.
 */
export const GENERATED_SECTIONS: Readonly<Record<string, GeneratedSection>> = {
  'config-reference': { file: 'docs/configuration.md', render: configReference },
  invariants: { file: 'docs/configuration.md', render: invariantsReference },
  'environment-rules': { file: 'docs/configuration.md', render: environmentRulesReference },
  'aws-limits': { file: 'docs/configuration.md', render: awsLimitsReference },
  performance: { file: 'docs/performance.md', render: performanceResults },
  'install-size': { file: 'docs/upgrading.md', render: installSizeResults },
  'runtime-contract': { file: 'docs/runtime-contract.md', render: contractTable },
  'failure-modes': { file: 'docs/failure-modes.md', render: failureModesReference },
  drills: { file: 'docs/failure-modes.md', render: drillsReference },
  freshness: { file: 'docs/architecture.md', render: () => builtinEnvironments().map(freshnessTable).join('\n') },
  'team-app': { file: 'docs/extending.md', render: teamApp },
  'uploads-bucket': { file: 'docs/extending.md', render: () => exampleFile('uploads-bucket.ts') },
  'team-rules': { file: 'docs/policy-gates.md', render: () => exampleFile('team-rules.ts') },
  'cli-grammar': { file: 'docs/ops-cli.md', render: () => cliGrammarTable() },
  'create-times': { file: 'docs/deploying.md', render: createTimesTable },
  'refused-updates': { file: 'docs/reviewing-changes.md', render: () => ruleTable(REFUSED_UPDATES) },
  'in-place-rules': { file: 'docs/reviewing-changes.md', render: () => ruleTable(IN_PLACE_RULES) },
  'update-notes': {
    file: 'docs/reviewing-changes.md',
    render: () => ruleTable(UPDATE_NOTES.map((r) => ({ ...r, property: r.properties.join('` `') }))),
  },
};

/** Every page that holds a generated section. */
export function generatedPages(sections: Readonly<Record<string, GeneratedSection>> = GENERATED_SECTIONS): string[] {
  return [...new Set(Object.values(sections).map((s) => s.file))].sort();
}

/**
 * The page `file` with each of its generated sections replaced by the current content. Rooms
 * above lib (the proving ground) pass their own sections; tools/docs/update-docs.ts renders both.
 */
export function renderGeneratedSections(
  document: string,
  file: string,
  sections: Readonly<Record<string, GeneratedSection>> = GENERATED_SECTIONS,
): string {
  let result = document;
  for (const [name, section] of Object.entries(sections)) {
    if (section.file !== file) continue;
    const start = `<!-- generated:${name}:start -->`;
    const end = `<!-- generated:${name}:end -->`;
    const from = result.indexOf(start);
    const to = result.indexOf(end);
    if (from < 0 || to < from) throw new Error(`${file} is missing the markers for the generated section "${name}"`);
    result = `${result.slice(0, from + start.length)}\n${section.render().trim()}\n${result.slice(to)}`;
  }
  return result;
}

/**
 * The team project of docs/extending.md, file by file: exactly what
 * test/integration/consumer-package.test.ts installs the packed package next to and synthesizes.
 */
function teamApp(): string {
  const dir = join(projectRoot(__dirname), 'test', 'extension', 'team-app');
  const block = (file: string, language: string) =>
    [`\`${file}\`:`, '', `\`\`\`${language}`, readFileSync(join(dir, file), 'utf8').trimEnd(), '```'].join('\n');
  return [block('cdk.json', 'json'), '', block('app.ts', 'ts')].join('\n');
}

/** A worked example of test/extension/ (compiled and asserted by test/extension/examples.test.ts), as a code block. */
function exampleFile(file: string): string {
  const text = readFileSync(join(projectRoot(__dirname), 'test', 'extension', file), 'utf8').trimEnd();
  return [`\`test/extension/${file}\`:`, '', '```ts', text, '```'].join('\n');
}

/** The guard's documented update rules (lib/platform/review/update-rules.ts), each with its sources: a table, then what AWS does per rule. */
function ruleTable(rules: readonly Pick<UpdateRule, 'id' | 'type' | 'property' | 'reason' | 'sources'>[]): string {
  const rows = rules.map(
    (r) => `| \`${r.id}\` | \`${r.type}\` \`${r.property}\` | ${r.sources.map((url, i) => `[${i + 1}](${url})`).join(' ')} |`,
  );
  return [
    '| Rule | Resource, property | Sources |',
    '| --- | --- | --- |',
    ...rows,
    '',
    'What AWS does:',
    '',
    ...rules.map((r) => `- \`${r.id}\`: ${r.reason}`),
  ].join('\n');
}

/** The last `npm run bench` of this repository (bench/results.json). */
function performanceResults(): string {
  const file = join(projectRoot(__dirname), 'bench', 'results.json');
  if (!existsSync(file)) return '_Not measured yet: run `npm run bench`._';
  return benchTable(JSON.parse(readFileSync(file, 'utf8')) as BenchResults);
}

/** The install-size part of the last bench, as on the performance page. */
function installSizeResults(): string {
  const file = join(projectRoot(__dirname), 'bench', 'results.json');
  const result = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as BenchResults).parts['install-size'] : undefined;
  if (!result) return '_Not measured yet: run `npm run bench -- --only install-size`._';
  return [
    ...installSizeBench.table(result as InstallSizeResult),
    '',
    `_Measured ${result.measuredAt.slice(0, 16).replace('T', ' ')} UTC by \`npm run bench -- --only install-size\` ([Performance](performance.md))._`,
  ].join('\n');
}

/** The pages whose generated sections come from bench/results.json: `npm run bench` rewrites them. */
export const BENCH_PAGES = ['docs/performance.md', 'docs/upgrading.md'];

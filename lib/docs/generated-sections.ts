import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchTable } from '../bench/bench-table';
import type { BenchResults } from '../bench/run-bench';
import { configReference } from '../config/config-reference';
import { freshnessTable } from '../config/freshness-table';
import { builtinEnvironments } from '../config/load-config';
import { invariantsReference } from '../invariants/invariants-reference';

/**
 * README sections generated from code. Each lives between `<!-- generated:<name>:start -->`
 * and `<!-- generated:<name>:end -->`; `npm run docs` rewrites them, and a test fails when the
 * committed README differs from what the code says.
 */
export const GENERATED_SECTIONS: Readonly<Record<string, () => string>> = {
  'config-reference': configReference,
  invariants: invariantsReference,
  performance: performanceResults,
  freshness: () => builtinEnvironments().map(freshnessTable).join('\n'),
};

/** The document with every generated section replaced by its current content. */
export function renderGeneratedSections(document: string): string {
  let result = document;
  for (const [name, render] of Object.entries(GENERATED_SECTIONS)) {
    const start = `<!-- generated:${name}:start -->`;
    const end = `<!-- generated:${name}:end -->`;
    const from = result.indexOf(start);
    const to = result.indexOf(end);
    if (from < 0 || to < from) throw new Error(`README is missing the markers for the generated section "${name}"`);
    result = `${result.slice(0, from + start.length)}\n${render().trim()}\n${result.slice(to)}`;
  }
  return result;
}

/** The last `npm run bench` of this repository (bench/results.json). */
function performanceResults(): string {
  const file = join(__dirname, '..', '..', 'bench', 'results.json');
  if (!existsSync(file)) return '_Not measured yet: run `npm run bench`._';
  return benchTable(JSON.parse(readFileSync(file, 'utf8')) as BenchResults);
}


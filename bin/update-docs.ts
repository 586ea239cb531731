#!/usr/bin/env node
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GENERATED_SECTIONS, generatedPages, renderGeneratedSections } from '../lib/docs/generated-sections';
import { PROVING_GROUND_SECTIONS } from '../proving-ground/docs-sections';

// `npm run docs`: regenerates the documentation sections that are derived from code.
const root = join(__dirname, '..');
for (const [page, sections] of [
  ...generatedPages().map((p) => [p, GENERATED_SECTIONS] as const),
  ...generatedPages(PROVING_GROUND_SECTIONS).map((p) => [p, PROVING_GROUND_SECTIONS] as const),
]) {
  const file = join(root, page);
  const before = readFileSync(file, 'utf8');
  const after = renderGeneratedSections(before, page, sections);
  writeFileSync(file, after);
  process.stdout.write(before === after ? `${page} is up to date\n` : `${page} updated\n`);
}

#!/usr/bin/env node
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generatedPages, renderGeneratedSections } from '../lib/docs/generated-sections';

// `npm run docs`: regenerates the documentation sections that are derived from code.
const root = join(__dirname, '..');
for (const page of generatedPages()) {
  const file = join(root, page);
  const before = readFileSync(file, 'utf8');
  const after = renderGeneratedSections(before, page);
  writeFileSync(file, after);
  process.stdout.write(before === after ? `${page} is up to date\n` : `${page} updated\n`);
}

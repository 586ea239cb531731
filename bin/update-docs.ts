#!/usr/bin/env node
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderGeneratedSections } from '../lib/docs/generated-sections';

// `npm run docs`: regenerates the README sections that are derived from code.
const file = join(__dirname, '..', 'README.md');
const before = readFileSync(file, 'utf8');
const after = renderGeneratedSections(before);
writeFileSync(file, after);
process.stdout.write(before === after ? 'README.md is up to date\n' : 'README.md updated\n');

#!/usr/bin/env node
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GENERATED_SECTIONS, generatedPages, renderGeneratedSections } from './generated-sections';
import { awsCatalogModule } from '../catalog/aws-catalog';
import { projectRoot } from '../synth/project-root';
import { PROVING_GROUND_SECTIONS } from './proving-ground-sections';

// `npm run docs`: regenerates the documentation sections that are derived from code, and the
// model's copy of aws-cdk-lib's region and PostgreSQL version data (lib/model/config/aws-catalog.ts).
const root = projectRoot(__dirname);
const catalog = join(root, 'lib', 'model', 'config', 'aws-catalog.ts');
const catalogBefore = readFileSync(catalog, 'utf8');
writeFileSync(catalog, awsCatalogModule());
process.stdout.write(
  catalogBefore === awsCatalogModule() ? 'lib/model/config/aws-catalog.ts is up to date\n' : 'lib/model/config/aws-catalog.ts updated\n',
);
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

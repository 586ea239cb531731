import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generatedPages, renderGeneratedSections } from '../../tools/docs/generated-sections';
import { PROVING_GROUND_SECTIONS } from '../../tools/docs/proving-ground-sections';
import { proveCommand } from '../src/prove-command';

const ROOT = join(__dirname, '..', '..');

describe('docs/proving-ground.md', () => {
  it.each(generatedPages(PROVING_GROUND_SECTIONS))(
    '%s has the HAProxy mapping, the rehearsals and the committed results as the code renders them (npm run docs)',
    (page) => {
      const text = readFileSync(join(ROOT, page), 'utf8');
      expect(renderGeneratedSections(text, page, PROVING_GROUND_SECTIONS)).toBe(text);
    },
  );

  it('is in the ops CLI reference', () => {
    expect(readFileSync(join(ROOT, 'docs', 'ops-cli.md'), 'utf8')).toContain(`## \`${proveCommand.name}\``);
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderGeneratedSections } from '../../lib/docs/generated-sections';

const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
const ciRun = readFileSync(join(__dirname, '..', '..', '.ci', 'run'), 'utf8');

describe('README', () => {
  it('has the generated sections as the code renders them (run `npm run docs` to refresh)', () => {
    expect(readme).toBe(renderGeneratedSections(readme));
  });

  it('gives exactly two quickstart commands: synth everything, test everything', () => {
    const quickstart = /## Quickstart\n([\s\S]*?)\n## /.exec(readme)?.[1] ?? '';
    const block = /```sh\n([\s\S]*?)```/.exec(quickstart)?.[1] ?? '';
    const commands = block
      .split('\n')
      .map((line) => line.replace(/#.*$/, '').trim())
      .filter(Boolean);
    expect(commands).toEqual(['npm ci && npm run synth', 'npm ci && npm test']);
  });

  it('is what CI runs: .ci/run runs the install and the README test command', () => {
    expect(ciRun).toMatch(/^npm ci$/m);
    expect(ciRun).toMatch(/^npm test$/m);
  });
});

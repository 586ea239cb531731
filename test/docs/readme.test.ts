import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../lib/config/load-config';
import { renderGeneratedSections } from '../../lib/docs/generated-sections';
import { assertInvariants } from '../../lib/invariants/check-invariants';

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

  it('shows a config file that passes the schema and the invariants', () => {
    const configuration = /## Configuration\n([\s\S]*?)\n### /.exec(readme)?.[1] ?? '';
    const example = /```json\n([\s\S]*?)```/.exec(configuration)?.[1];
    expect(example).toBeDefined();
    const file = join(mkdtempSync(join(tmpdir(), 'readme-config-')), 'my-environments.json');
    writeFileSync(file, example!);
    const envs = loadConfigFile(file);
    expect(envs.map((e) => [e.name, e.region, e.edge.enabled])).toEqual([['prod', 'eu-west-1', true]]);
    expect(() => assertInvariants(envs)).not.toThrow();
  });

  it('is what CI runs: .ci/run runs the install and the README test command', () => {
    expect(ciRun).toMatch(/^npm ci$/m);
    expect(ciRun).toMatch(/^npm test$/m);
  });
});

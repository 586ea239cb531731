import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { builtinEnvironments } from '../../lib/config/load-config';
import { addPlatform } from '../../lib/platform-app';
import { maskVolatile } from '../support/mask-volatile';
import { testApp } from '../support/test-app';

const STACKS = ['loadbearing-dev', 'loadbearing-staging', 'loadbearing-prod'];
const suiteAssembly = inject('assemblyDir');

describe.each(STACKS)('%s template', (stack) => {
  it('matches the reviewed snapshot (review changes like a synth diff; accept with `npx vitest run -u`)', async () => {
    const text = readFileSync(join(suiteAssembly, `${stack}.template.json`), 'utf8');
    await expect(maskVolatile(text)).toMatchFileSnapshot(`__snapshots__/${stack}.template.json`);
  });
});

describe('determinism', () => {
  let secondAssembly: string;
  beforeAll(() => {
    const app = testApp();
    addPlatform(app, builtinEnvironments());
    secondAssembly = app.synth().directory;
  });

  it.each(STACKS)('a second synth of %s is byte-identical', (stack) => {
    const first = readFileSync(join(suiteAssembly, `${stack}.template.json`));
    const second = readFileSync(join(secondAssembly, `${stack}.template.json`));
    expect(second.equals(first)).toBe(true);
  });
});

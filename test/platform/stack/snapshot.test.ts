import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { maskVolatile } from '../../support/mask-volatile';

const STACKS = ['loadbearing-dev', 'loadbearing-staging', 'loadbearing-prod'];
const suiteAssembly = inject('assemblyDir');

describe.each(STACKS)('%s template', (stack) => {
  it('matches the reviewed snapshot (review changes like a synth diff; accept with `npx vitest run -u`)', async () => {
    const text = readFileSync(join(suiteAssembly, `${stack}.template.json`), 'utf8');
    await expect(maskVolatile(text)).toMatchFileSnapshot(`__snapshots__/${stack}.template.json`);
  });
});

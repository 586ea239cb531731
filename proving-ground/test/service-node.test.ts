import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REFERENCE_SERVICE_NODEJS_MAJOR } from 'loadbearing/model';
import { findServiceNode, SERVICE_NODE_ENV } from '../src/local-stack/service-node';

const dir = mkdtempSync(join(tmpdir(), 'service-node-'));
/** A stand-in binary that only answers `--version`. */
function fakeNode(version: string): string {
  const path = join(dir, `node-${version}`);
  writeFileSync(path, `#!/bin/sh\necho ${version}\n`);
  chmodSync(path, 0o755);
  return path;
}
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the Node.js that runs the service locally: the fleet's major", () => {
  it('takes the repository pin (the npm package "node") when nothing overrides it', () => {
    const found = findServiceNode({});
    expect(typeof found).not.toBe('string');
    expect(found).toMatchObject({ version: expect.stringMatching(new RegExp(`^v${REFERENCE_SERVICE_NODEJS_MAJOR}\\.`)) });
  });

  it(`takes $${SERVICE_NODE_ENV} when it is Node.js ${REFERENCE_SERVICE_NODEJS_MAJOR}`, () => {
    const path = fakeNode(`v${REFERENCE_SERVICE_NODEJS_MAJOR}.99.0`);
    expect(findServiceNode({ [SERVICE_NODE_ENV]: path })).toEqual({
      path,
      version: `v${REFERENCE_SERVICE_NODEJS_MAJOR}.99.0`,
      source: `$${SERVICE_NODE_ENV}`,
    });
  });

  it('refuses another major with one line naming the binary, its version and the fix', () => {
    const path = fakeNode('v20.1.0');
    const reason = findServiceNode({ [SERVICE_NODE_ENV]: path });
    expect(reason).toBe(
      `the reference service runs on Node.js ${REFERENCE_SERVICE_NODEJS_MAJOR} on the fleet and must here too, but $${SERVICE_NODE_ENV} (${path}) is v20.1.0: run \`npm ci\` in the repository (it pins the npm package "node" at ${REFERENCE_SERVICE_NODEJS_MAJOR}.x) or set ${SERVICE_NODE_ENV} to a Node.js ${REFERENCE_SERVICE_NODEJS_MAJOR} binary`,
    );
  });
});

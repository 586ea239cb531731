import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildRotationBundle } from '../../../rotation/build';

// The rotation function's code is a CDK asset: its bytes are the function's code hash. The diff
// guard synthesizes a git ref in a temporary tree whose node_modules is a symlink to the working
// tree's (lib/platform/review/template-sources.ts); if the bundle depended on where the tree sits, every
// review would show both rotation functions as changed although no source did.
const ROOT = resolve(__dirname, '..', '..', '..');
const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('the rotation function bundle', () => {
  const tree = mkdtempSync(join(tmpdir(), 'rotation-tree-'));
  const ours = mkdtempSync(join(tmpdir(), 'rotation-ours-'));
  afterAll(() => {
    rmSync(tree, { recursive: true, force: true });
    rmSync(ours, { recursive: true, force: true });
  });

  it('has the same bytes built twice, and built in another tree that links to the same node_modules', async () => {
    for (const part of ['rotation', 'package.json', 'tsconfig.json']) {
      cpSync(join(ROOT, part), join(tree, part), { recursive: true, filter: (src) => !src.includes(join('rotation', 'dist')) });
    }
    symlinkSync(join(ROOT, 'node_modules'), join(tree, 'node_modules'), 'dir');
    const theirs = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(tree, 'rotation', 'build.ts')], {
      cwd: tree,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(theirs.status, theirs.stderr).toBe(0);
    const first = await buildRotationBundle(join(ours, 'a'));
    const second = await buildRotationBundle(join(ours, 'b'));
    expect(second.sha256).toBe(first.sha256);
    expect(sha256(join(tree, 'assets', 'rotation-postgres-single-user', 'index.js'))).toBe(first.sha256);
    // No path of this machine in it.
    expect(readFileSync(first.path, 'utf8')).not.toContain(ROOT);
  }, 90_000);

  it('is the one tools/build.cjs built for the suite (the code the stacks ship)', () => {
    expect(sha256(join(ROOT, 'assets', 'rotation-postgres-single-user', 'index.js'))).toBe(sha256(join(ours, 'a', 'index.js')));
  });
});

import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildServiceBundle } from '../../../service/build';

// The diff guard synthesizes a git ref in a temporary tree whose node_modules is a symlink to the
// working tree's (lib/platform/review/template-sources.ts). The service bundle is the fleet's release
// asset: if its bytes depended on where the tree sits, every review would show the launch
// template as changed although no service source did.
const ROOT = resolve(__dirname, '..', '..', '..');
const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('the service bundle', () => {
  const tree = mkdtempSync(join(tmpdir(), 'bundle-tree-'));
  const ours = join(mkdtempSync(join(tmpdir(), 'bundle-ours-')), 'loadbearing-service.js');
  afterAll(() => {
    rmSync(tree, { recursive: true, force: true });
    rmSync(join(ours, '..'), { recursive: true, force: true });
  });

  it('has the same bytes when built in another tree that links to the same node_modules', async () => {
    for (const part of ['service', 'contract', 'package.json', 'tsconfig.json']) {
      cpSync(join(ROOT, part), join(tree, part), { recursive: true, filter: (src) => !src.includes(`${join('contract', 'dist')}`) });
    }
    symlinkSync(join(ROOT, 'node_modules'), join(tree, 'node_modules'), 'dir');
    const theirs = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(tree, 'service', 'build.ts')], {
      cwd: tree,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(theirs.status, theirs.stderr).toBe(0);
    const built = await buildServiceBundle(ours);
    expect(sha256(join(tree, 'assets', 'loadbearing-service.js'))).toBe(built.sha256);
  }, 90_000);
});

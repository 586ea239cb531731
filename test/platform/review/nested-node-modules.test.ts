import { existsSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { linkNestedNodeModules } from '../../../lib/platform/review/template-sources';

/**
 * The baseline of a diff is `git archive` of a commit: an app artifact's own node_modules (ignored
 * by git) is not in it. Without it, the baseline's artifact hashes differently, and a config-only
 * change reads as a new release that rolls the fleet (found in a new user's walk).
 */
const dirs: string[] = [];
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), 'lb-nested-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("the baseline gets the working tree's nested node_modules", () => {
  it("links an app's node_modules where the baseline has the app's folder, and nothing else", () => {
    const project = temp();
    const tree = temp();
    for (const d of [
      'node_modules/x',
      'my-app/node_modules/@loadbearing/contract',
      'gone/node_modules/y',
      'cdk.out/asset.1/node_modules/z',
      '.git/node_modules',
    ])
      mkdirSync(join(project, d), { recursive: true });
    writeFileSync(join(project, 'my-app', 'server.js'), '');
    mkdirSync(join(tree, 'my-app'), { recursive: true });
    mkdirSync(join(tree, 'node_modules'));
    expect(linkNestedNodeModules(project, tree)).toEqual(['my-app/node_modules']);
    expect(readlinkSync(join(tree, 'my-app', 'node_modules'))).toBe(join(project, 'my-app', 'node_modules'));
    expect(existsSync(join(tree, 'gone'))).toBe(false);
    expect(existsSync(join(tree, 'cdk.out'))).toBe(false);
  });

  it('leaves a node_modules the baseline tracks (committed) as it is', () => {
    const project = temp();
    const tree = temp();
    mkdirSync(join(project, 'my-app', 'node_modules', 'a'), { recursive: true });
    mkdirSync(join(tree, 'my-app', 'node_modules', 'b'), { recursive: true });
    expect(linkNestedNodeModules(project, tree)).toEqual([]);
    expect(existsSync(join(tree, 'my-app', 'node_modules', 'b'))).toBe(true);
  });
});

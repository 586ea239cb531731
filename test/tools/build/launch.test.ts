import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BUILD_INFO, isBuildFresh, sourceHash } from '../../../tools/build.cjs';
import { runnerFor } from '../../../tools/launch.cjs';
import { PROJECT_ROOT } from '../../support/run-cdk';

/** A project folder with the build's inputs and a dist/ recorded as built from them. */
function project(): string {
  const root = mkdtempSync(join(tmpdir(), 'launch-'));
  const files: Record<string, string> = {
    'bin/app.ts': 'console.log("ts");\n',
    'lib/a.ts': 'export const a = 1;\n',
    'constructs/b.ts': 'export const b = 2;\n',
    'tsconfig.json': '{}\n',
    'tsconfig.build.json': '{}\n',
    'node_modules/typescript/package.json': '{"version":"7.0.2"}\n',
    'dist/bin/app.js': 'console.log("dist");\n',
  };
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), text);
  }
  writeFileSync(join(root, BUILD_INFO), JSON.stringify({ sourceHash: sourceHash(root) }));
  return root;
}

describe('the build freshness check (tools/build.cjs)', () => {
  let root: string;
  beforeEach(() => (root = project()));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('is fresh when dist/ records the hash of the current sources', () => {
    expect(isBuildFresh(root)).toBe(true);
  });

  it.each([
    ['a source edited', (r: string) => writeFileSync(join(r, 'lib/a.ts'), 'export const a = 2;\n')],
    ['a source added', (r: string) => writeFileSync(join(r, 'constructs/c.ts'), 'export {};\n')],
    [
      'a source in a nested folder added',
      (r: string) => (mkdirSync(join(r, 'lib/x/y'), { recursive: true }), writeFileSync(join(r, 'lib/x/y/z.ts'), '')),
    ],
    // A plain JavaScript module the build copies (proving-ground/src/local-stack/find-postgres.cjs) and its types.
    ['a plain .cjs module added', (r: string) => writeFileSync(join(r, 'lib/plain.cjs'), "'use strict';\n")],
    ['a .d.cts added', (r: string) => writeFileSync(join(r, 'lib/plain.d.cts'), 'export {};\n')],
    ['a tsconfig changed', (r: string) => writeFileSync(join(r, 'tsconfig.build.json'), '{"compilerOptions":{}}\n')],
    [
      'the TypeScript version changed',
      (r: string) => writeFileSync(join(r, 'node_modules/typescript/package.json'), '{"version":"7.0.3"}\n'),
    ],
    ['no build recorded', (r: string) => rmSync(join(r, BUILD_INFO))],
  ])('is stale after %s', (_what, change) => {
    change(root);
    expect(isBuildFresh(root)).toBe(false);
  });

  it('judges content, not timestamps: a touched but unchanged source stays fresh', () => {
    const future = new Date(Date.now() + 3_600_000);
    utimesSync(join(root, 'lib/a.ts'), future, future);
    expect(isBuildFresh(root)).toBe(true);
  });

  it('ignores files the build does not compile (tests, docs)', () => {
    mkdirSync(join(root, 'test'));
    writeFileSync(join(root, 'test/x.test.ts'), '');
    writeFileSync(join(root, 'lib/notes.md'), '');
    expect(isBuildFresh(root)).toBe(true);
  });
});

describe('the launcher (tools/launch.cjs)', () => {
  let root: string;
  beforeEach(() => (root = project()));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('runs the compiled JavaScript when dist/ is fresh', () => {
    expect(runnerFor('bin/app', root, undefined)).toBe('dist');
  });

  it('falls back to the TypeScript sources (tsx) when dist/ is stale or the entry is not compiled', () => {
    writeFileSync(join(root, 'lib/a.ts'), 'export const a = 3;\n');
    expect(runnerFor('bin/app', root, undefined)).toBe('tsx');
    expect(runnerFor('bin/other', project(), undefined)).toBe('tsx');
  });

  it('obeys LOADBEARING_RUNNER, and refuses to run a stale dist/ when forced to', () => {
    expect(runnerFor('bin/app', root, 'tsx')).toBe('tsx');
    writeFileSync(join(root, 'lib/a.ts'), 'export const a = 4;\n');
    expect(() => runnerFor('bin/app', root, 'dist')).toThrow(
      /LOADBEARING_RUNNER=dist, but dist\/bin\/app\.js is missing or older than the sources: run `npm run build`/,
    );
  });

  it("runs this project's entry points either way, with their own arguments", () => {
    const run = (runner: string) =>
      spawnSync(process.execPath, ['tools/launch.cjs', 'bin/diff', '--help'], {
        cwd: PROJECT_ROOT,
        encoding: 'utf8',
        env: { ...process.env, LOADBEARING_RUNNER: runner },
      });
    for (const runner of ['dist', 'tsx']) {
      const result = run(runner);
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(/^Usage: npm run diff/);
    }
    // The repository's tooling (the synth wrapper) runs from its sources: it is not part of the package.
    expect(runnerFor('tools/synth/main', root, undefined)).toBe('tsx');
    const synth = spawnSync(process.execPath, ['tools/launch.cjs', 'tools/synth/main', '--help'], { cwd: PROJECT_ROOT, encoding: 'utf8' });
    expect(synth.stdout).toMatch(/^Usage: npm run synth -- \[stack\.\.\.\] \[options\]/);
  });
});

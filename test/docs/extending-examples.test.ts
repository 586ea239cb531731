import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..');

/** The TypeScript blocks of a page that import the package. */
function packageExamples(page: string): string[] {
  const text = readFileSync(join(ROOT, page), 'utf8');
  return [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((code) => /from 'loadbearing(\/platform)?'/.test(code));
}

describe('docs/extending.md examples', () => {
  const examples = packageExamples('docs/extending.md');

  it('include the team app, as the file the consumer test runs (a generated section)', () => {
    const app = readFileSync(join(ROOT, 'test', 'extension', 'team-app', 'app.ts'), 'utf8');
    expect(examples).toContain(app);
  });

  it('compile against the package\'s entry points: every name they import is exported', () => {
    // Inside the repository (so aws-cdk-lib resolves), in a directory tsc includes on its own.
    const dir = join(ROOT, 'node_modules', '.cache', 'loadbearing-doc-examples');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    try {
      examples.forEach((code, i) => writeFileSync(join(dir, `example-${i}.ts`), code));
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({ extends: join(ROOT, 'tsconfig.json'), compilerOptions: { noUnusedLocals: false, typeRoots: [join(ROOT, 'node_modules', '@types')] }, files: examples.map((_, i) => `example-${i}.ts`), exclude: [] }),
      );
      const tsc = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsc'), ['--noEmit', '-p', dir], { cwd: ROOT, encoding: 'utf8' });
      expect(tsc.stdout + tsc.stderr).toBe('');
      expect(tsc.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

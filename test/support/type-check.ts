import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/** The page whose TypeScript examples must compile against the package's entry points. */
export const EXAMPLES_PAGE = 'docs/extending.md';
/** Every page whose examples must compile: the extending page and the runtime contract's README. */
export const EXAMPLE_PAGES = [EXAMPLES_PAGE, 'contract/README.md'] as const;

/** The TypeScript blocks of a page that import a package by name (`loadbearing`, `loadbearing/<entry>`, `@loadbearing/contract`). */
export function packageExamples(page: string): string[] {
  const text = readFileSync(join(ROOT, page), 'utf8');
  return [...text.matchAll(/```ts\n([\s\S]*?)```/g)]
    .map((m) => m[1]!)
    .filter((code) => /from '(loadbearing(\/(platform|model|ops))?|@loadbearing\/contract)'/.test(code));
}

/** The examples of every page of EXAMPLE_PAGES, in that order. */
export function allPackageExamples(): string[] {
  return EXAMPLE_PAGES.flatMap((page) => packageExamples(page));
}

/**
 * Diagnostics of `noUnusedLocals` (unused declarations and imports). Doc examples are excerpts:
 * one lists the entry points' names without using them, so these are not errors in an example
 * (as with `noUnusedLocals: false` for them alone); in the project's own files they are.
 */
const UNUSED_CODES = ['TS6133', 'TS6192', 'TS6196', 'TS6198', 'TS6199', 'TS6205'];

/** tsc's `--pretty false` output without the unused-declaration diagnostics of the example files. */
export function withoutUnusedInExamples(output: string, examplesDir: string): string {
  const examples = relative(ROOT, examplesDir);
  // One diagnostic per unindented line; indented lines continue the one before.
  const diagnostics = output.split(/\n(?=\S)/).filter((d) => d.trim() !== '');
  return diagnostics
    .filter((d) => !(d.startsWith(`${examples}/`) && UNUSED_CODES.some((code) => d.includes(`: error ${code}:`))))
    .join('\n');
}

/**
 * `tsc --noEmit` over the whole project and the package examples of EXAMPLE_PAGES, in one
 * program and one child process (a second tsc for the examples alone cost about 3 s of CPU).
 * The examples are written inside the repository (so aws-cdk-lib resolves), where they import
 * the package by name as a team does (tsconfig.json maps the name to its entry points). Resolves
 * with the examples it compiled; rejects with tsc's output when anything does not type-check.
 */
export function typeCheckProjectAndExamples(): Promise<string[]> {
  const examples = allPackageExamples();
  const dir = join(ROOT, 'node_modules', '.cache', 'loadbearing-type-check');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const files = examples.map((code, i) => {
    writeFileSync(join(dir, `example-${i}.ts`), code);
    return `example-${i}.ts`;
  });
  // `extends` keeps the project's own include list and options; `files` adds the examples.
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ extends: join(ROOT, 'tsconfig.json'), files }));
  return new Promise((resolve, reject) => {
    const tsc = spawn(join(ROOT, 'node_modules', '.bin', 'tsc'), ['--noEmit', '--pretty', 'false', '-p', dir], { cwd: ROOT });
    let output = '';
    tsc.stdout.on('data', (d: Buffer) => (output += d.toString()));
    tsc.stderr.on('data', (d: Buffer) => (output += d.toString()));
    tsc.on('error', reject);
    tsc.on('close', (code) => {
      rmSync(dir, { recursive: true, force: true });
      const errors = withoutUnusedInExamples(output, dir);
      if (errors === '' && (code === 0 || output !== '')) resolve(examples);
      else
        reject(
          new Error(
            `Type errors (tsc --noEmit -p . and the examples of ${EXAMPLE_PAGES.join(' and ')}, written to ${relative(ROOT, dir)}/example-<n>.ts):\n${errors || output || `tsc exited with ${code}`}`,
          ),
        );
    });
  });
}

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { allPackageExamples, EXAMPLES_PAGE, packageExamples, withoutUnusedInExamples } from '../../support/type-check';

const ROOT = join(__dirname, '..', '..', '..');

describe('docs/extending.md examples', () => {
  const examples = packageExamples(EXAMPLES_PAGE);

  it('include the team app, as the file the consumer test runs (a generated section)', () => {
    const app = readFileSync(join(ROOT, 'test', 'extension', 'team-app', 'app.ts'), 'utf8');
    expect(examples).toContain(app);
  });

  it("compile against the package's entry points: every name they import is exported", () => {
    // The suite's global setup (test/setup/global-synth.ts) compiles them with the project in one
    // `tsc --noEmit` and fails the run, with tsc's output, on any error; here: it compiled these.
    expect(examples.length).toBeGreaterThanOrEqual(2);
    expect(inject('typeCheckedExamples')).toEqual(allPackageExamples());
    expect(allPackageExamples()).toEqual(expect.arrayContaining(examples));
  });

  it("include the runtime contract README's example, which imports @loadbearing/contract", () => {
    const contract = packageExamples('contract/README.md');
    expect(contract).toHaveLength(1);
    expect(contract[0]).toContain("from '@loadbearing/contract'");
    expect(inject('typeCheckedExamples')).toEqual(expect.arrayContaining(contract));
  });

  it('are excused only the unused declarations of an excerpt, and only in the example files', () => {
    const dir = join(ROOT, 'node_modules', '.cache', 'loadbearing-type-check');
    const output = [
      'node_modules/.cache/loadbearing-type-check/example-0.ts(1,1): error TS6192: All imports in import declaration are unused.',
      "node_modules/.cache/loadbearing-type-check/example-1.ts(3,7): error TS2305: Module '\"loadbearing\"' has no exported member 'Fleet'.",
      "lib/index.ts(2,1): error TS6133: 'x' is declared but its value is never read.",
      "lib/a.ts(4,3): error TS2322: Type 'string' is not assignable to type 'number'.",
      "  The expected type comes from property 'n'.",
    ].join('\n');
    expect(withoutUnusedInExamples(output, dir).split('\n')).toEqual([output.split('\n')[1], ...output.split('\n').slice(2)]);
  });
});

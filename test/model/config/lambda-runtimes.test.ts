import { readdirSync } from 'node:fs';
import { describe, expect, inject, it } from 'vitest';
import {
  LAMBDA_RUNTIMES,
  RUNTIME_TRIPWIRE_DAYS,
  lambdaRuntimeSupport,
  runtimesNearBlockCreate,
  utcDay,
  type LambdaRuntimeSupport,
} from '../../../lib/model/config/lambda-runtimes';
import { ROTATION_RUNTIME } from '../../../constructs/secret-rotation';
import { readTemplate, resourcesOfType } from '../../support/assembly';

/**
 * The tripwire of docs/adr/0003-secret-rotation-function.md: a runtime the stacks pin must not
 * expire silently. Lambda refuses to create a function on a runtime from its block-create date,
 * and a stack's first create reaches its functions 45-75 minutes in; this test goes red
 * RUNTIME_TRIPWIRE_DAYS before that day instead.
 */
const dir = inject('assemblyDir');

/** Every `Runtime` of every Lambda function in the suite's templates (dev, staging, prod), with where. */
function runtimesInTemplates(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.template.json'))) {
    const stack = file.replace(/\.template\.json$/, '');
    for (const [id, fn] of Object.entries(resourcesOfType(readTemplate(dir, stack), 'AWS::Lambda::Function'))) {
      const runtime = String(fn.Properties?.Runtime);
      found.set(runtime, [...(found.get(runtime) ?? []), `${stack}/${id}`]);
    }
  }
  return found;
}

describe('the Lambda runtime tripwire', () => {
  it(`fails today when a pinned runtime is within ${RUNTIME_TRIPWIRE_DAYS} days of the day Lambda stops creating functions on it`, () => {
    const expiring = runtimesNearBlockCreate(new Date());
    const message = expiring
      .map(
        (r) =>
          `${r.runtime}: Lambda refuses to create functions on it from ${r.blockCreate} (${r.daysLeft} days); used by ${r.usedBy.join('; ')}. Move them to a newer runtime (and add its row to lib/model/config/lambda-runtimes.ts).`,
      )
      .join('\n');
    expect(expiring, message).toEqual([]);
  });

  it('knows every runtime the synthesized stacks use (a function on an unlisted runtime would expire unwatched)', () => {
    const inTemplates = runtimesInTemplates();
    expect(inTemplates.size).toBeGreaterThan(0);
    for (const [runtime, where] of inTemplates)
      expect(lambdaRuntimeSupport(runtime), `${runtime} (${where.join(', ')}) is not in lib/model/config/lambda-runtimes.ts`).toBeDefined();
  });

  it('lists only runtimes the stacks use, so a row cannot outlive its functions unnoticed', () => {
    expect(LAMBDA_RUNTIMES.map((r) => r.runtime).sort()).toEqual([...runtimesInTemplates().keys()].sort());
  });

  it("has the rotation function's pinned runtime in the table, and in the templates", () => {
    expect(lambdaRuntimeSupport(ROTATION_RUNTIME.name)).toBeDefined();
    const rotation = runtimesInTemplates().get(ROTATION_RUNTIME.name) ?? [];
    expect(rotation.filter((where) => /DatabaseSecretRotationFunction|DatabaseAppSecretRotationFunction/.test(where)).length).toBe(6);
  });

  it.each(LAMBDA_RUNTIMES.map((r) => [r.runtime, r] as const))(
    '%s: dates in order (deprecation, block create, block update), each cited',
    (_runtime, row) => {
      expect(utcDay(row.deprecation)).toBeLessThanOrEqual(utcDay(row.blockCreate));
      expect(utcDay(row.blockCreate)).toBeLessThanOrEqual(utcDay(row.blockUpdate));
      expect(row.source).toContain('https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html');
      expect(row.usedBy.length).toBeGreaterThan(0);
    },
  );
});

describe('the tripwire itself, on fixed dates', () => {
  const row = (runtime: string, blockCreate: string): LambdaRuntimeSupport => ({
    runtime,
    deprecation: blockCreate,
    blockCreate,
    blockUpdate: blockCreate,
    source: 'test',
    usedBy: ['test'],
  });
  const table = [row('nodejs99.x', '2030-06-01')];
  const at = (iso: string) => new Date(`${iso}T12:34:56Z`);

  it('stays quiet 121 days before the block-create date', () => {
    expect(runtimesNearBlockCreate(at('2030-01-31'), table)).toEqual([]);
  });

  it('fires 120 days before it, naming the runtime, the date and the days left', () => {
    expect(runtimesNearBlockCreate(at('2030-02-01'), table)).toEqual([
      { runtime: 'nodejs99.x', blockCreate: '2030-06-01', daysLeft: 120, usedBy: ['test'] },
    ]);
  });

  it('keeps firing on the day and after it', () => {
    expect(runtimesNearBlockCreate(at('2030-06-01'), table).map((r) => r.daysLeft)).toEqual([0]);
    expect(runtimesNearBlockCreate(at('2031-01-01'), table).map((r) => r.daysLeft)).toEqual([-214]);
  });

  it('counts whole UTC days, whatever the hour', () => {
    expect(runtimesNearBlockCreate(new Date('2030-01-31T23:59:59Z'), table)).toEqual([]);
    expect(runtimesNearBlockCreate(new Date('2030-02-01T00:00:00Z'), table)).toHaveLength(1);
  });

  it('fires on the real table: nodejs22.x from 2027-02-01 (block create 2027-06-01), nodejs24.x from 2028-02-02', () => {
    expect(runtimesNearBlockCreate(at('2027-01-31')).map((r) => r.runtime)).toEqual([]);
    expect(runtimesNearBlockCreate(at('2027-02-01')).map((r) => r.runtime)).toEqual(['nodejs22.x']);
    expect(runtimesNearBlockCreate(at('2028-02-01')).map((r) => r.runtime)).toEqual(['nodejs22.x']);
    expect(
      runtimesNearBlockCreate(at('2028-02-02'))
        .map((r) => r.runtime)
        .sort(),
    ).toEqual(['nodejs22.x', 'nodejs24.x']);
  });

  it('refuses a date that is not an ISO day', () => {
    expect(() => runtimesNearBlockCreate(at('2030-01-01'), [row('x', '1 June 2030')])).toThrow(/not an ISO date/);
  });
});

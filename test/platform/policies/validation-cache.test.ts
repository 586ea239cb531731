import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, type IPolicyValidationContext, type IPolicyValidationPlugin, type PolicyValidationPluginReport } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { CachedPlugin } from '../../../lib/platform/policies/cached-plugin';

/** A validator that counts its runs and flags every template containing "BAD". */
class CountingPlugin implements IPolicyValidationPlugin {
  public readonly name = 'counting';
  public runs = 0;
  constructor(public readonly version = '1') {}
  public validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    this.runs++;
    const violations = context.templatePaths
      .filter((p) => readFileSync(p, 'utf8').includes('BAD'))
      .map((templatePath) => ({
        ruleName: 'no-bad',
        description: 'bad',
        violatingResources: [{ templatePath, locations: ['Resources'], resourceLogicalId: 'X' }],
      }));
    return { success: violations.length === 0, violations };
  }
}

function templates(content: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'cache-tpl-'));
  const path = join(dir, 'stack.template.json');
  writeFileSync(path, content);
  return [path];
}

const context = (templatePaths: string[], appConstruct = new App()) =>
  ({ templatePaths, appConstruct }) as unknown as IPolicyValidationContext;

describe('the validation cache', () => {
  it("reuses a report while the templates are unchanged, and maps it to this run's paths", () => {
    const directory = mkdtempSync(join(tmpdir(), 'cache-'));
    const inner = new CountingPlugin();
    const cached = new CachedPlugin(inner, { directory });
    const first = cached.validate(context(templates('{"BAD":1}')));
    const secondPaths = templates('{"BAD":1}');
    const second = cached.validate(context(secondPaths));
    expect(inner.runs).toBe(1);
    expect(second.success).toBe(false);
    expect(second.violations[0].violatingResources[0].templatePath).toBe(secondPaths[0]);
    expect({ ...second, violations: [] }).toEqual({ ...first, violations: [] });
  });

  it('runs the validator again when a template changes', () => {
    const directory = mkdtempSync(join(tmpdir(), 'cache-'));
    const inner = new CountingPlugin();
    const cached = new CachedPlugin(inner, { directory });
    expect(cached.validate(context(templates('{"ok":1}'))).success).toBe(true);
    expect(cached.validate(context(templates('{"BAD":2}'))).success).toBe(false);
    expect(inner.runs).toBe(2);
  });

  it('does not share reports between validator versions', () => {
    const directory = mkdtempSync(join(tmpdir(), 'cache-'));
    const v1 = new CountingPlugin('1');
    const v2 = new CountingPlugin('2');
    new CachedPlugin(v1, { directory }).validate(context(templates('{"a":1}')));
    new CachedPlugin(v2, { directory }).validate(context(templates('{"a":1}')));
    expect([v1.runs, v2.runs]).toEqual([1, 1]);
  });

  it('keys on the construct tree when asked to (cdk-nag reads constructs)', () => {
    const directory = mkdtempSync(join(tmpdir(), 'cache-'));
    const inner = new CountingPlugin();
    const cached = new CachedPlugin(inner, { directory, constructTree: true });
    const appA = new App();
    new Stack(appA, 'A');
    const appB = new App();
    new Stack(appB, 'B');
    cached.validate(context(templates('{"a":1}'), appA));
    cached.validate(context(templates('{"a":1}'), appA));
    cached.validate(context(templates('{"a":1}'), appB));
    expect(inner.runs).toBe(2);
  });
});

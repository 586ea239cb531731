import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as ops from '../../lib/ops/index.js';

const dir = path.join(__dirname, '../../lib/ops');

describe('lib/ops/index.ts', () => {
  it('only re-exports, and re-exports every module of lib/ops', () => {
    const lines = readFileSync(path.join(dir, 'index.ts'), 'utf8')
      .split('\n')
      .filter((l) => l.trim() && !l.startsWith('//'));
    for (const line of lines) expect(line).toMatch(/^export \* from '\.\/[a-z-]+\.js';$/);
    const modules = readdirSync(dir)
      .filter((f) => f.endsWith('.ts') && f !== 'index.ts')
      .map((f) => `export * from './${f.replace(/\.ts$/, '.js')}';`);
    expect(lines.sort()).toEqual(modules.sort());
  });

  it('exposes the entry points other code builds on', () => {
    expect(typeof ops.runCli).toBe('function');
    expect(
      ops
        .builtinCommands()
        .list()
        .map((c) => c.name),
    ).toEqual(['status', 'gate', 'report', 'freshness', 'failure-modes', 'drill', 'plan', 'preflight', 'deploy', 'zonal-shift']);
    expect(Object.keys(ops.VERDICT_THRESHOLDS).length).toBeGreaterThan(10);
  });
});

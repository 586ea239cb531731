import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as constructsBarrel from '../../constructs';

const ROOT = join(__dirname, '..', '..');

describe('the package another CDK app imports', () => {
  it('exports every construct and its props types from `loadbearing` (built by npm run build)', () => {
    const script = `
      const c = require('loadbearing');
      const p = require('loadbearing/platform');
      console.log(JSON.stringify({ constructs: Object.keys(c).sort(), platform: ['PlatformStack', 'addPlatform', 'builtinEnvironments', 'loadConfigFile'].filter((k) => typeof p[k] === 'function') }));
    `;
    const run = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    const { constructs, platform } = JSON.parse(run.stdout) as { constructs: string[]; platform: string[] };
    expect(constructs).toEqual(Object.keys(constructsBarrel).sort());
    for (const name of ['Network', 'SecurityGroups', 'LoadBalancer', 'AppFleet', 'Database', 'Cache', 'WebAcl', 'AlarmTopics', 'AlarmFactory', 'ServiceHealth', 'ServiceDashboard']) {
      expect(constructs).toContain(name);
    }
    expect(platform).toEqual(['PlatformStack', 'addPlatform', 'builtinEnvironments', 'loadConfigFile']);
  });

  it('ships type declarations for the props', () => {
    for (const file of ['constructs/index.d.ts', 'constructs/app-fleet.d.ts', 'lib/platform-stack.d.ts']) expect(existsSync(join(ROOT, 'dist', file)), file).toBe(true);
  });
});

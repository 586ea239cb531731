import { describe, expect, it } from 'vitest';
import { neededPaths, resolveLockPath } from '../../../tools/package/offline-project';

const lock = {
  'node_modules/app-lib': {
    version: '1.0.0',
    dependencies: { a: '1.0.0', '@s/b': '2.0.0' },
    optionalDependencies: { 'native-linux': '1.0.0', 'native-win32': '1.0.0' },
    peerDependencies: { host: '>=1', 'sdk-client': '>=3' },
    peerDependenciesMeta: { 'sdk-client': { optional: true } },
  },
  'node_modules/a': { version: '1.0.0', dependencies: { c: '2.0.0' } },
  'node_modules/a/node_modules/c': { version: '2.0.0' },
  'node_modules/c': { version: '1.0.0' },
  'node_modules/@s/b': { version: '2.0.0', dependencies: { c: '1.0.0' } },
  'node_modules/native-linux': { version: '1.0.0' },
  'node_modules/host': { version: '1.0.0' },
  'node_modules/sdk-client': { version: '3.0.0' },
  'node_modules/unrelated': { version: '1.0.0' },
};

describe('the lock file of an offline project', () => {
  it('resolves a package as Node does: the nearest node_modules first, then each one above', () => {
    expect(resolveLockPath(lock, 'node_modules/a', 'c')).toBe('node_modules/a/node_modules/c');
    expect(resolveLockPath(lock, 'node_modules/@s/b', 'c')).toBe('node_modules/c');
    expect(resolveLockPath(lock, '', 'missing')).toBeUndefined();
  });

  it('keeps what the dependencies need, the optional dependencies present and the required peers, not optional peers or unrelated packages', () => {
    expect([...neededPaths(lock, ['app-lib'])].sort()).toEqual([
      'node_modules/@s/b',
      'node_modules/a',
      'node_modules/a/node_modules/c',
      'node_modules/app-lib',
      'node_modules/c',
      'node_modules/host',
      'node_modules/native-linux',
    ]);
  });

  it('refuses a project dependency the repository does not hold, naming it', () => {
    expect(() => neededPaths(lock, ['left-pad'])).toThrow('left-pad (needed by the project) is not in');
  });
});

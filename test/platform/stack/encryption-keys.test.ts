import { describe, expect, inject, it } from 'vitest';
import { readTemplate, resourcesOfType } from '../../support/assembly';

/** The KMS keys of each stack (constructs/encryption-key.ts, stateful-protection.ts): what each keeps on delete. */
const dir = inject('assemblyDir');

describe('the keys of what outlives a rolled-back create outlive it too', () => {
  it.each(['loadbearing-staging', 'loadbearing-prod'])(
    '%s: the DB and cache keys are kept (their final snapshots and backups need them); the other keys go with the rollback',
    (stack) => {
      const keys = Object.entries(resourcesOfType(readTemplate(dir, stack), 'AWS::KMS::Key')).map(([id, k]) => [
        id.replace(/[0-9A-F]{8}$/, ''),
        k.DeletionPolicy,
      ]);
      expect(Object.fromEntries(keys)).toEqual({
        AlarmTopicsKey: 'RetainExceptOnCreate',
        CacheKey: 'Retain',
        DatabaseKey: 'Retain',
        LogsKey: 'RetainExceptOnCreate',
      });
    },
  );

  it('dev, which destroys its data, destroys its keys too', () => {
    for (const k of Object.values(resourcesOfType(readTemplate(dir, 'loadbearing-dev'), 'AWS::KMS::Key')))
      expect(k.DeletionPolicy).toBe('Delete');
  });
});

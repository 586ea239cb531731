import { describe, expect, it } from 'vitest';
import { pairRenames } from '../../../lib/platform/review/rename-detection';

const db = 'AWS::RDS::DBInstance';

describe('pairing removed and added resources (logical ID changes)', () => {
  it('pairs a resource with the added one of the same type', () => {
    const pairs = pairRenames(
      [{ logicalId: 'DatabaseWriter7794273E', type: db }],
      [
        { logicalId: 'DbWriter9BD1608D', type: db },
        { logicalId: 'NewKey', type: 'AWS::KMS::Key' },
      ],
    );
    expect([...pairs]).toEqual([['DatabaseWriter7794273E', 'DbWriter9BD1608D']]);
  });

  it('never pairs different types', () => {
    expect(pairRenames([{ logicalId: 'A', type: db }], [{ logicalId: 'B', type: 'AWS::RDS::DBCluster' }]).size).toBe(0);
  });

  it('pairs by construct path first: Database/Replica1 -> Db/Replica1, not Db/Replica2', () => {
    const pairs = pairRenames(
      [
        { logicalId: 'DatabaseReplica1', type: db, path: '/s/Database/Replica1/Resource' },
        { logicalId: 'DatabaseReplica2', type: db, path: '/s/Database/Replica2/Resource' },
      ],
      [
        { logicalId: 'DbReplica2', type: db, path: '/s/Db/Replica2/Resource' },
        { logicalId: 'DbReplica1', type: db, path: '/s/Db/Replica1/Resource' },
      ],
    );
    expect(Object.fromEntries(pairs)).toEqual({ DatabaseReplica1: 'DbReplica1', DatabaseReplica2: 'DbReplica2' });
  });

  it('pairs by equal properties when there are no paths', () => {
    const pairs = pairRenames(
      [
        { logicalId: 'OldWriter', type: db, properties: { DBInstanceIdentifier: 'w', MultiAZ: true } },
        { logicalId: 'OldReplica', type: db, properties: { DBInstanceIdentifier: 'r', SourceDBInstanceIdentifier: 'x' } },
      ],
      [
        { logicalId: 'NewReplica', type: db, properties: { DBInstanceIdentifier: 'r', SourceDBInstanceIdentifier: 'y' } },
        { logicalId: 'NewWriter', type: db, properties: { DBInstanceIdentifier: 'w', MultiAZ: true } },
      ],
    );
    expect(Object.fromEntries(pairs)).toEqual({ OldWriter: 'NewWriter', OldReplica: 'NewReplica' });
  });

  it('leaves a removal unpaired when there is nothing to pair it with', () => {
    const pairs = pairRenames(
      [
        { logicalId: 'A', type: db },
        { logicalId: 'B', type: db },
      ],
      [{ logicalId: 'C', type: db }],
    );
    expect(pairs.size).toBe(1);
  });
});

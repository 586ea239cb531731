import { describe, expect, inject, it } from 'vitest';
import { builtinEnvironments } from '../../../lib/model/config/load-config';
import { holdsData } from '../../../lib/platform/review/stateful-types';
import { readTemplate, resourcesOfType, type CfnResource } from '../../support/assembly';

/**
 * What happens to data when a stateful resource is deleted or replaced, walked over every
 * resource that holds data (the stateful types of `npm run diff`, without the identity-only ones
 * such as RDS proxies). Termination protection of the prod stack is tested once, in
 * test/platform/stack/platform.test.ts ("stack settings").
 */
const assemblyDir = inject('assemblyDir');
const environments = Object.fromEntries(builtinEnvironments().map((e) => [e.name, e]));

/** Types whose DeletionPolicy may be Snapshot (CloudFormation takes a final snapshot). */
const SNAPSHOT_CAPABLE = new Set([
  'AWS::RDS::DBInstance',
  'AWS::RDS::DBCluster',
  'AWS::ElastiCache::ReplicationGroup',
  'AWS::ElastiCache::CacheCluster',
  'AWS::Neptune::DBCluster',
  'AWS::DocDB::DBCluster',
  'AWS::Redshift::Cluster',
  'AWS::EC2::Volume',
]);

const isReadReplica = (r: CfnResource) => r.Type === 'AWS::RDS::DBInstance' && r.Properties?.SourceDBInstanceIdentifier !== undefined;

/**
 * The policies the platform must set: retained on delete, and a snapshot on replacement where
 * CloudFormation can take one. Retained is `Retain`, or `RetainExceptOnCreate`, which keeps the
 * resource on every stack operation but the rollback of the create that made it (so a failed
 * first create leaves nothing behind: test/model/deploy/rollback-plan.test.ts), and is Retain for
 * the diff guard too. The writer and the cache are not `DeletionPolicy: Snapshot`: the rollback of
 * their own create would ask for a final snapshot of an instance that is still being created, which
 * RDS refuses (constructs/stateful-protection.ts, applySnapshotPolicy). Buckets are always `Retain`:
 * a rollback could not delete one that already holds logs.
 */
function expectedPolicies(r: CfnResource): { deletion: string[]; updateReplace: string } {
  // A read replica holds no data of its own and cannot be snapshotted: retained.
  if (SNAPSHOT_CAPABLE.has(r.Type) && !isReadReplica(r)) return { deletion: ['RetainExceptOnCreate'], updateReplace: 'Snapshot' };
  if (r.Type === 'AWS::S3::Bucket') return { deletion: ['Retain'], updateReplace: 'Retain' };
  return { deletion: ['Retain', 'RetainExceptOnCreate'], updateReplace: 'Retain' };
}

function dataResources(stack: string): [string, CfnResource][] {
  return Object.entries(readTemplate(assemblyDir, stack).Resources).filter(([, r]) => holdsData(r.Type));
}

describe.each(['staging', 'prod'])('%s keeps its data', (env) => {
  const stack = `loadbearing-${env}`;

  it('is not destroyable by config', () => {
    expect(environments[env].dataProtection.allowDestroy).toBe(false);
  });

  it('snapshots or retains every stateful resource on delete and on replacement', () => {
    const resources = dataResources(stack);
    expect(resources.length).toBeGreaterThanOrEqual(15);
    const wrong = resources
      .filter(
        ([, r]) =>
          !expectedPolicies(r).deletion.includes(r.DeletionPolicy ?? '') || r.UpdateReplacePolicy !== expectedPolicies(r).updateReplace,
      )
      .map(([id, r]) => {
        const expected = expectedPolicies(r);
        return `${id} (${r.Type}): DeletionPolicy ${r.DeletionPolicy ?? '(none)'}, UpdateReplacePolicy ${r.UpdateReplacePolicy ?? '(none)'}; expected ${expected.deletion.join(' or ')}, ${expected.updateReplace}`;
      });
    expect(wrong).toEqual([]);
  });

  it('snapshots the DB writer and the cache when a change replaces them, and keeps them (no final snapshot) when deleted', () => {
    const snapshotted = dataResources(stack)
      .filter(([, r]) => r.UpdateReplacePolicy === 'Snapshot')
      .map(([, r]) => [r.Type, r.DeletionPolicy])
      .sort();
    expect(snapshotted).toEqual([
      ['AWS::ElastiCache::ReplicationGroup', 'RetainExceptOnCreate'],
      ['AWS::RDS::DBInstance', 'RetainExceptOnCreate'],
    ]);
    expect(dataResources(stack).filter(([, r]) => r.DeletionPolicy === 'Snapshot')).toEqual([]);
  });

  it('keeps read replicas, keys, secrets and fixed-name log groups except when their own create is rolled back', () => {
    const exceptOnCreate = dataResources(stack)
      .filter(([, r]) => r.DeletionPolicy === 'RetainExceptOnCreate')
      .map(([, r]) => r.Type);
    expect(new Set(exceptOnCreate)).toEqual(
      new Set([
        'AWS::KMS::Key',
        'AWS::SecretsManager::Secret',
        'AWS::Logs::LogGroup',
        'AWS::RDS::DBInstance',
        'AWS::ElastiCache::ReplicationGroup',
      ]),
    );
    expect(
      dataResources(stack)
        .filter(([, r]) => r.Type === 'AWS::RDS::DBInstance' && isReadReplica(r))
        .every(([, r]) => r.DeletionPolicy === 'RetainExceptOnCreate'),
    ).toBe(true);
  });

  it('switches deletion protection on last for the writer and the ALB (read replicas are copies: constructs/replica-protection.ts), and never writes false for them', () => {
    const template = readTemplate(assemblyDir, stack);
    const instances = Object.entries(resourcesOfType(template, 'AWS::RDS::DBInstance'));
    expect(instances.length).toBeGreaterThanOrEqual(2);
    // Left out of the template (a value of false would be sent to a deployed instance), switched on by the guard.
    for (const [id, db] of instances) expect(db.Properties?.DeletionProtection, id).toBe(isReadReplica(db) ? false : undefined);
    const [albId, alb] = Object.entries(resourcesOfType(template, 'AWS::ElasticLoadBalancingV2::LoadBalancer'))[0]!;
    expect(JSON.stringify(alb.Properties?.LoadBalancerAttributes)).not.toContain('deletion_protection');
    const [guard] = Object.values(resourcesOfType(template, 'Custom::RollbackGuard'));
    const writers = instances.filter(([, db]) => !isReadReplica(db)).map(([id]) => ({ Ref: id }));
    expect(guard!.Properties).toMatchObject({
      DbInstanceIdentifiers: writers,
      LoadBalancerArns: [{ Ref: albId }],
      Protection: 'on-after-create',
    });
  });
});

describe('dev is destroyable, only because its config says so', () => {
  it('sets dataProtection.allowDestroy explicitly, with a reason', () => {
    expect(environments.dev.dataProtection.allowDestroy).toBe(true);
    expect(environments.dev.dataProtection.reason?.length).toBeGreaterThan(10);
  });

  it('deletes every stateful resource with the stack, without deletion protection', () => {
    const resources = dataResources('loadbearing-dev');
    expect(resources.length).toBeGreaterThanOrEqual(10);
    const kept = resources
      .filter(([, r]) => (r.DeletionPolicy ?? 'Delete') !== 'Delete' || (r.UpdateReplacePolicy ?? 'Delete') !== 'Delete')
      .map(([id]) => id);
    expect(kept).toEqual([]);
    for (const [id, db] of Object.entries(resourcesOfType(readTemplate(assemblyDir, 'loadbearing-dev'), 'AWS::RDS::DBInstance'))) {
      expect(db.Properties?.DeletionProtection, id).toBe(false);
    }
  });
});

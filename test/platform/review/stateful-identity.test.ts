import { describe, expect, inject, it } from 'vitest';
import { isStatefulType } from '../../../lib/platform/review/stateful-types';
import { readTemplate, type CfnTemplate } from '../../support/assembly';

/**
 * The logical IDs of every stateful resource, pinned. A logical ID comes from the construct
 * path, so renaming or moving a construct changes it, and CloudFormation then deletes the old
 * resource and creates an empty one. Change this map only together with an allow-list entry and
 * a migration plan (docs/reviewing-changes.md). Stateful = the same source as `npm run diff`.
 */
const PINNED: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'loadbearing-dev': {
    CanaryLogs35071DCA: 'AWS::Logs::LogGroup',
    AlarmTopicsKey1622932D: 'AWS::KMS::Key',
    Cache18F6EE16: 'AWS::ElastiCache::ReplicationGroup',
    CacheAuthToken04672416: 'AWS::SecretsManager::Secret',
    CacheKeyCDF9DE27: 'AWS::KMS::Key',
    CacheSlowLog43E55961: 'AWS::Logs::LogGroup',
    DatabaseAppSecret2E50FD00: 'AWS::SecretsManager::Secret',
    DatabaseAppSecretRotationLogs2DB13371: 'AWS::Logs::LogGroup',
    DatabaseKey5E5D9547: 'AWS::KMS::Key',
    DatabaseReplica1ED560A1F: 'AWS::RDS::DBInstance',
    DatabaseReplica1PostgresqlLogs6343FDC3: 'AWS::Logs::LogGroup',
    DatabaseReplica1UpgradeLogsB6609B07: 'AWS::Logs::LogGroup',
    DatabaseSecret3B817195: 'AWS::SecretsManager::Secret',
    DatabaseSecretRotationLogs9D92A45B: 'AWS::Logs::LogGroup',
    DatabaseWriter7794273E: 'AWS::RDS::DBInstance',
    DatabaseWriterPostgresqlLogs15BCE633: 'AWS::Logs::LogGroup',
    DatabaseWriterUpgradeLogsAB35B338: 'AWS::Logs::LogGroup',
    FleetAppLogsC694B8F0: 'AWS::Logs::LogGroup',
    FleetBootLogsF36D5F1F: 'AWS::Logs::LogGroup',
    LoadBalancerAccessLogsB27DFC85: 'AWS::S3::Bucket',
    LogsKey195F8DFC: 'AWS::KMS::Key',
    NetworkFlowLogs2BEC3212: 'AWS::Logs::LogGroup',
  },
  'loadbearing-staging': {
    CanaryLogs35071DCA: 'AWS::Logs::LogGroup',
    AlarmTopicsKey1622932D: 'AWS::KMS::Key',
    Cache18F6EE16: 'AWS::ElastiCache::ReplicationGroup',
    CacheAuthToken04672416: 'AWS::SecretsManager::Secret',
    CacheKeyCDF9DE27: 'AWS::KMS::Key',
    CacheSlowLog43E55961: 'AWS::Logs::LogGroup',
    DatabaseAppSecret2E50FD00: 'AWS::SecretsManager::Secret',
    DatabaseAppSecretRotationLogs2DB13371: 'AWS::Logs::LogGroup',
    DatabaseKey5E5D9547: 'AWS::KMS::Key',
    DatabaseReplica1ED560A1F: 'AWS::RDS::DBInstance',
    DatabaseReplica1PostgresqlLogs6343FDC3: 'AWS::Logs::LogGroup',
    DatabaseReplica1UpgradeLogsB6609B07: 'AWS::Logs::LogGroup',
    DatabaseSecret3B817195: 'AWS::SecretsManager::Secret',
    DatabaseSecretRotationLogs9D92A45B: 'AWS::Logs::LogGroup',
    DatabaseWriter7794273E: 'AWS::RDS::DBInstance',
    DatabaseWriterPostgresqlLogs15BCE633: 'AWS::Logs::LogGroup',
    DatabaseWriterUpgradeLogsAB35B338: 'AWS::Logs::LogGroup',
    FailureDrillsExperimentLogs1D67D912: 'AWS::Logs::LogGroup',
    FleetAppLogsC694B8F0: 'AWS::Logs::LogGroup',
    FleetBootLogsF36D5F1F: 'AWS::Logs::LogGroup',
    LoadBalancerAccessLogsB27DFC85: 'AWS::S3::Bucket',
    LogsKey195F8DFC: 'AWS::KMS::Key',
    NetworkFlowLogs2BEC3212: 'AWS::Logs::LogGroup',
    RollbackGuardHandlerLogGroupA60B68ED: 'AWS::Logs::LogGroup',
    WebAclLogs68403EB9: 'AWS::Logs::LogGroup',
  },
  'loadbearing-prod': {
    CanaryLogs35071DCA: 'AWS::Logs::LogGroup',
    AlarmTopicsKey1622932D: 'AWS::KMS::Key',
    Cache18F6EE16: 'AWS::ElastiCache::ReplicationGroup',
    CacheAuthToken04672416: 'AWS::SecretsManager::Secret',
    CacheKeyCDF9DE27: 'AWS::KMS::Key',
    CacheSlowLog43E55961: 'AWS::Logs::LogGroup',
    DatabaseAppSecret2E50FD00: 'AWS::SecretsManager::Secret',
    DatabaseAppSecretRotationLogs2DB13371: 'AWS::Logs::LogGroup',
    DatabaseKey5E5D9547: 'AWS::KMS::Key',
    DatabaseProxyE01FC4E6: 'AWS::RDS::DBProxy',
    DatabaseReplica1ED560A1F: 'AWS::RDS::DBInstance',
    DatabaseReplica1PostgresqlLogs6343FDC3: 'AWS::Logs::LogGroup',
    DatabaseReplica1UpgradeLogsB6609B07: 'AWS::Logs::LogGroup',
    DatabaseReplica2035311FF: 'AWS::RDS::DBInstance',
    DatabaseReplica2PostgresqlLogsBA1CE878: 'AWS::Logs::LogGroup',
    DatabaseReplica2UpgradeLogs741CEC8A: 'AWS::Logs::LogGroup',
    DatabaseSecret3B817195: 'AWS::SecretsManager::Secret',
    DatabaseSecretRotationLogs9D92A45B: 'AWS::Logs::LogGroup',
    DatabaseWriter7794273E: 'AWS::RDS::DBInstance',
    DatabaseWriterPostgresqlLogs15BCE633: 'AWS::Logs::LogGroup',
    DatabaseWriterUpgradeLogsAB35B338: 'AWS::Logs::LogGroup',
    EdgeAccessLogsC159D9EF: 'AWS::S3::Bucket',
    EdgeDegradedRewriteLogsEDBD7DD4: 'AWS::Logs::LogGroup',
    EdgeOriginVerify89466DA6: 'AWS::SecretsManager::Secret',
    EdgeWebAclLogsE61B4A33: 'AWS::Logs::LogGroup',
    FleetAppLogsC694B8F0: 'AWS::Logs::LogGroup',
    FleetBootLogsF36D5F1F: 'AWS::Logs::LogGroup',
    LoadBalancerAccessLogsB27DFC85: 'AWS::S3::Bucket',
    LogsKey195F8DFC: 'AWS::KMS::Key',
    NetworkFlowLogs2BEC3212: 'AWS::Logs::LogGroup',
    RollbackGuardHandlerLogGroupA60B68ED: 'AWS::Logs::LogGroup',
    WebAclLogs68403EB9: 'AWS::Logs::LogGroup',
  },
};

/** Logical ID -> type of every stateful resource in a template. */
function statefulResources(template: CfnTemplate): Record<string, string> {
  return Object.fromEntries(
    Object.entries(template.Resources)
      .filter(([, r]) => isStatefulType(r.Type))
      .map(([id, r]) => [id, r.Type]),
  );
}

/** Every difference from the pinned map, each explaining what a deploy would do. */
function identityProblems(pinned: Readonly<Record<string, string>>, actual: Readonly<Record<string, string>>): string[] {
  const problems: string[] = [];
  const unpinned = Object.keys(actual).filter((id) => !(id in pinned));
  for (const [id, type] of Object.entries(pinned)) {
    if (!(id in actual)) {
      const successor = unpinned.filter((n) => actual[n] === type);
      problems.push(
        `logical ID ${id} of ${type} disappeared${successor.length > 0 ? ` (is it now ${successor.join(' or ')}?)` : ''}: a deploy would replace the resource and lose its data; ` +
          `restore the construct ID or pin it with overrideLogicalId('${id}')`,
      );
    } else if (actual[id] !== type) {
      problems.push(`logical ID ${id} changed type from ${type} to ${actual[id]}: a deploy would replace the resource and lose its data`);
    }
  }
  for (const id of unpinned) {
    problems.push(
      `new stateful resource ${id} (${actual[id]}) is not pinned: add it to PINNED in test/platform/review/stateful-identity.test.ts`,
    );
  }
  return problems;
}

const assemblyDir = inject('assemblyDir');

describe.each(Object.keys(PINNED))('stateful resources of %s', (stack) => {
  it('keep their pinned logical IDs and types', () => {
    const problems = identityProblems(PINNED[stack], statefulResources(readTemplate(assemblyDir, stack)));
    expect(problems, `\n${problems.join('\n')}\n`).toEqual([]);
  });
});

describe('the identity check itself', () => {
  it('explains a lost logical ID, names its likely successor, and asks to pin new stateful resources', () => {
    const actual = { ...PINNED['loadbearing-prod'], DbWriter9BD1608D: 'AWS::RDS::DBInstance' } as Record<string, string>;
    delete actual.DatabaseWriter7794273E;
    expect(identityProblems(PINNED['loadbearing-prod'], actual)).toEqual([
      "logical ID DatabaseWriter7794273E of AWS::RDS::DBInstance disappeared (is it now DbWriter9BD1608D?): a deploy would replace the resource and lose its data; restore the construct ID or pin it with overrideLogicalId('DatabaseWriter7794273E')",
      'new stateful resource DbWriter9BD1608D (AWS::RDS::DBInstance) is not pinned: add it to PINNED in test/platform/review/stateful-identity.test.ts',
    ]);
  });
});

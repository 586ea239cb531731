import type { Template, TemplateResource } from './templates';

/**
 * Changes whose own rollback can fail: if the deploy fails after CloudFormation made one of them,
 * undoing it is refused by the service (an engine cannot be downgraded, storage cannot shrink) or
 * races a resource still being created, and the stack can end in UPDATE_ROLLBACK_FAILED. The diff
 * guard classifies them once, here; `loadbearing deploy` asks for `--approve-stateful` before it
 * deploys one (docs/delivering.md, "Changes whose rollback can fail").
 */
export interface RollbackRiskRule {
  readonly id: string;
  readonly type: string;
  /** Whether the change of this resource between the two templates is one the rule covers; the changed values in words. */
  readonly applies: (before: TemplateResource | undefined, after: TemplateResource | undefined) => string | undefined;
  /** What goes wrong on a rollback, one sentence. */
  readonly reason: string;
  readonly sources: readonly string[];
}

/** One change of a deploy whose rollback can fail. */
export interface RollbackRisk {
  readonly logicalId: string;
  readonly type: string;
  readonly path?: string;
  readonly rule: string;
  /** The change, e.g. `EngineVersion "16.4" -> "17.2"`. */
  readonly change: string;
  readonly reason: string;
  readonly sources: readonly string[];
}

const prop = (r: TemplateResource | undefined, name: string): unknown => r?.Properties?.[name];
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const show = (v: unknown) => (v === undefined ? '(default)' : JSON.stringify(v));

function changed(names: readonly string[]) {
  return (before: TemplateResource | undefined, after: TemplateResource | undefined): string | undefined => {
    if (!before || !after) return undefined;
    const diffs = names.filter((n) => !same(prop(before, n), prop(after, n)));
    return diffs.length > 0 ? diffs.map((n) => `${n} ${show(prop(before, n))} -> ${show(prop(after, n))}`).join(', ') : undefined;
  };
}

const isReplica = (r: TemplateResource | undefined) => prop(r, 'SourceDBInstanceIdentifier') !== undefined;

export const ROLLBACK_RISK_RULES: readonly RollbackRiskRule[] = [
  {
    id: 'rds-engine-version',
    type: 'AWS::RDS::DBInstance',
    applies: changed(['EngineVersion']),
    reason:
      'RDS upgrades an engine but never downgrades it: a rollback cannot set the old version back (CloudFormation skips it), and the instance stays on the new one, out of step with the template',
    sources: [
      'https://github.com/aws-cloudformation/aws-cloudformation-resource-providers-rds/pull/202',
      'https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBInstance.html',
    ],
  },
  {
    id: 'rds-storage',
    type: 'AWS::RDS::DBInstance',
    applies: changed(['AllocatedStorage', 'StorageType', 'Iops', 'StorageThroughput']),
    reason:
      'RDS cannot shrink storage or undo a storage modification while it optimizes; a rollback that asks for the old values is refused and the stack can end in UPDATE_ROLLBACK_FAILED (gp2<->gp3 rollbacks are a known case)',
    sources: [
      'https://github.com/aws-cloudformation/aws-cloudformation-resource-providers-rds/pull/378',
      'https://github.com/aws-cloudformation/cloudformation-coverage-roadmap/issues/1312',
      'https://github.com/aws-cloudformation/cloudformation-coverage-roadmap/issues/1499',
    ],
  },
  {
    id: 'rds-replica',
    type: 'AWS::RDS::DBInstance',
    applies: (before, after) =>
      !before && isReplica(after)
        ? 'a read replica is added'
        : before && !after && isReplica(before)
          ? 'a read replica is removed'
          : undefined,
    reason:
      "a read replica is created from the writer in 10-40 minutes; a deploy that fails meanwhile deletes it while RDS is still creating it, which RDS refuses until it is available, so the rollback waits on it or fails; a removed replica's readers lose it only at the cleanup",
    sources: [
      'https://github.com/hashicorp/terraform-provider-aws/issues/31594',
      'https://github.com/terraform-aws-modules/terraform-aws-rds/issues/192',
    ],
  },
  {
    id: 'cache-engine',
    type: 'AWS::ElastiCache::ReplicationGroup',
    applies: changed(['Engine', 'EngineVersion', 'CacheParameterGroupName']),
    reason:
      'ElastiCache cannot downgrade a cache engine ("you cannot downgrade to an earlier engine version ... must delete ... and create it anew"): the rollback of an engine change fails',
    sources: [
      'https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/elasticache/aws.sdk.kotlin.services.elasticache.model/-modify-replication-group-request/engine-version.html',
    ],
  },
];

/** Every change between two templates of one stack whose rollback can fail. */
export function rollbackRisks(
  before: Template | undefined,
  after: Template | undefined,
  paths: Readonly<Record<string, string>> = {},
): RollbackRisk[] {
  if (!before || !after) return [];
  const ids = [...new Set([...Object.keys(before.Resources ?? {}), ...Object.keys(after.Resources ?? {})])].sort();
  const risks: RollbackRisk[] = [];
  for (const id of ids) {
    const [was, is] = [before.Resources?.[id], after.Resources?.[id]];
    const type = is?.Type ?? was?.Type;
    if (was && is && was.Type !== is.Type) continue; // a type change is a replacement: the diff guard's hazards cover it
    for (const rule of ROLLBACK_RISK_RULES) {
      if (rule.type !== type) continue;
      const change = rule.applies(was, is);
      if (change === undefined) continue;
      risks.push({
        logicalId: id,
        type: type!,
        ...(paths[id] === undefined ? {} : { path: paths[id] }),
        rule: rule.id,
        change,
        reason: rule.reason,
        sources: rule.sources,
      });
    }
  }
  return risks;
}

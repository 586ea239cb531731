import { describe, expect, inject, it } from 'vitest';
import { reviewStack } from '../../lib/review/stack-review';
import { holdsData } from '../../lib/review/stateful-types';
import type { Template } from '../../lib/review/templates';
import { readTemplate, resourcesOfType, type CfnTemplate } from '../support/assembly';

/**
 * The rollback rule: a failed first create must leave nothing that blocks the retry, and after a
 * successful create the protection is what it was.
 *
 * What a rollback of CreateStack leaves behind: resources with DeletionPolicy Retain (it skips
 * them) and resources it cannot delete (deletion protection, non-empty buckets). A leftover with a
 * fixed physical name makes the retry fail with "already exists"; a protected one makes the
 * rollback itself fail (ROLLBACK_FAILED).
 */
const assemblyDir = inject('assemblyDir');

/** The property that holds the physical name, for every type the platform retains. */
const NAME_PROPERTY: Readonly<Record<string, string | null>> = {
  'AWS::S3::Bucket': 'BucketName',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::KMS::Key': null,
  'AWS::SecretsManager::Secret': 'Name',
  'AWS::RDS::DBInstance': 'DBInstanceIdentifier',
  'AWS::ElastiCache::ReplicationGroup': 'ReplicationGroupId',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::Lambda::Version': null,
};

/**
 * The Lambda functions and versions a distribution runs at the edge (LambdaFunctionAssociations),
 * with the functions of those versions. CloudFront keeps replicas of them for hours after the
 * distribution is gone, and Lambda refuses to delete them until then.
 */
function edgeFunctions(template: CfnTemplate): Set<string> {
  const ids = new Set<string>();
  for (const r of Object.values(resourcesOfType(template, 'AWS::CloudFront::Distribution'))) {
    for (const [, arn] of JSON.stringify(r.Properties).matchAll(/"LambdaFunctionARN":\{"Ref":"([^"]+)"\}/g)) ids.add(arn);
  }
  for (const id of [...ids]) {
    const fn = (template.Resources[id]?.Properties?.FunctionName as { Ref?: string } | undefined)?.Ref;
    if (fn) ids.add(fn);
  }
  return ids;
}

/** A name is generated (differs per create) when it refers to a resource of the stack or the stack ID. */
function isGenerated(name: unknown, template: CfnTemplate): boolean {
  if (name === undefined) return true;
  const text = JSON.stringify(name);
  const refs = [...text.matchAll(/"(?:Ref|Fn::GetAtt)":\s*\[?"([^"]+)"/g)].map((m) => m[1]);
  return refs.some((ref) => ref in template.Resources || ref === 'AWS::StackId');
}

/** Problems that would keep a retry of a failed first create from succeeding. */
function retryBlockers(template: CfnTemplate): string[] {
  const problems: string[] = [];
  const guard = Object.values(resourcesOfType(template, 'Custom::RollbackGuard'))[0];
  const guarded = new Set<string>([guard?.DependsOn ?? []].flat());
  const atTheEdge = edgeFunctions(template);
  for (const [id, r] of Object.entries(template.Resources)) {
    if (atTheEdge.has(id) && r.DeletionPolicy !== 'Retain') {
      problems.push(`${id} (${r.Type}) runs at the edge and is deleted on rollback (${r.DeletionPolicy ?? 'Delete'}): Lambda refuses while CloudFront still holds its replicas (hours), so the rollback would fail`);
    }
    if (r.DeletionPolicy === 'Retain') {
      if (!(r.Type in NAME_PROPERTY)) problems.push(`${id} (${r.Type}) is retained on rollback: add its name property to NAME_PROPERTY`);
      const nameProperty = NAME_PROPERTY[r.Type];
      if (nameProperty && !isGenerated(r.Properties?.[nameProperty], template)) {
        problems.push(`${id} (${r.Type}) is retained on rollback under the fixed name ${JSON.stringify(r.Properties?.[nameProperty])}: the retry would collide with it`);
      }
    }
    if (r.Type === 'AWS::S3::Bucket' && r.DeletionPolicy !== 'Retain') {
      problems.push(`${id} (AWS::S3::Bucket) is deleted on rollback (${r.DeletionPolicy ?? 'Delete'}): a bucket that received logs cannot be deleted, so the rollback would fail`);
    }
    const protectedResource =
      (r.Type === 'AWS::RDS::DBInstance' && r.Properties?.DeletionProtection === true) ||
      (r.Type === 'AWS::ElasticLoadBalancingV2::LoadBalancer' &&
        (r.Properties?.LoadBalancerAttributes as { Key: string; Value: string }[] | undefined)?.some((a) => a.Key === 'deletion_protection.enabled' && a.Value === 'true'));
    if (protectedResource && !guarded.has(id)) {
      problems.push(`${id} (${r.Type}) has deletion protection but no rollback guard depends on it: a rolled-back create would fail to delete it`);
    }
  }
  return problems;
}

describe.each(['loadbearing-staging', 'loadbearing-prod'])('a failed first create of %s', (stack) => {
  const template = () => readTemplate(assemblyDir, stack);

  it('leaves nothing that blocks the retry: no fixed-name retained resource, no protected resource without the guard, no deletable bucket', () => {
    expect(retryBlockers(template())).toEqual([]);
  });

  it('flags an edge function or version that the rollback would try to delete (the check itself)', () => {
    const t = template();
    const atTheEdge = [...edgeFunctions(t)];
    if (stack !== 'loadbearing-prod') return expect(atTheEdge).toEqual([]);
    expect(atTheEdge.map((id) => t.Resources[id].Type).sort()).toEqual(['AWS::Lambda::Function', 'AWS::Lambda::Version']);
    for (const id of atTheEdge) {
      const deleted = structuredClone(t);
      delete deleted.Resources[id].DeletionPolicy;
      expect(retryBlockers(deleted), id).toEqual([expect.stringContaining(`${id} (${t.Resources[id].Type}) runs at the edge`)]);
    }
  });

  it('deletes the fixed-name resources that hold data (DB instances, RDS and WAF log groups, the cache) on rollback', () => {
    const t = template();
    const fixed = Object.entries(t.Resources).filter(([, r]) => holdsData(r.Type) && NAME_PROPERTY[r.Type] && !isGenerated(r.Properties?.[NAME_PROPERTY[r.Type]!], t));
    expect(fixed.length).toBeGreaterThanOrEqual(8);
    for (const [id, r] of fixed) expect(['RetainExceptOnCreate', 'Snapshot'], id).toContain(r.DeletionPolicy);
  });

  it('gives the guard exactly the protected DB instances (the writer: replicas have no protection) and ALB, and only the permission to lift their protection', () => {
    const t = template();
    const [guard] = Object.values(resourcesOfType(t, 'Custom::RollbackGuard'));
    const dbs = Object.entries(resourcesOfType(t, 'AWS::RDS::DBInstance'))
      .filter(([, r]) => r.Properties?.DeletionProtection === true)
      .map(([id]) => id)
      .sort();
    expect(dbs).toEqual(['DatabaseWriter7794273E']);
    const [alb] = Object.keys(resourcesOfType(t, 'AWS::ElasticLoadBalancingV2::LoadBalancer'));
    expect((guard.Properties?.DbInstanceIdentifiers as { Ref: string }[]).map((r) => r.Ref).sort()).toEqual(dbs);
    expect(guard.Properties?.LoadBalancerArns).toEqual([{ Ref: alb }]);
    const policy = Object.values(resourcesOfType(t, 'AWS::IAM::Policy')).find((p) => JSON.stringify(p.Properties?.Roles).includes('RollbackGuardHandler'))!;
    const actions = (policy.Properties?.PolicyDocument as { Statement: { Action: string | string[] }[] }).Statement.flatMap((s) => [s.Action].flat()).sort();
    expect(actions).toEqual(['cloudformation:DescribeStacks', 'elasticloadbalancing:ModifyLoadBalancerAttributes', 'rds:DescribeDBInstances', 'rds:ModifyDBInstance']);
    // CloudFormation stops waiting for an answer after 15 minutes, not the default hour.
    expect(guard.Properties?.ServiceTimeout).toBe('900');
  });

  it('lets the rollback of an update that added a read replica delete it: replicas have no deletion protection (review 13, finding 5)', () => {
    const replicas = Object.entries(resourcesOfType(template(), 'AWS::RDS::DBInstance')).filter(([, r]) => r.Properties?.SourceDBInstanceIdentifier);
    expect(replicas.length).toBeGreaterThanOrEqual(1);
    for (const [id, r] of replicas) {
      // RetainExceptOnCreate: deleted when the operation that created it (also an update) rolls back.
      expect([id, r.Properties?.DeletionProtection, r.DeletionPolicy]).toEqual([id, false, 'RetainExceptOnCreate']);
    }
  });

  it('keeps the diff guard as strict after a successful create: removing any retained resource is blocked', () => {
    const before = template() as unknown as Template;
    const retained = Object.entries(template().Resources).filter(([, r]) => r.DeletionPolicy === 'RetainExceptOnCreate');
    expect(retained.length).toBeGreaterThanOrEqual(10);
    for (const [id] of retained) {
      const after = structuredClone(before);
      delete after.Resources![id];
      const hazards = reviewStack(stack, before, after).hazards;
      expect(hazards.map((h) => [h.logicalId, h.impact]), id).toEqual([[id, 'WILL_ORPHAN']]);
    }
  });
});

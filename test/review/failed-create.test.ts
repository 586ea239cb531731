import { describe, expect, inject, it } from 'vitest';
import { ROLLBACK_GUARD_HANDLER } from '../../constructs/rollback-guard-handler';
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
};

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
  for (const [id, r] of Object.entries(template.Resources)) {
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

  it('deletes the fixed-name resources that hold data (DB instances, RDS and WAF log groups, the cache) on rollback', () => {
    const t = template();
    const fixed = Object.entries(t.Resources).filter(([, r]) => holdsData(r.Type) && NAME_PROPERTY[r.Type] && !isGenerated(r.Properties?.[NAME_PROPERTY[r.Type]!], t));
    expect(fixed.length).toBeGreaterThanOrEqual(8);
    for (const [id, r] of fixed) expect(['RetainExceptOnCreate', 'Snapshot'], id).toContain(r.DeletionPolicy);
  });

  it('gives the guard exactly the protected DB instances and ALB, and only the permission to lift their protection', () => {
    const t = template();
    const [guard] = Object.values(resourcesOfType(t, 'Custom::RollbackGuard'));
    const dbs = Object.keys(resourcesOfType(t, 'AWS::RDS::DBInstance')).sort();
    const [alb] = Object.keys(resourcesOfType(t, 'AWS::ElasticLoadBalancingV2::LoadBalancer'));
    expect((guard.Properties?.DbInstanceIdentifiers as { Ref: string }[]).map((r) => r.Ref).sort()).toEqual(dbs);
    expect(guard.Properties?.LoadBalancerArns).toEqual([{ Ref: alb }]);
    const policy = Object.values(resourcesOfType(t, 'AWS::IAM::Policy')).find((p) => JSON.stringify(p.Properties?.Roles).includes('RollbackGuardHandler'))!;
    const actions = (policy.Properties?.PolicyDocument as { Statement: { Action: string | string[] }[] }).Statement.flatMap((s) => [s.Action].flat()).sort();
    expect(actions).toEqual(['cloudformation:DescribeStacks', 'elasticloadbalancing:ModifyLoadBalancerAttributes', 'rds:ModifyDBInstance']);
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

describe('the rollback guard handler (the inline code of the template)', () => {
  interface Call {
    readonly command: string;
    readonly input: Record<string, unknown>;
  }

  /** Runs the handler once with fake SDK clients and a fake HTTPS response endpoint. */
  async function run(requestType: string, stackStatus: string, failing: string[] = []) {
    const calls: Call[] = [];
    const responses: Record<string, unknown>[] = [];
    const command = (name: string) =>
      class {
        constructor(public readonly input: Record<string, unknown>) {}
        readonly name = name;
      };
    const client = class {
      async send(cmd: { name: string; input: Record<string, unknown> }) {
        calls.push({ command: cmd.name, input: cmd.input });
        if (failing.includes(cmd.name)) throw new Error(`${cmd.name} refused`);
        return cmd.name === 'DescribeStacks' ? { Stacks: [{ StackStatus: stackStatus }] } : {};
      }
    };
    const fakeHttps = {
      request: (_url: string, _options: unknown, callback: (response: { resume(): void; on(event: string, fn: () => void): void }) => void) => ({
        on: () => undefined,
        end: (body: string) => {
          responses.push(JSON.parse(body) as Record<string, unknown>);
          callback({ resume: () => undefined, on: (_event, fn) => fn() });
        },
      }),
    };
    const modules: Record<string, unknown> = {
      https: fakeHttps,
      '@aws-sdk/client-cloudformation': { CloudFormationClient: client, DescribeStacksCommand: command('DescribeStacks') },
      '@aws-sdk/client-rds': { RDSClient: client, ModifyDBInstanceCommand: command('ModifyDBInstance') },
      '@aws-sdk/client-elastic-load-balancing-v2': { ElasticLoadBalancingV2Client: client, ModifyLoadBalancerAttributesCommand: command('ModifyLoadBalancerAttributes') },
    };
    const module = { exports: {} as { handler: (event: unknown) => Promise<void> } };
    const quiet = { log: () => undefined, error: () => undefined };
    new Function('exports', 'module', 'require', 'console', ROLLBACK_GUARD_HANDLER)(module.exports, module, (name: string) => modules[name], quiet);
    await module.exports.handler({
      RequestType: requestType,
      StackId: 'arn:aws:cloudformation:us-east-1:333333333333:stack/loadbearing-prod/1',
      RequestId: 'r1',
      LogicalResourceId: 'RollbackGuard',
      ResponseURL: 'https://cloudformation-custom-resource-response.example/',
      ResourceProperties: { DbInstanceIdentifiers: ['lb-db-writer', 'lb-db-replica-1'], LoadBalancerArns: ['arn:aws:elasticloadbalancing:us-east-1:333333333333:loadbalancer/app/lb/1'] },
    });
    return { modifications: calls.filter((c) => c.command !== 'DescribeStacks'), responses };
  }

  it('lifts deletion protection from every DB instance and the ALB when the first create rolls back', async () => {
    const { modifications, responses } = await run('Delete', 'ROLLBACK_IN_PROGRESS');
    expect(modifications).toEqual([
      { command: 'ModifyDBInstance', input: { DBInstanceIdentifier: 'lb-db-writer', DeletionProtection: false, ApplyImmediately: true } },
      { command: 'ModifyDBInstance', input: { DBInstanceIdentifier: 'lb-db-replica-1', DeletionProtection: false, ApplyImmediately: true } },
      {
        command: 'ModifyLoadBalancerAttributes',
        input: { LoadBalancerArn: 'arn:aws:elasticloadbalancing:us-east-1:333333333333:loadbalancer/app/lb/1', Attributes: [{ Key: 'deletion_protection.enabled', Value: 'false' }] },
      },
    ]);
    expect(responses).toEqual([expect.objectContaining({ Status: 'SUCCESS', RequestId: 'r1', Reason: 'first create rolled back: deletion protection lifted' })]);
  });

  it.each([
    ['Delete', 'DELETE_IN_PROGRESS'],
    ['Delete', 'UPDATE_ROLLBACK_IN_PROGRESS'],
    ['Delete', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS'],
    ['Create', 'CREATE_IN_PROGRESS'],
    ['Update', 'UPDATE_IN_PROGRESS'],
  ])('keeps the protection on %s while the stack is %s', async (requestType, status) => {
    const { modifications, responses } = await run(requestType, status);
    expect(modifications).toEqual([]);
    expect(responses).toEqual([expect.objectContaining({ Status: 'SUCCESS' })]);
  });

  it('answers SUCCESS even when AWS refuses, so it never adds a failure to the rollback', async () => {
    const { responses } = await run('Delete', 'ROLLBACK_IN_PROGRESS', ['DescribeStacks']);
    expect(responses).toEqual([expect.objectContaining({ Status: 'SUCCESS', Reason: 'could not lift deletion protection: DescribeStacks refused' })]);
  });
});

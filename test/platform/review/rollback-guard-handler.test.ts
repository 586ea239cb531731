import { createRequire } from 'node:module';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ROLLBACK_GUARD_HANDLER, ROLLBACK_GUARD_WORK_MS } from '../../../constructs/rollback-guard-handler';

/**
 * The rollback guard's inline handler (the code in the template), run against the real AWS SDK v3
 * clients with their `send` mocked (aws-sdk-client-mock) and a fake clock: it must answer
 * CloudFormation every time, keep trying while an instance is busy, and only call a resource
 * unprotected once it reads so.
 */
const load = createRequire(__filename);
const cfnSdk = load('@aws-sdk/client-cloudformation') as typeof import('@aws-sdk/client-cloudformation');
const rdsSdk = load('@aws-sdk/client-rds') as typeof import('@aws-sdk/client-rds');
const elbSdk = load('@aws-sdk/client-elastic-load-balancing-v2') as typeof import('@aws-sdk/client-elastic-load-balancing-v2');
const cfn = mockClient(cfnSdk.CloudFormationClient);
const rds = mockClient(rdsSdk.RDSClient);
const elb = mockClient(elbSdk.ElasticLoadBalancingV2Client);

const WRITER = 'loadbearing-prod-db-writer';
const ALB = 'arn:aws:elasticloadbalancing:us-east-1:333333333333:loadbalancer/app/lb/1';
const START = new Date('2026-01-01T00:00:00Z').getTime();

/** An SDK service error as the clients throw it (the handler looks at `name`). */
function serviceError(name: string): Error {
  return Object.assign(new Error(`${name}: refused`), { name });
}

/** A DB instance as DescribeDBInstances returns it. */
const instance = (DBInstanceStatus: string, DeletionProtection: boolean) => ({
  DBInstances: [{ DBInstanceIdentifier: WRITER, DBInstanceStatus, DeletionProtection }],
});

interface Run {
  readonly responses: Record<string, unknown>[];
  /** Fake-clock milliseconds from the call to the answer. */
  readonly elapsedMs: number;
}

/** Runs the handler once; `failingModule` makes that `require` throw (as a broken runtime would). */
async function run(
  requestType: string,
  options: { remainingMs?: number; failingModule?: string; oldProperties?: Record<string, unknown> } = {},
): Promise<Run> {
  const responses: Record<string, unknown>[] = [];
  let answeredAt = Number.NaN;
  const fakeHttps = {
    request: (
      _url: string,
      _options: unknown,
      callback: (response: { resume(): void; on(event: string, fn: () => void): void }) => void,
    ) => ({
      on: () => undefined,
      end: (body: string) => {
        responses.push(JSON.parse(body) as Record<string, unknown>);
        answeredAt = Date.now();
        callback({ resume: () => undefined, on: (_event, fn) => fn() });
      },
    }),
  };
  const requireForHandler = (name: string): unknown => {
    if (name === 'https') return fakeHttps;
    if (name === options.failingModule) throw new Error(`Cannot find module '${name}'`);
    return load(name);
  };
  const module = { exports: {} as { handler: (event: unknown, context: unknown) => Promise<void> } };
  const quiet = { log: () => undefined, error: () => undefined };
  new Function('exports', 'module', 'require', 'console', ROLLBACK_GUARD_HANDLER)(module.exports, module, requireForHandler, quiet);
  const started = Date.now();
  const done = module.exports.handler(
    {
      RequestType: requestType,
      StackId: 'arn:aws:cloudformation:us-east-1:333333333333:stack/loadbearing-prod/1',
      RequestId: 'r1',
      LogicalResourceId: 'RollbackGuard',
      PhysicalResourceId: requestType === 'Create' ? undefined : 'RollbackGuard',
      ResponseURL: 'https://cloudformation-custom-resource-response.example/',
      ResourceProperties: { DbInstanceIdentifiers: [WRITER], LoadBalancerArns: [ALB] },
      ...(requestType === 'Update'
        ? { OldResourceProperties: options.oldProperties ?? { DbInstanceIdentifiers: [WRITER], LoadBalancerArns: [ALB] } }
        : {}),
    },
    { getRemainingTimeInMillis: () => options.remainingMs ?? 900_000 },
  );
  await vi.runAllTimersAsync();
  await done;
  return { responses, elapsedMs: answeredAt - started };
}

const stackStatus = (StackStatus: string) =>
  cfn.on(cfnSdk.DescribeStacksCommand).resolves({
    Stacks: [
      {
        StackName: 'loadbearing-prod',
        StackStatus: StackStatus as import('@aws-sdk/client-cloudformation').StackStatus,
        CreationTime: new Date(START),
      },
    ],
  });
const albUnprotected = () =>
  elb.on(elbSdk.ModifyLoadBalancerAttributesCommand).resolves({ Attributes: [{ Key: 'deletion_protection.enabled', Value: 'false' }] });

beforeEach(() => {
  vi.useFakeTimers({ now: START });
  cfn.reset();
  rds.reset();
  elb.reset();
});
afterEach(() => vi.useRealTimers());

describe('on the delete of a rolled-back first create', () => {
  it('retries while the instance is busy, and answers once protection reads false', async () => {
    stackStatus('ROLLBACK_IN_PROGRESS');
    rds
      .on(rdsSdk.DescribeDBInstancesCommand)
      .resolvesOnce(instance('creating', true))
      .resolvesOnce(instance('backing-up', true))
      .resolvesOnce(instance('available', true))
      .resolves(instance('available', false));
    rds
      .on(rdsSdk.ModifyDBInstanceCommand)
      .rejectsOnce(serviceError('InvalidDBInstanceStateFault'))
      .rejectsOnce(serviceError('InvalidDBInstanceStateFault'))
      .resolves({});
    albUnprotected();
    const { responses } = await run('Delete');
    expect(rds.commandCalls(rdsSdk.ModifyDBInstanceCommand).map((c) => c.args[0].input)).toEqual(
      Array(3).fill({ DBInstanceIdentifier: WRITER, DeletionProtection: false, ApplyImmediately: true }),
    );
    expect(rds.commandCalls(rdsSdk.DescribeDBInstancesCommand)).toHaveLength(4);
    expect(elb.commandCalls(elbSdk.ModifyLoadBalancerAttributesCommand)[0].args[0].input).toEqual({
      LoadBalancerArn: ALB,
      Attributes: [{ Key: 'deletion_protection.enabled', Value: 'false' }],
    });
    expect(responses).toEqual([
      expect.objectContaining({ Status: 'SUCCESS', RequestId: 'r1', Reason: 'first create rolled back: deletion protection lifted' }),
    ]);
  });

  it('does not call an instance unprotected until DeletionProtection reads false', async () => {
    stackStatus('ROLLBACK_IN_PROGRESS');
    // The modification is accepted, but the first reads still show the protection.
    rds
      .on(rdsSdk.DescribeDBInstancesCommand)
      .resolvesOnce(instance('available', true))
      .resolvesOnce(instance('modifying', true))
      .resolves(instance('available', false));
    rds.on(rdsSdk.ModifyDBInstanceCommand).resolves({});
    albUnprotected();
    const { responses } = await run('Delete');
    expect(rds.commandCalls(rdsSdk.DescribeDBInstancesCommand)).toHaveLength(3);
    expect(responses[0]).toMatchObject({ Reason: 'first create rolled back: deletion protection lifted' });
  });

  it('keeps trying for most of the function timeout (not a minute), then still answers SUCCESS and says what is left', async () => {
    stackStatus('ROLLBACK_IN_PROGRESS');
    rds.on(rdsSdk.DescribeDBInstancesCommand).resolves(instance('backing-up', true));
    rds.on(rdsSdk.ModifyDBInstanceCommand).rejects(serviceError('InvalidDBInstanceStateFault'));
    albUnprotected();
    const { responses, elapsedMs } = await run('Delete');
    expect(elapsedMs).toBeGreaterThan(ROLLBACK_GUARD_WORK_MS - 60_000);
    expect(elapsedMs).toBeLessThanOrEqual(ROLLBACK_GUARD_WORK_MS);
    expect(rds.commandCalls(rdsSdk.ModifyDBInstanceCommand).length).toBeGreaterThan(10);
    expect(responses).toEqual([
      expect.objectContaining({
        Status: 'SUCCESS',
        Reason: `first create rolled back; deletion protection still on for ${WRITER}: InvalidDBInstanceStateFault`,
      }),
    ]);
  });

  it('stops a minute before the function would time out, whatever is left', async () => {
    stackStatus('ROLLBACK_IN_PROGRESS');
    rds.on(rdsSdk.DescribeDBInstancesCommand).resolves(instance('creating', true));
    rds.on(rdsSdk.ModifyDBInstanceCommand).rejects(serviceError('InvalidDBInstanceStateFault'));
    albUnprotected();
    const { responses, elapsedMs } = await run('Delete', { remainingMs: 180_000 });
    expect(elapsedMs).toBeLessThanOrEqual(120_000);
    expect(responses).toHaveLength(1);
  });

  it('still lifts the protection when it may not read the instance (an accepted modification counts)', async () => {
    stackStatus('ROLLBACK_IN_PROGRESS');
    rds.on(rdsSdk.DescribeDBInstancesCommand).rejects(serviceError('AccessDenied'));
    rds.on(rdsSdk.ModifyDBInstanceCommand).rejectsOnce(serviceError('InvalidDBInstanceStateFault')).resolves({});
    albUnprotected();
    const { responses } = await run('Delete');
    expect(rds.commandCalls(rdsSdk.ModifyDBInstanceCommand)).toHaveLength(2);
    expect(responses[0]).toMatchObject({ Reason: 'first create rolled back: deletion protection lifted' });
  });

  it('treats a resource that is already gone as done', async () => {
    stackStatus('ROLLBACK_IN_PROGRESS');
    rds.on(rdsSdk.DescribeDBInstancesCommand).rejects(serviceError('DBInstanceNotFoundFault'));
    elb.on(elbSdk.ModifyLoadBalancerAttributesCommand).rejects(serviceError('LoadBalancerNotFoundException'));
    const { responses, elapsedMs } = await run('Delete');
    expect(rds.commandCalls(rdsSdk.ModifyDBInstanceCommand)).toEqual([]);
    expect(elapsedMs).toBe(0);
    expect(responses[0]).toMatchObject({ Reason: 'first create rolled back: deletion protection lifted' });
  });
});

describe('on a delete everywhere else', () => {
  it.each([
    'DELETE_IN_PROGRESS',
    'UPDATE_ROLLBACK_IN_PROGRESS',
    'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS',
    'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS',
  ])('keeps the protection while the stack is %s', async (status) => {
    stackStatus(status);
    const { responses } = await run('Delete');
    expect(rds.calls()).toEqual([]);
    expect(elb.calls()).toEqual([]);
    expect(responses).toEqual([expect.objectContaining({ Status: 'SUCCESS', Reason: `stack is ${status}: deletion protection kept` })]);
  });
});

describe('on create and update: protection switched on last', () => {
  const albProtected = () =>
    elb.on(elbSdk.ModifyLoadBalancerAttributesCommand).resolves({ Attributes: [{ Key: 'deletion_protection.enabled', Value: 'true' }] });

  it.each(['Create', 'Update'])(
    '%s: turns protection on, waits while the writer is still backing up, and answers once it reads true',
    async (requestType) => {
      stackStatus('UPDATE_IN_PROGRESS');
      rds
        .on(rdsSdk.DescribeDBInstancesCommand)
        .resolvesOnce(instance('backing-up', false))
        .resolvesOnce(instance('available', false))
        .resolves(instance('available', true));
      rds.on(rdsSdk.ModifyDBInstanceCommand).rejectsOnce(serviceError('InvalidDBInstanceStateFault')).resolves({});
      albProtected();
      const { responses } = await run(requestType);
      expect(rds.commandCalls(rdsSdk.ModifyDBInstanceCommand).map((c) => c.args[0].input)).toEqual(
        Array(2).fill({ DBInstanceIdentifier: WRITER, DeletionProtection: true, ApplyImmediately: true }),
      );
      expect(elb.commandCalls(elbSdk.ModifyLoadBalancerAttributesCommand)[0]!.args[0].input).toEqual({
        LoadBalancerArn: ALB,
        Attributes: [{ Key: 'deletion_protection.enabled', Value: 'true' }],
      });
      expect(cfn.calls()).toHaveLength(requestType === 'Update' ? 1 : 0);
      expect(responses).toEqual([expect.objectContaining({ Status: 'SUCCESS', Reason: 'deletion protection on' })]);
    },
  );

  it('Create: when the writer never takes the protection, switches the ALB back off for the rollback and answers FAILED naming the writer', async () => {
    rds.on(rdsSdk.DescribeDBInstancesCommand).resolves(instance('modifying', false));
    rds.on(rdsSdk.ModifyDBInstanceCommand).rejects(serviceError('InvalidDBInstanceStateFault'));
    elb.on(elbSdk.ModifyLoadBalancerAttributesCommand).callsFake((input: { Attributes: { Value: string }[] }) => ({
      Attributes: [{ Key: 'deletion_protection.enabled', Value: input.Attributes[0]!.Value }],
    }));
    const { responses, elapsedMs } = await run('Create');
    expect(elapsedMs).toBeGreaterThan(ROLLBACK_GUARD_WORK_MS - 60_000);
    expect(elb.commandCalls(elbSdk.ModifyLoadBalancerAttributesCommand).map((c) => c.args[0].input.Attributes![0]!.Value)).toEqual([
      'true',
      'false',
    ]);
    expect(responses).toEqual([
      expect.objectContaining({
        Status: 'FAILED',
        Reason: `could not switch deletion protection on for ${WRITER}: InvalidDBInstanceStateFault; switched the others back off for the rollback`,
      }),
    ]);
  });

  it('Update: unprotects a load balancer the update replaces (its cleanup deletes it), and protects the new one', async () => {
    stackStatus('UPDATE_IN_PROGRESS');
    const OLD_ALB = 'arn:aws:elasticloadbalancing:us-east-1:333333333333:loadbalancer/app/lb/0';
    rds.on(rdsSdk.DescribeDBInstancesCommand).resolves(instance('available', true));
    elb.on(elbSdk.ModifyLoadBalancerAttributesCommand).callsFake((input: { Attributes: { Value: string }[] }) => ({
      Attributes: [{ Key: 'deletion_protection.enabled', Value: input.Attributes[0]!.Value }],
    }));
    const { responses } = await run('Update', { oldProperties: { DbInstanceIdentifiers: [WRITER], LoadBalancerArns: [OLD_ALB] } });
    expect(
      elb
        .commandCalls(elbSdk.ModifyLoadBalancerAttributesCommand)
        .map((c) => [c.args[0].input.LoadBalancerArn, c.args[0].input.Attributes![0]!.Value]),
    ).toEqual([
      [OLD_ALB, 'false'],
      [ALB, 'true'],
    ]);
    expect(rds.commandCalls(rdsSdk.ModifyDBInstanceCommand)).toEqual([]);
    expect(responses).toEqual([expect.objectContaining({ Status: 'SUCCESS', Reason: 'deletion protection on' })]);
  });

  it("Update during an update's rollback: never answers FAILED (that would fail the rollback), and unprotects what the failed update added (review 20b, M3b)", async () => {
    stackStatus('UPDATE_ROLLBACK_IN_PROGRESS');
    // The rollback's properties are the old ones; its "old" ones are those of the failed update,
    // which had replaced the ALB and may already have protected the new one: the rollback's
    // cleanup deletes that one, so it must lose its protection.
    const NEW_ALB = 'arn:aws:elasticloadbalancing:us-east-1:333333333333:loadbalancer/app/lb/2';
    rds.on(rdsSdk.DescribeDBInstancesCommand).resolves(instance('modifying', false));
    rds.on(rdsSdk.ModifyDBInstanceCommand).rejects(serviceError('InvalidDBInstanceStateFault'));
    elb.on(elbSdk.ModifyLoadBalancerAttributesCommand).callsFake((input: { Attributes: { Value: string }[] }) => ({
      Attributes: [{ Key: 'deletion_protection.enabled', Value: input.Attributes[0]!.Value }],
    }));
    const { responses } = await run('Update', { oldProperties: { DbInstanceIdentifiers: [WRITER], LoadBalancerArns: [NEW_ALB] } });
    expect(
      elb
        .commandCalls(elbSdk.ModifyLoadBalancerAttributesCommand)
        .map((c) => [c.args[0].input.LoadBalancerArn, c.args[0].input.Attributes![0]!.Value]),
    ).toEqual([
      [NEW_ALB, 'false'],
      [ALB, 'true'],
    ]);
    expect(
      rds
        .commandCalls(rdsSdk.ModifyDBInstanceCommand)
        .every((c) => c.args[0].input.DeletionProtection === true && c.args[0].input.DBInstanceIdentifier === WRITER),
    ).toBe(true);
    expect(responses).toEqual([
      expect.objectContaining({
        Status: 'SUCCESS',
        Reason: `update rolled back; deletion protection still off for ${WRITER}: InvalidDBInstanceStateFault`,
      }),
    ]);
  });

  it('Update: when it cannot read the stack status, still protects, and never answers FAILED because of that alone (review 20b, M3a)', async () => {
    cfn.on(cfnSdk.DescribeStacksCommand).rejects(serviceError('Throttling'));
    rds.on(rdsSdk.DescribeDBInstancesCommand).resolvesOnce(instance('available', false)).resolves(instance('available', true));
    rds.on(rdsSdk.ModifyDBInstanceCommand).resolves({});
    albProtected();
    const { responses } = await run('Update');
    expect(rds.commandCalls(rdsSdk.ModifyDBInstanceCommand).map((c) => c.args[0].input.DeletionProtection)).toEqual([true]);
    expect(responses).toEqual([expect.objectContaining({ Status: 'SUCCESS', Reason: 'deletion protection on' })]);
  });

  it('Update: when it can read neither the status nor protect, answers SUCCESS and says so (it may be a rollback)', async () => {
    cfn.on(cfnSdk.DescribeStacksCommand).rejects(serviceError('Throttling'));
    rds.on(rdsSdk.DescribeDBInstancesCommand).resolves(instance('modifying', false));
    rds.on(rdsSdk.ModifyDBInstanceCommand).rejects(serviceError('InvalidDBInstanceStateFault'));
    albProtected();
    const { responses } = await run('Update');
    expect(responses).toEqual([
      expect.objectContaining({
        Status: 'SUCCESS',
        Reason: `stack status unknown (may be a rollback): not failing; deletion protection still off for ${WRITER}: InvalidDBInstanceStateFault`,
      }),
    ]);
  });

  it('Update: when it cannot protect, answers FAILED and lifts nothing (a deployed stack keeps its protection)', async () => {
    stackStatus('UPDATE_IN_PROGRESS');
    rds.on(rdsSdk.DescribeDBInstancesCommand).resolves(instance('modifying', false));
    rds.on(rdsSdk.ModifyDBInstanceCommand).rejects(serviceError('InvalidDBInstanceStateFault'));
    albProtected();
    const { responses } = await run('Update');
    expect(rds.commandCalls(rdsSdk.ModifyDBInstanceCommand).every((c) => c.args[0].input.DeletionProtection === true)).toBe(true);
    expect(elb.commandCalls(elbSdk.ModifyLoadBalancerAttributesCommand).map((c) => c.args[0].input.Attributes![0]!.Value)).toEqual([
      'true',
    ]);
    expect(responses).toEqual([
      expect.objectContaining({
        Status: 'FAILED',
        Reason: `could not switch deletion protection on for ${WRITER}: InvalidDBInstanceStateFault`,
      }),
    ]);
  });

  it('Create: answers FAILED when an SDK module cannot be loaded (nothing was switched on)', async () => {
    const { responses } = await run('Create', { failingModule: '@aws-sdk/client-rds' });
    expect(responses).toEqual([
      expect.objectContaining({
        Status: 'FAILED',
        Reason: "could not switch deletion protection on: Cannot find module '@aws-sdk/client-rds'",
      }),
    ]);
  });
});

describe('answering CloudFormation', () => {
  it('answers SUCCESS when AWS refuses, so it never adds a failure to the rollback', async () => {
    cfn.on(cfnSdk.DescribeStacksCommand).rejects(serviceError('AccessDenied'));
    const { responses } = await run('Delete');
    expect(responses).toEqual([
      expect.objectContaining({ Status: 'SUCCESS', Reason: 'could not lift deletion protection: AccessDenied: refused' }),
    ]);
  });

  it('answers even when an SDK module cannot be loaded (the imports run inside the try)', async () => {
    const { responses } = await run('Delete', { failingModule: '@aws-sdk/client-rds' });
    expect(responses).toEqual([
      expect.objectContaining({
        Status: 'SUCCESS',
        Reason: "could not lift deletion protection: Cannot find module '@aws-sdk/client-rds'",
      }),
    ]);
  });
});

/** How long the handler keeps trying before it answers (the function's timeout is 15 minutes). */
export const ROLLBACK_GUARD_WORK_MS = 13 * 60 * 1000;

/**
 * The rollback guard's handler (plain JavaScript for the Lambda Node.js runtime, which bundles the
 * AWS SDK v3). See RollbackGuard for why deletion protection is switched on last.
 *
 * - Create and Update: turn deletion protection ON for every DB instance and load balancer in its
 *   properties, and read it back. An Update first turns it OFF for what its old properties named
 *   and the new ones do not: on a forward update what it replaces or removes, during an update's
 *   rollback what the failed update added (the properties swap); the cleanup after either deletes
 *   them. During an update's rollback it never answers FAILED (that would fail the rollback), nor
 *   when it cannot read the stack's status (DescribeStacks failed: it may be a rollback; logged, and
 *   the answer says so). An instance that is still being created, modified or backed up
 *   can refuse the change (InvalidDBInstanceState: "Database instance is not in available state"),
 *   so each resource is tried with backoff and full jitter (at most 30 s apart) until it reads
 *   protected or ROLLBACK_GUARD_WORK_MS (or the function's remaining time less a minute) has
 *   passed. If one cannot be protected, a Create first lifts what it switched on (so the rollback
 *   it causes can delete them) and answers FAILED, naming the resource; an Update answers FAILED
 *   and lifts nothing (a deployed stack keeps its protection).
 * - Delete: only while the stack is ROLLBACK_IN_PROGRESS (the rollback of a failed CreateStack; a
 *   stack that was created successfully never enters it again) it turns protection OFF, so the
 *   rollback can delete them. On a stack delete, an update or its rollback it keeps protection.
 *   A Delete always answers SUCCESS: a failure here must not become a second failure of the
 *   rollback.
 *
 * It always answers: everything after the answer's own plumbing, the SDK imports included, runs
 * inside one try, and the answer is sent in its `finally`; if even that fails, the custom
 * resource's ServiceTimeout ends CloudFormation's wait.
 */
export const ROLLBACK_GUARD_HANDLER = `'use strict';
const https = require('https');

const WORK_MS = ${ROLLBACK_GUARD_WORK_MS};
const ANSWER_MARGIN_MS = 60000;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const errorName = (err) => (err && (err.name || err.code)) || String(err);

/** Retries one step until it reports done (returns true) or the deadline comes; returns what blocked it last. */
async function untilDone(step, deadline) {
  for (let attempt = 1; ; attempt++) {
    let state;
    try {
      const done = await step();
      if (done === true) return undefined;
      state = done;
    } catch (err) {
      state = errorName(err);
    }
    const wait = Math.random() * Math.min(30000, 1000 * 2 ** attempt);
    if (Date.now() + wait > deadline) return state;
    await sleep(wait);
  }
}

/** Sets an instance's DeletionProtection and waits until it reads so (or the instance is gone). */
function setDbProtection(sdk, id, on, deadline) {
  return untilDone(async () => {
    let db;
    let unreadable = false;
    try {
      const out = await sdk.rds.send(new sdk.DescribeDBInstancesCommand({ DBInstanceIdentifier: id }));
      db = out.DBInstances && out.DBInstances[0];
      if (!db) return on ? 'not found' : true;
      if (db.DeletionProtection === on) return true;
    } catch (err) {
      if (errorName(err) === 'DBInstanceNotFoundFault') return on ? 'not found' : true;
      console.error(err);
      unreadable = true; // e.g. not allowed to describe: the modification is what matters
    }
    await sdk.rds.send(new sdk.ModifyDBInstanceCommand({ DBInstanceIdentifier: id, DeletionProtection: on, ApplyImmediately: true }));
    return unreadable ? true : 'modified while ' + db.DBInstanceStatus + ', not yet read back';
  }, deadline);
}

function setAlbProtection(sdk, arn, on, deadline) {
  const value = on ? 'true' : 'false';
  return untilDone(async () => {
    let out;
    try {
      out = await sdk.elb.send(new sdk.ModifyLoadBalancerAttributesCommand({ LoadBalancerArn: arn, Attributes: [{ Key: 'deletion_protection.enabled', Value: value }] }));
    } catch (err) {
      if (errorName(err) === 'LoadBalancerNotFoundException') return on ? 'not found' : true;
      throw err;
    }
    const attribute = (out.Attributes || []).find((a) => a.Key === 'deletion_protection.enabled');
    return attribute && attribute.Value === value ? true : 'deletion_protection.enabled is ' + (attribute ? attribute.Value : 'missing');
  }, deadline);
}

/** Sets protection on every resource in parallel; returns "<resource>: <what blocked it>" for each that did not take. */
async function setAll(sdk, props, on, deadline) {
  const work = [
    ...(props.DbInstanceIdentifiers || []).map((id) => setDbProtection(sdk, id, on, deadline).then((state) => state && id + ': ' + state)),
    ...(props.LoadBalancerArns || []).map((arn) => setAlbProtection(sdk, arn, on, deadline).then((state) => state && arn + ': ' + state)),
  ];
  return (await Promise.all(work)).filter(Boolean);
}

function loadSdk() {
  const { CloudFormationClient, DescribeStacksCommand } = require('@aws-sdk/client-cloudformation');
  const { RDSClient, DescribeDBInstancesCommand, ModifyDBInstanceCommand } = require('@aws-sdk/client-rds');
  const { ElasticLoadBalancingV2Client, ModifyLoadBalancerAttributesCommand } = require('@aws-sdk/client-elastic-load-balancing-v2');
  return {
    cfn: new CloudFormationClient({}),
    rds: new RDSClient({}),
    elb: new ElasticLoadBalancingV2Client({}),
    DescribeStacksCommand,
    DescribeDBInstancesCommand,
    ModifyDBInstanceCommand,
    ModifyLoadBalancerAttributesCommand,
  };
}

/** What the old properties name that the new ones do not (a resource being replaced or removed). */
function dropped(oldProps, props) {
  const keep = (key) => new Set((props && props[key]) || []);
  const ids = keep('DbInstanceIdentifiers');
  const arns = keep('LoadBalancerArns');
  return {
    DbInstanceIdentifiers: ((oldProps && oldProps.DbInstanceIdentifiers) || []).filter((id) => !ids.has(id)),
    LoadBalancerArns: ((oldProps && oldProps.LoadBalancerArns) || []).filter((arn) => !arns.has(arn)),
  };
}

/** Create or Update: protection on. Returns [status, reason]. */
async function onCreateOrUpdate(event, deadline) {
  const sdk = loadSdk();
  const props = event.ResourceProperties || {};
  if (event.RequestType === 'Update') {
    let status;
    try {
      const { Stacks } = await sdk.cfn.send(new sdk.DescribeStacksCommand({ StackName: event.StackId }));
      status = Stacks && Stacks[0] ? Stacks[0].StackStatus : undefined;
    } catch (err) {
      // Throttled or refused after the SDK's retries: go on without the status, and never fail
      // because of it alone (this may be a rollback).
      console.error(err);
      status = undefined;
    }
    const rollingBack = status === 'UPDATE_ROLLBACK_IN_PROGRESS';
    // What the old properties name and the new ones do not is deleted in the cleanup after this
    // operation: on a forward update what it replaces or removes; during its rollback (the old and
    // new properties swap) what the failed update added, which that update may already have
    // protected. Unprotect it, or the cleanup cannot delete it and leaves it behind, protected and
    // out of the stack. (If a forward update rolls back, the rollback's Update protects it again.)
    const stuck = await setAll(sdk, dropped(event.OldResourceProperties, props), false, deadline);
    const blocked = await setAll(sdk, props, true, deadline);
    const notes = (stuck.length ? '; could not unprotect what the cleanup deletes: ' + stuck.join('; ') : '');
    if (blocked.length === 0) return ['SUCCESS', 'deletion protection on' + notes];
    // During an update's rollback a failure here would fail the rollback itself (UPDATE_ROLLBACK_FAILED).
    if (rollingBack) return ['SUCCESS', 'update rolled back; deletion protection still off for ' + blocked.join('; ') + notes];
    if (status === undefined) return ['SUCCESS', 'stack status unknown (may be a rollback): not failing; deletion protection still off for ' + blocked.join('; ') + notes];
    return ['FAILED', 'could not switch deletion protection on for ' + blocked.join('; ') + notes];
  }
  const blocked = await setAll(sdk, props, true, deadline);
  if (blocked.length === 0) return ['SUCCESS', 'deletion protection on'];
  // Leave the first create's rollback nothing it cannot delete: undo what did take.
  const left = await setAll(sdk, props, false, Date.now() + ANSWER_MARGIN_MS / 2);
  return ['FAILED', 'could not switch deletion protection on for ' + blocked.join('; ') + (left.length ? '; and could not switch it back off for ' + left.join('; ') : '; switched the others back off for the rollback')];
}

async function onDelete(event, deadline) {
  const sdk = loadSdk();
  const { Stacks } = await sdk.cfn.send(new sdk.DescribeStacksCommand({ StackName: event.StackId }));
  const status = Stacks && Stacks[0] ? Stacks[0].StackStatus : 'unknown';
  if (status !== 'ROLLBACK_IN_PROGRESS') return 'stack is ' + status + ': deletion protection kept';
  const blocked = await setAll(sdk, event.ResourceProperties || {}, false, deadline);
  return blocked.length === 0
    ? 'first create rolled back: deletion protection lifted'
    : 'first create rolled back; deletion protection still on for ' + blocked.join('; ');
}

function respond(event, status, reason) {
  const body = JSON.stringify({
    Status: status,
    Reason: reason,
    PhysicalResourceId: event.PhysicalResourceId || event.LogicalResourceId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
  });
  return new Promise((resolve, reject) => {
    const request = https.request(event.ResponseURL, { method: 'PUT', headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) } }, (response) => {
      response.resume();
      response.on('end', resolve);
    });
    request.on('error', reject);
    request.end(body);
  });
}

exports.handler = async (event, context) => {
  let status = 'SUCCESS';
  let reason = 'nothing to do on ' + event.RequestType;
  try {
    const remaining = context && typeof context.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() - ANSWER_MARGIN_MS : WORK_MS;
    const deadline = Date.now() + Math.min(WORK_MS, remaining);
    if (event.RequestType === 'Delete') reason = await onDelete(event, deadline);
    else [status, reason] = await onCreateOrUpdate(event, deadline);
  } catch (err) {
    console.error(err);
    if (event.RequestType === 'Delete') reason = 'could not lift deletion protection: ' + (err && err.message);
    else [status, reason] = ['FAILED', 'could not switch deletion protection on: ' + (err && err.message)];
  } finally {
    console.log(status + ': ' + reason);
    await respond(event, status, reason);
  }
};
`;

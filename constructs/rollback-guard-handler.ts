/** How long the handler keeps trying before it answers (the function's timeout is 10 minutes). */
export const ROLLBACK_GUARD_WORK_MS = 8 * 60 * 1000;

/**
 * The handler (plain JavaScript for the Lambda Node.js runtime, which bundles the AWS SDK v3).
 *
 * It always answers, and always SUCCESS: a failure here must not become a second failure of the
 * rollback. Everything after the answer's own plumbing, the SDK imports included, runs inside one
 * try, and the answer is sent in its `finally`; if even that fails, the custom resource's
 * ServiceTimeout ends CloudFormation's wait (see RollbackGuard).
 *
 * On the delete of a rolled-back first create it turns deletion protection off and checks that it
 * reads off, per DB instance and load balancer, in parallel: an instance that is still being
 * created or backed up can refuse the change (InvalidDBInstanceState), so it describes, modifies
 * and describes again, with backoff and full jitter (at most 30 s apart), until protection reads
 * false, the resource is gone, or ROLLBACK_GUARD_WORK_MS (or the function's remaining time less a
 * minute) has passed. If it cannot describe the instance at all, an accepted modification counts. Which RDS states refuse this modification is not documented; the loop does
 * not rely on it.
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

function liftDbProtection(sdk, id, deadline) {
  return untilDone(async () => {
    let db;
    let unreadable = false;
    try {
      const out = await sdk.rds.send(new sdk.DescribeDBInstancesCommand({ DBInstanceIdentifier: id }));
      db = out.DBInstances && out.DBInstances[0];
      if (!db || db.DeletionProtection === false) return true;
    } catch (err) {
      if (errorName(err) === 'DBInstanceNotFoundFault') return true;
      console.error(err);
      unreadable = true; // e.g. not allowed to describe: the modification is what matters
    }
    await sdk.rds.send(new sdk.ModifyDBInstanceCommand({ DBInstanceIdentifier: id, DeletionProtection: false, ApplyImmediately: true }));
    return unreadable ? true : 'modified while ' + db.DBInstanceStatus + ', not yet read back';
  }, deadline);
}

function liftAlbProtection(sdk, arn, deadline) {
  return untilDone(async () => {
    let out;
    try {
      out = await sdk.elb.send(new sdk.ModifyLoadBalancerAttributesCommand({ LoadBalancerArn: arn, Attributes: [{ Key: 'deletion_protection.enabled', Value: 'false' }] }));
    } catch (err) {
      if (errorName(err) === 'LoadBalancerNotFoundException') return true;
      throw err;
    }
    const attribute = (out.Attributes || []).find((a) => a.Key === 'deletion_protection.enabled');
    return !attribute || attribute.Value === 'false' ? true : 'deletion_protection.enabled is ' + attribute.Value;
  }, deadline);
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

async function onDelete(event, deadline) {
  const sdk = loadSdk();
  const { Stacks } = await sdk.cfn.send(new sdk.DescribeStacksCommand({ StackName: event.StackId }));
  const status = Stacks && Stacks[0] ? Stacks[0].StackStatus : 'unknown';
  if (status !== 'ROLLBACK_IN_PROGRESS') return 'stack is ' + status + ': deletion protection kept';
  const props = event.ResourceProperties || {};
  const work = [
    ...(props.DbInstanceIdentifiers || []).map((id) => liftDbProtection(sdk, id, deadline).then((state) => state && id + ': ' + state)),
    ...(props.LoadBalancerArns || []).map((arn) => liftAlbProtection(sdk, arn, deadline).then((state) => state && arn + ': ' + state)),
  ];
  const blocked = (await Promise.all(work)).filter(Boolean);
  return blocked.length === 0
    ? 'first create rolled back: deletion protection lifted'
    : 'first create rolled back; deletion protection still on for ' + blocked.join('; ');
}

function respond(event, reason) {
  const body = JSON.stringify({
    Status: 'SUCCESS',
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
  let reason = 'nothing to do on ' + event.RequestType;
  try {
    const remaining = context && typeof context.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() - ANSWER_MARGIN_MS : WORK_MS;
    const deadline = Date.now() + Math.min(WORK_MS, remaining);
    if (event.RequestType === 'Delete') reason = await onDelete(event, deadline);
  } catch (err) {
    console.error(err);
    reason = 'could not lift deletion protection: ' + (err && err.message);
  } finally {
    console.log(reason);
    await respond(event, reason);
  }
};
`;

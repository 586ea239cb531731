/**
 * The handler (plain JavaScript for the Lambda Node.js runtime, which bundles the AWS SDK v3).
 * It always answers SUCCESS: a failure here must not become a second failure of the rollback.
 */
export const ROLLBACK_GUARD_HANDLER = `'use strict';
const https = require('https');
const { CloudFormationClient, DescribeStacksCommand } = require('@aws-sdk/client-cloudformation');
const { RDSClient, ModifyDBInstanceCommand } = require('@aws-sdk/client-rds');
const { ElasticLoadBalancingV2Client, ModifyLoadBalancerAttributesCommand } = require('@aws-sdk/client-elastic-load-balancing-v2');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// An instance can be briefly busy (e.g. its first backup): retry with backoff and full jitter.
async function withRetries(call, attempts = 6) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (attempt >= attempts) throw err;
      await sleep(Math.random() * Math.min(30000, 1000 * 2 ** attempt));
    }
  }
}

async function liftProtection(props) {
  const rds = new RDSClient({});
  const elb = new ElasticLoadBalancingV2Client({});
  for (const id of props.DbInstanceIdentifiers || []) {
    await withRetries(() => rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: id, DeletionProtection: false, ApplyImmediately: true })));
  }
  for (const arn of props.LoadBalancerArns || []) {
    await withRetries(() => elb.send(new ModifyLoadBalancerAttributesCommand({ LoadBalancerArn: arn, Attributes: [{ Key: 'deletion_protection.enabled', Value: 'false' }] })));
  }
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

exports.handler = async (event) => {
  let reason = 'nothing to do on ' + event.RequestType;
  if (event.RequestType === 'Delete') {
    try {
      const { Stacks } = await new CloudFormationClient({}).send(new DescribeStacksCommand({ StackName: event.StackId }));
      const status = Stacks && Stacks[0] ? Stacks[0].StackStatus : 'unknown';
      if (status === 'ROLLBACK_IN_PROGRESS') {
        await liftProtection(event.ResourceProperties);
        reason = 'first create rolled back: deletion protection lifted';
      } else {
        reason = 'stack is ' + status + ': deletion protection kept';
      }
    } catch (err) {
      console.error(err);
      reason = 'could not lift deletion protection: ' + (err && err.message);
    }
  }
  console.log(reason);
  await respond(event, reason);
};
`;

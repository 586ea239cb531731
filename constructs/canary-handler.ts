/**
 * The canary's handler (plain JavaScript for the Lambda Node.js runtime, which bundles the AWS
 * SDK v3), inline in the template: constructs/canary.ts says what it is for.
 *
 * Each run requests every check of `CHECKS` at once (JSON: name, target `alb` or `edge`, path,
 * the status ranges that pass), logs one JSON line with each check's status and time, and throws if
 * any check failed: the function's `Errors` metric is the canary's failure metric (a run that
 * times out or cannot start counts too).
 *
 * - `alb` checks go to the load balancer's own DNS name (`ALB_DNS`), over HTTPS when `ALB_HTTPS`
 *   is `true`. With `ALB_HOST_NAME`, that name is the TLS server name and the Host header, and
 *   the certificate is checked against it; without it the certificate chain is checked but not
 *   the name (the ALB's DNS name is never on its certificate), and the construct then never
 *   sets `ORIGIN_SECRET_ARN`. With `ORIGIN_SECRET_ARN` every `alb` check carries the origin
 *   header (`ORIGIN_HEADER`), read from Secrets Manager once per container and read again once
 *   when the ALB answers 403 (the value changed).
 * - `edge` checks go to `https://EDGE_DOMAIN` (the distribution's own name, on CloudFront's
 *   certificate), as a user's request would.
 */
export const CANARY_HANDLER = `'use strict';
const http = require('http');
const https = require('https');

const CHECKS = JSON.parse(process.env.CHECKS);
const TIMEOUT_MS = Number(process.env.TIMEOUT_MS);
const AGENT = 'loadbearing-canary/1 (' + process.env.STACK_NAME + ')';
let secretRead;

/** The origin secret, read once per container (one read shared by concurrent checks), read again when \`fresh\`. */
function originSecret(fresh) {
  if (!process.env.ORIGIN_SECRET_ARN) return Promise.resolve(undefined);
  if (secretRead === undefined || fresh) {
    const sm = require('@aws-sdk/client-secrets-manager');
    const read = new sm.SecretsManagerClient({}).send(new sm.GetSecretValueCommand({ SecretId: process.env.ORIGIN_SECRET_ARN }));
    secretRead = read.then((out) => out.SecretString);
    secretRead.catch(() => {
      secretRead = undefined;
    });
  }
  return secretRead;
}

function get(check, headerValue) {
  const edge = check.target === 'edge';
  const secure = edge || process.env.ALB_HTTPS === 'true';
  const hostName = edge ? process.env.EDGE_DOMAIN : process.env.ALB_HOST_NAME;
  const headers = { 'user-agent': AGENT, accept: 'application/json' };
  if (hostName) headers.host = hostName;
  if (!edge && headerValue !== undefined) headers[process.env.ORIGIN_HEADER] = headerValue;
  const options = { host: edge ? process.env.EDGE_DOMAIN : process.env.ALB_DNS, path: check.path, method: 'GET', headers, timeout: TIMEOUT_MS };
  if (secure && hostName) options.servername = hostName;
  if (secure && !hostName) options.checkServerIdentity = () => undefined;
  const started = Date.now();
  return new Promise((resolve) => {
    const req = (secure ? https : http).request(options, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, ms: Date.now() - started }));
      res.on('error', (err) => resolve({ error: err.code || err.message, ms: Date.now() - started }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout after ' + TIMEOUT_MS + ' ms')));
    req.on('error', (err) => resolve({ error: err.code || err.message, ms: Date.now() - started }));
    req.end();
  });
}

async function run(check) {
  let result;
  try {
    const value = check.target === 'alb' ? await originSecret(false) : undefined;
    result = await get(check, value);
    if (result.status === 403 && value !== undefined) result = await get(check, await originSecret(true));
  } catch (err) {
    result = { error: (err && (err.name || err.message)) || String(err), ms: 0 };
  }
  return { name: check.name, path: check.path, ...result, ok: check.expect.some((r) => result.status >= r[0] && result.status <= r[1]) };
}

exports.handler = async () => {
  const results = await Promise.all(CHECKS.map(run));
  const failed = results.filter((r) => !r.ok);
  console.log(JSON.stringify({ canary: process.env.STACK_NAME, failed: failed.length, results }));
  if (failed.length > 0)
    throw new Error('canary: ' + failed.length + ' of ' + results.length + ' checks failed: ' + failed.map((r) => r.name + ' ' + (r.status || r.error)).join(', '));
  return { failed: 0, checks: results.length };
};
`;

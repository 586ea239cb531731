import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtinEnvironments } from '../../lib/model/config/load-config';
import { APP_TIER_ENDPOINTS } from '../../lib/model/config/network-settings';
import { PREFLIGHT_PERMISSIONS, preflightChecks } from '../../lib/ops/preflight-command.js';
import { environment } from '../support/platform-variants';

/** Staging in the network team's VPC, reaching AWS through VPC endpoints. */
function existingVpcEnvironment() {
  const azs = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
  const tier = (n: number) =>
    Object.fromEntries(
      azs.map((az, i) => [az, { subnetId: `subnet-0${n}${i}${'0'.repeat(14)}`, routeTableId: `rtb-0${n}${i}${'0'.repeat(14)}` }]),
    );
  return environment('staging', {
    network: {
      existingVpc: {
        vpcId: 'vpc-0123456789abcdef0',
        subnets: { public: tier(1), app: tier(2), data: tier(3) },
        appEgress: { kind: 'vpc-endpoints', services: [...APP_TIER_ENDPOINTS] },
      },
    },
  } as never);
}

const read = (file: string) => readFileSync(path.join(__dirname, '../..', file), 'utf8');
const section = (text: string, heading: string) => {
  const start = text.indexOf(heading);
  expect(start, heading).toBeGreaterThanOrEqual(0);
  const next = text.indexOf('\n## ', start + heading.length);
  return text.slice(start, next === -1 ? undefined : next);
};

describe('preflight documentation', () => {
  it('docs/deploying.md, "Before the first deploy", lists every IAM action preflight calls, and its policy grants exactly those', () => {
    const text = section(read('docs/deploying.md'), '## Before the first deploy');
    const listed = [...text.matchAll(/^- `([a-z0-9-]+:[A-Za-z]+)`/gm)].map((m) => m[1]).sort();
    expect(listed).toEqual([...PREFLIGHT_PERMISSIONS]);
    const policy = JSON.parse(/```json\n([\s\S]*?)```/.exec(text)![1]!) as { Statement: { Action: string[] }[] };
    expect(policy.Statement[0]!.Action.sort()).toEqual([...PREFLIGHT_PERMISSIONS]);
  });

  it('docs/ops-cli.md has a row for every check preflight can make', () => {
    const text = section(read('docs/ops-cli.md'), '## `preflight`');
    // prod has the edge (us-east-1 is its own region, so the edge bootstrap row is the generic one);
    // the existing-VPC checks run only with network.existingVpc (the endpoints one with VPC endpoints).
    const ids = new Set(
      [...builtinEnvironments(), existingVpcEnvironment()].flatMap((env) =>
        preflightChecks(env).map((c) => c.id.replace(/^bootstrap-.*/, 'bootstrap-<region>')),
      ),
    );
    expect([...ids].sort()).toEqual([
      'account',
      'bootstrap-<region>',
      'certificate-alb',
      'certificate-edge',
      'cloudfront-verification',
      'db-orderable',
      'elastic-ips',
      'instance-types',
      'vcpu-on-demand',
      'vcpu-spot',
      'vpc-endpoints',
      'vpc-routes',
      'vpc-subnets',
    ]);
    for (const id of ids) expect(text, id).toContain(`| \`${id}\` |`);
  });
});

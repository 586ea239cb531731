import { beforeAll, describe, expect, inject, it } from 'vitest';
import { LAUNCH_HOOK_NAME } from '../../../constructs/app-fleet';
import { BOOT_PATHS } from '../../../constructs/boot-script';
import { BUILTIN_ENVIRONMENTS } from '../../../lib/model/config/builtin-environments';
import { bootTiming, environmentBootTiming, WARM_START_SETTLE_SECONDS } from '../../../lib/model/config/boot-timing';
import { fleetBootTimingInput } from '../../../lib/model/config/fleet-settings';
import type { EnvironmentConfig } from '../../../lib/model/config/environment-schema';
import { builtinEnvironments } from '../../../lib/model/config/load-config';
import { readTemplate, resourcesOfType, type CfnResource, type CfnTemplate } from '../../support/assembly';
import { environment, synthPlatform } from '../../support/platform-variants';
import { bashSyntaxErrors, userDataScript } from '../../support/user-data';

/**
 * A warm pool that behaves: a launching lifecycle hook whose heartbeat
 * covers the boot timeline, the boot and the lifecycle watcher completing it, the permission
 * scoped to the group, and the warm pool created only once both exist. The bash behind it runs in
 * test/integration/warm-pool-lifecycle.test.ts.
 */
const dir = inject('assemblyDir');
let config: EnvironmentConfig;
let warm: CfnTemplate;

const one = (t: CfnTemplate, type: string): [string, CfnResource] => {
  const found = Object.entries(resourcesOfType(t, type));
  expect(found, type).toHaveLength(1);
  return found[0];
};

beforeAll(() => {
  config = environment('prod', { fleet: { ...BUILTIN_ENVIRONMENTS.prod.fleet, warmPool: { enabled: true, minSize: 2 } } });
  warm = synthPlatform(config) as CfnTemplate;
});

describe('prod with a warm pool', () => {
  it('holds every launch in a launching lifecycle hook whose heartbeat covers the slowest boot with its exit path, and abandons what nobody completes', () => {
    const [asgId] = one(warm, 'AWS::AutoScaling::AutoScalingGroup');
    const [, hook] = one(warm, 'AWS::AutoScaling::LifecycleHook');
    const timing = environmentBootTiming(config);
    expect(hook.Properties).toEqual({
      AutoScalingGroupName: { Ref: asgId },
      LifecycleHookName: LAUNCH_HOOK_NAME,
      LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING',
      HeartbeatTimeout: timing.signalTimeoutSeconds,
      DefaultResult: 'ABANDON',
    });
    // The exit path completes the action (IMDS, one describe, the retried call): with or without a warm pool (ADR 0007).
    expect(timing.exitSeconds).toBe(environmentBootTiming(builtinEnvironments().find((e) => e.name === 'prod')!).exitSeconds);
    expect(timing.exitSeconds).toBeGreaterThan(
      bootTiming({ ...fleetBootTimingInput(config.fleet, 0, false), lifecycleHook: false }).exitSeconds,
    );
    expect(timing.signalledSeconds).toBeLessThan(hook.Properties!.HeartbeatTimeout as number);
    // PutLifecycleHook: "The range is from 30 to 7200 seconds."
    expect(hook.Properties!.HeartbeatTimeout).toBeLessThanOrEqual(7200);
  });

  it('lets the instances complete the action of this group only, and read their own state', () => {
    const [asgId] = one(warm, 'AWS::AutoScaling::AutoScalingGroup');
    const [policyId, policy] = Object.entries(resourcesOfType(warm, 'AWS::IAM::Policy')).find(([id]) =>
      id.startsWith('FleetLaunchHookPolicy'),
    )!;
    expect(policy.Properties?.Roles).toEqual([{ Ref: expect.stringMatching(/^FleetInstanceRole/) }]);
    expect((policy.Properties?.PolicyDocument as { Statement: unknown[] }).Statement).toEqual([
      {
        Action: 'autoscaling:CompleteLifecycleAction',
        Effect: 'Allow',
        Resource: {
          'Fn::Join': [
            '',
            [`arn:aws:autoscaling:${config.region}:${config.account}:autoScalingGroup:*:autoScalingGroupName/`, { Ref: asgId }],
          ],
        },
      },
      { Action: ['autoscaling:DescribeAutoScalingGroups', 'autoscaling:DescribeAutoScalingInstances'], Effect: 'Allow', Resource: '*' },
    ]);
    expect(policyId).toBeDefined();
  });

  it('creates the warm pool only after the hook and the permission, and nothing the group needs depends on them (no cycle)', () => {
    const [poolId, pool] = one(warm, 'AWS::AutoScaling::WarmPool');
    const [hookId] = one(warm, 'AWS::AutoScaling::LifecycleHook');
    const [policyId] = Object.entries(resourcesOfType(warm, 'AWS::IAM::Policy')).find(([id]) => id.startsWith('FleetLaunchHookPolicy'))!;
    expect([pool.DependsOn].flat()).toEqual(expect.arrayContaining([hookId, policyId]));
    expect(pool.Properties).toMatchObject({ MinSize: 2, PoolState: 'Stopped', InstanceReusePolicy: { ReuseOnScaleIn: true } });
    const [asgId, asg] = one(warm, 'AWS::AutoScaling::AutoScalingGroup');
    const [ltId] = one(warm, 'AWS::EC2::LaunchTemplate');
    for (const id of [asgId, ltId]) {
      const text = JSON.stringify(warm.Resources[id]);
      for (const later of [hookId, policyId, poolId]) expect(text, `${id} must not need ${later}`).not.toContain(later);
    }
    expect(asg.Properties?.LaunchTemplate).toMatchObject({ Version: { 'Fn::GetAtt': [ltId, 'LatestVersionNumber'] } });
  });

  it('boots with the hook: the preamble completes the action and installs the lifecycle watcher, within 16 KB', () => {
    const script = userDataScript(warm);
    expect(script).toContain(`LB_HOOK='${LAUNCH_HOOK_NAME}'`);
    expect(script).toContain('lb_complete CONTINUE "$id"');
    expect(script).toContain('lb_complete ABANDON "$id"');
    expect(script).toContain(`cat > /etc/systemd/system/${BOOT_PATHS.lifecycleUnit}.service <<'EOF'`);
    expect(script).toContain(`ExecStart=/bin/bash ${BOOT_PATHS.lifecycleScript}`);
    expect(script).toContain(`systemctl enable ${BOOT_PATHS.lifecycleUnit} && systemctl enable --now ${BOOT_PATHS.unit}`);
    expect(script).toContain(`"file_path":"${BOOT_PATHS.lifecycleLog}"`);
    expect(bashSyntaxErrors(script)).toBe('');
    // "User data is limited to 16 KB, in raw form, before it is base64-encoded"
    // (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-add-user-data.html).
    expect(Buffer.byteLength(script)).toBeLessThan(16 * 1024);
  });

  it('warms an instance up for one metric period only: the hook kept it out of service until it was healthy', () => {
    const [, asg] = one(warm, 'AWS::AutoScaling::AutoScalingGroup');
    expect(asg.Properties?.DefaultInstanceWarmup).toBe(WARM_START_SETTLE_SECONDS);
    expect(environmentBootTiming(config).instanceWarmupSeconds).toBe(WARM_START_SETTLE_SECONDS);
  });
});

describe('a warm pool deploys', () => {
  let warm: CfnTemplate;
  beforeAll(() => {
    warm = synthPlatform(environment('prod', { fleet: { warmPool: { enabled: true, minSize: 2 } } })) as CfnTemplate;
  });

  it('sits on a plain launch-template group: PutWarmPool refuses a mixed instances policy or Spot', () => {
    const [asg] = Object.values(resourcesOfType(warm, 'AWS::AutoScaling::AutoScalingGroup'));
    expect(asg.Properties?.MixedInstancesPolicy).toBeUndefined();
    expect(asg.Properties?.LaunchTemplate).toMatchObject({ LaunchTemplateId: { Ref: expect.stringMatching(/^FleetLaunchTemplate/) } });
    const [pool] = Object.values(resourcesOfType(warm, 'AWS::AutoScaling::WarmPool')).map((r) => r.Properties!);
    expect(pool).toMatchObject({ MinSize: 2, PoolState: 'Stopped' });
  });

  it('keeps the mixed instances policy (capacity fallback over the profile families) without a warm pool', () => {
    const [asg] = Object.values(resourcesOfType(readTemplate(dir, 'loadbearing-prod'), 'AWS::AutoScaling::AutoScalingGroup'));
    expect(asg.Properties?.MixedInstancesPolicy).toBeDefined();
    expect(Object.keys(resourcesOfType(readTemplate(dir, 'loadbearing-prod'), 'AWS::AutoScaling::WarmPool'))).toEqual([]);
  });
});

describe.each(builtinEnvironments().map((e) => [e.stackName] as const))('%s (no warm pool)', (stackName) => {
  it('has the launch hook and its permission (every group has them, ADR 0007), but no warm pool and no watcher', () => {
    const t = readTemplate(dir, stackName);
    expect(Object.keys(resourcesOfType(t, 'AWS::AutoScaling::LifecycleHook'))).toEqual([expect.stringMatching(/^FleetLaunchHook/)]);
    expect(Object.keys(resourcesOfType(t, 'AWS::AutoScaling::WarmPool'))).toEqual([]);
    expect(JSON.stringify(resourcesOfType(t, 'AWS::IAM::Policy'))).toContain('autoscaling:CompleteLifecycleAction');
    expect(userDataScript(t)).not.toContain(BOOT_PATHS.lifecycleUnit);
    expect(bashSyntaxErrors(userDataScript(t))).toBe('');
  });
});

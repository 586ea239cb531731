import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { APP_METRICS_NAMESPACE, APP_RELEASE_DIMENSION } from '@loadbearing/contract';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { AppMetrics as Metrics } from '@loadbearing/contract';
import { isConfigError } from '../../../lib/model/config/config-error';
import { builtinEnvironments } from '../../../lib/model/config/load-config';
import type { EnvironmentConfig } from '../../../lib/model/config/environment-schema';
import { environmentBootTiming } from '../../../lib/model/config/boot-timing';
import { planFirstCreate } from '../../../lib/model/deploy/rollback-plan';
import type { CfnTemplate as DeployTemplate } from '../../../lib/model/deploy/template';
import { DELIVERY_CONTEXT, DELIVERY_METADATA, PlatformStack, type DeliveryMetadata } from '../../../lib/platform/platform-stack';
import { reviewStack } from '../../../lib/platform/review/stack-review';
import type { Template } from '../../../lib/platform/review/templates';
import { readTemplate, resourcesOfType, type CfnResource, type CfnTemplate } from '../../support/assembly';
import { maskVolatile } from '../../support/mask-volatile';
import { environment } from '../../support/platform-variants';
import { testApp } from '../../support/test-app';
import { appEnvOf } from '../../support/user-data';

const dir = inject('assemblyDir');

/** One stack of `config`, synthesized with `context` (the delivery modes are context keys). */
function synthWith(config: EnvironmentConfig, context: Record<string, string> = {}): CfnTemplate {
  const app = testApp({ templatesOnly: true, context });
  const stack = new PlatformStack(app, config.stackName, { config });
  return app.synth().getStackByName(stack.stackName).template as CfnTemplate;
}

const groupOf = (t: CfnTemplate): [string, CfnResource] => Object.entries(resourcesOfType(t, 'AWS::AutoScaling::AutoScalingGroup'))[0]!;
const refreshOf = (t: CfnTemplate) =>
  (groupOf(t)[1].UpdatePolicy as { AutoScalingInstanceRefresh?: { Preferences: Record<string, unknown> } }).AutoScalingInstanceRefresh;
const alarmsNamed = (t: CfnTemplate) =>
  new Map(Object.entries(resourcesOfType(t, 'AWS::CloudWatch::Alarm')).map(([id, a]) => [String(a.Properties!.AlarmName), id]));
const metadataOf = (t: CfnTemplate) => (t as { Metadata?: Record<string, DeliveryMetadata> }).Metadata![DELIVERY_METADATA]!;

describe.each(builtinEnvironments().map((e) => e.stackName))('the rollout of %s', (stackName) => {
  let template: CfnTemplate;
  beforeAll(() => {
    template = readTemplate(dir, stackName);
  });

  it('has no rolling update: a release is an instance refresh with checkpoints, a delay at each, a bake and the release alarms', () => {
    const [, group] = groupOf(template);
    expect((group.UpdatePolicy as Record<string, unknown>).AutoScalingRollingUpdate).toBeUndefined();
    const refresh = refreshOf(template)!;
    const azs = builtinEnvironments().find((e) => e.stackName === stackName)!.availabilityZones.length;
    expect(refresh.Preferences).toMatchObject({ CheckpointPercentages: azs === 3 ? [33, 66, 100] : [50, 100], SkipMatching: true });
    expect(refresh.Preferences.CheckpointDelay).toBeGreaterThan(0);
    expect((refresh.Preferences.AlarmSpecification as { Alarms: string[] }).Alarms).toHaveLength(2);
  });

  it('names only alarms of the template that watch one release, notify no one, treat missing data as not breaching, and which the group waits for', () => {
    const [groupId, group] = groupOf(template);
    const names = (refreshOf(template)!.Preferences.AlarmSpecification as { Alarms: string[] }).Alarms;
    const byName = alarmsNamed(template);
    const plan = planFirstCreate(template as unknown as DeployTemplate);
    const dependsOn = new Map(plan.resources.map((r) => [r.logicalId, r.dependsOn]));
    for (const name of names) {
      expect(typeof name, 'a literal name: the policy holds no reference').toBe('string');
      const id = byName.get(name)!;
      expect(id, name).toBeDefined();
      const alarm = resourcesOfType(template, 'AWS::CloudWatch::Alarm')[id]!.Properties!;
      expect(alarm).toMatchObject({ ActionsEnabled: false, TreatMissingData: 'notBreaching' });
      expect(alarm.AlarmActions ?? []).toEqual([]);
      expect(JSON.stringify(alarm.Dimensions ?? alarm.Metrics)).toContain(`"Name":"${APP_RELEASE_DIMENSION}"`);
      // The group waits for it, and it waits for nothing of the group: no circle, and no page on a first create.
      expect(group.DependsOn).toContain(id);
      expect(dependsOn.get(id) ?? [], `${id} must not depend on the group`).not.toContain(groupId);
      expect(JSON.stringify(alarm)).not.toContain(groupId);
    }
  });

  it('judges exactly the metrics the instances of this release publish: APP_RELEASE in app.env is the Release dimension', () => {
    const metadata = metadataOf(template);
    const appEnv = appEnvOf(template);
    expect(appEnv.APP_RELEASE).toEqual([metadata.releaseId]);
    const metrics = new Metrics(stackName, { random: () => 0.5, release: metadata.releaseId });
    metrics.observe('RequestLatency', 12);
    const emf = JSON.parse(metrics.flush(0));
    const directive = emf._aws.CloudWatchMetrics.find((d: { Dimensions: string[][] }) => d.Dimensions[0]!.includes(APP_RELEASE_DIMENSION));
    expect(directive).toBeDefined();
    for (const name of metadata.refreshAlarms) {
      const alarm = resourcesOfType(template, 'AWS::CloudWatch::Alarm')[alarmsNamed(template).get(name)!]!.Properties!;
      const stats = alarm.Metrics
        ? (
            alarm.Metrics as {
              MetricStat?: { Metric: { MetricName: string; Namespace: string; Dimensions: { Name: string; Value: string }[] } };
            }[]
          )
            .filter((m) => m.MetricStat)
            .map((m) => m.MetricStat!.Metric)
        : [
            {
              MetricName: alarm.MetricName as string,
              Namespace: alarm.Namespace as string,
              Dimensions: alarm.Dimensions as { Name: string; Value: string }[],
            },
          ];
      for (const m of stats) {
        expect(m.Namespace).toBe(APP_METRICS_NAMESPACE);
        expect(directive.Metrics.map((x: { Name: string }) => x.Name)).toContain(m.MetricName);
        expect(directive.Dimensions.map((set: string[]) => [...set].sort())).toContainEqual(m.Dimensions.map((d) => d.Name).sort());
        for (const d of m.Dimensions) expect(emf[d.Name], d.Name).toBe(d.Value);
      }
    }
  });

  it('gives every group a launch lifecycle hook that abandons what no healthy boot completes, and the boot completes it', () => {
    const [groupId] = groupOf(template);
    const hooks = Object.values(resourcesOfType(template, 'AWS::AutoScaling::LifecycleHook'));
    expect(hooks).toHaveLength(1);
    const config = builtinEnvironments().find((e) => e.stackName === stackName)!;
    expect(hooks[0]!.Properties).toMatchObject({
      AutoScalingGroupName: { Ref: groupId },
      LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING',
      DefaultResult: 'ABANDON',
      HeartbeatTimeout: environmentBootTiming(config).signalTimeoutSeconds,
    });
    const userData = JSON.stringify(Object.values(resourcesOfType(template, 'AWS::EC2::LaunchTemplate'))[0]!.Properties);
    expect(userData).toContain('complete-lifecycle-action');
    expect(userData).toContain('lb_complete ABANDON');
    expect(userData).not.toContain('lb_write_watcher'); // the warm-pool watcher stays with warm pools
  });

  it('records the rollback triggers, the monitoring time and the bake for `loadbearing deploy` and the diff guard', () => {
    const config = builtinEnvironments().find((e) => e.stackName === stackName)!;
    const metadata = metadataOf(template);
    expect(metadata.mode).toBe('normal');
    expect(metadata.rollbackTriggers).toEqual(config.delivery.rollbackTriggers.map((k) => `${stackName}-${k}`));
    const byName = alarmsNamed(template);
    for (const name of metadata.rollbackTriggers) expect(byName.has(name), name).toBe(true);
    expect(metadata.monitoringMinutes).toBe(config.delivery.monitoringMinutes);
  });
});

describe('the release ID', () => {
  it('stays the same for the same launch template and changes with any change of it (a new release gets new alarms)', () => {
    const a = metadataOf(synthWith(environment('prod')));
    const b = metadataOf(synthWith(environment('prod')));
    const changed = metadataOf(synthWith(environment('prod', { app: { ...environment('prod').app, dbPoolSize: 9 } })));
    const elsewhere = metadataOf(synthWith(environment('prod', { alarms: { ...environment('prod').alarms, dbCpuPercent: 70 } })));
    expect(b.releaseId).toBe(a.releaseId);
    expect(changed.releaseId).not.toBe(a.releaseId);
    expect(changed.refreshAlarms.some((n) => a.refreshAlarms.includes(n))).toBe(false);
    expect(elsewhere.releaseId, 'an alarm threshold is not a release').toBe(a.releaseId);
  });
});

describe('moving a deployed stack to the instance refresh (deliveryMigration=update-policy-only)', () => {
  for (const name of ['prod', 'staging'] as const) {
    it(`changes only the group's update policy and adds the release alarms on ${name}: the diff guard shows nothing replaced`, () => {
      const before = JSON.parse(readFileSync(join(__dirname, '../../fixtures/pre-delivery', `loadbearing-${name}.template.json`), 'utf8'));
      const after = JSON.parse(
        maskVolatile(JSON.stringify(synthWith(environment(name), { [DELIVERY_CONTEXT.migration]: 'update-policy-only' }))),
      );
      const review = reviewStack(`loadbearing-${name}`, before as Template, after as Template);
      expect(review.hazards).toEqual([]);
      expect(review.changes.filter((c) => c.kind === 'replaced' || c.kind === 'removed')).toEqual([]);
      // The two release alarms; not the canary, which comes with the next ordinary deploy.
      const added = review.changes.filter((c) => c.kind === 'added').map((c) => c.type);
      expect(added).toEqual(['AWS::CloudWatch::Alarm', 'AWS::CloudWatch::Alarm']);
      // The group: its policy and its wait for the alarms; the RollbackGuard: its wait for every resource (ADR 0004).
      // (Alarm descriptions the new version words differently are updated in place, and touch nothing an instance runs.)
      const descriptionOnly = (c: (typeof review.changes)[number]) =>
        c.type === 'AWS::CloudWatch::Alarm' && c.attributes.length === 0 && c.properties.every((p) => p.name === 'AlarmDescription');
      const modified = review.changes.filter((c) => c.kind === 'modified' && !descriptionOnly(c));
      expect(modified.map((c) => [c.type, c.properties, [...c.attributes].sort()])).toEqual([
        ['AWS::AutoScaling::AutoScalingGroup', [], ['DependsOn', 'UpdatePolicy']],
        ['Custom::RollbackGuard', [], ['DependsOn']],
      ]);
      // The launch template, its user data and the hooks stay exactly as deployed.
      const lt = (t: CfnTemplate) => Object.values(resourcesOfType(t, 'AWS::EC2::LaunchTemplate'))[0];
      expect(lt(after)).toEqual(lt(before));
      expect(refreshOf(after)!.Preferences.AlarmSpecification).toBeDefined();
    });
  }
});

describe('break-glass (deliveryBreakGlass=<reason>)', () => {
  it('renders the refresh without alarms and records the reason; the next ordinary synth has them again', () => {
    const config = environment('prod');
    const glass = synthWith(config, { [DELIVERY_CONTEXT.breakGlass]: 'fix forward for the checkout outage' });
    expect(refreshOf(glass)!.Preferences.AlarmSpecification).toBeUndefined();
    expect(refreshOf(glass)!.Preferences.CheckpointPercentages).toEqual([33, 66, 100]);
    expect(metadataOf(glass)).toMatchObject({ mode: 'break-glass', breakGlass: 'fix forward for the checkout outage', refreshAlarms: [] });
    expect(refreshOf(synthWith(config))!.Preferences.AlarmSpecification).toBeDefined();
  });

  it('refuses a reason too short to explain, an unknown migration, and both at once, naming the context key', () => {
    const problems = (context: Record<string, string>) => {
      try {
        synthWith(environment('prod'), context);
        return [];
      } catch (e) {
        if (!isConfigError(e)) throw e;
        return e.problems.map((p) => `${p.path}: ${p.rule}`);
      }
    };
    expect(problems({ [DELIVERY_CONTEXT.breakGlass]: 'now' })).toEqual([
      expect.stringMatching(/^context deliveryBreakGlass: .*at least 10 characters/),
    ]);
    expect(problems({ [DELIVERY_CONTEXT.migration]: 'yes' })).toEqual([
      expect.stringMatching(/^context deliveryMigration: the only migration is "update-policy-only"/),
    ]);
    expect(problems({ [DELIVERY_CONTEXT.migration]: 'update-policy-only', [DELIVERY_CONTEXT.breakGlass]: 'a fix forward now' })).toEqual([
      expect.stringMatching(/cannot be combined with deliveryMigration/),
    ]);
  });
});

describe('rollback triggers in the config', () => {
  it('refuses a key that is no metric alarm of the stack, and a composite (the CDK CLI passes triggers as metric alarms)', () => {
    const problems = (keys: string[]) => {
      try {
        synthWith(environment('prod', { delivery: { rollbackTriggers: keys } }));
        return [];
      } catch (e) {
        if (!isConfigError(e)) throw e;
        return e.problems.map((p) => `${p.path} = ${p.value}: ${p.rule}`);
      }
    };
    expect(problems(['alb-target-5xx-rate'])).toEqual([]);
    expect(problems(['alb-target-5xx-rat'])).toEqual([
      'environments.prod.delivery.rollbackTriggers[0] = "alb-target-5xx-rat": no metric alarm of the stack has this key',
    ]);
    expect(problems(['service-health'])).toEqual([expect.stringMatching(/rollbackTriggers\[0\] = "service-health": is a composite alarm/)]);
  });
});

import { beforeAll, describe, expect, inject, it } from 'vitest';
import { builtinEnvironments } from '../../../lib/model/config/load-config';
import { alarmDeliveryRoutes, type DeliveryRoute } from '../../../lib/model/deploy/alarm-delivery';
import { DEPLOY_SAFETY_RULES } from '../../../lib/model/invariants/deploy-safety';
import { environment, synthPlatform } from '../../support/platform-variants';
import { PagerRouting } from '../../extension/pager-routing';
import { PlatformStack } from '../../../lib/platform/platform-stack';
import { testApp } from '../../support/test-app';
import { readTemplate, type CfnTemplate } from '../../support/assembly';

const dir = inject('assemblyDir');
const envs = builtinEnvironments();

/** Every SNS action of every alarm and every Auto Scaling notification, counted without the module under test. */
function countRoutes(template: CfnTemplate): number {
  let n = 0;
  for (const r of Object.values(template.Resources)) {
    const p = r.Properties ?? {};
    if (r.Type === 'AWS::CloudWatch::Alarm' || r.Type === 'AWS::CloudWatch::CompositeAlarm') {
      for (const field of ['AlarmActions', 'OKActions', 'InsufficientDataActions']) {
        n += ((p[field] as { Ref?: string }[] | undefined) ?? []).filter(
          (a) => template.Resources[a.Ref ?? '']?.Type === 'AWS::SNS::Topic',
        ).length;
      }
    }
    if (r.Type === 'AWS::AutoScaling::AutoScalingGroup') n += ((p.NotificationConfigurations as unknown[] | undefined) ?? []).length;
  }
  return n;
}

/** The alarm topics' policy as it was before alarms were allowed to publish: the TLS-only Deny. */
function withTlsOnlyTopicPolicies(template: CfnTemplate): CfnTemplate {
  const copy = structuredClone(template);
  for (const r of Object.values(copy.Resources)) {
    if (r.Type !== 'AWS::SNS::TopicPolicy') continue;
    const doc = r.Properties!.PolicyDocument as { Statement: { Effect: string }[] };
    doc.Statement = doc.Statement.filter((s) => s.Effect === 'Deny');
  }
  return copy;
}

describe.each(envs.map((e) => [e.name, e] as const))('alarm delivery in %s', (name, config) => {
  let template: CfnTemplate;
  let routes: DeliveryRoute[];
  const where = { account: config.account, region: config.region, stackName: config.stackName };
  beforeAll(() => {
    template = readTemplate(dir, config.stackName);
    routes = alarmDeliveryRoutes(template, where);
  });

  it('walks every alarm action, OK action and Auto Scaling notification', () => {
    expect(routes.length).toBe(countRoutes(template));
    expect(routes.some((r) => r.kind === 'AlarmActions')).toBe(true);
    expect(routes.some((r) => r.kind === 'OKActions')).toBe(true);
    expect(routes.some((r) => r.kind === 'NotificationConfigurations')).toBe(true);
  });

  it('lets every publisher through the topic policy and the key policy', () => {
    const undelivered = routes.filter((r) => r.delivered !== true).map((r) => `${r.source} ${r.kind} -> ${r.topic}: ${r.detail}`);
    expect(undelivered).toEqual([]);
  });

  it(`fails on the ${name} template from before the fix (topic policies with only the TLS Deny)`, () => {
    const before = alarmDeliveryRoutes(withTlsOnlyTopicPolicies(template), where);
    const alarms = before.filter((r) => r.publisher === 'cloudwatch.amazonaws.com');
    expect(alarms.length).toBeGreaterThan(0);
    expect(alarms.every((r) => r.delivered === false && /no statement allows it/.test(r.detail))).toBe(true);
    // Auto Scaling publishes as its own role: the TLS Deny never applied to it.
    expect(before.filter((r) => r.kind === 'NotificationConfigurations').every((r) => r.delivered === true)).toBe(true);
    const [rule] = DEPLOY_SAFETY_RULES.filter((r) => r.id === 'DS-1');
    if (rule?.phase !== 'template') throw new Error('DS-1 is a template rule');
    expect(
      rule.checkTemplate({
        stackName: config.stackName,
        resources: 0,
        bytes: 0,
        template: withTlsOnlyTopicPolicies(template),
        environment: where,
      })[0]?.message,
    ).toMatch(/cannot deliver/);
    expect(rule.checkTemplate({ stackName: config.stackName, resources: 0, bytes: 0, template, environment: where })).toEqual([]);
  });
});

describe('alarm delivery: what the check refuses', () => {
  const config = environment('staging');
  const where = { account: config.account, region: config.region };
  let template: CfnTemplate;
  beforeAll(() => {
    template = synthPlatform(config) as CfnTemplate;
  });
  const topicPolicies = (t: CfnTemplate) => Object.values(t.Resources).filter((r) => r.Type === 'AWS::SNS::TopicPolicy');
  const allowStatement = (t: CfnTemplate) =>
    topicPolicies(t).map(
      (p) => (p.Properties!.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement.find((s) => s.Effect === 'Allow')!,
    );

  it("refuses an alarm whose name is outside the allowed prefix (aws:SourceArn), or another account's (aws:SourceAccount)", () => {
    const renamed = structuredClone(template);
    const alarm = Object.values(renamed.Resources).find(
      (r) => r.Type === 'AWS::CloudWatch::Alarm' && ((r.Properties!.AlarmActions as unknown[]) ?? []).length > 0,
    )!;
    alarm.Properties!.AlarmName = 'someone-else-cpu';
    expect(alarmDeliveryRoutes(renamed, where).filter((r) => r.delivered === false).length).toBeGreaterThan(0);
    expect(
      alarmDeliveryRoutes(template, { ...where, account: '999999999999' }).every(
        (r) => r.publisher !== 'cloudwatch.amazonaws.com' || r.delivered === false,
      ),
    ).toBe(true);
  });

  it('refuses a key policy that does not let CloudWatch encrypt', () => {
    const copy = structuredClone(template);
    for (const r of Object.values(copy.Resources)) {
      if (r.Type !== 'AWS::KMS::Key') continue;
      const doc = r.Properties!.KeyPolicy as { Statement: { Sid?: string }[] };
      doc.Statement = doc.Statement.filter((s) => s.Sid !== 'AllowCloudWatchAlarms');
    }
    const failed = alarmDeliveryRoutes(copy, where).filter((r) => r.delivered === false);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed[0]!.detail).toMatch(/key policy of .* for kms:GenerateDataKey/);
  });

  it("allows exactly the CloudWatch service, for this account and this stack's alarm prefix", () => {
    for (const s of allowStatement(template)) {
      expect(s.Principal).toEqual({ Service: 'cloudwatch.amazonaws.com' });
      expect(s.Action).toBe('sns:Publish');
      expect(JSON.stringify(s.Condition)).toContain(`:alarm:${config.stackName}-*`);
      expect(s.Condition).toMatchObject({ StringEquals: { 'aws:SourceAccount': config.account } });
    }
    // Never the Auto Scaling service-linked role: SNS refuses a policy whose principal does not exist yet.
    expect(JSON.stringify(topicPolicies(template))).not.toContain('AWSServiceRoleForAutoScaling');
  });

  it("delivers to a team's own topic that uses allowAlarmsToPublish (the pager-routing example)", () => {
    const app = testApp({ templatesOnly: true });
    const stack = new PlatformStack(app, config.stackName, { config, alarmActions: PagerRouting.factory });
    const withPager = app.synth().getStackByName(stack.stackName).template as CfnTemplate;
    const pager = alarmDeliveryRoutes(withPager, where).filter((r) => r.topic.startsWith('IncidentTopic'));
    expect(pager.length).toBeGreaterThan(0);
    expect(pager.filter((r) => r.delivered !== true)).toEqual([]);
  });
});

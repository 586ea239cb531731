import { beforeAll, describe, expect, inject, it } from 'vitest';
import { readTemplate, resourcesOfType, type CfnResource, type CfnTemplate } from '../../support/assembly';

/** The alarm topics (constructs/alarm-topics.ts) and their key in the prod template. */
const dir = inject('assemblyDir');
let prod: CfnTemplate;

beforeAll(() => {
  prod = readTemplate(dir, 'loadbearing-prod');
});

const propsOf = (template: CfnTemplate, type: string) => Object.values(resourcesOfType(template, type)).map((r) => r.Properties!);

/** A string or an Fn::Join of strings and pseudo-parameter Refs, as text (`{AWS::Partition}`). */
function renderJoin(value: unknown): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (!join) return `{${(value as { Ref: string }).Ref}}`;
  return join[1].map(renderJoin).join(join[0]);
}

describe('the alarm topics key: Auto Scaling can publish to the encrypted warning topic', () => {
  const SLR = /^arn:.+:iam::.+:role\/aws-service-role\/autoscaling\.amazonaws\.com\/AWSServiceRoleForAutoScaling$/;

  function alarmTopicsKey(template: CfnTemplate): CfnResource {
    const [topic] = propsOf(template, 'AWS::SNS::Topic').filter((t) => String(t.DisplayName).includes('warning'));
    const keyId = (topic.KmsMasterKeyId as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    return template.Resources[keyId];
  }

  it("lets the service-linked role use the topics' key, matched by aws:PrincipalArn rather than named (it may not exist yet)", () => {
    const statements = (alarmTopicsKey(prod).Properties?.KeyPolicy as { Statement: Record<string, unknown>[] }).Statement;
    const grant = statements.find((s) => JSON.stringify(s).includes('AWSServiceRoleForAutoScaling'));
    expect(grant).toBeDefined();
    expect(grant).toMatchObject({ Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] });
    // KMS refuses a key policy whose principals do not exist: the role must not be the principal.
    expect(JSON.stringify(grant!.Principal)).not.toContain('AWSServiceRoleForAutoScaling');
    // A root principal would only delegate to IAM, and the role's managed policy has no KMS action.
    expect(grant!.Principal).toEqual({ AWS: '*' });
    const arn = (grant!.Condition as { ArnEquals: Record<string, unknown> }).ArnEquals['aws:PrincipalArn'];
    expect(renderJoin(arn)).toMatch(SLR);
    expect(renderJoin(arn)).toContain(':iam::333333333333:');
  });

  it('limits that grant to SNS calls in the stack region for these two topics, the ARN compared with an ARN operator', () => {
    const statements = (alarmTopicsKey(prod).Properties?.KeyPolicy as { Statement: Record<string, unknown>[] }).Statement;
    const grant = statements.find((s) => s.Sid === 'AllowAutoScalingNotifications')!;
    const conditions = grant.Condition as {
      ArnEquals: Record<string, unknown>;
      StringEquals: Record<string, unknown>;
      StringLike?: unknown;
    };
    expect(Object.keys(conditions).sort()).toEqual(['ArnEquals', 'StringEquals']);
    expect(conditions.StringEquals['kms:ViaService']).toBe('sns.us-east-1.amazonaws.com');
    const topicArns = (conditions.StringEquals['kms:EncryptionContext:aws:sns:topicArn'] as unknown[]).map(renderJoin).sort();
    const topicNames = propsOf(prod, 'AWS::SNS::Topic')
      .map((t) => t.TopicName as string)
      .sort();
    expect(topicNames).toEqual(['loadbearing-prod-alarms-critical', 'loadbearing-prod-alarms-warning']);
    expect(topicArns).toEqual(topicNames.map((name) => `arn:aws:sns:us-east-1:333333333333:${name}`));
  });

  it('is the key of the topic the fleet sends its launch and terminate notifications to', () => {
    const [asg] = propsOf(prod, 'AWS::AutoScaling::AutoScalingGroup');
    const [config] = asg.NotificationConfigurations as { TopicARN: { Ref: string } }[];
    expect(prod.Resources[config.TopicARN.Ref].Properties?.DisplayName).toMatch(/warning/);
  });
});

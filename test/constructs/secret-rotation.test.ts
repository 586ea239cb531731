import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { builtinEnvironments } from '../../lib/model/config/load-config';
import { EXCLUDE_CHARACTERS, PASSWORD_LENGTH } from '../../rotation/src/postgres-single-user';
import { readTemplate, resourcesOfType, type CfnResource, type CfnTemplate } from '../support/assembly';

/**
 * The secret rotation in the synthesized stacks (docs/adr/0003-secret-rotation-function.md): a
 * function of our own per secret, on a pinned runtime, in the app subnets with the rotation
 * security group, with a role that reaches exactly its secret, and schedules that kept the
 * logical IDs of the hosted rotation they replaced. The handler itself runs against PostgreSQL
 * and moto in test/integration/rotation.
 */
const dir = inject('assemblyDir');
const ENVIRONMENTS = builtinEnvironments();

/**
 * The logical IDs of the two rotation schedules in every stack deployed before this change (the
 * hosted rotation's): a new ID would replace the schedule instead of updating it.
 */
const SCHEDULES = { master: 'DatabaseSecretAttachmentRotation5592F5B2', app: 'DatabaseAppSecretAttachmentRotation719DD1ED' } as const;

/** The rotation of one secret: its schedule, function, role policy, permission and log group, by logical ID. */
function rotationOf(template: CfnTemplate, which: 'master' | 'app') {
  const prefix = which === 'master' ? 'DatabaseSecretRotation' : 'DatabaseAppSecretRotation';
  const secret = which === 'master' ? 'DatabaseSecretAttachment' : 'DatabaseAppSecretAttachment';
  const one = (type: string, idPrefix: string): [string, CfnResource] => {
    const found = Object.entries(resourcesOfType(template, type)).filter(([id]) => id.startsWith(idPrefix));
    expect(
      found.map(([id]) => id),
      `${type} ${idPrefix}*`,
    ).toHaveLength(1);
    return found[0];
  };
  const [secretId] = one('AWS::SecretsManager::SecretTargetAttachment', secret);
  return {
    secretId,
    schedule: template.Resources[SCHEDULES[which]],
    fn: one('AWS::Lambda::Function', `${prefix}Function`),
    role: one('AWS::IAM::Role', `${prefix}Role`),
    policy: one('AWS::IAM::Policy', `${prefix}RoleDefaultPolicy`),
    permission: one('AWS::Lambda::Permission', `${prefix}Function`),
    logs: one('AWS::Logs::LogGroup', `${prefix}Logs`),
  };
}

describe.each(ENVIRONMENTS.map((e) => [e.stackName, e] as const))('%s: secret rotation', (stackName, env) => {
  const template = () => readTemplate(dir, stackName);

  it('has no transform: nothing in the template is expanded by AWS at deploy time', () => {
    expect(template().Transform).toBeUndefined();
    expect(JSON.stringify(template())).not.toContain('HostedRotationLambda');
  });

  it('keeps the logical IDs of the rotation schedules, the same as the reviewed snapshot', () => {
    const snapshot = JSON.parse(
      readFileSync(join(__dirname, '..', 'platform', 'stack', '__snapshots__', `${stackName}.template.json`), 'utf8'),
    ) as CfnTemplate;
    const schedules = (t: CfnTemplate) => Object.keys(resourcesOfType(t, 'AWS::SecretsManager::RotationSchedule')).sort();
    expect(schedules(template())).toEqual(Object.values(SCHEDULES).sort());
    expect(schedules(snapshot)).toEqual(schedules(template()));
  });

  it.each(['master', 'app'] as const)(
    'the %s secret: its own function, on nodejs24.x, in the app subnets with the rotation security group',
    (which) => {
      const t = template();
      const {
        secretId,
        schedule,
        fn: [fnId, fn],
        role: [roleId],
        logs: [logsId, logs],
      } = rotationOf(t, which);
      expect(schedule.Properties).toEqual({
        SecretId: { Ref: secretId },
        RotationLambdaARN: { 'Fn::GetAtt': [fnId, 'Arn'] },
        RotationRules: { ScheduleExpression: `rate(${env.database.secretRotationDays} days)` },
      });
      const subnets = Object.keys(resourcesOfType(t, 'AWS::EC2::Subnet')).filter((id) => id.startsWith('NetworkVpcappSubnet'));
      expect(subnets).toHaveLength(env.availabilityZones.length);
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        Timeout: 30,
        Role: { 'Fn::GetAtt': [roleId, 'Arn'] },
        LoggingConfig: { LogGroup: { Ref: logsId } },
        VpcConfig: {
          SubnetIds: subnets.sort().map((id) => ({ Ref: id })),
          SecurityGroupIds: [{ 'Fn::GetAtt': [expect.stringMatching(/^DatabaseRotationSecurityGroup[0-9A-F]{8}$/), 'GroupId'] }],
        },
      });
      expect(fn.Properties).not.toHaveProperty('ReservedConcurrentExecutions');
      expect(logs.Properties).toMatchObject({
        RetentionInDays: env.database.logRetentionDays,
        KmsKeyId: { 'Fn::GetAtt': [expect.stringMatching(/^LogsKey/), 'Arn'] },
      });
      expect(logs.Properties).not.toHaveProperty('LogGroupName');
    },
  );

  it.each(['master', 'app'] as const)(
    'the %s secret: a role that reaches its own secret, log group and network interfaces, nothing else',
    (which) => {
      const t = template();
      const {
        secretId,
        role: [roleId, role],
        policy: [, policy],
        logs: [logsId],
      } = rotationOf(t, which);
      expect(role.Properties).not.toHaveProperty('ManagedPolicyArns');
      expect(role.Properties?.AssumeRolePolicyDocument).toEqual({
        Version: '2012-10-17',
        Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } }],
      });
      expect(policy.Properties?.Roles).toEqual([{ Ref: roleId }]);
      expect((policy.Properties?.PolicyDocument as { Statement: unknown[] }).Statement).toEqual([
        { Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Effect: 'Allow', Resource: { 'Fn::GetAtt': [logsId, 'Arn'] } },
        {
          Sid: 'FunctionNetworkInterfaces',
          Action: [
            'ec2:AssignPrivateIpAddresses',
            'ec2:CreateNetworkInterface',
            'ec2:DeleteNetworkInterface',
            'ec2:DescribeNetworkInterfaces',
            'ec2:DescribeSubnets',
            'ec2:UnassignPrivateIpAddresses',
          ],
          Effect: 'Allow',
          Resource: '*',
        },
        {
          Action: [
            'secretsmanager:DescribeSecret',
            'secretsmanager:GetSecretValue',
            'secretsmanager:PutSecretValue',
            'secretsmanager:UpdateSecretVersionStage',
          ],
          Effect: 'Allow',
          Resource: { Ref: secretId },
        },
        { Action: 'secretsmanager:GetRandomPassword', Effect: 'Allow', Resource: '*' },
      ]);
      // No other policy names the role.
      const others = Object.entries(resourcesOfType(t, 'AWS::IAM::Policy')).filter(([, p]) =>
        JSON.stringify(p.Properties?.Roles).includes(roleId),
      );
      expect(others).toHaveLength(1);
    },
  );

  it.each(['master', 'app'] as const)('the %s secret: the database key only through Secrets Manager', (which) => {
    const t = template();
    const {
      role: [roleId],
    } = rotationOf(t, which);
    const keys = Object.entries(resourcesOfType(t, 'AWS::KMS::Key'));
    const [databaseKeyId, key] = keys.find(([id]) => id.startsWith('DatabaseKey'))!;
    type Statement = { Principal?: { AWS?: unknown }; Condition?: unknown; Action: string | string[] };
    const naming = (key.Properties?.KeyPolicy as { Statement: Statement[] }).Statement.filter((s) =>
      JSON.stringify(s.Principal ?? {}).includes(roleId),
    );
    expect(naming).toHaveLength(1);
    expect(naming[0].Condition).toEqual({ StringEquals: { 'kms:ViaService': `secretsmanager.${env.region}.amazonaws.com` } });
    expect([naming[0].Action].flat().sort()).toEqual(['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey*', 'kms:ReEncrypt*']);
    // No other key names the role (and its own policy grants no KMS action: the test above).
    for (const [id, other] of keys) if (id !== databaseKeyId) expect(JSON.stringify(other), id).not.toContain(roleId);
  });

  it.each(['master', 'app'] as const)(
    'the %s secret: only Secrets Manager, rotating this secret in this account, may invoke the function, and the schedule waits for that',
    (which) => {
      const {
        secretId,
        schedule,
        fn: [fnId],
        permission: [permissionId, permission],
      } = rotationOf(template(), which);
      expect(permission.Properties).toEqual({
        Action: 'lambda:InvokeFunction',
        FunctionName: { 'Fn::GetAtt': [fnId, 'Arn'] },
        Principal: 'secretsmanager.amazonaws.com',
        SourceArn: { Ref: secretId },
        SourceAccount: env.account,
      });
      expect([schedule.DependsOn].flat()).toContain(permissionId);
    },
  );
});

describe('the passwords the function generates', () => {
  it('exclude the characters, and have the length, of the first password (aws-cdk-lib DatabaseSecret)', () => {
    const prod = readTemplate(dir, 'loadbearing-prod');
    const secrets = Object.entries(resourcesOfType(prod, 'AWS::SecretsManager::Secret')).filter(([id]) =>
      /^Database(App)?Secret[0-9A-F]{8}$/.test(id),
    );
    expect(secrets).toHaveLength(2);
    for (const [, secret] of secrets) {
      expect(secret.Properties?.GenerateSecretString).toMatchObject({
        ExcludeCharacters: EXCLUDE_CHARACTERS,
        PasswordLength: PASSWORD_LENGTH,
      });
    }
  });
});

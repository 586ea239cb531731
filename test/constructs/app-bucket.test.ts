import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { acknowledge } from '../../constructs/acknowledge';
import { AppBucket } from '../../constructs/app-bucket';
import { createPrivateBucket } from '../../constructs/private-bucket';
import { DESTROY_DATA, type StatefulProtection } from '../../constructs/stateful-protection';
import { addPolicyPacks } from '../../lib/platform/policies/policy-packs';
import { type CfnTemplate, readTemplate, readValidationReport, resourcesOfType, unacknowledgedFindings } from '../support/assembly';
import { testApp, VALIDATION_CACHE } from '../support/test-app';

const ENV = { account: '111111111111', region: 'us-east-1' };

/** A stack with a log bucket like the ALB's, a role like the fleet's, and the team's bucket made by `build`. */
function synth(build: (stack: Stack, logs: s3.Bucket, role: iam.Role) => void): { template: CfnTemplate; findings: string[] } {
  const app = testApp();
  const stack = new Stack(app, 'Team', { env: ENV });
  const logs = createPrivateBucket(stack, 'Logs', { objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED });
  const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
  // As the fleet's role does (constructs/app-fleet.ts): CDK's grants land in one inline policy.
  acknowledge(
    role,
    'The inline default policy holds the per-resource grants CDK generates, scoped to those ARNs.',
    'NIST.800.53.R5::NIST.800.53.R5-IAMNoInlinePolicy',
  );
  build(stack, logs, role);
  addPolicyPacks(app, { cacheDirectory: VALIDATION_CACHE });
  const dir = app.synth().directory;
  // The log bucket stands in for the stack's own (the platform acknowledges its findings there): only the team's part counts.
  const findings = unacknowledgedFindings(readValidationReport(dir)).filter((f) => / at Team\/(Uploads|Role)\//.test(f));
  return { template: readTemplate(dir, 'Team'), findings };
}

describe('AppBucket', () => {
  let bucket: { template: CfnTemplate; findings: string[] };
  let plain: { template: CfnTemplate; findings: string[] };
  let privateHelper: { template: CfnTemplate; findings: string[] };
  beforeAll(() => {
    bucket = synth((stack, logs, role) => {
      const uploads = new AppBucket(stack, 'Uploads', { accessLogsBucket: logs });
      uploads.grantObjects(role, 'read-write', 'uploads/');
    });
    // The control: what a team writes first, a bucket granted with CDK's grant helper.
    plain = synth((stack, _logs, role) => {
      new s3.Bucket(stack, 'Uploads').grantReadWrite(role);
    });
    privateHelper = synth((stack, _logs, role) => {
      createPrivateBucket(stack, 'Uploads', {}).grantReadWrite(role);
    });
  });

  it('passes AwsSolutions, NIST 800-53 rev 5 and the Control Tower controls with a grant to a role', () => {
    expect(bucket.findings).toEqual([]);
  });

  it('is what the gates would otherwise stop: a plain bucket with grantReadWrite has 24 findings in every pack, the private-bucket helper 16 (docs/policy-gates.md quotes both)', () => {
    const packs = new Set(plain.findings.map((f) => f.split(' ')[0]));
    expect([...packs].sort()).toEqual(['AwsSolutions', 'NIST.800.53.R5', 'cdk-validator-cfnguard']);
    expect(plain.findings).toHaveLength(24);
    expect(privateHelper.findings).toHaveLength(16);
  });

  it('grants named actions on the prefix only, and the key operations that go with them', () => {
    const statements = Object.values(resourcesOfType(bucket.template, 'AWS::IAM::Policy')).flatMap(
      (p) => (p.Properties!.PolicyDocument as { Statement: { Action: string | string[]; Condition?: unknown }[] }).Statement,
    );
    const actions = statements.flatMap((s) => [s.Action].flat());
    expect(actions.some((a) => a.includes('*'))).toBe(false);
    expect(actions).toEqual(
      expect.arrayContaining(['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:ListBucket', 'kms:Decrypt', 'kms:GenerateDataKey']),
    );
    expect(statements.find((s) => [s.Action].flat().includes('s3:ListBucket'))?.Condition).toEqual({
      StringLike: { 's3:prefix': ['uploads/*'] },
    });
  });

  it('logs to the given bucket, which lets S3 logging write there', () => {
    const [appBucket] = Object.values(resourcesOfType(bucket.template, 'AWS::S3::Bucket')).filter(
      (b) => b.Properties?.LoggingConfiguration,
    );
    expect(appBucket.Properties!.LoggingConfiguration).toMatchObject({ LogFilePrefix: 's3/Uploads/' });
    const policies = JSON.stringify(resourcesOfType(bucket.template, 'AWS::S3::BucketPolicy'));
    expect(policies).toContain('logging.s3.amazonaws.com');
  });

  it('is retained (a rollback could not delete it once the app wrote to it), and so is its key, even when the first create rolls back', () => {
    const [appBucket] = Object.values(resourcesOfType(bucket.template, 'AWS::S3::Bucket')).filter(
      (b) => b.Properties?.LoggingConfiguration,
    );
    expect(appBucket.DeletionPolicy).toBe('Retain');
    const keys = Object.values(resourcesOfType(bucket.template, 'AWS::KMS::Key'));
    expect(keys.map((k) => k.DeletionPolicy)).toEqual(['Retain']);
  });
});

describe('AppBucket refuses what would not deliver its logs', () => {
  it('names the property, the bucket, the rule and the fix for a log bucket of another stack', () => {
    const app = testApp();
    const other = new Stack(app, 'Shared', { env: ENV });
    const logs = createPrivateBucket(other, 'Logs', {});
    const stack = new Stack(app, 'Team', { env: ENV });
    expect(() => new AppBucket(stack, 'Uploads', { accessLogsBucket: logs })).toThrow(
      /AppBucket\(Team\/Uploads\)\.accessLogsBucket = Shared\/Logs\n +rule: must be a bucket created in the same stack.*\n +fix: +pass stack\.loadBalancer\.accessLogsBucket/,
    );
  });
});

describe('AppBucket, the rest of its contract', () => {
  function stackWith(protection?: StatefulProtection) {
    const app = testApp();
    const stack = new Stack(app, 'Team', { env: ENV });
    const logs = createPrivateBucket(stack, 'Logs', { objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED });
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
    const uploads = new AppBucket(stack, 'Uploads', { accessLogsBucket: logs, ...(protection ? { protection } : {}) });
    return { app, stack, logs, role, uploads };
  }
  const template = (stack: Stack) => Template.fromStack(stack).toJSON() as CfnTemplate;

  it('lets a write-only grant decrypt too (a multipart upload to SSE-KMS needs kms:Decrypt)', () => {
    const { stack, role, uploads } = stackWith();
    uploads.grantObjects(role, 'write', 'in/');
    const statements = JSON.stringify(resourcesOfType(template(stack), 'AWS::IAM::Policy'));
    expect(statements).toContain('kms:Decrypt');
    expect(statements).toContain('kms:GenerateDataKey');
    expect(statements).not.toContain('s3:GetObject"');
  });

  it('is emptied and deleted with a destroyable environment, and the grant goes before it is emptied', () => {
    const { stack, role, uploads } = stackWith(DESTROY_DATA);
    uploads.grantObjects(role, 'read-write');
    const t = template(stack);
    const [bucketId, bucket] = Object.entries(resourcesOfType(t, 'AWS::S3::Bucket')).find(([, b]) => b.Properties?.LoggingConfiguration)!;
    expect(bucket.DeletionPolicy).toBe('Delete');
    const [emptierId] = Object.entries(resourcesOfType(t, 'Custom::S3AutoDeleteObjects')).find(([, r]) =>
      JSON.stringify(r.Properties).includes(bucketId),
    )!;
    const [, policy] = Object.entries(resourcesOfType(t, 'AWS::IAM::Policy'))[0]!;
    expect([policy.DependsOn].flat()).toContain(emptierId);
  });

  it('takes the protection of the PlatformStack it is in when given none', () => {
    const app = testApp();
    const stack = new Stack(app, 'Team', { env: ENV }) as Stack & { protection: StatefulProtection };
    Object.defineProperty(stack, 'protection', { value: DESTROY_DATA });
    const logs = createPrivateBucket(stack, 'Logs', {});
    expect(new AppBucket(stack, 'Uploads', { accessLogsBucket: logs }).protection).toBe(DESTROY_DATA);
  });

  it('refuses a grant to a role that takes no statements, which would silently grant nothing', () => {
    const { stack, uploads } = stackWith();
    const imported = iam.Role.fromRoleArn(stack, 'Imported', 'arn:aws:iam::111111111111:role/team', { mutable: false });
    expect(() => uploads.grantObjects(imported, 'read')).toThrow(
      /AppBucket\(Team\/Uploads\)\.grantObjects = "Team\/Imported"\n +rule: the grantee takes no policy statements/,
    );
  });

  it('refuses a log bucket S3 cannot log to: imported, or with SSE-KMS default encryption', () => {
    const app = testApp();
    const stack = new Stack(app, 'Team', { env: ENV });
    const imported = s3.Bucket.fromBucketName(stack, 'Shared', 'team-logs');
    expect(() => new AppBucket(stack, 'A', { accessLogsBucket: imported })).toThrow(
      /accessLogsBucket = Team\/Shared\n +rule: must be a bucket created in the same stack/,
    );
    const kmsLogs = new s3.Bucket(stack, 'KmsLogs', { encryption: s3.BucketEncryption.KMS });
    expect(() => new AppBucket(stack, 'B', { accessLogsBucket: kmsLogs })).toThrow(/rule: must not use SSE-KMS default encryption/);
  });

  it('expires the delete markers of deleted objects once their old versions are gone', () => {
    const { stack } = stackWith();
    const rules = JSON.stringify(resourcesOfType(template(stack), 'AWS::S3::Bucket'));
    expect(rules).toContain('"ExpiredObjectDeleteMarker":true');
  });
});

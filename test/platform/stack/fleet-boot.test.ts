import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { BOOT_PATHS } from '../../../constructs/boot-script';
import { BOOT_REPORT_SLACK_SECONDS, BOOT_REPORT_TIMEOUT_SECONDS, STOP_MARGIN_SECONDS } from '../../../constructs/app-fleet';
import { rdsTrustBundlePem } from '../../../constructs/rds-trust';
import { environmentBootTiming, MAX_SIGNAL_TIMEOUT_SECONDS } from '../../../lib/model/config/boot-timing';
import { builtinEnvironments } from '../../../lib/model/config/load-config';
import { WORKLOAD_PROFILES } from '../../../lib/model/config/workload-profiles';
import { BUILTIN_ENVIRONMENTS } from '../../../lib/model/config/builtin-environments';
import { readTemplate, resourcesOfType, type CfnResource, type CfnTemplate } from '../../support/assembly';
import { environment, synthPlatform } from '../../support/platform-variants';
import { bashSyntaxErrors, TOKEN_LENGTHS, userDataScript } from '../../support/user-data';

const dir = inject('assemblyDir');
const ENVS = builtinEnvironments();

interface Statement {
  Action: string | string[];
  Resource: unknown;
  Effect: string;
}

/** Every statement of the fleet instance role's policies. */
function fleetStatements(t: CfnTemplate): Statement[] {
  return Object.values(resourcesOfType(t, 'AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties?.Roles).includes('FleetInstanceRole'))
    .flatMap((p) => (p.Properties?.PolicyDocument as { Statement: Statement[] }).Statement);
}
const actions = (s: Statement) => [s.Action].flat();

/** The release asset of a stack: its manifest entry and staged folder. */
function releaseAsset(stackName: string): { key: string; folder: string } {
  const manifest = JSON.parse(readFileSync(join(dir, `${stackName}.assets.json`), 'utf8')) as {
    files: Record<string, { source: { path: string; packaging?: string }; destinations: Record<string, { objectKey: string }> }>;
  };
  const entries = Object.values(manifest.files).filter((f) => existsSync(join(dir, f.source.path, 'rds-ca-bundle.pem')));
  expect(entries, 'exactly one release asset').toHaveLength(1);
  return { key: Object.values(entries[0].destinations)[0].objectKey, folder: join(dir, entries[0].source.path) };
}

describe.each(ENVS.map((e) => [e.stackName, e] as const))('%s: the fleet boots the reference service', (stackName, env) => {
  const t = () => readTemplate(dir, stackName);
  const script = () => userDataScript(t());
  const timing = environmentBootTiming(env);

  it('fetches exactly the release asset, which holds the bundle and the database trust bundle', () => {
    const { key, folder } = releaseAsset(stackName);
    expect(key).toMatch(/^[0-9a-f]{64}\.zip$/);
    const fetches = script().match(/aws s3 cp [^\n]+/g) ?? [];
    expect(fetches).toEqual([
      `aws s3 cp --only-show-errors --region ${env.region} s3://cdk-hnb659fds-assets-${env.account}-${env.region}/${key} ${BOOT_PATHS.releaseArchive}`,
    ]);
    expect(readdirSync(folder).sort()).toEqual(['app', 'rds-ca-bundle.pem']);
    expect(readdirSync(join(folder, 'app'))).toEqual(['loadbearing-service.js']);
    expect(readFileSync(join(folder, 'rds-ca-bundle.pem'), 'utf8')).toBe(rdsTrustBundlePem());
    expect(script()).toContain(`install -m 0644 ${BOOT_PATHS.releaseDir}/rds-ca-bundle.pem /etc/loadbearing/rds-ca-bundle.pem`);
  });

  it('installs Node.js 22 and the CloudWatch agent from the AL2023 repositories, within the packages budget', () => {
    expect(script()).toMatch(/\ntimeout 240 dnf install -y -q nodejs22 amazon-cloudwatch-agent unzip logrotate\n/);
    expect(script()).toContain('amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:');
  });

  it("runs the service under systemd: its own user, app.env, the profile's file limit, restarts, SIGTERM to the primary alone, a stop timeout over the deregistration delay", () => {
    const unit = /cat > \/etc\/systemd\/system\/loadbearing-app\.service <<'EOF'\n([\s\S]*?)\nEOF/.exec(script())?.[1] ?? '';
    const lines = unit.split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        'User=lbapp',
        'EnvironmentFile=/etc/loadbearing/app.env',
        'ExecStart=/usr/bin/node-22 loadbearing-service.js',
        'Restart=on-failure',
        // The primary drains its workers itself (ADR 0006); they get SIGKILL only if anything is left after it.
        'KillMode=mixed',
        `LimitNOFILE=${WORKLOAD_PROFILES[env.fleet.workloadProfile].tuning.fileDescriptors}`,
        `TimeoutStopSec=${env.loadBalancer.deregistrationDelaySeconds + STOP_MARGIN_SECONDS}`,
        'StandardOutput=append:/var/log/loadbearing/app.log',
        'WantedBy=multi-user.target',
      ]),
    );
    expect(script()).toContain('useradd --system --no-create-home --shell /sbin/nologin lbapp');
    expect(script()).toContain('systemctl enable --now loadbearing-app');
  });

  it("waits for the health path with the boot timeline's numbers, and fails fast when the app exits", () => {
    const s = script();
    expect(s).toContain(`lb_deadline=$((SECONDS + ${timing.healthWait.waitSeconds}))`);
    expect(s).toContain(
      `--max-time ${timing.healthWait.probeTimeoutSeconds} http://127.0.0.1:${env.app.port}${env.loadBalancer.healthCheck.path}`,
    );
    expect(s).toContain('systemctl show -p NRestarts --value loadbearing-app');
    // The health wait is the last step, then the completion marker: only a script that got there
    // is healthy, and the trap signals SUCCESS (an early `exit 0` is a failed boot).
    const lines = s.trimEnd().split('\n');
    expect(lines.at(-1)).toBe('LB_DONE=1');
    expect(lines.at(-2)).toContain('healthy:');
    expect(s).toContain('if [ "$code" -eq 0 ] && [ "$LB_DONE" != 1 ]; then');
    expect(s).toContain('trap lb_exit EXIT');
  });

  it('derives the signal timeout, the launch hook heartbeat and the grace period from the boot timeline', () => {
    const [asg] = Object.values(resourcesOfType(t(), 'AWS::AutoScaling::AutoScalingGroup'));
    const iso = `PT${timing.signalTimeoutSeconds / 60}M`;
    expect(asg.CreationPolicy).toEqual({ ResourceSignal: { Count: env.fleet.minCapacity, Timeout: iso } });
    const [hook] = Object.values(resourcesOfType(t(), 'AWS::AutoScaling::LifecycleHook'));
    expect(hook.Properties?.HeartbeatTimeout).toBe(timing.signalTimeoutSeconds);
    expect(asg.Properties?.HealthCheckGracePeriod).toBe(timing.gracePeriodSeconds);
    expect(timing.signalledSeconds).toBeLessThan(timing.signalTimeoutSeconds);
  });

  it("reports a failed boot's reason to a wait condition that waits from the launch template on", () => {
    const [handleId] = Object.keys(resourcesOfType(t(), 'AWS::CloudFormation::WaitConditionHandle'));
    const [condition] = Object.values(resourcesOfType(t(), 'AWS::CloudFormation::WaitCondition'));
    const [ltId] = Object.keys(resourcesOfType(t(), 'AWS::EC2::LaunchTemplate'));
    // A constant (updates of a wait condition are not supported), and never shorter than the group's own wait.
    expect(condition.Properties).toEqual({ Count: 1, Handle: { Ref: handleId }, Timeout: String(BOOT_REPORT_TIMEOUT_SECONDS) });
    expect(BOOT_REPORT_TIMEOUT_SECONDS).toBe(MAX_SIGNAL_TIMEOUT_SECONDS + BOOT_REPORT_SLACK_SECONDS);
    expect(BOOT_REPORT_TIMEOUT_SECONDS).toBeGreaterThanOrEqual(timing.signalTimeoutSeconds + BOOT_REPORT_SLACK_SECONDS);
    expect([condition.DependsOn].flat()).toContain(ltId);
    const [lt] = Object.values(resourcesOfType(t(), 'AWS::EC2::LaunchTemplate'));
    expect(JSON.stringify(lt.Properties)).toContain(`LB_REASON_URL='",{"Ref":"${handleId}"}`);
  });

  it('gives the instance role exactly the release object in S3, no bucket-wide read and no KMS key', () => {
    const { key } = releaseAsset(stackName);
    const s3 = fleetStatements(t()).filter((s) => actions(s).some((a) => a.startsWith('s3:')));
    expect(s3).toEqual([
      { Action: 's3:GetObject', Effect: 'Allow', Resource: `arn:aws:s3:::cdk-hnb659fds-assets-${env.account}-${env.region}/${key}` },
    ]);
    // No key at all in the role: the bootstrap bucket's key lets the account decrypt through S3, and
    // the secrets' keys let the role decrypt through Secrets Manager in their key policies
    // (test/platform/stack/instance-permissions.test.ts), so no direct kms:Decrypt on the database key.
    expect(fleetStatements(t()).filter((s) => actions(s).some((a) => a.startsWith('kms:')))).toEqual([]);
  });

  it("ships the app's logs (with its EMF metrics) and the boot log to encrypted, retained log groups named per stack", () => {
    const groups = Object.values(resourcesOfType(t(), 'AWS::Logs::LogGroup')).filter((g) =>
      [`/${stackName}/app`, `/${stackName}/boot`].includes(String(g.Properties?.LogGroupName)),
    );
    expect(groups.map((g) => g.Properties?.LogGroupName).sort()).toEqual([`/${stackName}/app`, `/${stackName}/boot`]);
    const [, dbLogs] = Object.entries(resourcesOfType(t(), 'AWS::Logs::LogGroup')).find(([id]) =>
      id.startsWith('DatabaseWriterPostgresqlLogs'),
    )!;
    for (const g of groups) {
      expect(g.Properties).toMatchObject({
        KmsKeyId: { 'Fn::GetAtt': ['LogsKey195F8DFC', 'Arn'] },
        RetentionInDays: env.fleet.logRetentionDays,
      });
      // Kept like the database's logs (deleted only where dataProtection.allowDestroy says so).
      expect(g.DeletionPolicy).toBe(dbLogs.DeletionPolicy);
    }
    const logs = fleetStatements(t()).filter((s) => actions(s).some((a) => a.startsWith('logs:')));
    expect(new Set(logs.flatMap(actions))).toEqual(new Set(['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams']));
    expect(JSON.stringify(logs)).not.toContain('"*"');
    expect(script()).toContain('"file_path":"/var/log/loadbearing/app.log"');
    expect(script()).toContain('"file_path":"/var/log/cloud-init-output.log"');
  });

  it("is a shell script bash parses, within EC2's 16 KB of user data with the wait condition URL at 1 KB and every other deploy-time value at 256 characters", () => {
    expect(bashSyntaxErrors(script())).toBe('');
    // "User data is limited to 16 KB, in raw form, before it is base64-encoded"
    // (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-add-user-data.html).
    expect(script()).toContain('x'.repeat(TOKEN_LENGTHS.waitConditionHandle));
    expect(Buffer.byteLength(script())).toBeLessThan(16 * 1024);
  });
});

describe.each(ENVS.map((e) => [e.stackName, e] as const))('%s: the app connects as its own role', (stackName, env) => {
  const t = () => readTemplate(dir, stackName);
  const resources = () => Object.entries(t().Resources);
  const find = (type: string, idPrefix: string): [string, CfnResource] => {
    const found = resources().filter(([id, r]) => r.Type === type && id.startsWith(idPrefix));
    expect(found, `${type} ${idPrefix}*`).toHaveLength(1);
    return found[0];
  };

  it('has a secret of its own for lb_app, attached to the writer, encrypted with the database key, retained like the master secret', () => {
    const [, secret] = find('AWS::SecretsManager::Secret', 'DatabaseAppSecret');
    const [, master] = find('AWS::SecretsManager::Secret', 'DatabaseSecret');
    expect(secret.Properties).toMatchObject({
      GenerateSecretString: { SecretStringTemplate: '{"username":"lb_app"}', GenerateStringKey: 'password' },
      KmsKeyId: { 'Fn::GetAtt': ['DatabaseKey5E5D9547', 'Arn'] },
    });
    expect(secret.DeletionPolicy).toBe(master.DeletionPolicy);
    const [, attachment] = find('AWS::SecretsManager::SecretTargetAttachment', 'DatabaseAppSecretAttachment');
    expect(attachment.Properties).toMatchObject({ TargetType: 'AWS::RDS::DBInstance', TargetId: { Ref: 'DatabaseWriter7794273E' } });
  });

  it('rotates it like the master secret, starting only after the fleet has migrated and signalled', () => {
    const [, rotation] = find('AWS::SecretsManager::RotationSchedule', 'DatabaseAppSecretAttachmentRotation');
    const [, masterRotation] = find('AWS::SecretsManager::RotationSchedule', 'DatabaseSecretAttachmentRotation');
    const [asgId] = Object.keys(resourcesOfType(t(), 'AWS::AutoScaling::AutoScalingGroup'));
    expect(rotation.Properties?.RotationLambdaARN).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^DatabaseAppSecretRotationFunction[0-9A-F]{8}$/), 'Arn'],
    });
    expect(rotation.Properties?.RotationRules).toEqual(masterRotation.Properties?.RotationRules);
    expect([rotation.DependsOn].flat()).toContain(asgId);
  });

  it('hands the app its secret, and the migrations the master secret and the writer instance (not the proxy)', () => {
    const [lt] = Object.values(resourcesOfType(t(), 'AWS::EC2::LaunchTemplate'));
    const text = JSON.stringify(lt.Properties);
    expect(text).toMatch(/DB_USER=lb_app\\nDB_SECRET_ARN=",\{"Ref":"DatabaseAppSecretAttachment[0-9A-F]+"\}/);
    expect(text).toMatch(/DB_MIGRATION_SECRET_ARN=",\{"Ref":"DatabaseSecretAttachment[0-9A-F]+"\}/);
    expect(text).toContain('DB_MIGRATION_HOST=",{"Fn::GetAtt":["DatabaseWriter7794273E","Endpoint.Address"]}');
    expect(text).toContain(`DB_MIGRATION_PORT=${env.database.port}`);
  });

  it(
    env.database.proxy.enabled
      ? 'registers it in RDS Proxy and may rds-db:connect as lb_app only'
      : 'has no IAM database access (no proxy: password auth)',
    () => {
      const connect = fleetStatements(t()).filter((s) => actions(s).some((a) => a.startsWith('rds-db:')));
      if (!env.database.proxy.enabled || !env.database.proxy.iamAuth) {
        expect(connect).toEqual([]);
        return;
      }
      const [, proxy] = find('AWS::RDS::DBProxy', 'DatabaseProxy');
      const auth = proxy.Properties?.Auth as { SecretArn: { Ref: string } }[];
      expect(auth.map((a) => a.SecretArn.Ref.replace(/[0-9A-F]{8}$/, ''))).toEqual([
        'DatabaseAppSecretAttachment',
        'DatabaseSecretAttachment',
      ]);
      expect(connect).toHaveLength(1);
      expect(actions(connect[0])).toEqual(['rds-db:connect']);
      const resource = JSON.stringify(connect[0].Resource);
      expect(resource).toMatch(
        /dbuser:",\{"Fn::Select":\[6,\{"Fn::Split":\[":",\{"Fn::GetAtt":\["DatabaseProxy[0-9A-F]+","DBProxyArn"\]\}\]\}\]\},"\/lb_app"/,
      );
      expect(resource).not.toContain('lb_admin');
    },
  );

  it(
    env.database.proxy.enabled
      ? 'creates the proxy target group only after the fleet has created lb_app, and the fleet never waits for the target group'
      : 'has no proxy target group to order (database.proxy is off)',
    () => {
      if (!env.database.proxy.enabled) {
        expect(resourcesOfType(t(), 'AWS::RDS::DBProxyTargetGroup')).toEqual({});
        return;
      }
      // CloudFormation's DBProxyTargetGroup create waits until the target is AVAILABLE; the lb_app
      // secret is in the proxy's auth, and the role exists only once the fleet has migrated.
      const [tgId, tg] = find('AWS::RDS::DBProxyTargetGroup', 'DatabaseProxyProxyTargetGroup');
      const [asgId] = Object.keys(resourcesOfType(t(), 'AWS::AutoScaling::AutoScalingGroup'));
      expect([tg.DependsOn].flat()).toContain(asgId);
      // No cycle: nothing the group needs (references or DependsOn, transitively) is the target group.
      expect(dependencyClosure(t(), asgId)).not.toContain(tgId);
    },
  );
});

/** Every resource `id` needs before CloudFormation can create it: DependsOn, Ref and GetAtt, transitively. */
function dependencyClosure(template: CfnTemplate, id: string): Set<string> {
  const seen = new Set<string>();
  const visit = (current: string) => {
    const resource = template.Resources[current];
    if (!resource) return;
    const direct = new Set<string>([resource.DependsOn ?? []].flat());
    JSON.stringify(resource.Properties ?? {}).replace(
      /\{"Ref":"([A-Za-z0-9]+)"\}|\{"Fn::GetAtt":\["([A-Za-z0-9]+)"/g,
      (_m, ref: string, att: string) => {
        direct.add(ref ?? att);
        return '';
      },
    );
    for (const next of direct) {
      if (seen.has(next)) continue;
      seen.add(next);
      visit(next);
    }
  };
  visit(id);
  return seen;
}

describe('the AMI', () => {
  const prodTemplate = () => readTemplate(dir, 'loadbearing-prod');

  it("is the latest AL2023 image by default, resolved at deploy time from AWS's public SSM parameter (a new release rolls out through the signal-gated update)", () => {
    const t = prodTemplate();
    const [lt] = Object.values(resourcesOfType(t, 'AWS::EC2::LaunchTemplate'));
    const imageId = (lt.Properties?.LaunchTemplateData as { ImageId: { Ref: string } }).ImageId;
    const parameter = (t.Parameters as Record<string, { Type: string; Default: string }>)[imageId.Ref];
    expect(parameter).toEqual({
      Type: 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>',
      Default: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-arm64',
    });
  });

  it('is pinned by fleet.imageId: a literal image ID, no parameter, so no deploy changes it unasked', () => {
    const t = synthPlatform(
      environment('prod', { fleet: { ...BUILTIN_ENVIRONMENTS.prod.fleet, imageId: 'ami-0abcdef1234567890' } }),
    ) as CfnTemplate;
    const [lt] = Object.values(resourcesOfType(t, 'AWS::EC2::LaunchTemplate'));
    expect((lt.Properties?.LaunchTemplateData as { ImageId: unknown }).ImageId).toBe('ami-0abcdef1234567890');
    expect(JSON.stringify(t.Parameters ?? {})).not.toContain('ami-amazon-linux-latest');
  });

  it('refuses an image ID that is not one, naming the field', () => {
    expect(() => environment('prod', { fleet: { ...BUILTIN_ENVIRONMENTS.prod.fleet, imageId: 'al2023' } })).toThrow(
      /fleet\.imageId = "al2023"[\s\S]*must be an AMI ID/,
    );
  });
});

describe('the boot report across updates', () => {
  it('keeps its timeout when the boot is tuned: CloudFormation does not support updating a wait condition', () => {
    const tuned = synthPlatform(
      environment('prod', {
        fleet: {
          ...BUILTIN_ENVIRONMENTS.prod.fleet,
          boot: { healthWaitSeconds: 300 },
          rollingUpdate: { signalTimeoutSeconds: 1800 },
        },
      }),
    ) as CfnTemplate;
    const [asg] = Object.values(resourcesOfType(tuned, 'AWS::AutoScaling::AutoScalingGroup'));
    expect(asg.CreationPolicy).toMatchObject({ ResourceSignal: { Timeout: 'PT30M' } });
    for (const t of [tuned, readTemplate(dir, 'loadbearing-prod')]) {
      const [condition] = Object.values(resourcesOfType(t, 'AWS::CloudFormation::WaitCondition'));
      expect(condition.Properties?.Timeout).toBe(String(BOOT_REPORT_TIMEOUT_SECONDS));
    }
  });
});

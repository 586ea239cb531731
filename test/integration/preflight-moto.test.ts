import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ACMClient, RequestCertificateCommand } from '@aws-sdk/client-acm';
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PreflightReport } from '../../lib/ops/preflight-report.js';
import { writePreflightTemplate } from '../ops/support/preflight-fixture.js';
import { motoUnavailable, startMoto, type MotoServer } from './support/moto-server.js';
import { suiteUnavailable } from './support/prerequisites.js';

// End to end: the BUILT CLI (dist/bin/loadbearing.js preflight) as a subprocess against moto,
// seeded through the SDK. Only AWS_ENDPOINT_URL and dummy credentials point it at moto. moto
// implements STS, CloudFormation, SSM, ACM and the EC2 offerings; its Service Quotas knows only
// the `vpc` service code, and its RDS orderable options only Aurora PostgreSQL and Neptune: the
// test asserts the rows those give as they come out (unknown, and fail), not as AWS would answer.

const root = path.resolve(__dirname, '../..');
const cliPath = path.join(root, 'dist/bin/loadbearing.js');
const unavailable = suiteUnavailable('PREFLIGHT TESTS AGAINST MOTO', [motoUnavailable()]);
const ACCOUNT = '123456789012'; // moto's default account

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe.skipIf(unavailable !== undefined)('preflight: built CLI against moto', () => {
  let moto: MotoServer;
  const dir = mkdtempSync(path.join(tmpdir(), 'lb-preflight-e2e-'));
  const templates = path.join(dir, 'cdk.out');
  const configFile = path.join(dir, 'environments.json');

  /** An operator's shell pointed at moto, with nothing inherited from AWS config; no AWS_REGION (the config has it). */
  const operatorEnv = (extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const key of Object.keys(env)) if (key.startsWith('AWS_')) delete env[key];
    return {
      ...env,
      AWS_ENDPOINT_URL: moto.url,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: path.join(dir, 'none'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'none'),
      ...extra,
    };
  };

  function cli(args: string[], env = operatorEnv()): Promise<CliResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [cliPath, 'preflight', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  const base = (env = 'shop') => ['--env', env, '--config', configFile, '--template-dir', templates];
  const row = (report: PreflightReport, id: string) => report.rows.find((r) => r.id === id);

  // dist/ is built by the global setup (test/support/ensure-built.ts).
  beforeAll(async () => {
    // Requested certificates are ISSUED at once instead of after moto's default 60 s.
    moto = await startMoto(15_000, { MOTO_ACM_VALIDATION_WAIT: '0' });
    const clientConfig = { region: 'us-east-1', endpoint: moto.url, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
    const cfn = new CloudFormationClient(clientConfig);
    const acm = new ACMClient(clientConfig);
    try {
      // The bootstrap stack as `cdk bootstrap` leaves it: a stack named CDKToolkit that owns the version parameter.
      await cfn.send(
        new CreateStackCommand({
          StackName: 'CDKToolkit',
          TemplateBody: JSON.stringify({
            Resources: {
              CdkBootstrapVersion: {
                Type: 'AWS::SSM::Parameter',
                Properties: { Type: 'String', Name: '/cdk-bootstrap/hnb659fds/version', Value: '27' },
              },
            },
            Outputs: { BootstrapVersion: { Value: { 'Fn::GetAtt': ['CdkBootstrapVersion', 'Value'] } } },
          }),
        }),
      );
      const edge = await acm.send(
        new RequestCertificateCommand({
          DomainName: '*.shop.example.com',
          SubjectAlternativeNames: ['shop.example.com'],
          ValidationMethod: 'DNS',
        }),
      );
      const alb = await acm.send(new RequestCertificateCommand({ DomainName: 'api.other.example.com', ValidationMethod: 'DNS' }));
      const environment = (account: string) => ({
        stage: 'prod',
        account,
        region: 'us-east-1',
        availabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
        // The config refuses an ALB certificate of another account.
        loadBalancer: { certificateArn: alb.CertificateArn!.replace(`:${ACCOUNT}:`, `:${account}:`) },
        edge: {
          originDomainName: 'origin.shop.example.com',
          domainNames: ['shop.example.com', 'www.shop.example.com'],
          certificateArn: edge.CertificateArn,
        },
      });
      writeFileSync(
        configFile,
        JSON.stringify({
          environments: { shop: environment(ACCOUNT), elsewhere: environment('111111111111'), 'new-cdk': environment(ACCOUNT) },
        }),
      );
    } finally {
      cfn.destroy();
      acm.destroy();
    }
    writePreflightTemplate(templates, 'loadbearing-shop', { minSize: 6, maxSize: 24 });
    writePreflightTemplate(templates, 'loadbearing-elsewhere', { minSize: 6, maxSize: 24 });
    // A template of an aws-cdk-lib that needs bootstrap version 30.
    writePreflightTemplate(templates, 'loadbearing-new-cdk', {
      minSize: 6,
      maxSize: 24,
      tooOldBootstrap: Array.from({ length: 29 }, (_, i) => i + 1),
    });
  });

  afterAll(async () => {
    await moto?.stop();
    if (moto) expect(() => process.kill(moto.pid, 0)).toThrow();
  });

  it('checks what moto implements and says what it cannot find out, exit 1', async () => {
    const result = await cli([...base(), '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as PreflightReport;
    expect(report.rows.map((r) => [r.id, r.status])).toEqual([
      ['account', 'pass'],
      ['bootstrap-us-east-1', 'pass'],
      ['certificate-edge', 'pass'],
      ['certificate-alb', 'fail'],
      ['vcpu-on-demand', 'unknown'],
      ['vcpu-spot', 'pass'],
      ['elastic-ips', 'unknown'],
      ['instance-types', 'pass'],
      ['db-orderable', 'fail'],
      ['cloudfront-verification', 'manual'],
    ]);
    expect(row(report, 'account')!.detail).toBe(
      `the credentials are of account ${ACCOUNT} (arn:aws:sts::${ACCOUNT}:user/moto), the config's`,
    );
    expect(row(report, 'bootstrap-us-east-1')!.detail).toBe(
      'CDKToolkit CREATE_COMPLETE, version 27, the template needs 6 or later (its CheckBootstrapVersion rule)',
    );
    expect(row(report, 'certificate-edge')!.detail).toBe(
      'ISSUED in us-east-1, covers shop.example.com, www.shop.example.com (names: *.shop.example.com, shop.example.com)',
    );
    expect(row(report, 'certificate-alb')!.detail).toBe(
      'ISSUED, but it does not cover origin.shop.example.com (edge.originDomainName); it covers api.other.example.com (a wildcard covers one label)',
    );
    // moto's Service Quotas has no `ec2` quotas (NoSuchResourceException), and answers the fallback
    // GetAWSDefaultServiceQuota with an HTML error page: after the retries, the row is unknown.
    for (const id of ['vcpu-on-demand', 'elastic-ips']) {
      expect(row(report, id)).toMatchObject({
        status: 'unknown',
        detail: expect.stringMatching(
          /^SyntaxError calling servicequotas:GetAWSDefaultServiceQuota, 5 attempts: the endpoint answered HTTP 500 with a body that is not an AWS API response$/,
        ),
        fix: 'check AWS_ENDPOINT_URL and any proxy: the endpoint does not implement servicequotas:GetAWSDefaultServiceQuota',
      });
    }
    expect(row(report, 'instance-types')!.detail).toBe('offered: m7g.large, m7gd.large, r7g.large in us-east-1a, us-east-1b, us-east-1c');
    // moto knows orderable options only for Aurora PostgreSQL and Neptune.
    expect(row(report, 'db-orderable')!.detail).toBe('db.r7g.large postgres 17.9 gp3 is not orderable in us-east-1');
    expect(report.summary).toEqual({ pass: 5, fail: 2, unknown: 2, manual: 1 });
  });

  it('prints the table and a last line naming what did not pass', async () => {
    const result = await cli([...base('new-cdk')]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /\nfail\s+CDK bootstrap us-east-1\s+bootstrap version 27 in us-east-1, the template needs 30 or later \(its CheckBootstrapVersion rule\)\n\s+fix: run `npx cdk bootstrap aws:\/\/123456789012\/us-east-1` with this project's CDK CLI to upgrade it\n/,
    );
    expect(result.stdout.trimEnd().split('\n').at(-1)).toBe(
      'FAIL: 3 failed (bootstrap-us-east-1, certificate-alb, db-orderable), 2 unknown (vcpu-on-demand, elastic-ips); by hand: cloudfront-verification',
    );
  });

  it('wrong account: a fail row naming both accounts, nothing else checked, exit 1', async () => {
    const result = await cli([...base('elsewhere'), '--json']);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as PreflightReport;
    expect(report.rows).toEqual([
      {
        id: 'account',
        check: 'credentials account',
        status: 'fail',
        detail: `the credentials are of account ${ACCOUNT} (arn:aws:sts::${ACCOUNT}:user/moto), but elsewhere deploys to account 111111111111`,
        fix: 'use credentials of account 111111111111 (--profile or AWS_PROFILE), or correct "account" of elsewhere in the config',
      },
    ]);
    expect(report.notRun!.checks).toHaveLength(9);
  });

  it('exit 2 with one line: no credentials, a profile that does not exist, no template', async () => {
    const noCredentials = await cli(base(), operatorEnv({ AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined }));
    expect(noCredentials).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'loadbearing: error: no AWS credentials found: use --profile / AWS_PROFILE, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY\n',
    });

    const noProfile = await cli(
      [...base(), '--profile', 'nope'],
      operatorEnv({ AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined }),
    );
    expect(noProfile.code).toBe(2);
    expect(noProfile.stderr).toMatch(
      /^loadbearing: error: --profile "nope" is not in .+ or .+; fix: pass one of .+, or create it with `aws configure --profile nope`\n$/,
    );

    const empty = mkdtempSync(path.join(dir, 'empty-'));
    const noTemplate = await cli(['--env', 'shop', '--config', configFile, '--template-dir', empty]);
    expect(noTemplate.code).toBe(2);
    expect(noTemplate.stderr).toBe(
      `loadbearing: error: --template-dir ${empty}: no synthesized template ${empty}/loadbearing-shop.template.json; fix: run \`npx cdk synth loadbearing-shop -c configFile=${configFile}\` first (or pass --template-dir <dir>)\n`,
    );
  });
});

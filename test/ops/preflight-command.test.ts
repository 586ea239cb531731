import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ACMClient, DescribeCertificateCommand, type CertificateDetail } from '@aws-sdk/client-acm';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, GetMetricDataCommand, type GetMetricDataCommandInput } from '@aws-sdk/client-cloudwatch';
import {
  DescribeAddressesCommand,
  DescribeInstanceTypeOfferingsCommand,
  DescribeInstanceTypesCommand,
  EC2Client,
  type DescribeInstanceTypeOfferingsCommandInput,
} from '@aws-sdk/client-ec2';
import { DescribeOrderableDBInstanceOptionsCommand, RDSClient } from '@aws-sdk/client-rds';
import { GetAWSDefaultServiceQuotaCommand, GetServiceQuotaCommand, ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../lib/model/config/load-config';
import { certificateCheck } from '../../lib/ops/preflight-certificate-check.js';
import { PREFLIGHT_PERMISSIONS, preflightChecks } from '../../lib/ops/preflight-command.js';
import type { PreflightReport } from '../../lib/ops/preflight-report.js';
import { PreflightSession } from '../../lib/ops/preflight-session.js';
import { fastRetry, frozenClock, run, type CliRun } from './support/cli-harness.js';
import { writePreflightTemplate, type PreflightFixtureOptions } from './support/preflight-fixture.js';

const sts = mockClient(STSClient);
const cfn = mockClient(CloudFormationClient);
const ssm = mockClient(SSMClient);
const acm = mockClient(ACMClient);
const quotas = mockClient(ServiceQuotasClient);
const cw = mockClient(CloudWatchClient);
const ec2 = mockClient(EC2Client);
const rds = mockClient(RDSClient);
const mocks = [sts, cfn, ssm, acm, quotas, cw, ec2, rds];
// Test files share modules (isolate: false): put the real clients back for the next file.
afterAll(() => {
  for (const m of mocks) m.restore();
});

const ACCOUNT = '123456789012';
const EDGE_CERT = `arn:aws:acm:us-east-1:${ACCOUNT}:certificate/00000000-0000-4000-8000-000000000004`;
const ALB_CERT = `arn:aws:acm:eu-west-1:${ACCOUNT}:certificate/00000000-0000-4000-8000-000000000003`;
const AZS = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];
const TYPES = ['m7g.large', 'm7gd.large', 'r7g.large'];

const dir = mkdtempSync(join(tmpdir(), 'lb-preflight-'));
const configFile = join(dir, 'environments.json');
writeFileSync(
  configFile,
  JSON.stringify({
    environments: {
      shop: {
        stage: 'prod',
        account: ACCOUNT,
        region: 'eu-west-1',
        availabilityZones: AZS,
        loadBalancer: { certificateArn: ALB_CERT },
        edge: {
          originDomainName: 'origin.shop.example.com',
          domainNames: ['shop.example.com', 'www.shop.example.com'],
          certificateArn: EDGE_CERT,
          webAclArn: `arn:aws:wafv2:us-east-1:${ACCOUNT}:global/webacl/shop/00000000-0000-4000-8000-000000000005`,
        },
      },
      plain: {
        stage: 'dev',
        account: ACCOUNT,
        region: 'eu-west-1',
        availabilityZones: AZS.slice(0, 2),
        network: { natGateways: 1 },
        invariants: { optOut: [{ rule: 'AZ-4', reason: 'a test environment without a second NAT gateway' }] },
      },
    },
  }),
);

/** A template for the shop stack in its own directory. */
function templateDir(options: PreflightFixtureOptions = {}): string {
  const d = mkdtempSync(join(dir, 'cdk.out-'));
  writePreflightTemplate(d, 'loadbearing-shop', { minSize: 6, maxSize: 24, ...options });
  writePreflightTemplate(d, 'loadbearing-plain', {
    minSize: 2,
    maxSize: 4,
    instanceTypes: ['t4g.medium', 'm7g.medium'],
    onDemandBaseCapacity: 2,
    onDemandPercentageAboveBaseCapacity: 0,
    natGateways: 1,
    db: { instanceClass: 'db.t4g.medium', replicas: 1, multiAz: false },
  });
  return d;
}
const DEFAULT_DIR = templateDir();

function preflight(args: string[] = [], options: { dir?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliRun> {
  return run(['preflight', '--env', 'shop', '--config', configFile, '--template-dir', options.dir ?? DEFAULT_DIR, ...args], {
    env: options.env ?? {},
  });
}

async function preflightJson(args: string[] = [], options: { dir?: string } = {}): Promise<PreflightReport & { code: number }> {
  const result = await preflight(['--json', ...args], options);
  return { ...(JSON.parse(result.stdout) as PreflightReport), code: result.code };
}

const awsError = (name: string, message: string, status = 400) =>
  Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });

const certificates: Record<string, CertificateDetail> = {
  [EDGE_CERT]: {
    CertificateArn: EDGE_CERT,
    Status: 'ISSUED',
    DomainName: 'shop.example.com',
    SubjectAlternativeNames: ['shop.example.com', '*.shop.example.com'],
  },
  [ALB_CERT]: {
    CertificateArn: ALB_CERT,
    Status: 'ISSUED',
    DomainName: '*.shop.example.com',
    SubjectAlternativeNames: ['*.shop.example.com'],
  },
};
const quotaValues: Record<string, number> = { 'L-1216C47A': 256, 'L-34B43A08': 256, 'L-0263D0A3': 5 };
const usage: Record<string, number[]> = { 'Standard/OnDemand': [16], 'Standard/Spot': [] };

/** Every call answers as for a healthy account: all rows pass. */
function healthyAccount(): void {
  for (const m of mocks) m.reset();
  sts.on(GetCallerIdentityCommand).resolves({ Account: ACCOUNT, Arn: `arn:aws:iam::${ACCOUNT}:user/ci`, UserId: 'AIDA' });
  cfn
    .on(DescribeStacksCommand)
    .resolves({ Stacks: [{ StackName: 'CDKToolkit', StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date() }] });
  ssm.on(GetParameterCommand).resolves({ Parameter: { Name: '/cdk-bootstrap/hnb659fds/version', Value: '27' } });
  acm.on(DescribeCertificateCommand).callsFake((input: { CertificateArn: string }) => {
    if (!certificates[input.CertificateArn])
      throw awsError('ResourceNotFoundException', `Could not find certificate ${input.CertificateArn}.`);
    return { Certificate: certificates[input.CertificateArn] };
  });
  quotas
    .on(GetServiceQuotaCommand)
    .callsFake((input: { QuotaCode: string }) => ({ Quota: { QuotaCode: input.QuotaCode, Value: quotaValues[input.QuotaCode] } }));
  cw.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => {
    const cls = input.MetricDataQueries![0]!.MetricStat!.Metric!.Dimensions!.find((d) => d.Name === 'Class')!.Value!;
    return {
      MetricDataResults: [{ Id: 'usage', Values: usage[cls], Timestamps: usage[cls]!.map(() => new Date()), StatusCode: 'Complete' }],
    };
  });
  ec2.on(DescribeAddressesCommand).resolves({ Addresses: [{ PublicIp: '203.0.113.1', Domain: 'vpc' }] });
  ec2.on(DescribeInstanceTypeOfferingsCommand).callsFake((input: DescribeInstanceTypeOfferingsCommandInput) => {
    const types = input.Filters!.find((f) => f.Name === 'instance-type')!.Values!;
    const zones = input.Filters!.find((f) => f.Name === 'location')!.Values!;
    return {
      InstanceTypeOfferings: types.flatMap((t) =>
        zones.map((z) => ({ InstanceType: t as never, LocationType: 'availability-zone' as const, Location: z })),
      ),
    };
  });
  rds
    .on(DescribeOrderableDBInstanceOptionsCommand)
    .callsFake((input: { DBInstanceClass: string; Engine: string; EngineVersion: string }) => ({
      OrderableDBInstanceOptions: [
        {
          Engine: input.Engine,
          EngineVersion: input.EngineVersion,
          DBInstanceClass: input.DBInstanceClass,
          StorageType: 'gp3',
          AvailabilityZones: AZS.map((Name) => ({ Name })),
          MultiAZCapable: true,
          ReadReplicaCapable: true,
        },
      ],
    }));
}

beforeAll(async () => {
  // The command loads these on use; load them first, so the first test does not pay for it.
  await import('../../lib/model/config/index.js');
});
beforeEach(() => {
  healthyAccount();
  quotaValues['L-1216C47A'] = 256;
  quotaValues['L-34B43A08'] = 256;
  quotaValues['L-0263D0A3'] = 5;
  usage['Standard/OnDemand'] = [16];
  usage['Standard/Spot'] = [];
});

const row = (report: PreflightReport, id: string) => report.rows.find((r) => r.id === id);

describe('loadbearing preflight: a healthy account', () => {
  it('passes every row, in order, with the manual CloudFront step, and exits 0', async () => {
    const report = await preflightJson();
    expect(report.code).toBe(0);
    expect(report).toMatchObject({
      environment: 'shop',
      stack: 'loadbearing-shop',
      account: ACCOUNT,
      region: 'eu-west-1',
      result: 'pass',
      exitCode: 0,
      notRun: null,
    });
    expect(report.rows.map((r) => [r.id, r.status])).toEqual([
      ['account', 'pass'],
      ['bootstrap-eu-west-1', 'pass'],
      ['bootstrap-us-east-1', 'pass'],
      ['certificate-edge', 'pass'],
      ['certificate-alb', 'pass'],
      ['vcpu-on-demand', 'pass'],
      ['vcpu-spot', 'pass'],
      ['elastic-ips', 'pass'],
      ['instance-types', 'pass'],
      ['db-orderable', 'pass'],
      ['cloudfront-verification', 'manual'],
    ]);
    expect(report.summary).toEqual({ pass: 10, fail: 0, unknown: 0, manual: 1 });
    expect(row(report, 'bootstrap-eu-west-1')!.detail).toBe(
      'CDKToolkit UPDATE_COMPLETE, version 27, the template needs 6 or later (its CheckBootstrapVersion rule)',
    );
    expect(row(report, 'certificate-edge')!.detail).toBe(
      'ISSUED in us-east-1, covers shop.example.com, www.shop.example.com (names: shop.example.com, *.shop.example.com)',
    );
    expect(row(report, 'certificate-alb')!.detail).toBe('ISSUED in eu-west-1, covers origin.shop.example.com (names: *.shop.example.com)');
    expect(row(report, 'vcpu-on-demand')!.detail).toBe(
      '16 vCPUs in use (peak of the last hour) + 48 for this stack = 64 of L-1216C47A "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances" = 256 in eu-west-1; ' +
        'stack: MaxSize 24; rolling update (MaxBatchSize 1, MinInstancesInService 6): peak max(24, 6+1) = 24 instances; On-Demand base 6 + 100% above it: 24 On-Demand, 0 Spot; 2 vCPUs each (largest of m7g.large, m7gd.large, r7g.large: m7g.large)',
    );
    expect(row(report, 'vcpu-spot')!.detail).toMatch(/^this stack runs no Spot instances \(MaxSize 24;/);
    expect(row(report, 'elastic-ips')!.detail).toBe(
      '4 free (L-0263D0A3 "EC2-VPC Elastic IPs" = 5 - 1 allocated in eu-west-1), 3 for this stack (3 NAT gateways, 3 AWS::EC2::EIP)',
    );
    expect(row(report, 'instance-types')!.detail).toBe(`offered: ${TYPES.join(', ')} in ${AZS.join(', ')}`);
    expect(row(report, 'cloudfront-verification')!.fix).toContain(
      'https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html',
    );
    // The bootstrap stack is looked up in the stack's region and in us-east-1 for the edge.
    const regions = await Promise.all(
      cfn.commandCalls(DescribeStacksCommand).map((c) => (c.thisValue as CloudFormationClient).config.region()),
    );
    expect(regions).toEqual(['eu-west-1', 'us-east-1']);
    // The ACM certificate is described in its own region.
    const acmRegions = await Promise.all(
      acm.commandCalls(DescribeCertificateCommand).map((c) => (c.thisValue as ACMClient).config.region()),
    );
    expect(acmRegions).toEqual(['us-east-1', 'eu-west-1']);
    expect(cw.commandCalls(GetMetricDataCommand)).toHaveLength(1);
  });

  it('prints a table: status, check, detail, the fix under it, and a last line', async () => {
    const result = await preflight();
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe(
      `preflight loadbearing-shop (shop): account ${ACCOUNT}, eu-west-1, template ${DEFAULT_DIR}/loadbearing-shop.template.json`,
    );
    expect(lines[2]).toMatch(/^STATUS\s+CHECK\s+DETAIL$/);
    expect(lines[3]).toMatch(
      /^pass\s+credentials account\s+the credentials are of account 123456789012 \(arn:aws:iam::123456789012:user\/ci\), the config's$/,
    );
    expect(result.stdout).toMatch(
      /\nmanual\s+CloudFront account verification\s+edge\.enabled: .*\n\s+fix: if the account has never created a distribution, open an AWS Support case/,
    );
    expect(lines.at(-2)).toBe('PASS: all 10 checks passed; by hand: cloudfront-verification');
  });

  it('a stack without the edge has no us-east-1, certificate or CloudFront rows, and counts Spot above the base', async () => {
    usage['Standard/Spot'] = [4];
    const result = await run(['preflight', '--env', 'plain', '-c', `configFile=${configFile}`, '--template-dir', DEFAULT_DIR, '--json'], {
      env: {},
    });
    const report = JSON.parse(result.stdout) as PreflightReport;
    expect(result.code).toBe(0);
    expect(report.rows.map((r) => r.id)).toEqual([
      'account',
      'bootstrap-eu-west-1',
      'vcpu-on-demand',
      'vcpu-spot',
      'elastic-ips',
      'instance-types',
      'db-orderable',
    ]);
    // 4 instances at MaxSize (rolling update within it): 2 On-Demand base, 2 Spot, 2 vCPUs each (t4g.medium).
    expect(row(report, 'vcpu-spot')!.detail).toMatch(
      /^4 vCPUs in use \(peak of the last hour\) \+ 4 for this stack = 8 of L-34B43A08 "All Standard \(A, C, D, H, I, M, R, T, Z\) Spot Instance Requests" = 256 in eu-west-1; stack: .*2 On-Demand, 2 Spot; 2 vCPUs each \(largest of t4g.medium, m7g.medium: t4g.medium\)$/,
    );
    expect(row(report, 'vcpu-on-demand')!.detail).toContain('+ 4 for this stack = 20 of L-1216C47A');
  });
});

describe('loadbearing preflight: failing rows', () => {
  it('wrong account: one fail row naming both accounts, the other checks not run, exit 1', async () => {
    sts.on(GetCallerIdentityCommand).resolves({ Account: '999999999999', Arn: 'arn:aws:iam::999999999999:user/other' });
    const result = await preflight();
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /\nfail\s+credentials account\s+the credentials are of account 999999999999 \(arn:aws:iam::999999999999:user\/other\), but shop deploys to account 123456789012\n/,
    );
    expect(result.stdout).toContain(
      'fix: use credentials of account 123456789012 (--profile or AWS_PROFILE), or correct "account" of shop in the config',
    );
    expect(result.stdout).toContain(
      'not run: bootstrap-eu-west-1, bootstrap-us-east-1, certificate-edge, certificate-alb, vcpu-on-demand, vcpu-spot, elastic-ips, instance-types, db-orderable, cloudfront-verification',
    );
    expect(result.stdout.trimEnd().split('\n').at(-1)).toBe(
      'FAIL: 1 failed (account), 10 not run (bootstrap-eu-west-1, bootstrap-us-east-1, certificate-edge, certificate-alb, vcpu-on-demand, vcpu-spot, elastic-ips, instance-types, db-orderable, cloudfront-verification)',
    );
    expect(cfn.commandCalls(DescribeStacksCommand)).toHaveLength(0);
  });

  it("bootstrap: a missing stack in us-east-1, a version below the template's own minimum, a missing parameter", async () => {
    cfn.on(DescribeStacksCommand).callsFake(async (_input, getClient) => {
      if ((await getClient().config.region()) === 'us-east-1') throw awsError('ValidationError', 'Stack with id CDKToolkit does not exist');
      return { Stacks: [{ StackName: 'CDKToolkit', StackStatus: 'CREATE_COMPLETE', CreationTime: new Date() }] };
    });
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: '21' } });
    const report = await preflightJson([], { dir: templateDir({ tooOldBootstrap: Array.from({ length: 21 }, (_, i) => i + 1) }) });
    expect(report.code).toBe(1);
    expect(row(report, 'bootstrap-eu-west-1')).toMatchObject({
      status: 'fail',
      detail: 'bootstrap version 21 in eu-west-1, the template needs 22 or later (its CheckBootstrapVersion rule)',
      fix: `run \`npx cdk bootstrap aws://${ACCOUNT}/eu-west-1\` with this project's CDK CLI to upgrade it`,
    });
    expect(row(report, 'bootstrap-us-east-1')).toMatchObject({
      status: 'fail',
      detail: `no CDKToolkit stack in us-east-1 of account ${ACCOUNT}`,
      fix: `run \`npx cdk bootstrap aws://${ACCOUNT}/us-east-1\``,
    });

    ssm.on(GetParameterCommand).rejects(awsError('ParameterNotFound', ''));
    expect(row(await preflightJson(), 'bootstrap-eu-west-1')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('there is no SSM parameter /cdk-bootstrap/hnb659fds/version in eu-west-1'),
    });

    cfn
      .on(DescribeStacksCommand)
      .resolves({ Stacks: [{ StackName: 'CDKToolkit', StackStatus: 'ROLLBACK_COMPLETE', CreationTime: new Date() }] });
    expect(row(await preflightJson(), 'bootstrap-eu-west-1')).toMatchObject({
      status: 'fail',
      detail: 'CDKToolkit in eu-west-1 is ROLLBACK_COMPLETE',
    });
  });

  it('certificates: not ISSUED, not covering a configured name (a wildcard is one label), not found', async () => {
    certificates[EDGE_CERT] = { ...certificates[EDGE_CERT], Status: 'PENDING_VALIDATION' };
    certificates[ALB_CERT] = {
      ...certificates[ALB_CERT],
      DomainName: '*.example.com',
      SubjectAlternativeNames: ['*.example.com', 'shop.example.com'],
    };
    try {
      const report = await preflightJson();
      expect(row(report, 'certificate-edge')).toMatchObject({
        status: 'fail',
        detail: 'the certificate is PENDING_VALIDATION, not ISSUED',
        fix: expect.stringContaining('complete its validation'),
      });
      expect(row(report, 'certificate-alb')).toMatchObject({
        status: 'fail',
        detail:
          'ISSUED, but it does not cover origin.shop.example.com (edge.originDomainName); it covers *.example.com, shop.example.com (a wildcard covers one label)',
      });
      certificates[EDGE_CERT] = {
        ...certificates[EDGE_CERT],
        Status: 'ISSUED',
        DomainName: 'shop.example.com',
        SubjectAlternativeNames: ['shop.example.com'],
      };
      delete certificates[ALB_CERT];
      const again = await preflightJson();
      expect(row(again, 'certificate-edge')).toMatchObject({
        status: 'fail',
        detail: expect.stringContaining('does not cover www.shop.example.com (edge.domainNames)'),
      });
      expect(row(again, 'certificate-alb')).toMatchObject({
        status: 'fail',
        detail: `no certificate ${ALB_CERT} in eu-west-1 of this account`,
      });
    } finally {
      certificates[EDGE_CERT] = {
        CertificateArn: EDGE_CERT,
        Status: 'ISSUED',
        DomainName: 'shop.example.com',
        SubjectAlternativeNames: ['shop.example.com', '*.shop.example.com'],
      };
      certificates[ALB_CERT] = {
        CertificateArn: ALB_CERT,
        Status: 'ISSUED',
        DomainName: '*.shop.example.com',
        SubjectAlternativeNames: ['*.shop.example.com'],
      };
    }
  });

  it('certificates: one outside the region its user needs fails without a call (us-east-1 for CloudFront)', async () => {
    const env = loadConfigFile(configFile).find((e) => e.name === 'shop')!;
    const check = certificateCheck({
      id: 'certificate-edge',
      check: 'CloudFront certificate',
      arn: `arn:aws:acm:eu-west-1:${ACCOUNT}:certificate/00000000-0000-4000-8000-000000000009`,
      configKey: 'edge.certificateArn',
      region: 'us-east-1',
      regionReason: 'CloudFront uses ACM certificates from us-east-1 only',
      names: [],
      namesKey: 'edge.domainNames',
    });
    const session = new PreflightSession({
      connectionTimeoutMs: 1000,
      requestTimeoutMs: 1000,
      retryPolicy: fastRetry,
      clock: frozenClock,
      signal: new AbortController().signal,
    });
    expect(await check.run({ env, template: { Resources: {} }, session })).toEqual({
      status: 'fail',
      detail: 'the certificate is in eu-west-1, but CloudFront uses ACM certificates from us-east-1 only',
      fix: 'request or import a certificate in us-east-1 and set edge.certificateArn to it',
    });
    expect(session.actions).toEqual([]);
  });

  it("On-Demand vCPUs: usage + this stack's peak above the quota fails with the arithmetic and the increase to ask for", async () => {
    quotaValues['L-1216C47A'] = 32;
    const report = await preflightJson([], { dir: templateDir({ updatePolicy: { AutoScalingInstanceRefresh: { Strategy: 'Rolling' } } }) });
    expect(report.code).toBe(1);
    // Instance refresh at the Rolling default of 110%: ceil(24 x 1.1) = 27 instances x 2 vCPUs = 54, plus 16 in use = 70.
    expect(row(report, 'vcpu-on-demand')).toEqual({
      id: 'vcpu-on-demand',
      check: 'On-Demand vCPU quota',
      status: 'fail',
      detail:
        '38 vCPUs short: 16 vCPUs in use (peak of the last hour) + 54 for this stack = 70 of L-1216C47A "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances" = 32 in eu-west-1; ' +
        'stack: MaxSize 24; instance refresh (MaxHealthyPercentage 110%, the Rolling default): peak ceil(24 x 110%) = 27 instances; On-Demand base 6 + 100% above it: 27 On-Demand, 0 Spot; 2 vCPUs each (largest of m7g.large, m7gd.large, r7g.large: m7g.large)',
      fix: 'request L-1216C47A of at least 70 in eu-west-1 (`aws service-quotas request-service-quota-increase --service-code ec2 --quota-code L-1216C47A --desired-value 70 --region eu-west-1`), or lower fleet.maxCapacity',
    });
  });

  it('Spot vCPUs: the Spot share at the peak against L-34B43A08; the AWS default when Service Quotas has no applied value', async () => {
    quotas.on(GetServiceQuotaCommand).callsFake((input: { QuotaCode: string }) => {
      if (input.QuotaCode === 'L-34B43A08')
        throw awsError('NoSuchResourceException', 'The request failed because the specified service quota does not exist.');
      return { Quota: { Value: quotaValues[input.QuotaCode] } };
    });
    quotas.on(GetAWSDefaultServiceQuotaCommand).resolves({ Quota: { QuotaCode: 'L-34B43A08', Value: 5 } });
    const report = await preflightJson([], { dir: templateDir({ onDemandBaseCapacity: 6, onDemandPercentageAboveBaseCapacity: 50 }) });
    // 24 at MaxSize: 6 base + half of 18 On-Demand = 15, 9 Spot x 2 vCPUs = 18 > 5.
    expect(row(report, 'vcpu-spot')).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(
        /^13 vCPUs short: 0 vCPUs in use \(no usage datapoint in the last hour\) \+ 18 for this stack = 18 of L-34B43A08 .* = 5 \(AWS default\) in eu-west-1; stack: .*15 On-Demand, 9 Spot;/,
      ),
      fix: expect.stringContaining('or lower fleet.maxCapacity or fleet.spotPercentAboveBase'),
    });
  });

  it('Elastic IPs: fewer free than the NAT gateways need', async () => {
    ec2.on(DescribeAddressesCommand).resolves({ Addresses: [{}, {}, {}] });
    const report = await preflightJson();
    expect(row(report, 'elastic-ips')).toMatchObject({
      status: 'fail',
      detail:
        '1 short: 2 free (L-0263D0A3 "EC2-VPC Elastic IPs" = 5 - 3 allocated in eu-west-1), 3 for this stack (3 NAT gateways, 3 AWS::EC2::EIP)',
      fix: expect.stringContaining('--quota-code L-0263D0A3 --desired-value 6 --region eu-west-1'),
    });
  });

  it('instance types: one not offered in an AZ', async () => {
    ec2.on(DescribeInstanceTypeOfferingsCommand).resolves({
      InstanceTypeOfferings: TYPES.flatMap((t) => AZS.map((z) => ({ InstanceType: t as never, Location: z }))).filter(
        (o) => !(o.InstanceType === 'r7g.large' && o.Location === 'eu-west-1c'),
      ),
    });
    const report = await preflightJson();
    expect(row(report, 'instance-types')).toMatchObject({
      status: 'fail',
      detail: `not offered: r7g.large in eu-west-1c (checked ${TYPES.join(', ')} in ${AZS.join(', ')})`,
    });
    expect(ec2.commandCalls(DescribeInstanceTypeOfferingsCommand)[0]!.args[0].input).toMatchObject({ LocationType: 'availability-zone' });
  });

  it('DB: a class not orderable at all, or not in every AZ', async () => {
    rds.on(DescribeOrderableDBInstanceOptionsCommand).resolves({ OrderableDBInstanceOptions: [] });
    expect(row(await preflightJson(), 'db-orderable')).toMatchObject({
      status: 'fail',
      detail: 'db.r7g.large postgres 17.9 gp3 is not orderable in eu-west-1',
    });
    rds.on(DescribeOrderableDBInstanceOptionsCommand).resolves({
      OrderableDBInstanceOptions: [
        {
          DBInstanceClass: 'db.r7g.large',
          StorageType: 'gp3',
          AvailabilityZones: [{ Name: 'eu-west-1a' }],
          MultiAZCapable: true,
          ReadReplicaCapable: true,
        },
      ],
    });
    expect(row(await preflightJson(), 'db-orderable')).toMatchObject({
      status: 'fail',
      detail: 'db.r7g.large postgres 17.9 gp3 not in eu-west-1b, eu-west-1c',
    });
    expect(rds.commandCalls(DescribeOrderableDBInstanceOptionsCommand)[0]!.args[0].input).toMatchObject({
      Engine: 'postgres',
      EngineVersion: '17.9',
      DBInstanceClass: 'db.r7g.large',
      Vpc: true,
    });
  });

  it('looks up a type that is not in the vCPU table with DescribeInstanceTypes', async () => {
    ec2
      .on(DescribeInstanceTypesCommand)
      .resolves({ InstanceTypes: [{ InstanceType: 'm8g.xlarge' as never, VCpuInfo: { DefaultVCpus: 4 } }] });
    const report = await preflightJson([], { dir: templateDir({ instanceTypes: ['m8g.xlarge'] }) });
    expect(row(report, 'vcpu-on-demand')!.detail).toContain('+ 96 for this stack');
    expect(row(report, 'vcpu-on-demand')!.detail).toContain('4 vCPUs each (m8g.xlarge)');
  });
});

describe('loadbearing preflight: calls that fail', () => {
  it('throttling turns the row unknown with the error code and the action; the rows after it still run', async () => {
    quotas.on(GetServiceQuotaCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));
    const report = await preflightJson();
    expect(report.code).toBe(1);
    expect(row(report, 'vcpu-on-demand')).toMatchObject({
      status: 'unknown',
      detail: 'ThrottlingException calling servicequotas:GetServiceQuota, 5 attempts: Rate exceeded',
      fix: 'AWS throttled or failed servicequotas:GetServiceQuota: run preflight again later (the credentials need servicequotas:GetServiceQuota)',
    });
    expect(quotas.commandCalls(GetServiceQuotaCommand).length).toBe(10);
    expect(row(report, 'instance-types')!.status).toBe('pass');
    expect(row(report, 'db-orderable')!.status).toBe('pass');
    const text = await preflight();
    expect(text.stdout.trimEnd().split('\n').at(-1)).toBe(
      'FAIL: 2 unknown (vcpu-on-demand, elastic-ips); by hand: cloudfront-verification',
    );
  });

  it('access denied turns the row unknown naming the IAM action to grant; the rows after it still run', async () => {
    ec2
      .on(DescribeInstanceTypeOfferingsCommand)
      .rejects(
        awsError(
          'UnauthorizedOperation',
          'You are not authorized to perform this operation. User: arn:aws:iam::123456789012:user/ci is not authorized to perform: ec2:DescribeInstanceTypeOfferings',
          403,
        ),
      );
    cw.on(GetMetricDataCommand).rejects(awsError('AccessDenied', 'User is not authorized to perform: cloudwatch:GetMetricData', 403));
    const report = await preflightJson();
    expect(row(report, 'instance-types')).toMatchObject({
      status: 'unknown',
      detail: expect.stringMatching(/^UnauthorizedOperation calling ec2:DescribeInstanceTypeOfferings: You are not authorized/),
      fix: 'grant ec2:DescribeInstanceTypeOfferings to these credentials (docs/deploying.md, "Before the first deploy", lists every permission preflight needs)',
    });
    expect(row(report, 'vcpu-on-demand')).toMatchObject({
      status: 'unknown',
      fix: expect.stringMatching(/^grant cloudwatch:GetMetricData /),
    });
    expect(row(report, 'db-orderable')!.status).toBe('pass');
    expect(row(report, 'elastic-ips')!.status).toBe('pass');
  });

  it('a template value preflight cannot read makes those rows unknown, not the command', async () => {
    const report = await preflightJson([], { dir: templateDir({ maxSize: { Ref: 'MaxSize' } }) });
    expect(row(report, 'vcpu-on-demand')).toMatchObject({
      status: 'unknown',
      detail: 'cannot read the template: FleetASG MaxSize is not a literal number in the template ({"Ref":"MaxSize"})',
    });
    expect(row(report, 'elastic-ips')!.status).toBe('pass');
  });

  it('the --timeout deadline turns the rows it cuts off unknown', async () => {
    rds.on(DescribeOrderableDBInstanceOptionsCommand).callsFake(() => new Promise(() => undefined));
    const report = await preflightJson(['--timeout', '1s']);
    expect(row(report, 'db-orderable')).toMatchObject({
      status: 'unknown',
      detail: 'not answered: gave up after 1s without a complete answer from AWS (at rds:DescribeOrderableDBInstanceOptions)',
      fix: 'raise --timeout, or run preflight again',
    });
    expect(row(report, 'instance-types')!.status).toBe('pass');
  });
});

describe('loadbearing preflight: exit 2, one line', () => {
  it('without credentials, before any row', async () => {
    sts
      .on(GetCallerIdentityCommand)
      .rejects(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }));
    const result = await preflight();
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'loadbearing: error: no AWS credentials found: use --profile / AWS_PROFILE, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY\n',
    });
    expect(cfn.commandCalls(DescribeStacksCommand)).toHaveLength(0);
  });

  it('with a profile that does not exist, naming it; with one that exists but gives no credentials', async () => {
    sts
      .on(GetCallerIdentityCommand)
      .rejects(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }));
    const files = mkdtempSync(join(dir, 'aws-'));
    writeFileSync(join(files, 'config'), '[profile ops]\nregion = eu-west-1\nsso_session = corp\n');
    const env = { AWS_CONFIG_FILE: join(files, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(files, 'credentials') };
    const missing = await preflight(['--profile', 'nope'], { env });
    expect(missing).toEqual({
      code: 2,
      stdout: '',
      stderr: `loadbearing: error: --profile "nope" is not in ${env.AWS_CONFIG_FILE} or ${env.AWS_SHARED_CREDENTIALS_FILE}; fix: pass one of ops, or create it with \`aws configure --profile nope\`\n`,
    });
    // Refused before any AWS call.
    expect(sts.calls()).toHaveLength(0);
    const expired = await preflight([], { env: { ...env, AWS_PROFILE: 'ops' } });
    expect(expired.stderr).toBe(
      'loadbearing: error: AWS profile "ops" gave no credentials (an expired SSO session? run `aws sso login --profile ops`), then run preflight again\n',
    );
  });

  it('with credentials AWS rejects', async () => {
    sts
      .on(GetCallerIdentityCommand)
      .rejects(awsError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403));
    const result = await preflight();
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'loadbearing: error: AWS rejected the credentials (InvalidClientTokenId): The security token included in the request is invalid.\n',
    );
  });

  it('unknown environment, invalid config, no synthesized template, bad --timeout', async () => {
    const unknown = await run(['preflight', '--env', 'nope', '--config', configFile, '--template-dir', DEFAULT_DIR], { env: {} });
    expect(unknown).toEqual({
      code: 2,
      stdout: '',
      stderr: `loadbearing: error: unknown environment "nope" (known: shop, plain); fix: pass one of them to --env or add it to ${configFile}\n`,
    });

    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ "environments": { "broken": { "stage": "prod" } } }');
    const invalid = await run(['preflight', '--env', 'broken', '--config', bad, '--template-dir', DEFAULT_DIR], { env: {} });
    expect(invalid.code).toBe(2);
    expect(invalid.stdout).toBe('');
    expect(invalid.stderr).toContain('account');

    const empty = mkdtempSync(join(dir, 'empty-'));
    const noTemplate = await preflight([], { dir: empty });
    expect(noTemplate).toEqual({
      code: 2,
      stdout: '',
      stderr: `loadbearing: error: --template-dir ${empty}: no synthesized template ${empty}/loadbearing-shop.template.json; fix: run \`npx cdk synth loadbearing-shop -c configFile=${configFile}\` first (or pass --template-dir <dir>)\n`,
    });

    const timeout = await preflight(['--timeout', 'soon']);
    expect(timeout.code).toBe(2);
    expect(timeout.stderr).toBe('loadbearing: error: invalid duration "soon" for --timeout: use e.g. 30s, 10m, 1h, 2h30m, 1d\n');
    expect(sts.commandCalls(GetCallerIdentityCommand)).toHaveLength(0);
  });
});

describe('loadbearing preflight: the command', () => {
  it('is in the help with its options', async () => {
    const help = await run(['preflight', '--help']);
    expect(help.code).toBe(0);
    for (const option of [
      '--env <name>',
      '--config <file.json>',
      '-c, --context configFile=<file.json>',
      '--template-dir <dir>',
      '--profile <profile>',
      '--timeout <duration>',
      '--json',
    ]) {
      expect(help.stdout).toContain(option);
    }
    expect(help.stdout).toContain('Exit codes: 0 every check passed (manual rows do not count against it)');
  });

  it('lists every permission its checks need', () => {
    expect(PREFLIGHT_PERMISSIONS).toEqual([
      'acm:DescribeCertificate',
      'cloudformation:DescribeStacks',
      'cloudwatch:GetMetricData',
      'ec2:DescribeAddresses',
      'ec2:DescribeInstanceTypeOfferings',
      'ec2:DescribeInstanceTypes',
      'ec2:DescribeRouteTables',
      'ec2:DescribeSubnets',
      'ec2:DescribeVpcAttribute',
      'ec2:DescribeVpcEndpoints',
      'rds:DescribeOrderableDBInstanceOptions',
      'servicequotas:GetAWSDefaultServiceQuota',
      'servicequotas:GetServiceQuota',
      'ssm:GetParameter',
      'sts:GetCallerIdentity',
    ]);
    const env = loadConfigFile(configFile).find((e) => e.name === 'shop')!;
    expect(
      preflightChecks(env)
        .flatMap((c) => c.permissions)
        .every((p) => PREFLIGHT_PERMISSIONS.includes(p)),
    ).toBe(true);
  });

  it('loads no preflight SDK client until it runs: the ops CLI and the platform load without them', () => {
    const probe = spawnSync(
      process.execPath,
      [
        '-e',
        "require('./dist/lib/ops/index.js'); require('./dist/lib/ops/builtin-commands.js').builtinCommands(); console.log(Object.keys(require.cache).filter((k) => /@aws-sdk[\\\\/]client-(sts|acm|ec2|rds|service-quotas|cloudformation)[\\\\/]/.test(k)).length)",
      ],
      { cwd: join(__dirname, '../..'), encoding: 'utf8' },
    );
    expect(probe.stderr).toBe('');
    expect(probe.stdout.trim()).toBe('0');
  });
});

import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ACMClient, RequestCertificateCommand } from '@aws-sdk/client-acm';
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import {
  AllocateAddressCommand,
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  CreateInternetGatewayCommand,
  CreateNatGatewayCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  CreateVpcEndpointCommand,
  DeleteVpcEndpointsCommand,
  DescribeVpcEndpointsCommand,
  EC2Client,
  ModifyVpcAttributeCommand,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_TIER_ENDPOINTS } from '../../lib/model/config/network-settings';
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

  describe("an environment in the network team's VPC (network.existingVpc)", () => {
    const AZS = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
    const vpcConfig = path.join(dir, 'existing-vpc.json');
    const ids = {
      vpc: '',
      igw: '',
      nat: [] as string[],
      subnet: { public: [] as string[], app: [] as string[], data: [] as string[] },
      table: { public: [] as string[], app: [] as string[], data: [] as string[] },
      /** A fourth app subnet in us-east-1c whose route table has no route to the NAT gateway. */
      noNatSubnet: '',
      noNatTable: '',
      /** A fourth data subnet in us-east-1b whose route table sends 0.0.0.0/0 to the internet gateway. */
      openDataSubnet: '',
      openDataTable: '',
    };

    // The network team's VPC, built in moto as a network team would: an internet gateway, a NAT
    // gateway per AZ, public/app/data subnets per AZ, each with its own route table.
    beforeAll(async () => {
      const ec2 = new EC2Client({ region: 'us-east-1', endpoint: moto.url, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
      try {
        ids.vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.40.0.0/16' }))).Vpc!.VpcId!;
        const igw = (await ec2.send(new CreateInternetGatewayCommand({}))).InternetGateway!.InternetGatewayId!;
        ids.igw = igw;
        await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: ids.vpc }));
        const subnetWithTable = async (cidr: string, az: string) => {
          const subnet = (await ec2.send(new CreateSubnetCommand({ VpcId: ids.vpc, CidrBlock: cidr, AvailabilityZone: az }))).Subnet!
            .SubnetId!;
          const table = (await ec2.send(new CreateRouteTableCommand({ VpcId: ids.vpc }))).RouteTable!.RouteTableId!;
          await ec2.send(new AssociateRouteTableCommand({ RouteTableId: table, SubnetId: subnet }));
          return [subnet, table] as const;
        };
        for (const [i, az] of AZS.entries()) {
          const [pub, pubTable] = await subnetWithTable(`10.40.${i}.0/24`, az);
          await ec2.send(new CreateRouteCommand({ RouteTableId: pubTable, DestinationCidrBlock: '0.0.0.0/0', GatewayId: igw }));
          const eip = (await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }))).AllocationId!;
          const nat = (await ec2.send(new CreateNatGatewayCommand({ SubnetId: pub, AllocationId: eip }))).NatGateway!.NatGatewayId!;
          const [app, appTable] = await subnetWithTable(`10.40.${10 + i}.0/24`, az);
          await ec2.send(new CreateRouteCommand({ RouteTableId: appTable, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: nat }));
          const [data, dataTable] = await subnetWithTable(`10.40.${20 + i}.0/24`, az);
          ids.nat.push(nat);
          ids.subnet.public.push(pub);
          ids.subnet.app.push(app);
          ids.subnet.data.push(data);
          ids.table.public.push(pubTable);
          ids.table.app.push(appTable);
          ids.table.data.push(dataTable);
        }
        [ids.noNatSubnet, ids.noNatTable] = await subnetWithTable('10.40.30.0/24', 'us-east-1c');
        [ids.openDataSubnet, ids.openDataTable] = await subnetWithTable('10.40.31.0/24', 'us-east-1b');
        await ec2.send(new CreateRouteCommand({ RouteTableId: ids.openDataTable, DestinationCidrBlock: '0.0.0.0/0', GatewayId: igw }));
        // The endpoints of an app tier without NAT: S3 as a gateway on the app route tables, the
        // others as interface endpoints with private DNS, except logs. A new VPC has DNS
        // hostnames off.
        for (const service of APP_TIER_ENDPOINTS) {
          await ec2.send(
            new CreateVpcEndpointCommand({
              VpcId: ids.vpc,
              ServiceName: `com.amazonaws.us-east-1.${service}`,
              ...(service === 's3'
                ? { VpcEndpointType: 'Gateway', RouteTableIds: ids.table.app }
                : { VpcEndpointType: 'Interface', SubnetIds: ids.subnet.app, PrivateDnsEnabled: service !== 'logs' }),
            }),
          );
        }
      } finally {
        ec2.destroy();
      }
      const tier = (name: 'public' | 'app' | 'data', order = [0, 1, 2]) =>
        Object.fromEntries(AZS.map((az, i) => [az, { subnetId: ids.subnet[name][order[i]!]!, routeTableId: ids.table[name][order[i]!]! }]));
      const environment = (
        app: Record<string, { subnetId: string; routeTableId: string }>,
        natOrder = [0, 1, 2],
        data: Record<string, { subnetId: string; routeTableId: string }> = tier('data'),
      ) => ({
        stage: 'staging',
        account: ACCOUNT,
        region: 'us-east-1',
        availabilityZones: AZS,
        network: {
          existingVpc: {
            vpcId: ids.vpc,
            subnets: { public: tier('public'), app, data },
            appEgress: { kind: 'nat', natGatewayIds: Object.fromEntries(AZS.map((az, i) => [az, ids.nat[natOrder[i]!]!])) },
          },
        },
      });
      writeFileSync(
        vpcConfig,
        JSON.stringify({
          environments: {
            'vpc-ok': environment(tier('app')),
            // The app subnets of us-east-1a and us-east-1b keyed under each other's AZ (their tables and NAT gateways with them).
            'vpc-wrong-az': environment(tier('app', [1, 0, 2]), [1, 0, 2]),
            // us-east-1c's app subnet on a route table without the route to its NAT gateway.
            'vpc-no-nat': environment({ ...tier('app'), 'us-east-1c': { subnetId: ids.noNatSubnet, routeTableId: ids.noNatTable } }),
            // us-east-1b's data subnet on a route table with 0.0.0.0/0 to the internet gateway.
            'vpc-open-data': environment(tier('app'), [0, 1, 2], {
              ...tier('data'),
              'us-east-1b': { subnetId: ids.openDataSubnet, routeTableId: ids.openDataTable },
            }),
            // The VPC of vpc-ok, with a fleet too large for its /24 app subnets (its template's MaxSize is 600).
            'vpc-crowded': environment(tier('app')),
            'vpc-endpoints': {
              ...environment(tier('app')),
              network: {
                existingVpc: {
                  ...environment(tier('app')).network.existingVpc,
                  appEgress: { kind: 'vpc-endpoints', services: [...APP_TIER_ENDPOINTS] },
                },
              },
            },
          },
        }),
      );
      for (const name of ['vpc-ok', 'vpc-wrong-az', 'vpc-no-nat', 'vpc-open-data', 'vpc-crowded', 'vpc-endpoints']) {
        const app = name === 'vpc-no-nat' ? [ids.subnet.app[0]!, ids.subnet.app[1]!, ids.noNatSubnet] : ids.subnet.app;
        const data = name === 'vpc-open-data' ? [ids.subnet.data[0]!, ids.openDataSubnet, ids.subnet.data[2]!] : ids.subnet.data;
        writePreflightTemplate(templates, `loadbearing-${name}`, {
          minSize: 3,
          maxSize: name === 'vpc-crowded' ? 600 : 6,
          natGateways: 0,
          db: { instanceClass: 'db.m7g.large', replicas: 1 },
          existingVpcSubnets: { public: ids.subnet.public, app, data },
          availabilityZones: AZS,
        });
      }
    });

    const vpcReport = async (env: string) => {
      const result = await cli(['--env', env, '--config', vpcConfig, '--template-dir', templates, '--json']);
      expect(result.stderr).toBe('');
      return { code: result.code, report: JSON.parse(result.stdout) as PreflightReport };
    };
    const vpcRows = (report: PreflightReport) => report.rows.filter((r) => r.id.startsWith('vpc-'));

    // The fixture's fleet: MaxSize 6, rolling update MaxBatchSize 1, MinInstancesInService 3: peak
    // 6, over the 2 AZs left when one is lost 3, plus the rotation function's network interface: 4
    // per app subnet. Data: the writer, its standby and a replica (3), and a cache node in us-east-1a and b: 4.
    it('a correct VPC: the subnets and routes pass, one row each', async () => {
      const { report } = await vpcReport('vpc-ok');
      expect(vpcRows(report)).toEqual([
        {
          id: 'vpc-subnets',
          check: 'existing VPC subnets',
          status: 'pass',
          detail: `9 subnets of ${ids.vpc}, each in the AZ it is keyed under, with the free IPv4 addresses the stack needs (per subnet: public 8, app 4, data 4)`,
        },
        {
          id: 'vpc-routes',
          check: 'existing VPC routes',
          status: 'pass',
          detail: `the 9 subnets of ${ids.vpc} use their declared route tables: public 0.0.0.0/0 to an internet gateway, app 0.0.0.0/0 to its AZ's declared NAT gateway, data no default route`,
        },
      ]);
      // No NAT gateway in the template: the Elastic IP row passes without a call.
      expect(row(report, 'elastic-ips')).toMatchObject({ status: 'pass', detail: 'the template allocates no Elastic IP' });
    });

    it('subnets keyed under the wrong AZ: one fail row each, naming the field, what EC2 says and the fix', async () => {
      const { code, report } = await vpcReport('vpc-wrong-az');
      expect(code).toBe(1);
      expect(vpcRows(report).map((r) => [r.id, r.check, r.status])).toEqual([
        ['vpc-subnets:app.us-east-1a', 'network.existingVpc.subnets.app.us-east-1a', 'fail'],
        ['vpc-subnets:app.us-east-1b', 'network.existingVpc.subnets.app.us-east-1b', 'fail'],
        ['vpc-routes', 'existing VPC routes', 'pass'],
      ]);
      expect(row(report, 'vpc-subnets:app.us-east-1a')!.detail).toMatch(
        new RegExp(`^${ids.subnet.app[1]}: it is in us-east-1b \\(use1-az\\d\\), not us-east-1a, the AZ it is keyed under$`),
      );
      expect(row(report, 'vpc-subnets:app.us-east-1a')!.fix).toBe(
        "key it under us-east-1b, and give network.existingVpc.subnets.app.us-east-1a the app subnet that is in us-east-1a (AZ names are this account's)",
      );
    });

    it('an app route table without the NAT route: one fail row naming the routeTableId field; the text table and the last line say so', async () => {
      const { code, report } = await vpcReport('vpc-no-nat');
      expect(code).toBe(1);
      expect(vpcRows(report)).toEqual([
        expect.objectContaining({ id: 'vpc-subnets', status: 'pass' }),
        {
          id: 'vpc-routes:app.us-east-1c',
          check: 'network.existingVpc.subnets.app.us-east-1c.routeTableId',
          status: 'fail',
          detail: `${ids.noNatTable}: ${ids.noNatTable} has no route 0.0.0.0/0 to ${ids.nat[2]}: instances there cannot reach S3, the package repositories or the AWS APIs, so none ever signals`,
          fix: `ask the network team for 0.0.0.0/0 -> ${ids.nat[2]} in ${ids.noNatTable}, or correct network.existingVpc.appEgress.natGatewayIds.us-east-1c`,
        },
      ]);
      const text = await cli(['--env', 'vpc-no-nat', '--config', vpcConfig, '--template-dir', templates]);
      expect(text.stdout).toMatch(
        new RegExp(
          `\\nfail\\s+network\\.existingVpc\\.subnets\\.app\\.us-east-1c\\.routeTableId\\s+${ids.noNatTable}: ${ids.noNatTable} has no route 0\\.0\\.0\\.0/0 to ${ids.nat[2]}`,
        ),
      );
      expect(text.stdout.trimEnd().split('\n').at(-1)).toMatch(/^FAIL: \d+ failed \(.*vpc-routes:app\.us-east-1c.*\)/);
    });
    it('a data route table with a default route: one fail row naming its routeTableId field', async () => {
      const { code, report } = await vpcReport('vpc-open-data');
      expect(code).toBe(1);
      expect(vpcRows(report)).toEqual([
        expect.objectContaining({ id: 'vpc-subnets', status: 'pass' }),
        {
          id: 'vpc-routes:data.us-east-1b',
          check: 'network.existingVpc.subnets.data.us-east-1b.routeTableId',
          status: 'fail',
          detail: `${ids.openDataTable}: ${ids.openDataTable} routes 0.0.0.0/0 to ${ids.igw}: the data tier must have no route to the internet`,
          fix: 'key a data subnet of us-east-1b whose route table has no default route, or ask the network team to remove it',
        },
      ]);
    });

    it('app subnets without the free addresses the fleet needs: one fail row each, naming the field and the numbers', async () => {
      const { code, report } = await vpcReport('vpc-crowded');
      expect(code).toBe(1);
      // MaxSize 600 (MinInstancesInService 3 + MaxBatchSize 1 is less): peak 600 over the 2 AZs left when one is lost, 300 a subnet, and
      // the rotation function's ENI: 301. A /24 has 251 addresses (AWS keeps 5), less the interface endpoints' ENIs.
      expect(vpcRows(report).map((r) => [r.id, r.check, r.status])).toEqual([
        ...AZS.map((az) => [`vpc-subnets:app.${az}`, `network.existingVpc.subnets.app.${az}`, 'fail']),
        ['vpc-routes', 'existing VPC routes', 'pass'],
      ]);
      expect(row(report, 'vpc-subnets:app.us-east-1a')!.detail).toMatch(
        new RegExp(
          `^${ids.subnet.app[0]}: \\d+ free IPv4 addresses, the stack needs 301 there \\(fleet 300 \\(peak 600 instances over the 2 AZs left when one is lost\\), Lambda 1 `,
        ),
      );
    });

    it('an app tier on VPC endpoints: one without private DNS, and DNS hostnames off, each a fail row; fixed, one pass row', async () => {
      const { code, report } = await vpcReport('vpc-endpoints');
      expect(code).toBe(1);
      expect(vpcRows(report).map((r) => [r.id, r.check, r.status, r.detail])).toEqual([
        ['vpc-subnets', 'existing VPC subnets', 'pass', expect.any(String)],
        ['vpc-routes', 'existing VPC routes', 'pass', expect.stringContaining('app through VPC endpoints')],
        [
          'vpc-endpoints:logs',
          'network.existingVpc.appEgress.services',
          'fail',
          expect.stringMatching(/^logs: vpce-\w+ has private DNS off: calls to logs\.us-east-1\.amazonaws\.com do not reach it$/),
        ],
        [
          'vpc-endpoints:enableDnsHostnames',
          'network.existingVpc.vpcId',
          'fail',
          `${ids.vpc}: enableDnsHostnames is false: the endpoints' private DNS names do not resolve without it`,
        ],
      ]);
      expect(row(report, 'vpc-endpoints:enableDnsHostnames')!.fix).toBe(
        `ask the network team to turn enableDnsHostnames on (\`aws ec2 modify-vpc-attribute --vpc-id ${ids.vpc} --enable-dns-hostnames '{"Value":true}'\`)`,
      );

      // The network team's fix: the logs endpoint again with private DNS (moto's ModifyVpcEndpoint
      // does not change PrivateDnsEnabled), and DNS hostnames on.
      const ec2 = new EC2Client({ region: 'us-east-1', endpoint: moto.url, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
      try {
        const logs = (
          await ec2.send(new DescribeVpcEndpointsCommand({ Filters: [{ Name: 'vpc-id', Values: [ids.vpc] }] }))
        ).VpcEndpoints!.filter((e) => e.ServiceName === 'com.amazonaws.us-east-1.logs');
        expect(logs).toHaveLength(1);
        await ec2.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [logs[0]!.VpcEndpointId!] }));
        await ec2.send(
          new CreateVpcEndpointCommand({
            VpcId: ids.vpc,
            ServiceName: 'com.amazonaws.us-east-1.logs',
            VpcEndpointType: 'Interface',
            SubnetIds: ids.subnet.app,
            PrivateDnsEnabled: true,
          }),
        );
        await ec2.send(new ModifyVpcAttributeCommand({ VpcId: ids.vpc, EnableDnsHostnames: { Value: true } }));
      } finally {
        ec2.destroy();
      }
      const fixed = await vpcReport('vpc-endpoints');
      expect(vpcRows(fixed.report).filter((r) => r.id.startsWith('vpc-endpoints'))).toEqual([
        {
          id: 'vpc-endpoints',
          check: 'existing VPC endpoints',
          status: 'pass',
          detail: `${ids.vpc} has ${APP_TIER_ENDPOINTS.join(', ')} (interface endpoints with private DNS; S3 on the app route tables), DNS support and hostnames on`,
        },
      ]);
      expect(fixed.report.rows.filter((r) => r.id.startsWith('vpc-') && r.status !== 'pass')).toEqual([]);
    });
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

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, ListStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { DescribeAvailabilityZonesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { arcZonalShiftEndpoint } from '../../lib/ops/arc-zonal-shift-client';
import { arcExpiresIn } from '../../lib/ops/zonal-shift-input';
import { type ArcStub, type ArcStubReply, type ArcStubRequest, checkSignature, startArcStub } from './support/arc-stub';
import { run } from './support/cli-harness';
import { closedPort, startSilentServer } from './support/http-stub';

// `loadbearing zonal-shift` against aws-sdk-client-mock for EC2 and CloudFormation and a loopback
// stand-in for the ARC zonal shift REST API that checks every request's SigV4 signature.

const ec2 = mockClient(EC2Client);
const cfn = mockClient(CloudFormationClient);
afterAll(() => {
  ec2.restore();
  cfn.restore();
});

const ACCOUNT = '333333333333';
const ALB = `arn:aws:elasticloadbalancing:us-east-1:${ACCOUNT}:loadbalancer/app/loadb-LoadB-1ABC/0123456789abcdef`;
const GROUP = 'loadbearing-prod-FleetASG9541CF7F-9XYZ';
const GROUP_ARN = `arn:aws:autoscaling:us-east-1:${ACCOUNT}:autoScalingGroup:11111111-2222-4333-8444-555555555555:autoScalingGroupName/${GROUP}`;
const ZONES = { 'us-east-1a': 'use1-az4', 'us-east-1b': 'use1-az6', 'us-east-1c': 'use1-az1' };
const SECRET = 'zonal-shift-test-secret';
const EPOCH = 1_795_600_000; // 2026-11-25T09:46:40Z, in epoch seconds as restJson1 sends timestamps

let stub: ArcStub;
let dir: string;
const saved: Record<string, string | undefined> = {};
const CREDENTIAL_VARS = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_PROFILE',
  'AWS_CONFIG_FILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_EC2_METADATA_DISABLED',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_ROLE_ARN',
];

/** The SDK's credential chain reads process.env: static credentials there, nothing else it could find. */
function setCredentials(credentials: boolean): void {
  for (const v of CREDENTIAL_VARS) delete process.env[v];
  process.env.AWS_CONFIG_FILE = join(dir, 'config');
  process.env.AWS_SHARED_CREDENTIALS_FILE = join(dir, 'credentials');
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  if (credentials) {
    process.env.AWS_ACCESS_KEY_ID = 'AKIDZONALSHIFTTEST';
    process.env.AWS_SECRET_ACCESS_KEY = SECRET;
    process.env.AWS_SESSION_TOKEN = 'zonal-shift-session-token';
  }
}

beforeAll(async () => {
  for (const v of CREDENTIAL_VARS) saved[v] = process.env[v];
  dir = mkdtempSync(join(tmpdir(), 'lb-zonal-shift-'));
  writeFileSync(join(dir, 'config'), '[default]\nregion = us-east-1\n');
  writeFileSync(join(dir, 'credentials'), '');
  stub = await startArcStub();
});
afterAll(async () => {
  await stub.close();
  for (const v of CREDENTIAL_VARS) {
    if (saved[v] === undefined) delete process.env[v];
    else process.env[v] = saved[v];
  }
  rmSync(dir, { recursive: true, force: true });
});

/** What ARC holds for one resource (GetManagedResource's answer). */
interface ResourceFixture {
  zonalShifts?: object[];
  autoshifts?: object[];
  zonalAutoshiftStatus?: 'ENABLED' | 'DISABLED';
}

let arcState: { alb: ResourceFixture; group: ResourceFixture };
let listed: string[];
/** Replies to POST /zonalshifts, in order (the last repeats); undefined: ARC starts the shift. */
let startReplies: (ArcStubReply | undefined)[];
let cancelReply: ArcStubReply | undefined;

const shift = (id: string, azId: string, extra: object = {}) => ({
  zonalShiftId: id,
  resourceIdentifier: 'x',
  awayFrom: azId,
  appliedStatus: 'APPLIED',
  startTime: EPOCH,
  expiryTime: EPOCH + 7200,
  comment: 'earlier shift',
  shiftType: 'ZONAL_SHIFT',
  ...extra,
});

function arcRoute(request: ArcStubRequest): ArcStubReply {
  if (request.method === 'GET' && request.path === '/managedresources') {
    // Two pages: other resources of the account first.
    const page2 = request.query.get('nextToken') === 'page-2';
    const others = [
      { arn: `arn:aws:elasticloadbalancing:us-east-1:${ACCOUNT}:loadbalancer/app/other/1`, name: 'other', availabilityZones: [] },
    ];
    const ours = listed.map((arn) => ({ arn, name: arn === ALB ? 'loadb-LoadB-1ABC' : GROUP, availabilityZones: Object.values(ZONES) }));
    return page2 ? { status: 200, body: { items: ours } } : { status: 200, body: { items: others, nextToken: 'page-2' } };
  }
  const managed = /^\/managedresources\/(.+)$/.exec(request.path);
  if (request.method === 'GET' && managed) {
    const fixture = managed[1] === ALB ? arcState.alb : managed[1] === GROUP_ARN ? arcState.group : undefined;
    if (!fixture) return { status: 404, errorType: 'ResourceNotFoundException', body: { message: 'not found' } };
    return {
      status: 200,
      body: {
        arn: managed[1],
        appliedWeights: Object.fromEntries(Object.values(ZONES).map((id) => [id, 1])),
        zonalShifts: fixture.zonalShifts ?? [],
        autoshifts: fixture.autoshifts ?? [],
        zonalAutoshiftStatus: fixture.zonalAutoshiftStatus ?? 'DISABLED',
      },
    };
  }
  if (request.method === 'POST' && request.path === '/zonalshifts') {
    const n = stub.requests.filter((r) => r.method === 'POST').length;
    const reply = startReplies[Math.min(n - 1, startReplies.length - 1)];
    if (reply) return reply;
    const body = JSON.parse(request.body) as { resourceIdentifier: string; awayFrom: string; comment: string };
    const id = body.resourceIdentifier === ALB ? 'aaaa1111-alb' : 'bbbb2222-asg';
    const started = { ...shift(id, body.awayFrom), resourceIdentifier: body.resourceIdentifier, comment: body.comment };
    // ARC now holds the shift: a later GetManagedResource shows it.
    (body.resourceIdentifier === ALB ? arcState.alb : arcState.group).zonalShifts = [started];
    return { status: 201, body: { ...started, status: 'ACTIVE' } };
  }
  const cancel = /^\/zonalshifts\/(.+)$/.exec(request.path);
  if (request.method === 'DELETE' && cancel) {
    if (cancelReply) return cancelReply;
    return { status: 200, body: { ...shift(cancel[1]!, 'use1-az6'), status: 'CANCELED' } };
  }
  return { status: 404, body: { message: `no route for ${request.method} ${request.path}` } };
}

const resource = (LogicalResourceId: string, PhysicalResourceId: string, ResourceType: string) => ({
  LogicalResourceId,
  PhysicalResourceId,
  ResourceType,
  ResourceStatus: 'CREATE_COMPLETE' as const,
  LastUpdatedTimestamp: new Date(),
});

beforeEach(() => {
  setCredentials(true);
  ec2.reset();
  cfn.reset();
  ec2.on(DescribeAvailabilityZonesCommand).resolves({
    AvailabilityZones: Object.entries(ZONES).map(([ZoneName, ZoneId]) => ({ ZoneName, ZoneId, State: 'available' })),
  });
  // Two pages, as CloudFormation pages a stack's resources.
  cfn.on(ListStackResourcesCommand, { StackName: 'loadbearing-prod' }).callsFake((input: { NextToken?: string }) =>
    input.NextToken === 'cfn-page-2'
      ? {
          StackResourceSummaries: [
            resource('LoadBalancerC797D0FC', ALB, 'AWS::ElasticLoadBalancingV2::LoadBalancer'),
            resource('FleetASG9541CF7F', GROUP, 'AWS::AutoScaling::AutoScalingGroup'),
          ],
        }
      : { StackResourceSummaries: [resource('Vpc8378EB38', 'vpc-1', 'AWS::EC2::VPC')], NextToken: 'cfn-page-2' },
  );
  stub.requests.length = 0;
  stub.route = arcRoute;
  arcState = { alb: {}, group: {} };
  listed = [ALB, GROUP_ARN];
  startReplies = [undefined];
  cancelReply = undefined;
});
afterEach(() => setCredentials(false));

const cliEnv = () => ({
  AWS_ENDPOINT_URL: stub.url,
  AWS_CONFIG_FILE: join(dir, 'config'),
  AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
});
const zonalShift = (...args: string[]) => run(['zonal-shift', ...args], { env: cliEnv() });
const START = ['start', '--env', 'prod', '--az', 'us-east-1b', '--expires', '2h', '--comment', 'gray failure in us-east-1b, INC-42'];

const posts = () => stub.requests.filter((r) => r.method === 'POST');
const deletes = () => stub.requests.filter((r) => r.method === 'DELETE');

/** Every request ARC received is signed for arc-zonal-shift in us-east-1 with the test's credentials. */
function expectSigned(requests: ArcStubRequest[]): void {
  expect(requests.length).toBeGreaterThan(0);
  for (const r of requests) {
    const check = checkSignature(r, SECRET);
    expect(check.valid, `${r.method} ${r.rawPath}`).toBe(true);
    expect(check.accessKeyId).toBe('AKIDZONALSHIFTTEST');
    expect(check.scope).toMatch(/^\d{8}\/us-east-1\/arc-zonal-shift\/aws4_request$/);
    expect(check.signedHeaders).toEqual(expect.arrayContaining(['host', 'x-amz-date', 'x-amz-security-token']));
    expect(r.headers['x-amz-security-token']).toBe('zonal-shift-session-token');
  }
}

function expectOneLine(stderr: string, pattern: RegExp): void {
  expect(stderr.trim().split('\n'), stderr).toHaveLength(1);
  expect(stderr).toMatch(/^loadbearing: error: /);
  expect(stderr).toMatch(pattern);
}

describe('loadbearing zonal-shift status', () => {
  it("reads the stack's load balancer and group from CloudFormation and ARC, signed, and exits 0 without a shift", async () => {
    const r = await zonalShift('status', '--env', 'prod');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('loadbearing-prod (prod, us-east-1): not shifted, traffic in every AZ');
    expect(r.stdout).toContain(`load balancer loadb-LoadB-1ABC (zonal autoshift DISABLED)`);
    expect(r.stdout).toContain(`Auto Scaling group ${GROUP}`);
    expect(r.stdout).toContain('no shift: serving in us-east-1a, us-east-1b, us-east-1c');
    expect(ec2.commandCalls(DescribeAvailabilityZonesCommand)[0]!.args[0].input).toEqual({ ZoneNames: Object.keys(ZONES) });
    expect(cfn.commandCalls(ListStackResourcesCommand).map((c) => c.args[0].input)).toEqual([
      { StackName: 'loadbearing-prod' },
      { StackName: 'loadbearing-prod', NextToken: 'cfn-page-2' },
    ]);
    expect(stub.requests.map((q) => `${q.method} ${q.rawPath}?${q.query}`)).toEqual([
      'GET /managedresources?maxResults=100',
      'GET /managedresources?maxResults=100&nextToken=page-2',
      `GET /managedresources/${encodeURIComponent(ALB)}?`,
      `GET /managedresources/${encodeURIComponent(GROUP_ARN)}?`,
    ]);
    expectSigned(stub.requests);
  });

  it('exits 1 while traffic is shifted, naming the AZ by name, and prints the report as JSON', async () => {
    arcState.alb.zonalShifts = [shift('aaaa1111-alb', 'use1-az6', { comment: 'INC-42' })];
    arcState.group.zonalShifts = [
      shift('cccc3333-prac', 'use1-az1', { shiftType: 'PRACTICE_RUN', appliedStatus: 'NOT_APPLIED', practiceRunOutcome: 'PENDING' }),
    ];
    arcState.alb.zonalAutoshiftStatus = 'ENABLED';
    const text = await zonalShift('status', '--env', 'prod');
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('traffic shifted away from us-east-1b');
    expect(text.stdout).toContain(
      'zonal shift aaaa1111-alb away from us-east-1b (use1-az6), applied, until 2026-11-25T11:46:40.000Z: "INC-42"',
    );
    expect(text.stdout).toContain('practice run cccc3333-prac away from us-east-1c (use1-az1), not applied');
    const json = await zonalShift('status', '--env', 'prod', '--json');
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout);
    expect(report).toMatchObject({ action: 'status', stack: 'loadbearing-prod', region: 'us-east-1', shifted: true });
    expect(report.resources[0]).toMatchObject({
      kind: 'load-balancer',
      arn: ALB,
      zonalAutoshift: 'ENABLED',
      shifts: [{ zonalShiftId: 'aaaa1111-alb', type: 'ZONAL_SHIFT', awayFrom: 'us-east-1b', awayFromId: 'use1-az6', applied: true }],
      weights: { 'us-east-1a': 1, 'us-east-1b': 1, 'us-east-1c': 1 },
    });
    expect(report.resources[1].shifts[0]).toMatchObject({ type: 'PRACTICE_RUN', practiceRunOutcome: 'PENDING' });
  });
});

describe('loadbearing zonal-shift start', () => {
  it('shifts the load balancer, then the group, away from the AZ ID, with signed JSON bodies (exit 0)', async () => {
    const r = await zonalShift(...START);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(posts().map((p) => ({ path: p.rawPath, type: p.headers['content-type'], body: JSON.parse(p.body) }))).toEqual([
      {
        path: '/zonalshifts',
        type: 'application/json',
        body: { resourceIdentifier: ALB, awayFrom: 'use1-az6', expiresIn: '2h', comment: 'gray failure in us-east-1b, INC-42' },
      },
      {
        path: '/zonalshifts',
        type: 'application/json',
        body: { resourceIdentifier: GROUP_ARN, awayFrom: 'use1-az6', expiresIn: '2h', comment: 'gray failure in us-east-1b, INC-42' },
      },
    ]);
    expectSigned(stub.requests);
    expect(checkSignature(posts()[0]!, SECRET).signedHeaders).toEqual(expect.arrayContaining(['content-type', 'x-amz-content-sha256']));
    expect(r.stdout).toContain('zonal shift of loadbearing-prod (prod, us-east-1) away from us-east-1b (use1-az6) for 2h');
    expect(r.stdout).toContain('load balancer loadb-LoadB-1ABC: started, zonal shift aaaa1111-alb until');
    expect(r.stdout).toContain(`Auto Scaling group ${GROUP}: started, zonal shift bbbb2222-asg until`);
    expect(r.stdout).toContain('loadbearing zonal-shift cancel --env prod');
  });

  it('a changed signature fails the check (the stub really verifies it)', async () => {
    await zonalShift(...START);
    const tampered = { ...posts()[0]!, body: posts()[0]!.body.replace('use1-az6', 'use1-az4') };
    expect(checkSignature(tampered, SECRET).valid).toBe(false);
    expect(checkSignature(posts()[0]!, 'another-secret').valid).toBe(false);
  });

  it("writes --expires in ARC's format and reports as JSON", async () => {
    const r = await run(['zonal-shift', ...START.slice(0, 5), '--expires', '90m', '--comment', 'drill', '--json'], { env: cliEnv() });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(posts()[0]!.body).expiresIn).toBe('90m');
    expect(JSON.parse(r.stdout)).toMatchObject({
      action: 'start',
      az: 'us-east-1b',
      azId: 'use1-az6',
      expiresIn: '90m',
      resources: [
        { kind: 'load-balancer', result: 'started', zonalShiftId: 'aaaa1111-alb' },
        { kind: 'auto-scaling-group', result: 'started', zonalShiftId: 'bbbb2222-asg' },
      ],
    });
    expect([arcExpiresIn(3 * 86_400_000), arcExpiresIn(60_000), arcExpiresIn(4_319 * 60_000)]).toEqual(['72h', '1m', '4319m']);
  });

  it.each([
    [['--az', 'us-east-1d'], /--az "us-east-1d" is not an AZ of environment prod \(us-east-1a, us-east-1b, us-east-1c\); fix: pass one of/],
    [['--az', 'use1-az6'], /--az takes the AZ name, as the config lists it, not its ID/],
    [
      ['--expires', '73h'],
      /--expires 73h \(3d1h\) is longer than a zonal shift may start with: at most 72h \(3 days\); fix: pass 72h or less/,
    ],
    [['--expires', '4d'], /is longer than a zonal shift may start with: at most 72h/],
    [['--expires', '90s'], /--expires 90s is not a whole number of minutes/],
    [['--expires', 'two hours'], /invalid duration "two hours" for --expires/],
    [['--comment', ''], /start needs --comment <text>: why traffic leaves the AZ/],
    [['--comment', 'x'.repeat(129)], /--comment is 129 characters: ARC keeps at most 128; fix: shorten it by 1/],
  ])('refuses %j in one line before any AWS call (exit 2)', async (change, message) => {
    const args = [...START];
    args[args.indexOf(change[0]!) + 1] = change[1]!;
    const r = await zonalShift(...args);
    expect(r.code).toBe(2);
    expectOneLine(r.stderr, message);
    expect(stub.requests).toHaveLength(0);
    expect(ec2.calls()).toHaveLength(0);
    expect(cfn.calls()).toHaveLength(0);
  });

  it('refuses a start without --comment, --az or --expires, naming the option', async () => {
    for (const [drop, message] of [
      ['--comment', /start needs --comment <text>/],
      ['--az', /start needs --az <az-name>: the AZ to shift traffic away from; fix: pass one of us-east-1a, us-east-1b, us-east-1c/],
      ['--expires', /start needs --expires <duration>: when ARC ends the shift, at most 72h/],
    ] as const) {
      const args = [...START];
      args.splice(args.indexOf(drop), 2);
      const r = await zonalShift(...args);
      expect(r.code).toBe(2);
      expectOneLine(r.stderr, message);
    }
    expect(stub.requests).toHaveLength(0);
  });

  it('says in one line that there are no credentials, before any call (exit 2)', async () => {
    setCredentials(false);
    const r = await zonalShift(...START);
    expect(r.code).toBe(2);
    expectOneLine(
      r.stderr,
      /no AWS credentials: the SDK found none .*; fix: pass --profile <name> \(or set AWS_PROFILE\), or set AWS_ACCESS_KEY_ID/,
    );
    expect(stub.requests).toHaveLength(0);
    expect(ec2.calls()).toHaveLength(0);
  });

  it('refuses while a zonal shift away from another AZ is active, without starting anything (exit 2)', async () => {
    arcState.group.zonalShifts = [shift('dddd4444-old', 'use1-az1')];
    const r = await zonalShift(...START);
    expect(r.code).toBe(2);
    expectOneLine(
      r.stderr,
      new RegExp(
        `a zonal shift is already active on the Auto Scaling group ${GROUP}: dddd4444-old, away from us-east-1c until .*; fix: cancel it first \\(loadbearing zonal-shift cancel --env prod\\)`,
      ),
    );
    expect(posts()).toHaveLength(0);
  });

  it("reports ARC's ConflictException (a shift started meanwhile) in one line, and neither retries nor shifts the group (exit 2)", async () => {
    startReplies = [
      {
        status: 409,
        errorType: 'ConflictException',
        body: { message: 'zonal shift exists', reason: 'ZonalShiftAlreadyExists', zonalShiftId: 'eeee5555' },
      },
    ];
    const r = await zonalShift(...START);
    expect(r.code).toBe(2);
    expectOneLine(
      r.stderr,
      /ARC refused to shift the load balancer loadb-LoadB-1ABC: a zonal shift eeee5555 is already active on it \(ConflictException ZonalShiftAlreadyExists\); fix: loadbearing zonal-shift status --env prod/,
    );
    expect(posts()).toHaveLength(1);
    expectSigned(stub.requests);
    expect(r.stdout).toContain('load balancer loadb-LoadB-1ABC: failed');
    expect(r.stdout).toContain(`Auto Scaling group ${GROUP}: not started`);
  });

  it('names the shifted load balancer when the group then fails, and finishes the pair on a second start', async () => {
    startReplies = [
      undefined,
      { status: 409, errorType: 'ConflictException', body: { message: 'busy', reason: 'SimultaneousZonalShiftsConflict' } },
    ];
    const first = await zonalShift(...START);
    expect(first.code).toBe(2);
    expectOneLine(
      first.stderr,
      /ConflictException SimultaneousZonalShiftsConflict.*; the load balancer loadb-LoadB-1ABC is shifted \(aaaa1111-alb\): run start again once fixed, or undo it with loadbearing zonal-shift cancel --env prod/,
    );
    startReplies = [undefined];
    stub.requests.length = 0;
    const second = await zonalShift(...START);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('load balancer loadb-LoadB-1ABC: already shifted away from us-east-1b: zonal shift aaaa1111-alb');
    expect(posts().map((p) => JSON.parse(p.body).resourceIdentifier)).toEqual([GROUP_ARN]);
    expectSigned(stub.requests);
  });

  it('refuses during an autoshift practice run unless --override, which then interrupts it', async () => {
    arcState.alb.zonalShifts = [shift('ffff6666-prac', 'use1-az4', { shiftType: 'PRACTICE_RUN', practiceRunOutcome: 'PENDING' })];
    const refused = await zonalShift(...START);
    expect(refused.code).toBe(2);
    expectOneLine(
      refused.stderr,
      /a zonal autoshift practice run is shifting the load balancer loadb-LoadB-1ABC away from us-east-1a \(ffff6666-prac, .*\): a zonal shift ends it with the outcome INTERRUPTED; fix: wait until it ends .*, or pass --override to interrupt it/,
    );
    expect(posts()).toHaveLength(0);
    const overridden = await zonalShift(...START, '--override');
    expect(overridden.code, overridden.stderr).toBe(0);
    expect(posts()).toHaveLength(2);
    expectSigned(stub.requests);
  });

  it('refuses during an autoshift unless --override, saying traffic would go back to the autoshifted AZ', async () => {
    arcState.group.autoshifts = [{ awayFrom: 'use1-az1', appliedStatus: 'APPLIED', startTime: EPOCH }];
    const r = await zonalShift(...START);
    expect(r.code).toBe(2);
    expectOneLine(
      r.stderr,
      new RegExp(
        `AWS is autoshifting the Auto Scaling group ${GROUP} away from us-east-1c \\(since .*\\): a zonal shift takes precedence over the autoshift, and would send traffic back to us-east-1c; fix: leave the autoshift in charge, or pass --override`,
      ),
    );
    expect(posts()).toHaveLength(0);
    expectSigned(stub.requests);
  });

  it('names the IAM action ARC denied, and every action zonal-shift start needs (exit 2)', async () => {
    startReplies = [
      { status: 403, errorType: 'AccessDeniedException', body: { message: 'User: arn:aws:iam::333333333333:user/ops is not authorized' } },
    ];
    const r = await zonalShift(...START);
    expect(r.code).toBe(2);
    expectOneLine(
      r.stderr,
      /access denied calling arc-zonal-shift:StartZonalShift \(AccessDeniedException\): User: .* is not authorized; fix: grant arc-zonal-shift:StartZonalShift to these credentials \(zonal-shift start needs cloudformation:ListStackResources, ec2:DescribeAvailabilityZones, arc-zonal-shift:ListManagedResources, arc-zonal-shift:GetManagedResource, arc-zonal-shift:StartZonalShift\)/,
    );
    expect(posts()).toHaveLength(1);
  });

  it('names the read action denied, for ARC and for EC2', async () => {
    stub.route = (q) => (q.path === '/managedresources' ? { status: 403, body: { message: 'denied' } } : arcRoute(q));
    const arcDenied = await zonalShift('status', '--env', 'prod');
    expect(arcDenied.code).toBe(2);
    expectOneLine(
      arcDenied.stderr,
      /access denied calling arc-zonal-shift:ListManagedResources \(AccessDeniedException\): denied; fix: grant/,
    );
    expectSigned(stub.requests);
    ec2.on(DescribeAvailabilityZonesCommand).rejects(Object.assign(new Error('You are not authorized'), { name: 'UnauthorizedOperation' }));
    const ec2Denied = await zonalShift('status', '--env', 'prod');
    expectOneLine(ec2Denied.stderr, /access denied calling ec2:DescribeAvailabilityZones \(UnauthorizedOperation\)/);
  });

  it('sends StartZonalShift again only after throttling', async () => {
    startReplies = [{ status: 429, errorType: 'ThrottlingException', body: { message: 'Rate exceeded' } }, undefined];
    const r = await zonalShift(...START);
    expect(r.code, r.stderr).toBe(0);
    expect(posts().map((p) => JSON.parse(p.body).resourceIdentifier)).toEqual([ALB, ALB, GROUP_ARN]);
    expectSigned(stub.requests);
  });

  it('after a 500, asks ARC whether the shift started instead of sending it again', async () => {
    startReplies = [{ status: 500, errorType: 'InternalServerException', body: { message: 'internal' } }, undefined];
    stub.route = (q) => {
      const reply = arcRoute(q);
      // ARC did start it before failing to answer.
      if (q.method === 'POST' && posts().length === 1)
        arcState.alb.zonalShifts = [
          shift('aaaa1111-alb', 'use1-az6', { resourceIdentifier: ALB, comment: 'gray failure in us-east-1b, INC-42' }),
        ];
      return reply;
    };
    const r = await zonalShift(...START);
    expect(r.code, r.stderr).toBe(0);
    expect(posts().map((p) => JSON.parse(p.body).resourceIdentifier)).toEqual([ALB, GROUP_ARN]);
    expect(r.stdout).toMatch(
      /load balancer loadb-LoadB-1ABC: started, zonal shift aaaa1111-alb until .* \(confirmed with GetManagedResource after StartZonalShift on the load balancer loadb-LoadB-1ABC answered InternalServerException/,
    );
  });

  it('after a 500 and no shift in ARC, says none started, without sending it again (exit 2)', async () => {
    startReplies = [{ status: 500, errorType: 'InternalServerException', body: { message: 'internal' } }];
    const r = await zonalShift(...START);
    expect(r.code).toBe(2);
    expectOneLine(
      r.stderr,
      /StartZonalShift on the load balancer loadb-LoadB-1ABC answered InternalServerException: internal, and ARC lists no shift of it away from us-east-1b: none started there; fix: run start again/,
    );
    expect(posts()).toHaveLength(1);
    expectSigned(stub.requests);
  });

  it('refuses a stack whose group ARC does not manage, naming the setting (exit 2)', async () => {
    listed = [ALB];
    const r = await zonalShift(...START);
    expect(r.code).toBe(2);
    expectOneLine(
      r.stderr,
      new RegExp(
        `ARC in us-east-1 does not manage the Auto Scaling group ${GROUP} \\(zonal shift is turned on by its AvailabilityZoneImpairmentPolicy.ZonalShiftEnabled\\), so no zonal shift can move loadbearing-prod; fix: deploy the environment with zonal shift on for both`,
      ),
    );
    expect(posts()).toHaveLength(0);
    expectSigned(stub.requests);
  });

  it('says when the stack does not exist in the region (exit 2)', async () => {
    cfn.reset();
    cfn
      .on(ListStackResourcesCommand)
      .rejects(Object.assign(new Error('Stack with id loadbearing-prod does not exist'), { name: 'ValidationError' }));
    const r = await zonalShift(...START);
    expect(r.code).toBe(2);
    expectOneLine(r.stderr, /stack loadbearing-prod does not exist in us-east-1; fix: check --env/);
  });
});

describe('loadbearing zonal-shift cancel', () => {
  it("cancels the operators' shifts of the group, then the load balancer, and leaves a practice run running", async () => {
    arcState.alb.zonalShifts = [
      shift('aaaa1111-alb', 'use1-az6'),
      shift('ffff6666-prac', 'use1-az4', { shiftType: 'PRACTICE_RUN', appliedStatus: 'NOT_APPLIED' }),
    ];
    arcState.group.zonalShifts = [shift('bbbb2222-asg', 'use1-az6')];
    const r = await zonalShift('cancel', '--env', 'prod');
    expect(r.code, r.stderr).toBe(0);
    expect(deletes().map((d) => d.rawPath)).toEqual(['/zonalshifts/bbbb2222-asg', '/zonalshifts/aaaa1111-alb']);
    expect(deletes().every((d) => d.body === '')).toBe(true);
    expectSigned(stub.requests);
    expect(r.stdout).toContain(`Auto Scaling group ${GROUP}: cancelled zonal shift bbbb2222-asg (away from us-east-1b)`);
    expect(r.stdout).toContain('load balancer loadb-LoadB-1ABC: cancelled zonal shift aaaa1111-alb (away from us-east-1b)');
    expect(r.stdout).toContain(
      'left running: practice run ffff6666-prac away from us-east-1a (it ends by itself; to end it now: aws arc-zonal-shift cancel-practice-run --zonal-shift-id ffff6666-prac)',
    );
    expect(r.stdout).toContain('Traffic returns to us-east-1b');
  });

  it('has nothing to cancel without a shift (exit 0), and takes a shift that ended meanwhile as ended', async () => {
    const none = await zonalShift('cancel', '--env', 'prod');
    expect(none.code).toBe(0);
    expect(none.stdout).toContain('load balancer loadb-LoadB-1ABC: no zonal shift to cancel');
    expect(deletes()).toHaveLength(0);
    arcState.alb.zonalShifts = [shift('aaaa1111-alb', 'use1-az6')];
    cancelReply = { status: 409, errorType: 'ConflictException', body: { message: 'not active', reason: 'ZonalShiftStatusNotActive' } };
    const ended = await zonalShift('cancel', '--env', 'prod', '--json');
    expect(ended.code, ended.stderr).toBe(0);
    expect(JSON.parse(ended.stdout).resources[1]).toMatchObject({
      kind: 'load-balancer',
      alreadyEnded: [{ zonalShiftId: 'aaaa1111-alb' }],
    });
    expect(deletes().map((d) => d.rawPath)).toEqual(['/zonalshifts/aaaa1111-alb']);
    expectSigned(stub.requests);
  });

  it('refuses start options on cancel and status', async () => {
    const r = await zonalShift('cancel', '--env', 'prod', '--az', 'us-east-1b', '--comment', 'x');
    expect(r.code).toBe(2);
    expectOneLine(r.stderr, /--az, --comment are for start only, not cancel; fix: leave them out/);
  });
});

describe('loadbearing zonal-shift: endpoint, input and deadline', () => {
  it('goes to arc-zonal-shift.<region>.amazonaws.com, or where AWS_ENDPOINT_URL_ARC_ZONAL_SHIFT and AWS_ENDPOINT_URL say', async () => {
    expect(arcZonalShiftEndpoint('eu-west-1', {})).toBe('https://arc-zonal-shift.eu-west-1.amazonaws.com');
    expect(arcZonalShiftEndpoint('cn-north-1', {})).toBe('https://arc-zonal-shift.cn-north-1.amazonaws.com.cn');
    const closed = `http://127.0.0.1:${await closedPort()}`;
    const r = await run(['zonal-shift', 'status', '--env', 'prod'], {
      env: { ...cliEnv(), AWS_ENDPOINT_URL: closed, AWS_ENDPOINT_URL_ARC_ZONAL_SHIFT: stub.url },
    });
    expect(r.code, r.stderr).toBe(0);
    const refused = await run(['zonal-shift', 'status', '--env', 'prod'], { env: { ...cliEnv(), AWS_ENDPOINT_URL: closed } });
    expect(refused.code).toBe(2);
    expectOneLine(
      refused.stderr,
      new RegExp(`no answer calling arc-zonal-shift:ListManagedResources: ECONNREFUSED .* from ${closed}; fix: check the network`),
    );
  });

  it('gives up at --timeout when ARC does not answer (exit 2)', async () => {
    const silent = await startSilentServer();
    try {
      const r = await run(['zonal-shift', 'status', '--env', 'prod', '--timeout', '1s'], {
        env: { ...cliEnv(), AWS_ENDPOINT_URL: silent.url },
      });
      expect(r.code).toBe(2);
      expectOneLine(
        r.stderr,
        /gave up after 1s without a complete answer from AWS \(overall deadline; raise it with --timeout\), at arc-zonal-shift:ListManagedResources/,
      );
    } finally {
      await silent.close();
    }
  });
});

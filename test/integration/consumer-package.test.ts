import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readValidationReport, resourcesOfType, unacknowledgedFindings, type CfnTemplate, type PluginReport } from '../support/assembly';
import { BUILTIN_ENVIRONMENTS } from '../../lib/model/config/builtin-environments';
import { maskVolatile } from '../support/mask-volatile';
import { installOffline, writeOfflineProject } from '../../tools/package/offline-project';
import { docExamples } from '../support/doc-examples';
import { packPackages, ROOT, run, TEAM_APP_DIR, TYPESCRIPT_5, writeTeamProject } from './support/consumer-project';

/**
 * The package as a team consumes it: `npm pack` of the built package, installed offline (from
 * the npm cache) into a project that holds only its package.json (and lock file), cdk.json and the
 * team app of docs/extending.md, then type-checked and synthesized with the team's own CDK CLI.
 */
const STACK_TRACE = /\n\s+at .+:\d+:\d+/;

let project: string;
let synth: ReturnType<typeof run>;
let reports: PluginReport[];
let tarballs: ReturnType<typeof packPackages>;

/** The entry points a team imports, each type-checked below with every name it exports at run time. */
const ENTRY_POINTS = ['loadbearing', 'loadbearing/platform', 'loadbearing/model', 'loadbearing/ops', '@loadbearing/contract'];

/**
 * `tsc --noEmit` of the team app and a probe that imports `specifiers` and names every export the
 * built entry point has at run time (`require` in the project), with the compiler installed as
 * `compiler` (`typescript`: 7, `typescript-5`) and `moduleOptions`. An entry point tsc cannot
 * resolve is TS2307; a run-time export the declarations lack is TS2339.
 */
function typeCheck(
  compiler: string,
  moduleOptions: string[],
  specifiers: readonly string[] = ENTRY_POINTS,
): { version: string; output: string; status: number | null; names: number } {
  const listing = run(
    process.execPath,
    [
      '-e',
      `const out = {}; for (const s of ${JSON.stringify(specifiers)}) { try { out[s] = Object.keys(require(s)); } catch { out[s] = []; } } console.log(JSON.stringify(out));`,
    ],
    project,
  );
  const exported = JSON.parse(listing.stdout) as Record<string, string[]>;
  const probe = specifiers.map((s, i) => `import * as m${i} from '${s}';`);
  const names = specifiers.flatMap((s, i) => exported[s]!.filter((n) => n !== 'default' && n !== '__esModule').map((n) => `m${i}.${n}`));
  probe.push('', `export const resolved: unknown[] = [${names.join(', ')}];`, '');
  const probeFile = join(project, 'entry-points.ts');
  writeFileSync(probeFile, probe.join('\n'));
  try {
    const tsc = join('node_modules', compiler, 'bin', 'tsc');
    const version = run(process.execPath, [tsc, '--version'], project).stdout.trim();
    const files = specifiers === ENTRY_POINTS ? ['app.ts', 'entry-points.ts'] : ['entry-points.ts'];
    const check = run(
      process.execPath,
      [
        tsc,
        '--noEmit',
        '--strict',
        '--target',
        'es2022',
        ...moduleOptions,
        '--types',
        'node',
        '--skipLibCheck',
        '--pretty',
        'false',
        ...files,
      ],
      project,
    );
    return { version, output: check.stdout + check.stderr, status: check.status, names: names.length };
  } finally {
    rmSync(probeFile, { force: true });
  }
}

function template(stack: string): CfnTemplate {
  return JSON.parse(readFileSync(join(project, 'cdk.out', `${stack}.template.json`), 'utf8')) as CfnTemplate;
}

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), 'loadbearing-consumer-'));
  tarballs = packPackages(project);
  writeTeamProject(project, tarballs);
  installOffline(project);
  // Path and asset metadata and the CDKMetadata resource only describe the synth; the repository's snapshots leave them out.
  synth = run(
    'npx',
    ['cdk', 'synth', '--quiet', '--no-path-metadata', '--no-asset-metadata', '--no-version-reporting', '-o', 'cdk.out'],
    project,
    600_000,
  );
  reports = readValidationReport(join(project, 'cdk.out'));
}, 900_000);

afterAll(() => {
  if (project) rmSync(project, { recursive: true, force: true });
});

describe('a team project with the packed package (installed offline)', () => {
  it('holds only package.json, its lock file, cdk.json, the team app and the tarballs (the library and the runtime contract)', () => {
    const files = readdirSync(project).filter((f) => !['node_modules', 'cdk.out'].includes(f));
    expect(files.filter((f) => !/^(loadbearing|loadbearing-contract)-\d+\.\d+\.\d+\.tgz$/.test(f)).sort()).toEqual([
      'app.ts',
      'cdk.json',
      'package-lock.json',
      'package.json',
    ]);
    expect(files).toHaveLength(6);
  });

  it("installs aws-cdk-lib and constructs once, as the team's own (peer dependencies of the package), and the optional AWS SDK clients only on request", () => {
    const packed = JSON.parse(readFileSync(join(project, 'node_modules', 'loadbearing', 'package.json'), 'utf8')) as {
      peerDependenciesMeta: Record<string, { optional?: boolean }>;
    };
    const optional = Object.keys(packed.peerDependenciesMeta).filter((name) => packed.peerDependenciesMeta[name]!.optional);
    expect(optional).toContain('@aws-sdk/client-ec2');
    // Only the CloudFormation client: @aws-cdk/cloudformation-diff (the diff guard's) has it as a
    // required peer dependency, which npm installs.
    expect(optional.filter((name) => existsSync(join(project, 'node_modules', name)))).toEqual(['@aws-sdk/client-cloudformation']);
    expect(existsSync(join(project, 'node_modules', 'aws-cdk-lib'))).toBe(true);
    expect(existsSync(join(project, 'node_modules', 'loadbearing', 'node_modules', 'aws-cdk-lib'))).toBe(false);
    expect(existsSync(join(project, 'node_modules', 'loadbearing', 'node_modules', 'constructs'))).toBe(false);
  });

  it('type-checks the team app, and every export of every entry point, with TypeScript 7 and "module": "nodenext"', () => {
    const tsc = typeCheck('typescript', ['--module', 'nodenext', '--moduleResolution', 'nodenext']);
    expect(tsc.version).toMatch(/^Version 7\./);
    expect(tsc.output).toBe('');
    expect(tsc.status).toBe(0);
    expect(tsc.names).toBeGreaterThan(300);
  });

  it('type-checks the team app, and every export of every entry point, with TypeScript 5 and "module": "commonjs" (node10 resolution, through typesVersions)', () => {
    const tsc = typeCheck('typescript-5', ['--module', 'commonjs', '--moduleResolution', 'node']);
    expect(tsc.version).toBe(`Version ${TYPESCRIPT_5.spec.split('@').at(-1)}`);
    expect(tsc.output).toBe('');
    expect(tsc.status).toBe(0);
  });

  it('fails that check without typesVersions, as 0.1.0 did (TS2307 for every subpath entry point)', () => {
    const manifestFile = join(project, 'node_modules', 'loadbearing', 'package.json');
    const manifest = readFileSync(manifestFile, 'utf8');
    try {
      const { typesVersions: _, ...without } = JSON.parse(manifest) as Record<string, unknown>;
      writeFileSync(manifestFile, JSON.stringify(without));
      const subpaths = ['loadbearing/platform', 'loadbearing/model', 'loadbearing/ops'];
      const tsc = typeCheck('typescript-5', ['--module', 'commonjs', '--moduleResolution', 'node'], subpaths);
      for (const s of subpaths) expect(tsc.output).toContain(`error TS2307: Cannot find module '${s}'`);
    } finally {
      writeFileSync(manifestFile, manifest);
    }
  });

  it('is the packed package.json: no install-time script, nothing of the service, the proving ground or the charts installed, its repository named', () => {
    const packed = JSON.parse(readFileSync(join(project, 'node_modules', 'loadbearing', 'package.json'), 'utf8')) as {
      scripts?: Record<string, string>;
      dependencies: Record<string, string>;
      repository?: { url?: string };
      homepage?: string;
      bugs?: { url?: string };
    };
    // What `npm install` runs (https://docs.npmjs.com/cli/v11/using-npm/scripts); prepack runs only on pack and publish.
    const installScripts = ['preinstall', 'install', 'postinstall', 'prepublish', 'preprepare', 'prepare', 'postprepare'];
    expect(Object.keys(packed.scripts ?? {}).filter((s) => installScripts.includes(s))).toEqual([]);
    expect(packed.repository?.url).toBe('git+https://github.com/loadbearing/loadbearing.git');
    expect(packed.homepage).toMatch(/^https:\/\/github\.com\/loadbearing\/loadbearing/);
    expect(packed.bugs?.url).toBe('https://github.com/loadbearing/loadbearing/issues');
    for (const name of [
      '@loadbearing/proving-ground',
      'pg',
      'ioredis',
      'pino',
      'undici',
      'vega',
      'vega-lite',
      'hdr-histogram-js',
      '@aws-sdk/rds-signer',
    ]) {
      expect(existsSync(join(project, 'node_modules', name)), name).toBe(false);
      expect(packed.dependencies[name], name).toBeUndefined();
    }
  });

  it('synthesizes every environment with `cdk synth`', () => {
    expect(synth.stderr).not.toMatch(STACK_TRACE);
    expect(synth.status, synth.stderr).toBe(0);
    for (const env of ['dev', 'staging', 'prod'])
      expect(existsSync(join(project, 'cdk.out', `loadbearing-${env}.template.json`))).toBe(true);
  });

  it("runs the policy gates (cdk-nag, the Control Tower controls, CDK's validator) with no unacknowledged finding", () => {
    expect(reports.map((r) => r.pluginName)).toEqual(
      expect.arrayContaining(['AwsSolutions', 'NIST.800.53.R5', 'cdk-validator-cfnguard', 'CloudFormation Validate']),
    );
    expect(reports.every((r) => r.conclusion === 'success')).toBe(true);
    expect(unacknowledgedFindings(reports)).toEqual([]);
    // The acknowledgements travel with the package: the gates found things and accepted them.
    expect(reports.flatMap((r) => r.suppressedViolations ?? []).length).toBeGreaterThan(0);
  });

  it('gives the same templates as this repository for the same config (the feature flags travel with the package)', () => {
    for (const env of ['dev', 'staging']) {
      const text = readFileSync(join(project, 'cdk.out', `loadbearing-${env}.template.json`), 'utf8');
      const snapshot = readFileSync(join(ROOT, 'test', 'platform', 'stack', '__snapshots__', `loadbearing-${env}.template.json`), 'utf8');
      expect(JSON.parse(maskVolatile(text)), env).toEqual(JSON.parse(snapshot));
    }
  });

  it("applies the team's fleet subclass in prod: step scaling on p99 latency, on top of the platform's target tracking", () => {
    const prod = template('loadbearing-prod');
    const policies = Object.values(resourcesOfType(prod, 'AWS::AutoScaling::ScalingPolicy')).map((p) => p.Properties ?? {});
    expect(policies.filter((p) => p.PolicyType === 'TargetTrackingScaling')).toHaveLength(2);
    expect(policies).toContainEqual(
      expect.objectContaining({
        PolicyType: 'StepScaling',
        AdjustmentType: 'ChangeInCapacity',
        StepAdjustments: [
          { MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 1, ScalingAdjustment: 2 },
          { MetricIntervalLowerBound: 1, ScalingAdjustment: 4 },
        ],
      }),
    );
    const alarms = Object.values(resourcesOfType(prod, 'AWS::CloudWatch::Alarm')).map((a) => a.Properties ?? {});
    expect(alarms).toContainEqual(
      expect.objectContaining({ MetricName: 'TargetResponseTime', ExtendedStatistic: 'p99', Threshold: 1, EvaluationPeriods: 3 }),
    );
    // Dev keeps the platform's fleet.
    expect(
      Object.values(resourcesOfType(template('loadbearing-dev'), 'AWS::AutoScaling::ScalingPolicy')).map((p) => p.Properties?.PolicyType),
    ).not.toContain('StepScaling');
  });

  it('reports a config error as its message alone: no stack trace, no template', () => {
    writeFileSync(
      join(project, 'bad.json'),
      JSON.stringify({ environments: { prod: { stage: 'prod', account: '123', region: 'us-east-1', availabilityZones: ['us-east-1a'] } } }),
    );
    const bad = run('npx', ['cdk', 'synth', '--quiet', '-c', 'configFile=bad.json', '-o', 'bad.out'], project);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/Invalid loadbearing configuration \(\d+ problems?\) in bad\.json:\n/);
    expect(bad.stderr).toMatch(/- environments\.prod\.account = "123"\n +rule: .+\n +fix: /);
    expect(bad.stderr).not.toMatch(STACK_TRACE);
    const written = existsSync(join(project, 'bad.out'))
      ? readdirSync(join(project, 'bad.out')).filter((f) => f.endsWith('.template.json'))
      : [];
    expect(written).toEqual([]);
  });

  it('ships working command-line tools: the ops CLI and the diff guard', () => {
    const ops = run('npx', ['loadbearing', '--help'], project);
    expect(ops.status, ops.stderr).toBe(0);
    expect(ops.stdout).toContain('report');
    const diff = run('npx', ['loadbearing-diff', '--help'], project);
    expect(diff.status, diff.stderr).toBe(0);
    expect(diff.stdout).toContain('Exit codes:');
  });

  it("runs the diff guard in the team's own repository: commit first, then a DB class and fleet size change reads as a restart and a roll", () => {
    const git = (...args: string[]) => {
      const r = run('git', ['-c', 'user.name=team', '-c', 'user.email=team@example.com', ...args], project);
      expect(r.status, r.stderr).toBe(0);
    };
    const diff = (...args: string[]) => run('npx', ['loadbearing-diff', ...args], project);
    // A new project: no repository, then one without commits. One line each, never `--base HEAD`.
    const outside = diff();
    expect(outside.status).toBe(2);
    expect(outside.stderr).toMatch(/^error: .+ is not in a git repository, so there is no baseline to compare with\. Fix: .+\n$/);
    git('init', '--quiet', '--initial-branch=main');
    const empty = diff();
    expect(empty.status).toBe(2);
    expect(empty.stderr).toMatch(/^error: the git repository of .+ has no commits yet.+Fix: commit the project first .+\n$/);
    expect(empty.stderr).not.toContain('--base HEAD');
    // The team's config for its prod, committed; then its DB class and fleet size change.
    const { stage, account, region, availabilityZones, loadBalancer, edge } = BUILTIN_ENVIRONMENTS.prod;
    const prod = { stage, account, region, availabilityZones, loadBalancer, edge };
    writeFileSync(join(project, '.gitignore'), 'node_modules\ncdk.out\n*.out\n*.tgz\n');
    writeFileSync(join(project, 'prod.json'), JSON.stringify({ environments: { prod } }, null, 2));
    git('add', '-A');
    git('commit', '--quiet', '-m', 'baseline');
    writeFileSync(
      join(project, 'prod.json'),
      JSON.stringify(
        { environments: { prod: { ...prod, database: { instanceClass: 'db.r7g.xlarge' }, fleet: { instanceSize: 'xlarge' } } } },
        null,
        2,
      ),
    );
    const review = diff('-c', 'configFile=prod.json');
    expect(review.stderr).toBe('');
    expect(review.status).toBe(0);
    // No allow-list in this project, so none is mentioned (not this repository's path).
    expect(review.stdout).not.toContain('Allow-list');
    expect(review.stdout).toMatch(
      /modified +AWS::RDS::DBInstance +DatabaseWriter7794273E +Database\/Writer +\[stateful\] +DBInstanceClass "db\.r7g\.large" -> "db\.r7g\.xlarge"\n +the writer restarts with a failover: .*typically 60-120 s/,
    );
    expect(review.stdout).toMatch(
      /LaunchTemplateData\.InstanceType "m7g\.large" -> "m7g\.xlarge".*\n +new launch template version: rolls the fleet .+ by instance refresh \(Rolling\): 6 instances \(MinSize 6; more if it has scaled out\), keeping 100-134% of the desired capacity healthy: about 2 at a time, launched before the old ones stop.+it fails \(and the update rolls back\) when any of 2 alarms goes into ALARM/,
    );
    expect(review.stdout).toMatch(
      /Result: no blocking changes \(1 stack changed; \d+ restarts or rolls while it deploys: see the notes\)\.\n$/,
    );
  });
});

/**
 * A team's own app on the package, as docs/runtime-contract.md ("A worked example") and
 * docs/extending.md ("Your own resources") tell it: the example app from the page, installed with
 * the packed runtime contract as its only dependency, shipped as `app.artifact` with its metrics
 * (`"metrics": "contract"`), an uploads bucket (AppBucket) that passes every gate, and a dev
 * environment in a VPC the network team owns (`network.existingVpc`).
 */
describe("a team's own app, its bucket and its VPC (the same installed package)", () => {
  let own: string;
  let ownSynth: ReturnType<typeof run>;
  const azs = ['us-east-1a', 'us-east-1b'];
  const tier = (n: number) =>
    Object.fromEntries(
      azs.map((az, i) => [az, { subnetId: `subnet-0${n}${i}${'0'.repeat(14)}`, routeTableId: `rtb-0${n}${i}${'0'.repeat(14)}` }]),
    );
  const teamConfig = (fleet: Record<string, unknown> = {}) => {
    const example = JSON.parse(docExamples('docs/runtime-contract.md').get('team.json')!) as {
      environments: { dev: Record<string, unknown> };
    };
    const dev = example.environments.dev;
    return {
      environments: {
        dev: {
          ...dev,
          ...(Object.keys(fleet).length ? { fleet } : {}),
          network: {
            existingVpc: {
              vpcId: 'vpc-0123456789abcdef0',
              subnets: { public: tier(1), app: tier(2), data: tier(3) },
              appEgress: { kind: 'nat', natGatewayIds: Object.fromEntries(azs.map((az, i) => [az, `nat-04${i}${'0'.repeat(14)}`])) },
            },
          },
        },
      },
    };
  };
  const ownTemplate = () => JSON.parse(readFileSync(join(own, 'cdk.out', 'loadbearing-dev.template.json'), 'utf8')) as CfnTemplate;

  beforeAll(() => {
    own = join(project, 'own');
    const app = join(own, 'my-app');
    mkdirSync(app, { recursive: true });
    const examples = docExamples('docs/runtime-contract.md');
    writeFileSync(join(app, 'server.js'), examples.get('my-app/server.js')!);
    // The app's own install: the packed contract (its one dependency) into my-app/node_modules,
    // which ships with it. The tarballs are copied in for the install (the lock file names them), then removed.
    for (const tgz of [tarballs.contract, tarballs.library]) copyFileSync(join(project, tgz), join(app, tgz));
    const manifest = JSON.parse(examples.get('my-app/package.json')!) as { name: string; dependencies: Record<string, string> };
    expect(Object.keys(manifest.dependencies)).toEqual(['@loadbearing/contract']);
    writeOfflineProject(app, {
      name: manifest.name,
      tarballs,
      dependencies: { '@loadbearing/contract': `file:${tarballs.contract}` },
    });
    run('npm', ['install', '--offline', '--omit=dev', '--no-audit', '--no-fund'], app);
    for (const tgz of [tarballs.contract, tarballs.library]) rmSync(join(app, tgz));
    // The CDK app: the platform, plus the uploads bucket of docs/extending.md on every stack.
    copyFileSync(join(ROOT, 'test', 'extension', 'uploads-bucket.ts'), join(own, 'uploads-bucket.ts'));
    writeFileSync(
      join(own, 'app.ts'),
      [
        "import { PlatformApp } from 'loadbearing/platform';",
        "import { addUploadsBucket } from './uploads-bucket';",
        '',
        'PlatformApp.run((app) => {',
        '  for (const stack of app.addEnvironments()) addUploadsBucket(stack);',
        '});',
        '',
      ].join('\n'),
    );
    copyFileSync(join(TEAM_APP_DIR, 'cdk.json'), join(own, 'cdk.json'));
    // A project of its own, sharing the installed packages (a team's project root has its node_modules).
    symlinkSync(join(project, 'node_modules'), join(own, 'node_modules'));
    writeFileSync(join(own, 'team.json'), JSON.stringify(teamConfig(), null, 2));
    ownSynth = run('npx', ['cdk', 'synth', '--quiet', '-c', 'configFile=team.json', '-o', 'cdk.out'], own, 600_000);
  }, 900_000);

  it('synthesizes the environment with the policy gates and no unacknowledged finding', () => {
    expect(ownSynth.stderr).not.toMatch(STACK_TRACE);
    expect(ownSynth.status, ownSynth.stderr).toBe(0);
    const gates = readValidationReport(join(own, 'cdk.out'));
    expect(gates.every((r) => r.conclusion === 'success')).toBe(true);
    expect(unacknowledgedFindings(gates)).toEqual([]);
  });

  it('ships the app as its artifact, started by node-22 in the app directory, with its node_modules', () => {
    const t = ownTemplate();
    const [lt] = Object.values(resourcesOfType(t, 'AWS::EC2::LaunchTemplate'));
    expect(JSON.stringify(lt)).toContain('ExecStart=/usr/bin/node-22 server.js');
    const assets = readdirSync(join(own, 'cdk.out')).filter((f) => f.startsWith('asset.'));
    // The release: the app under app/ (unpacked to /opt/loadbearing/app), beside the RDS CA bundle.
    const shipped = assets.find((a) => existsSync(join(own, 'cdk.out', a, 'app', 'server.js')));
    expect(shipped, assets.join(', ')).toBeDefined();
    expect(existsSync(join(own, 'cdk.out', shipped!, 'app', 'node_modules', '@loadbearing', 'contract', 'dist', 'index.js'))).toBe(true);
  });

  it("alarms on the app's own metrics (app.metrics contract), including when they stop arriving", () => {
    const alarms = Object.values(resourcesOfType(ownTemplate(), 'AWS::CloudWatch::Alarm')).map((a) => a.Properties ?? {});
    const names = alarms.map((a) => String(a.AlarmName));
    expect(names).toContain('loadbearing-dev-app-metrics-missing');
    expect(alarms.some((a) => a.Namespace === 'Loadbearing/App')).toBe(true);
  });

  it("uses the network team's VPC: creates no VPC, subnet or NAT gateway, and puts the bucket beside the stack", () => {
    const t = ownTemplate();
    for (const type of ['AWS::EC2::VPC', 'AWS::EC2::Subnet', 'AWS::EC2::NatGateway'])
      expect(Object.keys(resourcesOfType(t, type)), type).toEqual([]);
    expect(JSON.stringify(t)).toContain('vpc-0123456789abcdef0');
    const buckets = Object.values(resourcesOfType(t, 'AWS::S3::Bucket')).map((b) => JSON.stringify(b.Properties?.Tags ?? []));
    expect(buckets.some((tags) => tags.includes('customer-content'))).toBe(true);
  });

  it('diffs a config change of the team: a bigger fleet reads as a roll, and blocks nothing', () => {
    const git = (...args: string[]) => {
      const r = run('git', ['-c', 'user.name=team', '-c', 'user.email=team@example.com', ...args], project);
      expect(r.status, r.stderr).toBe(0);
    };
    if (!existsSync(join(project, '.git'))) git('init', '--quiet', '--initial-branch=main');
    writeFileSync(join(project, '.gitignore'), 'node_modules\ncdk.out\n*.out\n*.tgz\n');
    git('add', '-A');
    git('commit', '--quiet', '--allow-empty', '-m', 'own app');
    writeFileSync(join(own, 'team.json'), JSON.stringify(teamConfig({ instanceSize: 'xlarge' }), null, 2));
    const review = run('npx', ['loadbearing-diff', '-c', 'configFile=team.json'], own, 600_000);
    expect(review.stderr).not.toMatch(STACK_TRACE);
    expect(review.status, review.stderr + review.stdout).toBe(0);
    expect(review.stdout).toMatch(
      /LaunchTemplateData\.InstanceType "t4g\.medium" -> "t4g\.xlarge"|InstanceType "[a-z0-9]+\.[a-z]+" -> "[a-z0-9]+\.xlarge"/,
    );
    expect(review.stdout).toMatch(/new launch template version: rolls the fleet/);
    expect(review.stdout).toMatch(/Result: no blocking changes/);
  });
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  BUILTIN_ENVIRONMENTS,
  ConfigError,
  PLATFORM_FEATURE_FLAGS,
  PlatformApp,
  type PlatformStack,
  type PlatformAppProps,
} from 'loadbearing/platform';
import { AppFleet } from 'loadbearing';

const dirs: string[] = [];
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A PlatformApp writing into a fresh directory, without CDK's own (slow) CloudFormation validator. */
function app(props: PlatformAppProps = {}): PlatformApp {
  return new PlatformApp({
    outdir: tempDir('platform-app-'),
    builtinCloudFormationValidation: false,
    validationCacheDirectory: false,
    ...props,
  });
}

/** A stack with a bucket that breaks the policy packs (no access logs, no TLS-only policy). */
function withOpenBucket(target: PlatformApp): void {
  const stack = new Stack(target, 'open-bucket', { env: { account: '111111111111', region: 'us-east-1' } });
  new s3.Bucket(stack, 'Bucket');
}

const ENV_CONTEXT = 'CDK_CONTEXT_JSON';
const savedContext = process.env[ENV_CONTEXT];
afterEach(() => {
  if (savedContext === undefined) delete process.env[ENV_CONTEXT];
  else process.env[ENV_CONTEXT] = savedContext;
  process.exitCode = undefined;
});

describe("PlatformApp: the platform's feature flags", () => {
  it('applies every flag as a context default', () => {
    const a = app({ policies: false });
    for (const [flag, value] of Object.entries(PLATFORM_FEATURE_FLAGS)) expect(a.node.tryGetContext(flag), flag).toEqual(value);
    expect(Object.keys(PLATFORM_FEATURE_FLAGS).length).toBeGreaterThan(80);
  });

  it("lets the team's own context (cdk.json, -c) override a flag", () => {
    process.env[ENV_CONTEXT] = JSON.stringify({ '@aws-cdk/aws-iam:minimizePolicies': false });
    expect(app({ policies: false }).node.tryGetContext('@aws-cdk/aws-iam:minimizePolicies')).toBe(false);
    expect(
      app({ policies: false, context: { '@aws-cdk/core:checkSecretUsage': false } }).node.tryGetContext('@aws-cdk/core:checkSecretUsage'),
    ).toBe(false);
  });
});

describe('PlatformApp: the policy gates', () => {
  it('are on by default: a finding that is not acknowledged fails synth', () => {
    const a = app();
    withOpenBucket(a);
    // The report names each finding and its plugin; the Control Tower controls and cdk-nag both ran.
    expect(() => a.synth()).toThrow(/AwsSolutions[\s\S]*cdk-validator-cfnguard[\s\S]*A copy of this report can be found in/);
  });

  it("are off with `-c policies=false` (the diff guard's synths) or `policies: false`", () => {
    process.env[ENV_CONTEXT] = JSON.stringify({ policies: 'false' });
    const fromContext = app();
    withOpenBucket(fromContext);
    expect(() => fromContext.synth()).not.toThrow();
    delete process.env[ENV_CONTEXT];
    const fromProps = app({ policies: false });
    withOpenBucket(fromProps);
    expect(() => fromProps.synth()).not.toThrow();
  });
});

describe('PlatformApp.run', () => {
  it('reports a config error as its message alone and returns (and sets) exit code 1', () => {
    let stderr = '';
    const code = PlatformApp.run(
      () => {
        throw new ConfigError(
          [
            {
              path: 'environments.prod.fleet.minCapacity',
              value: '30',
              rule: 'must be <= fleet.maxCapacity (10)',
              fix: 'lower minCapacity.',
            },
          ],
          'team.json',
        );
      },
      { policies: false },
      { stderr: (t) => (stderr += t) },
    );
    expect(code).toBe(1);
    expect(process.exitCode).toBe(1);
    expect(stderr).toBe(
      '\nInvalid loadbearing configuration (1 problem) in team.json:\n  - environments.prod.fleet.minCapacity = 30\n      rule: must be <= fleet.maxCapacity (10)\n      fix:  lower minCapacity.\n\n',
    );
  });

  it('reports an unreadable config file (-c configFile=...) the same way', () => {
    process.env[ENV_CONTEXT] = JSON.stringify({ configFile: '/nonexistent/envs.json' });
    let stderr = '';
    expect(PlatformApp.run((a) => a.addEnvironments(), { policies: false }, { stderr: (t) => (stderr += t) })).toBe(1);
    expect(stderr).toMatch(/configFile = "\/nonexistent\/envs\.json"\n +rule: cannot be read \(ENOENT\)/);
    expect(stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });

  it('rethrows anything else: a bug is not a config error', () => {
    expect(() =>
      PlatformApp.run(
        () => {
          throw new TypeError('boom');
        },
        { policies: false },
      ),
    ).toThrow('boom');
  });

  it('builds one stack per environment of the config file, with per-environment props', () => {
    const file = join(tempDir('platform-app-config-'), 'envs.json');
    writeFileSync(file, JSON.stringify({ environments: { prod: BUILTIN_ENVIRONMENTS.prod } }));
    process.env[ENV_CONTEXT] = JSON.stringify({ configFile: file });
    class TeamFleet extends AppFleet {}
    let stacks: PlatformStack[] = [];
    const code = PlatformApp.run(
      (a) => {
        stacks = a.addEnvironments({ stackProps: (config) => (config.stage === 'prod' ? { components: { fleet: TeamFleet } } : {}) });
      },
      { policies: false, builtinCloudFormationValidation: false, outdir: tempDir('platform-app-') },
    );
    expect(code).toBe(0);
    expect(stacks.map((s) => s.stackName)).toEqual(['loadbearing-prod']);
    expect(stacks[0]!.fleet).toBeInstanceOf(TeamFleet);
  });
});

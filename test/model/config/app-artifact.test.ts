import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isConfigError } from '../../../lib/model/config/config-error';
import { BUILTIN_ENVIRONMENTS } from '../../../lib/model/config/builtin-environments';
import { bootTiming, environmentBootTiming } from '../../../lib/model/config/boot-timing';
import type { EnvironmentConfig } from '../../../lib/model/config/environment-schema';
import { deepMerge, loadConfigFile, resolveEnvironments } from '../../../lib/model/config/load-config';
import { PlatformStack } from '../../../lib/platform/platform-stack';
import { resourcesOfType, type CfnTemplate } from '../../support/assembly';
import { testApp } from '../../support/test-app';
import { bashSyntaxErrors, userDataScript } from '../../support/user-data';

/** The second, tiny artifact: a team's own app (a directory with one script). */
const TINY_APP = join(__dirname, '..', '..', 'fixtures', 'tiny-app');
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'loadbearing-artifact-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const prodWith = (change: Record<string, unknown>) => ({ prod: deepMerge(BUILTIN_ENVIRONMENTS.prod, change) });

/** The message of the ConfigError a change raises (fails the test if none). */
function errorFor(change: Record<string, unknown>, baseDir = TINY_APP): string {
  try {
    resolveEnvironments(prodWith(change), 'test.json', baseDir);
  } catch (e) {
    if (isConfigError(e)) return e.message;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

/** Synthesizes one environment; returns its template and the folder of its release asset. */
function synth(config: EnvironmentConfig): { template: CfnTemplate; release: string[]; releaseDir: string } {
  const outdir = mkdtempSync(join(work, 'out-'));
  const app = testApp({ outdir, templatesOnly: true });
  const stack = new PlatformStack(app, config.stackName, { config });
  const template = app.synth().getStackByName(stack.stackName).template as CfnTemplate;
  const releaseDir = readdirSync(outdir)
    .map((d) => join(outdir, d))
    .find((d) => existsSync(join(d, 'rds-ca-bundle.pem')))!;
  return { template, release: readdirSync(releaseDir).sort(), releaseDir };
}

describe('app.artifact: bad input gets a config error naming the field', () => {
  const tiny = { path: '.', startCommand: 'server.js' };
  const cases: [string, Record<string, unknown>, RegExp[]][] = [
    [
      'an artifact path that does not exist',
      { app: { artifact: { ...tiny, path: 'no-such-dir' } } },
      [
        /environments\.prod\.app\.artifact\.path = "no-such-dir"/,
        /does not exist \(looked for .*no-such-dir; a relative path is relative to the config file's folder\)/,
      ],
    ],
    [
      'an empty start command',
      { app: { artifact: { ...tiny, startCommand: '' } } },
      [/environments\.prod\.app\.artifact\.startCommand = ""/, /must not be empty/, /e\.g\. "server\.js"/],
    ],
    [
      'a start command the unit cannot hold',
      { app: { artifact: { ...tiny, startCommand: 'server.js "$HOME"' } } },
      [/app\.artifact\.startCommand = /, /no quotes, \$, % or ;/],
    ],
    [
      'a start script that is not in the artifact',
      { app: { artifact: { ...tiny, startCommand: 'main.js' } } },
      [/app\.artifact\.startCommand = "main\.js"/, /starts main\.js, which is not in the artifact directory/],
    ],
    [
      'a health path without a leading /',
      { loadBalancer: { healthCheck: { path: 'healthz' } } },
      [/environments\.prod\.loadBalancer\.healthCheck\.path = "healthz"/, /must be a URL path starting with "\/"/],
    ],
    [
      'a file that is not an archive',
      { app: { artifact: { ...tiny, path: 'server.js' } } },
      [/app\.artifact\.path = "server\.js"/, /is a file but not a \.zip, \.tar\.gz or \.tgz archive/],
    ],
    [
      'a Node.js major AL2023 does not offer',
      { app: { artifact: { ...tiny, nodejsMajor: 20 } } },
      [/app\.artifact\.nodejsMajor = 20/, /22|24/],
    ],
    [
      'an install budget without an install command',
      { app: { artifact: { ...tiny, installTimeoutSeconds: 600 } } },
      [/app\.artifact\.installTimeoutSeconds = 600/, /has no effect without installCommand/],
    ],
    [
      'an unknown runtime',
      { app: { artifact: { ...tiny, runtime: 'python' } } },
      [/app\.artifact\.runtime = "python"/, /must be one of "nodejs", "provided"/],
    ],
    [
      'a prove request path that is not absolute',
      { app: { artifact: { ...tiny, proveRequests: [{ path: 'api/items', share: 1 }] } } },
      [/app\.artifact\.proveRequests\[0\]\.path = "api\/items"/, /must be an absolute request path/],
    ],
    [
      'a prove request share of 0',
      { app: { artifact: { ...tiny, proveRequests: [{ path: '/api/items', share: 0 }] } } },
      [/app\.artifact\.proveRequests\[0\]\.share = 0/, /greater than 0/],
    ],
    ['an empty prove request mix', { app: { artifact: { ...tiny, proveRequests: [] } } }, [/app\.artifact\.proveRequests = \[\]/]],
  ];

  it.each(cases)('%s', (_name, change, patterns) => {
    const message = errorFor(change);
    for (const pattern of patterns) expect(message).toMatch(pattern);
    expect(message).toMatch(/rule: .+\n +fix: +.+/);
  });

  it("resolves a relative path against the config file's folder, from any working directory", () => {
    const dir = mkdtempSync(join(work, 'config-'));
    cpSync(TINY_APP, join(dir, 'tiny-app'), { recursive: true });
    writeFileSync(
      join(dir, 'envs.json'),
      JSON.stringify({
        environments: {
          prod: deepMerge(BUILTIN_ENVIRONMENTS.prod, { app: { artifact: { path: 'tiny-app', startCommand: 'server.js' } } }),
        },
      }),
    );
    const [prod] = loadConfigFile(join(dir, 'envs.json'));
    expect(prod.app.artifact).toMatchObject({ path: join(dir, 'tiny-app'), runtime: 'nodejs', nodejsMajor: 22, startCommand: 'server.js' });
  });
});

describe("a team's own app, by config", () => {
  it('ships a Node.js directory (the tiny artifact) instead of the reference service', () => {
    const [config] = resolveEnvironments(
      prodWith({ app: { artifact: { path: TINY_APP, startCommand: 'server.js', nodejsMajor: 24 } } }),
      'test',
    );
    const { template, release, releaseDir } = synth(config);
    expect(release).toEqual(['app', 'rds-ca-bundle.pem']);
    expect(readdirSync(join(releaseDir, 'app'))).toEqual(['server.js']);
    const script = userDataScript(template);
    expect(script).toContain('dnf install -y -q nodejs24 amazon-cloudwatch-agent');
    expect(script).toContain('ExecStart=/usr/bin/node-24 server.js');
    expect(script).toContain('cp -a /opt/loadbearing/release/app/. /opt/loadbearing/app/');
    expect(script).not.toContain('loadbearing-service.js');
    expect(bashSyntaxErrors(script)).toBe('');
  });

  it('ships a "provided" archive with an install hook, whose budget lengthens the timeline', () => {
    const src = mkdtempSync(join(work, 'provided-'));
    mkdirSync(join(src, 'bin'));
    writeFileSync(join(src, 'bin', 'start'), '#!/bin/sh\nexec /usr/local/bin/myserver "$@"\n');
    writeFileSync(join(src, 'install.sh'), '#!/bin/sh\ndnf install -y -q python3.12\n');
    chmodSync(join(src, 'bin', 'start'), 0o755);
    chmodSync(join(src, 'install.sh'), 0o755);
    const archive = join(work, 'app.tar.gz');
    expect(spawnSync('tar', ['-czf', archive, '-C', src, '.']).status).toBe(0);
    const [config] = resolveEnvironments(
      prodWith({
        app: {
          artifact: {
            path: archive,
            runtime: 'provided',
            startCommand: 'bin/start --port 8080',
            installCommand: './install.sh',
            installTimeoutSeconds: 120,
          },
        },
      }),
      'test',
    );
    const { template, release } = synth(config);
    expect(release).toEqual(['app.tar.gz', 'rds-ca-bundle.pem']);
    const script = userDataScript(template);
    expect(script).toMatch(/dnf install -y -q amazon-cloudwatch-agent unzip logrotate\n/);
    expect(script).not.toContain('nodejs');
    expect(script).toContain('tar -xzf /opt/loadbearing/release/app.tar.gz -C /opt/loadbearing/app');
    expect(script).toContain('(cd /opt/loadbearing/app && timeout 120 ./install.sh)');
    expect(script).toContain('ExecStart=/opt/loadbearing/app/bin/start --port 8080');
    expect(bashSyntaxErrors(script)).toBe('');

    const timing = environmentBootTiming(config);
    const without = bootTiming({ healthWait: timing.healthWait, installHookSeconds: 0 });
    expect(timing.verdictSeconds - without.verdictSeconds).toBe(120);
    const [asg] = Object.values(resourcesOfType(template, 'AWS::AutoScaling::AutoScalingGroup'));
    expect(asg.CreationPolicy).toMatchObject({ ResourceSignal: { Timeout: `PT${timing.signalTimeoutSeconds / 60}M` } });
    expect(asg.Properties?.HealthCheckGracePeriod).toBe(timing.gracePeriodSeconds);
  });
});

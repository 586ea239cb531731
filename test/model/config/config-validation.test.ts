import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isConfigError } from '../../../lib/model/config/config-error';
import type { EnvironmentInput } from '../../../lib/model/config/environment-schema';
import { builtinEnvironments, deepMerge, loadConfigFile, resolveEnvironments } from '../../../lib/model/config/load-config';
import { BUILTIN_ENVIRONMENTS } from '../../../lib/model/config/builtin-environments';

/** The prod environment with one change, as a config file would give it. */
function prodWith(change: Record<string, unknown>): Record<string, unknown> {
  return { prod: deepMerge(BUILTIN_ENVIRONMENTS.prod, change) };
}

/** The message of the ConfigError the environments raise (fails the test if none). */
function errorFor(envs: Record<string, unknown>): string {
  try {
    resolveEnvironments(envs, 'test.json');
  } catch (e) {
    if (isConfigError(e)) return e.message;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('valid configurations', () => {
  it('resolves the built-in environments with stage presets under their own values', () => {
    const envs = builtinEnvironments();
    expect(envs.map((e) => e.stackName)).toEqual(['loadbearing-dev', 'loadbearing-staging', 'loadbearing-prod']);
    const prod = envs.find((e) => e.name === 'prod')!;
    expect(prod.terminationProtection).toBe(true);
    expect(prod.fleet.minCapacity).toBe(6);
    expect(prod.database.instanceClass).toBe('db.r7g.large');
    const dev = envs.find((e) => e.name === 'dev')!;
    expect(dev.database.instanceClass).toBe('db.t4g.medium');
    expect(dev.network.natGateways).toBe(1);
  });

  it('lets an environment override its preset', () => {
    const [prod] = resolveEnvironments(prodWith({ fleet: { minCapacity: 9 } }), 'test.json');
    expect(prod.fleet.minCapacity).toBe(9);
    expect(prod.fleet.maxCapacity).toBe(24);
  });
});

describe('invalid configurations fail with the field path, the value, the rule and a fix', () => {
  // Field by field; the cross-field rules (EC-n) have their cases in environment-rules.test.ts.
  const cases: [string, Record<string, unknown>, RegExp[]][] = [
    [
      'min > max capacity',
      { fleet: { minCapacity: 30, maxCapacity: 10 } },
      [
        /environments\.prod\.fleet\.minCapacity = 30/,
        /must be <= fleet\.maxCapacity \(10\)/,
        /fix: +lower fleet\.minCapacity or raise fleet\.maxCapacity/,
      ],
    ],
    [
      'an alarm override key that is not an alarm key',
      { alarms: { overrides: { DB_CPU: { periodSeconds: 60 } } } },
      [
        /alarms\.overrides\.DB_CPU = "DB_CPU"/,
        /must be an alarm key "<component>-<signal>"/,
        /fix: +use the alarm name without the stack prefix/,
      ],
    ],
    ['an unknown app.metrics', { app: { metrics: 'emf' } }, [/app\.metrics = "emf"/, /must be one of "contract", "none"/]],
    [
      'a policy pack that does not exist',
      { policies: { packs: ['aws-solutions', 'hipaa'] } },
      [/policies\.packs\[1\] = "hipaa"/, /must be one of "aws-solutions", "nist-800-53-r5", "control-tower"/],
    ],
    ['a misspelt policy pack', { policies: { packs: ['control-towr'] } }, [/did you mean "control-tower"\?/]],
    [
      'a policy pack named twice',
      { policies: { packs: ['control-tower', 'control-tower'] } },
      [/policies\.packs = /, /names "control-tower" twice/],
    ],
    [
      'no policy pack',
      { policies: { packs: [] } },
      [/policies\.packs = \[\]/, /must name at least one pack/, /leave the field out for all of them/],
    ],
    ['replicas < 0', { database: { readReplicas: -1 } }, [/environments\.prod\.database\.readReplicas = -1/, /must be >= 0/]],
    [
      'replicas > 15',
      { database: { readReplicas: 16 } },
      [/environments\.prod\.database\.readReplicas = 16/, /must be <= 15/, /use a value <= 15/],
    ],
    [
      'an unknown workload profile',
      { fleet: { workloadProfile: 'gpu' } },
      [/fleet\.workloadProfile = "gpu"/, /must be one of "general", "compute", "memory", "burstable"/],
    ],
    ['a misspelt workload profile', { fleet: { workloadProfile: 'genral' } }, [/did you mean "general"\?/]],
    ['a malformed CIDR', { network: { cidr: '10.0.0/16' } }, [/network\.cidr = "10\.0\.0\/16"/, /must be an IPv4 CIDR block/]],
    ['a CIDR with host bits', { network: { cidr: '10.0.0.1/16' } }, [/host bits are set/]],
    ['a negative timeout', { app: { requestTimeoutSeconds: -5 } }, [/app\.requestTimeoutSeconds = -5/, /must be >= 1/]],
    [
      'a non-numeric timeout',
      { loadBalancer: { idleTimeoutSeconds: '60' } },
      [/loadBalancer\.idleTimeoutSeconds = "60"/, /must be a number/],
    ],
    [
      'an instance class the engine does not support',
      { database: { instanceClass: 'db.m4.large' } },
      [/database\.instanceClass = "db\.m4\.large"/, /RDS does not run PostgreSQL 17 on the db\.m4 family/],
    ],
    [
      'an instance class that does not exist',
      { database: { instanceClass: 'db.x9.huge' } },
      [/is not an RDS for PostgreSQL instance class the platform knows/],
    ],
    [
      'an unknown engine version',
      { database: { engineVersion: '13.2' } },
      [/database\.engineVersion = "13\.2"/, /not an RDS for PostgreSQL version the platform supports/],
    ],
    ['an unknown field (typo)', { fleet: { minCapcity: 3 } }, [/fleet\.minCapcity = 3/, /unknown field/, /did you mean "minCapacity"\?/]],
    ['an unknown section', { databse: {} }, [/environments\.prod\.databse/, /did you mean "database"\?/]],
    [
      'a large-body path that is not a path prefix',
      { waf: { largeBodyPaths: ['webhooks/*'] } },
      [/waf\.largeBodyPaths\[0\] = "webhooks\/\*"/, /must be a URI path prefix starting with "\/"/],
    ],
    [
      'an edge log retention under a year',
      { edge: { logRetentionDays: 30 } },
      [/edge\.logRetentionDays = 30/, /a year or more/, /use 365/],
    ],
    [
      'slow start with least outstanding requests',
      { loadBalancer: { slowStartSeconds: 60 } },
      [/loadBalancer\.slowStartSeconds = 60/, /AWS rejects slow start/, /algorithm to "round_robin"/],
    ],
    [
      'a health check timeout not below the interval',
      { loadBalancer: { healthCheck: { intervalSeconds: 10, timeoutSeconds: 10 } } },
      [/healthCheck\.timeoutSeconds = 10/, /less than intervalSeconds \(10\)/],
    ],
    ['an unknown maxmemory policy', { cache: { maxmemoryPolicy: 'lru' } }, [/cache\.maxmemoryPolicy = "lru"/, /must be one of/]],
    ['a bad account ID', { account: '12345' }, [/environments\.prod\.account = "12345"/, /12-digit AWS account ID/]],
  ];

  it.each(cases)('%s', (_name, change, patterns) => {
    const message = errorFor(prodWith(change));
    for (const pattern of patterns) expect(message).toMatch(pattern);
    expect(message).toMatch(/rule: .+\n +fix: +.+/);
  });

  it('reports every problem at once, across sections and environments', () => {
    const message = errorFor({
      ...prodWith({ fleet: { minCapacity: 30, maxCapacity: 10, workloadProfile: 'gpu' }, database: { readReplicas: 16 }, cach: {} }),
      staging: { ...BUILTIN_ENVIRONMENTS.staging, network: { cidr: 'nope' } },
    });
    expect(message).toMatch(/\(5 problems\)/);
    for (const path of [
      'prod.fleet.minCapacity',
      'prod.fleet.workloadProfile',
      'prod.database.readReplicas',
      'prod.cach',
      'staging.network.cidr',
    ]) {
      expect(message).toContain(`environments.${path}`);
    }
  });

  it('names a missing required field', () => {
    const { account: _omit, ...rest } = BUILTIN_ENVIRONMENTS.prod as EnvironmentInput;
    expect(errorFor({ prod: rest })).toMatch(/environments\.prod\.account = \(missing\)\n +rule: required/);
  });

  it('rejects two environments with the same stack name', () => {
    expect(
      errorFor({
        aa: { ...BUILTIN_ENVIRONMENTS.dev, stackName: 'same-name' },
        bb: { ...BUILTIN_ENVIRONMENTS.dev, stackName: 'same-name' },
      }),
    ).toMatch(/environments\.bb\.stackName = "same-name"\n +rule: is already used by environment "aa"/);
  });
});

describe('a config file', () => {
  it('names an environment whose name breaks the naming rule, with the rule and the fix (not zod\'s "Invalid key in record")', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lb-config-'));
    try {
      const file = join(dir, 'config.json');
      writeFileSync(file, JSON.stringify({ environments: { Prod_1: BUILTIN_ENVIRONMENTS.dev } }));
      let message = '';
      try {
        loadConfigFile(file);
      } catch (e) {
        if (!isConfigError(e)) throw e;
        message = e.message;
      }
      expect(message).toMatch(/environments\.Prod_1 = "Prod_1"\n +rule: environment names must be 2-21 lower-case letters/);
      expect(message).toMatch(/fix: +rename the environment, e\.g\. "prod"/);
      expect(message).not.toMatch(/Invalid key/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe("review.allowReplacements (the diff guard's allow-list, docs/reviewing-changes.md)", () => {
    /** The ConfigError message of a config file with this `review` field, or '' when it loads. */
    function load(review: unknown): string {
      const dir = mkdtempSync(join(tmpdir(), 'lb-config-'));
      try {
        const file = join(dir, 'config.json');
        writeFileSync(file, JSON.stringify({ environments: { dev: BUILTIN_ENVIRONMENTS.dev }, review }));
        loadConfigFile(file);
        return '';
      } catch (e) {
        if (!isConfigError(e)) throw e;
        return e.message;
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }

    it("accepts a .json path relative to the config file (the file itself is the guard's business, not synth's)", () => {
      expect(load({ allowReplacements: 'review/allow-replacements.json' })).toBe('');
      expect(load({ allowReplacements: '../allow.json' })).toBe('');
      expect(load({})).toBe('');
    });

    it.each([
      ['an absolute path', '/home/me/allow.json'],
      ['not a .json file', 'review/allow.txt'],
      ['an empty path', ''],
    ])('refuses %s, with the rule and the fix', (_, value) => {
      const message = load({ allowReplacements: value });
      expect(message).toContain(`review.allowReplacements = ${JSON.stringify(value)}`);
      expect(message).toMatch(/rule: must be the path of a \.json file relative to the config file's directory/);
      expect(message).toMatch(/fix: +write it like "review\/allow-replacements\.json"/);
    });

    it('names a misspelt field and suggests the right one', () => {
      expect(load({ allowReplacement: 'a.json' })).toMatch(
        /review\.allowReplacement = "a\.json"\n +rule: unknown field \(typo\?\)\n +fix: +did you mean "allowReplacements"\?/,
      );
    });
  });
});

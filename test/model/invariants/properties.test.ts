import { Template } from 'aws-cdk-lib/assertions';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BUILTIN_ENVIRONMENTS } from '../../../lib/model/config/builtin-environments';
import { isConfigError } from '../../../lib/model/config/config-error';
import { environmentSchema, type EnvironmentConfig } from '../../../lib/model/config/environment-schema';
import { deepMerge, resolveEnvironments } from '../../../lib/model/config/load-config';
import { addPlatform } from '../../../lib/platform/platform-app';
import { testApp } from '../../support/test-app';

type Outcome = { ok: true; envs: EnvironmentConfig[] } | { ok: false; message: string; paths: string[] };

/** The whole validation pipeline; anything but a ConfigError escaping is a bug (the property fails). */
function validate(environments: Record<string, unknown>): Outcome {
  try {
    return { ok: true, envs: resolveEnvironments(environments, 'generated.json') };
  } catch (e) {
    if (isConfigError(e)) return { ok: false, message: e.message, paths: e.problems.map((p) => p.path) };
    throw e;
  }
}

/**
 * Plausible team configs: every knob within its schema range, each seam (timeouts, pools,
 * capacity) generated around its boundary, so both valid and invalid combinations are common.
 */
const teamConfig = fc
  .record({
    minCapacity: fc.integer({ min: 2, max: 12 }),
    extraCapacity: fc.integer({ min: 0, max: 30 }),
    baselineShortfall: fc.integer({ min: -1, max: 6 }),
    dbPoolSize: fc.integer({ min: 1, max: 60 }),
    dbReaderPoolSize: fc.integer({ min: 0, max: 40 }),
    readReplicas: fc.integer({ min: 0, max: 4 }),
    cacheReplicas: fc.integer({ min: 1, max: 3 }),
    idleTimeoutSeconds: fc.integer({ min: 20, max: 120 }),
    keepAliveDelta: fc.integer({ min: -3, max: 30 }),
    requestDelta: fc.integer({ min: -3, max: 15 }),
    statementMargin: fc.integer({ min: -2000, max: 10_000 }),
    proxy: fc.boolean(),
    spotPercentAboveBase: fc.constantFrom(0, 0, 25, 100),
    workloadProfile: fc.constantFrom('general', 'compute', 'memory'),
    instanceClass: fc.constantFrom('db.t4g.medium', 'db.m7g.large', 'db.r7g.large', 'db.r7g.xlarge'),
  })
  .map((g) => {
    const requestTimeoutSeconds = Math.max(5, g.idleTimeoutSeconds - g.requestDelta);
    return {
      fleet: {
        minCapacity: g.minCapacity,
        maxCapacity: g.minCapacity + g.extraCapacity,
        baselineInstances: Math.max(1, Math.floor(g.minCapacity / 2) - g.baselineShortfall + 2),
        spotPercentAboveBase: g.spotPercentAboveBase,
        workloadProfile: g.workloadProfile,
        instanceRefresh: { maxHealthyPercentage: 110 },
      },
      app: {
        dbPoolSize: g.dbPoolSize,
        dbReaderPoolSize: g.dbReaderPoolSize,
        keepAliveTimeoutSeconds: g.idleTimeoutSeconds + g.keepAliveDelta,
        requestTimeoutSeconds,
      },
      loadBalancer: { idleTimeoutSeconds: g.idleTimeoutSeconds, deregistrationDelaySeconds: requestTimeoutSeconds },
      database: {
        readReplicas: g.readReplicas,
        instanceClass: g.instanceClass,
        statementTimeoutMs: Math.max(1000, requestTimeoutSeconds * 1000 - g.statementMargin),
        proxy: { enabled: g.proxy },
      },
      cache: { replicasPerShard: g.cacheReplicas },
    };
  });

interface Leaf {
  readonly path: string[];
  readonly type: string;
}

/** Every leaf field of the environment schema with its JSON type. */
function leaves(): Leaf[] {
  type Js = { type?: string; properties?: Record<string, Js>; anyOf?: Js[]; enum?: unknown[] };
  const out: Leaf[] = [];
  const walk = (schema: Js, path: string[]) => {
    for (const [name, field] of Object.entries(schema.properties ?? {})) {
      if (field.properties) walk(field, [...path, name]);
      else out.push({ path: [...path, name], type: field.type ?? (field.enum ? 'string' : (field.anyOf?.[0]?.type ?? 'unknown')) });
    }
  };
  walk(z.toJSONSchema(environmentSchema, { io: 'input', unrepresentable: 'any' }) as Js, []);
  return out;
}

/** A value of the wrong JSON type for a field of `type`. */
function wrongValue(type: string): fc.Arbitrary<unknown> {
  switch (type) {
    case 'string':
      return fc.oneof(fc.integer(), fc.boolean(), fc.constant(null));
    case 'boolean':
      return fc.oneof(fc.string(), fc.integer());
    case 'array':
    case 'object':
      return fc.oneof(fc.integer(), fc.constant('not-a-collection'));
    default:
      return fc.oneof(fc.string(), fc.boolean(), fc.constant(null), fc.constant([1]));
  }
}

function nested(path: string[], value: unknown): Record<string, unknown> {
  return path.reduceRight<Record<string, unknown>>((acc, key, i) => (i === path.length - 1 ? { [key]: value } : { [key]: acc }), {});
}

describe('property: validation never crashes and always names the field', () => {
  it('valid configs pass; invalid ones fail with ConfigError naming an environment field (300 cases)', () => {
    let valid = 0;
    fc.assert(
      fc.property(teamConfig, (change) => {
        const outcome = validate({ prod: deepMerge(BUILTIN_ENVIRONMENTS.prod, change) });
        if (outcome.ok) valid++;
        else for (const path of outcome.paths) expect(path).toMatch(/^environments\.prod\.[a-zA-Z]/);
      }),
      { numRuns: 300, seed: 20261125 },
    );
    // The generator must exercise both sides, or the property says little.
    expect(valid).toBeGreaterThan(10);
    expect(valid).toBeLessThan(300);
  });

  it("a wrong-typed value in any field is rejected with that field's path (300 cases)", () => {
    const fields = leaves();
    expect(fields.length).toBeGreaterThan(60);
    const arbitrary = fc.constantFrom(...fields).chain((leaf) => wrongValue(leaf.type).map((value) => ({ leaf, value })));
    fc.assert(
      fc.property(arbitrary, ({ leaf, value }) => {
        const outcome = validate({ prod: deepMerge(BUILTIN_ENVIRONMENTS.prod, nested(leaf.path, value)) });
        expect(outcome.ok).toBe(false);
        if (!outcome.ok) expect(outcome.message).toContain(`environments.prod.${leaf.path.join('.')}`);
      }),
      { numRuns: 300, seed: 20261125 },
    );
  });

  it('arbitrary JSON in an environment never escapes as anything but a ConfigError (300 cases)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (env, fleet) => {
        validate({ prod: env });
        validate({ prod: { ...BUILTIN_ENVIRONMENTS.prod, fleet } });
      }),
      { numRuns: 300, seed: 20261125 },
    );
  });
});

describe('property: configs that pass validation synthesize (bounded: 6 synths)', () => {
  it('builds the stack the config describes', () => {
    fc.assert(
      fc.property(
        teamConfig.filter((change) => validate({ prod: deepMerge(BUILTIN_ENVIRONMENTS.prod, change) }).ok),
        (change) => {
          const [config] = resolveEnvironments({ prod: deepMerge(BUILTIN_ENVIRONMENTS.prod, change) }, 'generated.json');
          const app = testApp({ templatesOnly: true });
          const [stack] = addPlatform(app, [config], { policies: false });
          const template = Template.fromStack(stack);
          template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
            MinSize: String(config.fleet.minCapacity),
            MaxSize: String(config.fleet.maxCapacity),
          });
          template.resourceCountIs('AWS::RDS::DBInstance', 1 + config.database.readReplicas);
          template.resourceCountIs('AWS::RDS::DBProxy', config.database.proxy.enabled ? 1 : 0);
        },
      ),
      { numRuns: 6, seed: 20261125 },
    );
  });
});

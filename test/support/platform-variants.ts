import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Names, type CfnElement } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { resolveEnvironments } from '../../lib/model/config/load-config';
import { BUILTIN_ENVIRONMENTS } from '../../lib/model/config/builtin-environments';
import type { EnvironmentConfig, EnvironmentInput } from '../../lib/model/config/environment-schema';
import { PlatformStack } from '../../lib/platform/platform-stack';
import type { Template } from '../../lib/platform/review/templates';
import { testApp } from './test-app';

/** What `cdk synth` adds: `aws:cdk:path` metadata on every resource, so reports show construct paths. */
export const CLI_CONTEXT = { 'aws:cdk:enable-path-metadata': true };

/** A built-in environment with some fields changed, resolved like a config file would be. */
export function environment(name: keyof typeof BUILTIN_ENVIRONMENTS & string, changes: Partial<EnvironmentInput> = {}): EnvironmentConfig {
  const [config] = resolveEnvironments({ [name]: { ...BUILTIN_ENVIRONMENTS[name], ...changes } }, `test variant of ${name}`);
  return config;
}

/**
 * Templates of plain variants (a config, no `mutate`, no `stackClass`) already synthesized in this
 * worker, by config. The unit project runs files in shared workers (`isolate: false`), so the
 * same variant asked for by several files (the prod stack with a warm pool, the staging
 * baseline of the reference-chain cases) is synthesized once a worker. Synth is deterministic
 * (test/platform/policies/policy-packs.test.ts compares two synths byte for byte), so a cached template is the template a new synth would give.
 */
const plainVariants = new Map<string, Template>();

/**
 * Synthesizes one PlatformStack (no policy packs, no validator: a few hundred ms) and returns its
 * template (a copy: callers may edit it). `mutate` runs after construction, before synth: the
 * place for escape hatches.
 */
export function synthPlatform(
  config: EnvironmentConfig,
  options: { mutate?: (stack: PlatformStack) => void; stackClass?: typeof PlatformStack } = {},
): Template {
  const key = options.mutate || options.stackClass ? undefined : JSON.stringify(config);
  const known = key === undefined ? undefined : plainVariants.get(key);
  if (known) return structuredClone(known);
  const outdir = mkdtempSync(join(tmpdir(), 'loadbearing-variant-'));
  try {
    const app = testApp({ outdir, context: CLI_CONTEXT, templatesOnly: true });
    const StackClass = options.stackClass ?? PlatformStack;
    const stack = new StackClass(app, config.stackName, { config });
    options.mutate?.(stack);
    const template = app.synth().getStackByName(stack.stackName).template as Template;
    if (key !== undefined) plainVariants.set(key, structuredClone(template));
    return template;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/**
 * A PlatformStack in which the construct at `path` (construct IDs below the stack) is renamed to
 * `newId`, as a refactor renames it: every logical ID under it changes exactly as CDK would
 * allocate it for the new construct path, without editing lib/ or constructs/.
 */
function stackWithRenamedConstruct(path: readonly string[], newId: string): typeof PlatformStack {
  return class extends PlatformStack {
    protected override allocateLogicalId(element: CfnElement): string {
      const scopes = element.node.scopes;
      const ids = scopes.slice(scopes.indexOf(this) + 1).map((s) => s.node.id);
      if (!path.every((id, i) => ids[i] === id)) return super.allocateLogicalId(element);
      ids[path.length - 1] = newId;
      // Names.uniqueId hashes the path below the root, which is how a stack allocates logical IDs.
      let scope: Construct = new App();
      for (const id of ids) scope = new Construct(scope, id);
      return Names.uniqueId(scope);
    }
  };
}

/** A refactor as it happens: the `Database` construct renamed to `Db` (every logical ID under it changes). */
export const RenamedDatabaseStack = stackWithRenamedConstruct(['Database'], 'Db');

/** The writer's construct ID renamed (`Database/Writer` -> `Database/Primary`): the writer and its log groups get new logical IDs. */
export const RenamedWriterStack = stackWithRenamedConstruct(['Database', 'Writer'], 'Primary');

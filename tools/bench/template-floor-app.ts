import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, CfnElement, CfnResource, Stack, Validations } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { addPolicyPacks } from '../../lib/platform/policies/policy-packs';
import { defaultValidationCacheDirectory } from '../../lib/platform/policies/validation-cache';
import { writtenTemplates } from '../synth/assembly-summary';

/**
 * The bench's structural floor: the least any CDK app pays to emit the platform's templates.
 * It reads the templates a platform synth wrote (LOADBEARING_FLOOR_TEMPLATES: that assembly)
 * and builds every resource again as a bare L1 `CfnResource` with the same properties, in stacks
 * with the same environments, through the same policy gates and cache. No L2 constructs, no
 * config, no invariants: what is left is aws-cdk-lib creating, resolving and writing the same
 * resources, and the gates acknowledging the same findings (copied from the platform's
 * assembly onto the resources they cover). The platform's own cost is the difference.
 */
class RawSection extends CfnElement {
  constructor(
    scope: Construct,
    id: string,
    private readonly section: string,
    private readonly value: unknown,
  ) {
    super(scope, id);
    this.overrideLogicalId(id);
  }

  public _toCloudFormation(): object {
    return { [this.section]: { [this.logicalId]: this.value } };
  }
}

interface TemplateJson {
  readonly Resources?: Record<string, { Type: string; Properties?: Record<string, unknown>; [attribute: string]: unknown }>;
  readonly [section: string]: unknown;
}

const source = process.env.LOADBEARING_FLOOR_TEMPLATES;
if (!source) throw new Error('LOADBEARING_FLOOR_TEMPLATES must name the assembly of a platform synth (the bench sets it)');
const manifest = JSON.parse(readFileSync(join(source, 'manifest.json'), 'utf8')) as { artifacts: Record<string, { environment?: string }> };
type Metadata = Record<string, { type: string; data?: unknown }[]>;

/** Logical ID -> the acknowledgements (rule -> reason) the platform made on it or a scope above it. */
function acknowledgements(stack: string): Map<string, Record<string, string>> {
  const metadata = JSON.parse(readFileSync(join(source!, `${stack}.metadata.json`), 'utf8')) as Metadata;
  const entries = Object.entries(metadata);
  const logicalIds = entries.flatMap(([path, list]) =>
    list.filter((e) => e.type === 'aws:cdk:logicalId').map((e) => [path, String(e.data)] as const),
  );
  const result = new Map<string, Record<string, string>>();
  for (const [scope, list] of entries) {
    for (const entry of list.filter((e) => e.type === 'aws:cdk:acknowledged-rules')) {
      for (const [path, id] of logicalIds) {
        if (path === scope || path.startsWith(`${scope}/`))
          result.set(id, { ...result.get(id), ...(entry.data as Record<string, string>) });
      }
    }
  }
  return result;
}

const app = new App();
for (const { stack: name, file } of writtenTemplates(source)) {
  const acknowledged = acknowledgements(name);
  const [, account, region] = /^aws:\/\/(\d+)\/(.+)$/.exec(manifest.artifacts[name].environment ?? '') ?? [];
  const stack = new Stack(app, name, { env: { account, region } });
  const template = JSON.parse(readFileSync(file, 'utf8')) as TemplateJson;
  for (const [id, { Type, Properties, ...attributes }] of Object.entries(template.Resources ?? {})) {
    const resource = new CfnResource(stack, id, { type: Type, properties: Properties });
    resource.overrideLogicalId(id);
    for (const [attribute, value] of Object.entries(attributes)) resource.addOverride(attribute, value);
    for (const [rule, reason] of Object.entries(acknowledged.get(id) ?? {})) Validations.of(resource).acknowledge({ id: rule, reason });
  }
  // The synthesizer adds BootstrapVersion and its rule itself.
  for (const section of ['Parameters', 'Outputs', 'Conditions', 'Mappings', 'Rules'] as const) {
    for (const [id, value] of Object.entries((template[section] ?? {}) as Record<string, unknown>)) {
      if (id !== 'BootstrapVersion' && id !== 'CheckBootstrapVersion') new RawSection(stack, id, section, value);
    }
  }
  if (typeof template.Description === 'string') stack.templateOptions.description = template.Description;
  for (const transform of [template.Transform ?? []].flat() as string[]) stack.addTransform(transform);
}
addPolicyPacks(app, { cacheDirectory: defaultValidationCacheDirectory(), builtinValidation: true });
app.synth();

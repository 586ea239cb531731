/**
 * A synthesized CloudFormation template, as the deploy-time analyses read it (the rollback plan,
 * alarm delivery, preflight). Plain JSON types: nothing here needs aws-cdk-lib.
 */
export interface CfnTemplate {
  readonly Resources?: Record<string, CfnResource>;
  readonly Outputs?: Record<string, unknown>;
  readonly Parameters?: Record<string, unknown>;
  readonly Rules?: Record<string, unknown>;
  readonly Transform?: string | readonly string[];
  readonly [section: string]: unknown;
}

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DependsOn?: string | readonly string[];
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
  readonly UpdatePolicy?: Record<string, unknown>;
  readonly CreationPolicy?: Record<string, unknown>;
  readonly Condition?: string;
  readonly Metadata?: Record<string, unknown>;
}

/** The pseudo parameters CloudFormation resolves itself (`Ref: AWS::Region`...): never a resource. */
export function isPseudoParameter(name: string): boolean {
  return name.startsWith('AWS::');
}

/**
 * The logical IDs a value refers to: `Ref`, `Fn::GetAtt` and the `${...}` references of
 * `Fn::Sub`, at any depth. Parameters and pseudo parameters are included only if `known` has them.
 */
export function referencedIds(value: unknown, known: (id: string) => boolean, into: Set<string> = new Set()): Set<string> {
  if (Array.isArray(value)) {
    for (const v of value) referencedIds(v, known, into);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (key === 'Ref' && typeof v === 'string') {
        if (known(v)) into.add(v);
      } else if (key === 'Fn::GetAtt') {
        const target = Array.isArray(v) ? v[0] : typeof v === 'string' ? v.split('.')[0] : undefined;
        if (typeof target === 'string' && known(target)) into.add(target);
        else referencedIds(v, known, into);
      } else if (key === 'Fn::Sub') {
        const [text, vars] = Array.isArray(v) ? [v[0], v[1]] : [v, undefined];
        const local = new Set(vars && typeof vars === 'object' ? Object.keys(vars as object) : []);
        if (typeof text === 'string') {
          for (const m of text.matchAll(/\$\{([^!}][^}]*)\}/g)) {
            const name = m[1]!.split('.')[0]!;
            if (!local.has(name) && known(name)) into.add(name);
          }
        }
        if (vars) referencedIds(vars, known, into);
      } else {
        referencedIds(v, known, into);
      }
    }
  }
  return into;
}

/** `DependsOn` as a list. */
export function dependsOnList(resource: CfnResource): string[] {
  const d = resource.DependsOn;
  return d === undefined ? [] : typeof d === 'string' ? [d] : [...d];
}

/**
 * What CloudFormation must create before this resource: its `DependsOn` and every resource its
 * properties (and its other attributes) refer to.
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-dependson.html:
 * with a Ref or GetAtt, "Resource B is created before resource A. Resource A is deleted before resource B.")
 */
export function resourceDependencies(template: CfnTemplate, logicalId: string): string[] {
  const resources = template.Resources ?? {};
  const resource = resources[logicalId];
  if (!resource) return [];
  const known = (id: string) => id !== logicalId && id in resources;
  const ids = referencedIds({ p: resource.Properties, u: resource.UpdatePolicy, c: resource.CreationPolicy, m: resource.Metadata }, known);
  for (const d of dependsOnList(resource)) if (d in resources && d !== logicalId) ids.add(d);
  return [...ids].sort();
}

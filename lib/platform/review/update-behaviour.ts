import { loadResourceModel } from '@aws-cdk/cloudformation-diff/lib/diff/util';

/**
 * What CloudFormation does to a resource when one of its properties changes:
 * - `replace`: it creates a new resource and deletes the old one ("Update requires: Replacement");
 * - `maybe`: it replaces it for some values or situations ("Conditional" or "Some interruptions"
 *   that can end in a replacement);
 * - `update`: it updates the resource in place.
 */
export type UpdateBehaviour = 'replace' | 'maybe' | 'update';

const cache = new Map<string, UpdateBehaviour>();

/**
 * A property's update behaviour, from the CloudFormation resource specification in
 * `@aws-cdk/aws-service-spec` (its `causesReplacement`: yes, maybe or no). The lookup goes
 * through @aws-cdk/cloudformation-diff's lazily loaded copy of that spec (see `specIsStateful`),
 * and answers are cached.
 *
 * Outside the spec: custom resources are updated in place (CloudFormation sends their handler an
 * Update), and a type the spec does not know is `maybe`, the safe reading for a guard. A property
 * the spec does not list for a known type is `update`: CloudFormation rejects unknown properties.
 */
export function updateBehaviour(type: string, property: string): UpdateBehaviour {
  const key = `${type}\u0000${property}`;
  let behaviour = cache.get(key);
  if (behaviour === undefined) {
    behaviour = lookup(type, property);
    cache.set(key, behaviour);
  }
  return behaviour;
}

function lookup(type: string, property: string): UpdateBehaviour {
  if (type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource') return 'update';
  const model = loadResourceModel(type);
  if (!model) return 'maybe';
  const replacement = model.properties[property]?.causesReplacement;
  if (replacement === 'yes' || (model.additionalReplacementProperties ?? []).some((path) => path.length === 1 && path[0] === property))
    return 'replace';
  return replacement === 'maybe' ? 'maybe' : 'update';
}

import type { TemplateResource } from './templates';

/**
 * The logical IDs a template value refers to: `Ref`, `Fn::GetAtt` (array or `"Id.Attribute"`
 * form) and the `${Id}` / `${Id.Attribute}` placeholders of `Fn::Sub`, at any depth. Pseudo
 * parameters (`AWS::Region`...) and the variables a `Fn::Sub` defines itself are not resources.
 * When the resource behind one of these is replaced, the value changes, though the template
 * text does not.
 */
export function referencedIds(value: unknown, into: Set<string> = new Set()): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) referencedIds(item, into);
    return into;
  }
  if (typeof value !== 'object' || value === null) return into;
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    if (key === 'Ref' && typeof inner === 'string') {
      if (!inner.startsWith('AWS::')) into.add(inner);
    } else if (key === 'Fn::GetAtt') {
      const target = Array.isArray(inner) ? inner[0] : typeof inner === 'string' ? inner.split('.')[0] : undefined;
      if (typeof target === 'string') into.add(target);
      else referencedIds(inner, into);
    } else if (key === 'Fn::Sub') {
      const [text, variables] = Array.isArray(inner) ? [inner[0], inner[1]] : [inner, undefined];
      const own = new Set(typeof variables === 'object' && variables !== null ? Object.keys(variables) : []);
      if (typeof text === 'string') {
        for (const [, name] of text.matchAll(/\$\{([^!}][^}]*)\}/g)) {
          const id = name!.split('.')[0]!;
          if (!id.startsWith('AWS::') && !own.has(name!) && !own.has(id)) into.add(id);
        }
      }
      referencedIds(variables, into);
    } else {
      referencedIds(inner, into);
    }
  }
  return into;
}

/** Top-level property -> the logical IDs its value refers to (properties without references left out). */
export function propertyReferences(resource: TemplateResource): Map<string, Set<string>> {
  const result = new Map<string, Set<string>>();
  for (const [property, value] of Object.entries(resource.Properties ?? {})) {
    const ids = referencedIds(value);
    if (ids.size > 0) result.set(property, ids);
  }
  return result;
}

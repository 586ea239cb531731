import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analyzeImpacts, type ReplacementLevel } from '../../../lib/platform/review/impact-analysis';
import { reviewStack } from '../../../lib/platform/review/stack-review';
import type { Template, TemplateResource } from '../../../lib/platform/review/templates';
import { updateBehaviour } from '../../../lib/platform/review/update-behaviour';

/**
 * Properties of the reference-following analysis over generated templates: resources of real
 * types whose properties hold literals or references (Ref, Fn::GetAtt, Fn::Sub, lists of them) to
 * any resource, the resource itself and cycles included, and a set of edits to literal values.
 */
const TYPES: Readonly<Record<string, readonly string[]>> = {
  'AWS::EC2::VPC': ['CidrBlock', 'InstanceTenancy', 'Tags'],
  'AWS::EC2::Subnet': ['VpcId', 'CidrBlock', 'AvailabilityZone', 'Tags'],
  'AWS::EC2::SecurityGroup': ['VpcId', 'GroupDescription', 'SecurityGroupIngress'],
  'AWS::RDS::DBSubnetGroup': ['SubnetIds', 'DBSubnetGroupDescription'],
  'AWS::RDS::DBParameterGroup': ['Family', 'Description', 'Parameters'],
  'AWS::RDS::DBInstance': [
    'DBSubnetGroupName',
    'KmsKeyId',
    'DBParameterGroupName',
    'VPCSecurityGroups',
    'MultiAZ',
    'EngineVersion',
    'SourceDBInstanceIdentifier',
  ],
  'AWS::ElastiCache::SubnetGroup': ['SubnetIds', 'Description'],
  'AWS::ElastiCache::ReplicationGroup': ['CacheSubnetGroupName', 'SecurityGroupIds', 'KmsKeyId', 'Port'],
  'AWS::KMS::Key': ['Description', 'KeyPolicy'],
  'AWS::S3::Bucket': ['BucketName', 'Tags'],
  'Custom::Thing': ['Anything', 'Else'],
};
const TYPE_NAMES = Object.keys(TYPES);

type Value = { literal: string } | { ref: number; form: 'Ref' | 'GetAtt' | 'Sub' | 'List' };

const value = (n: number): fc.Arbitrary<Value> =>
  fc.oneof(
    fc.record({ literal: fc.constantFrom('a', 'b', '10.0.0.0/16', '17.9') }),
    fc.record({ ref: fc.nat(n - 1), form: fc.constantFrom('Ref' as const, 'GetAtt' as const, 'Sub' as const, 'List' as const) }),
  );

/** Resource i: a type and a value for some of its properties. */
const templateSpec = fc.integer({ min: 1, max: 12 }).chain((n) =>
  fc.array(
    fc.record({
      type: fc.constantFrom(...TYPE_NAMES),
      values: fc.array(value(n), { minLength: 4, maxLength: 4 }),
      present: fc.array(fc.boolean(), { minLength: 7, maxLength: 7 }),
    }),
    { minLength: n, maxLength: n },
  ),
);
type Spec = { type: string; values: Value[]; present: boolean[] }[];

function render(v: Value): unknown {
  if ('literal' in v) return v.literal;
  const id = `R${v.ref}`;
  return v.form === 'Ref'
    ? { Ref: id }
    : v.form === 'GetAtt'
      ? { 'Fn::GetAtt': [id, 'Arn'] }
      : v.form === 'Sub'
        ? { 'Fn::Sub': `x-\${${id}}` }
        : [{ Ref: id }, 'literal'];
}

function build(spec: Spec): Template {
  const resources: Record<string, TemplateResource> = {};
  spec.forEach((r, i) => {
    const properties: Record<string, unknown> = {};
    TYPES[r.type]!.forEach((name, p) => {
      if (r.present[p] ?? true) properties[name] = render(r.values[p % r.values.length]!);
    });
    resources[`R${i}`] = { Type: r.type, Properties: properties };
  });
  return { Resources: resources };
}

/** Edits: a new literal for some (resource, property) pairs. */
const edits = fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 4 });

function applyEdits(template: Template, pairs: readonly [number, number][], literal = 'edited'): Template {
  const copy = structuredClone(template) as Template & { Resources: Record<string, TemplateResource> };
  const ids = Object.keys(copy.Resources);
  for (const [r, p] of pairs) {
    const resource = copy.Resources[ids[r % ids.length]!]!;
    const names = TYPES[resource.Type]!;
    (resource.Properties as Record<string, unknown>)[names[p % names.length]!] = `${literal}-${r}-${p}`;
  }
  return copy;
}

const RANK: Record<ReplacementLevel, number> = { none: 0, maybe: 1, yes: 2 };
const levels = (before: Template, after: Template) => {
  const { impacts } = analyzeImpacts(before, after);
  return new Map(Object.keys(after.Resources ?? {}).map((id) => [id, impacts.get(id)?.replacement ?? 'none']));
};

describe('following replacements through references (generated templates)', () => {
  it('terminates on any input, cycles included, and every chain is finite and starts at a template change', () => {
    fc.assert(
      fc.property(templateSpec, edits, (spec, pairs) => {
        const before = build(spec);
        const after = applyEdits(before, pairs);
        const analysis = analyzeImpacts(before, after);
        const count = Object.keys(after.Resources ?? {}).length;
        for (const id of analysis.impacts.keys()) {
          const chain = analysis.chain(id);
          expect(chain.length).toBeLessThanOrEqual(count);
          if (chain.length > 0) expect(chain[chain.length - 1]!.logicalId).toBe(id);
        }
        // The whole review renders too.
        expect(() => reviewStack('s', before, after)).not.toThrow();
      }),
      { numRuns: 300 },
    );
  });

  it("adding a replacement never removes one: no resource's replacement level drops, and no stateful resource leaves the blocking report", () => {
    fc.assert(
      fc.property(templateSpec, edits, fc.nat(), fc.nat(), (spec, pairs, r, p) => {
        const before = build(spec);
        const after = applyEdits(before, pairs);
        // One more edit, of a property whose change replaces its resource.
        const ids = Object.keys(before.Resources!);
        const target = before.Resources![ids[r % ids.length]!]!;
        const replacing = TYPES[target.Type]!.map((name, i) => [name, i] as const).filter(
          ([name]) => updateBehaviour(target.Type, name) === 'replace',
        );
        fc.pre(replacing.length > 0);
        const more = applyEdits(after, [[r % ids.length, replacing[p % replacing.length]![1]]], 'replaced');

        const [one, two] = [levels(before, after), levels(before, more)];
        for (const [id, level] of one) expect(RANK[two.get(id)!], id).toBeGreaterThanOrEqual(RANK[level]);
        expect(two.get(ids[r % ids.length]!)).toBe('yes');

        const replaced = (t: Template) =>
          new Set(
            reviewStack('s', before, t)
              .hazards.filter((h) => h.impact === 'WILL_REPLACE' || h.impact === 'MAY_REPLACE')
              .map((h) => h.logicalId),
          );
        const blocking = new Set(reviewStack('s', before, more).hazards.map((h) => h.logicalId));
        for (const id of replaced(after)) expect(blocking.has(id), id).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('follows a cycle of replacing references without looping', () => {
    const cycle: Template = {
      Resources: {
        A: { Type: 'AWS::EC2::Subnet', Properties: { VpcId: { Ref: 'B' }, CidrBlock: '10.0.0.0/24' } },
        B: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: { 'Fn::GetAtt': ['A', 'CidrBlock'] } } },
      },
    };
    const edited = applyEdits(cycle, [[0, 1]]);
    const analysis = analyzeImpacts(cycle, edited);
    expect([...analysis.impacts.values()].map((i) => [i.logicalId, i.replacement])).toEqual([
      ['A', 'yes'],
      ['B', 'yes'],
    ]);
    expect(analysis.chain('B').map((s) => s.logicalId)).toEqual(['A', 'B']);
  });
});

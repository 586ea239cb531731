import { CfnResource } from 'aws-cdk-lib';
import type { CfnDBInstance } from 'aws-cdk-lib/aws-rds';
import { beforeAll, describe, expect, it } from 'vitest';
import { reviewTemplates, type Review } from '../../../lib/platform/review/review';
import type { Template } from '../../../lib/platform/review/templates';
import { textReport } from '../../../lib/platform/review/text-report';
import { environment, RenamedDatabaseStack, synthPlatform } from '../../support/platform-variants';

/**
 * The guard against real changes to the prod stack: each variant is one synth of the prod stack
 * (no policy packs), built without editing lib/ or constructs/, and reviewed against the
 * unchanged prod template. It must fail exactly on the destructive ones.
 */
const STACK = 'loadbearing-prod';
const WRITER = 'DatabaseWriter7794273E';
const REPLICA_2 = 'DatabaseReplica2035311FF';
const CACHE = 'Cache18F6EE16';

interface Variant {
  readonly name: string;
  readonly build: (baseline: Template) => Template;
  /** Logical IDs the guard must block (empty: the change is harmless and must pass). */
  readonly blocks: readonly string[];
  /** Text the report must contain. */
  readonly mentions: readonly string[];
}

const prod = environment('prod');

const VARIANTS: readonly Variant[] = [
  {
    name: '1. the Database construct renamed (Database -> Db)',
    build: () => synthPlatform(prod, { stackClass: RenamedDatabaseStack }),
    blocks: [WRITER, 'DatabaseReplica1ED560A1F', REPLICA_2, 'DatabaseKey5E5D9547', 'DatabaseWriterPostgresqlLogs15BCE633'],
    mentions: [`logical ID changed: ${WRITER} -> DbWriter`, 'the resource would be replaced: data loss', `overrideLogicalId('${WRITER}')`],
  },
  {
    name: '2. a replacement-causing DB property changed (DBInstanceIdentifier)',
    build: () =>
      synthPlatform(prod, {
        mutate: (s) =>
          (s.database.writer.node.defaultChild as CfnDBInstance).addPropertyOverride(
            'DBInstanceIdentifier',
            'loadbearing-prod-db-writer-v2',
          ),
      }),
    blocks: [WRITER],
    mentions: ['DBInstanceIdentifier "loadbearing-prod-db-writer" -> "loadbearing-prod-db-writer-v2" (requires replacement)'],
  },
  {
    name: '3. a read replica removed (readReplicas 2 -> 1)',
    build: () => synthPlatform(environment('prod', { database: { readReplicas: 1 } })),
    blocks: [REPLICA_2, 'DatabaseReplica2PostgresqlLogsBA1CE878', 'DatabaseReplica2UpgradeLogs741CEC8A'],
    mentions: [`${REPLICA_2} AWS::RDS::DBInstance (Database/Replica2)`, 'removed from the template: orphaned by DeletionPolicy Retain'],
  },
  {
    name: "4. the cache's at-rest encryption turned off",
    build: () => synthPlatform(prod, { mutate: (s) => s.cache.replicationGroup.addPropertyOverride('AtRestEncryptionEnabled', false) }),
    blocks: [CACHE],
    mentions: ['AtRestEncryptionEnabled true -> false (requires replacement)'],
  },
  {
    name: '5. the cache deleted',
    build: (baseline) => withoutResource(baseline, CACHE),
    blocks: [CACHE],
    mentions: [`${CACHE} AWS::ElastiCache::ReplicationGroup (Cache)`, 'removed from the template: orphaned by DeletionPolicy Retain'],
  },
  {
    name: '6. a tag added to every resource',
    build: () => synthPlatform(environment('prod', { tags: { 'cost-center': 'web-1234' } })),
    blocks: [],
    mentions: ['Result: no blocking changes'],
  },
  {
    name: '7. an alarm threshold changed (alarms.dbCpuPercent 80 -> 70)',
    build: () => synthPlatform(environment('prod', { alarms: { dbCpuPercent: 70 } })),
    blocks: [],
    mentions: ['Threshold 80 -> 70', 'Result: no blocking changes'],
  },
];

function withoutResource(template: Template, logicalId: string): Template {
  const copy = structuredClone(template) as Template & { Resources: Record<string, unknown> };
  expect(copy.Resources[logicalId], `${logicalId} must exist in the baseline`).toBeDefined();
  delete copy.Resources[logicalId];
  return copy;
}

const reviews = new Map<string, { review: Review; text: string }>();
let baselineTemplate: Template;

beforeAll(() => {
  const baseline = (baselineTemplate = synthPlatform(prod));
  for (const v of VARIANTS) {
    const review = reviewTemplates(
      { label: 'baseline', templates: new Map([[STACK, baseline]]) },
      { label: v.name, templates: new Map([[STACK, v.build(baseline)]]) },
      [],
    );
    reviews.set(v.name, {
      review,
      text: textReport(review, { allowListPath: 'lib/platform/review/allow-replacements.json', allowListEntries: 0 }),
    });
  }
});

describe.each(VARIANTS)('$name', (variant) => {
  it('changes the template (the variant is not a no-op)', () => {
    expect(reviews.get(variant.name)!.review.changed).toBe(true);
  });

  if (variant.blocks.length > 0) {
    it('fails the review (exit 1) and blocks the lost resources', () => {
      const { review } = reviews.get(variant.name)!;
      expect(review.exitCode).toBe(1);
      expect(review.blocking.map((h) => h.logicalId)).toEqual(expect.arrayContaining([...variant.blocks]));
      // Nothing else is blocked: only stateful resources, each for a reason.
      for (const h of review.blocking) expect(h.stack).toBe(STACK);
    });
  } else {
    it('passes the review (exit 0) with nothing blocked', () => {
      const { review } = reviews.get(variant.name)!;
      expect(review.blocking).toEqual([]);
      expect(review.exitCode).toBe(0);
    });
  }

  it('says what happened and to which resource', () => {
    const { text } = reviews.get(variant.name)!;
    for (const m of variant.mentions) expect(text).toContain(m);
    for (const id of variant.blocks) expect(text).toContain(`${STACK}: ${id} `);
  });
});

describe('the rename variant', () => {
  it('pairs each lost resource with its new logical ID, of the same type', () => {
    const { review } = reviews.get(VARIANTS[0].name)!;
    const writer = review.blocking.find((h) => h.logicalId === WRITER);
    expect(writer?.renamedTo?.logicalId).toMatch(/^DbWriter[0-9A-F]{8}$/);
    expect(writer?.impact).toBe('WILL_ORPHAN');
    const replica = review.blocking.find((h) => h.logicalId === REPLICA_2);
    expect(replica?.renamedTo?.logicalId).toMatch(/^DbReplica2[0-9A-F]{8}$/);
  });

  it('does not block the non-stateful resources that moved with it (alarms, parameter group, roles)', () => {
    const { review } = reviews.get(VARIANTS[0].name)!;
    const removed = review.stacks[0].changes.filter((c) => c.kind === 'removed').map((c) => c.type);
    expect(removed).toEqual(expect.arrayContaining(['AWS::CloudWatch::Alarm', 'AWS::RDS::DBParameterGroup', 'AWS::IAM::Role']));
    expect(review.blocking.map((h) => h.type)).not.toContain('AWS::CloudWatch::Alarm');
  });

  it('shows the IAM changes that come with it (the fleet role now reads the new DB secret)', () => {
    const { review, text } = reviews.get(VARIANTS[0].name)!;
    expect(review.stacks[0].iamTables.length).toBeGreaterThan(0);
    expect(text).toContain('IAM changes:');
  });
});

describe('the fix the guard suggests for a rename: overrideLogicalId', () => {
  const review = (head: Template) =>
    reviewTemplates(
      { label: 'baseline', templates: new Map([[STACK, baselineTemplate]]) },
      { label: 'pinned', templates: new Map([[STACK, head]]) },
      [],
    );

  it('is not enough on the writer alone: it still references the renamed key and subnet group, which replaces it', () => {
    const pinned = synthPlatform(prod, {
      stackClass: RenamedDatabaseStack,
      mutate: (s) => (s.database.writer.node.defaultChild as CfnResource).overrideLogicalId(WRITER),
    });
    const writer = review(pinned).blocking.find((h) => h.logicalId === WRITER);
    expect(writer?.impact).toBe('WILL_REPLACE');
    expect(writer?.reason).toMatch(/KmsKeyId .* \(requires replacement\)/);
    expect(writer?.reason).toMatch(/DBSubnetGroupName .* \(requires replacement\)/);
  });

  it('restores the exact template when every resource of the renamed construct is pinned to its old ID', () => {
    const oldIds = new Map(Object.entries(baselineTemplate.Resources ?? {}).map(([id, r]) => [String(r.Metadata?.['aws:cdk:path']), id]));
    const pinned = synthPlatform(prod, {
      stackClass: RenamedDatabaseStack,
      mutate: (s) => {
        for (const child of s.database.node.findAll()) {
          if (child instanceof CfnResource) child.overrideLogicalId(oldIds.get(child.node.path)!);
        }
      },
    });
    const result = review(pinned);
    expect(result.blocking).toEqual([]);
    expect(result.changed).toBe(false);
  });
});

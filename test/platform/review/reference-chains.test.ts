import { beforeAll, describe, expect, it } from 'vitest';
import { reviewTemplates, type Review } from '../../../lib/platform/review/review';
import type { Template } from '../../../lib/platform/review/templates';
import { textReport } from '../../../lib/platform/review/text-report';
import { environment, synthPlatform } from '../../support/platform-variants';

/**
 * Changes whose effect travels through references, on real templates of the staging stack (one
 * synth per variant, no policy packs), and the PostgreSQL engine upgrade paths of the runbook in
 * docs/reviewing-changes.md.
 */
const STACK = 'loadbearing-staging';
const WRITER = 'DatabaseWriter7794273E';

function review(before: Template, after: Template, configChanges: string[] = []): { review: Review; text: string } {
  const r = reviewTemplates(
    { label: 'base', templates: new Map([[STACK, before]]) },
    { label: 'head', templates: new Map([[STACK, after]]) },
    [],
    {
      configChanges: new Map([[STACK, configChanges]]),
    },
  );
  return { review: r, text: textReport(r, { allowListPath: 'allow.json', allowListEntries: 0 }) };
}

const staging = (changes: Parameters<typeof environment>[1] = {}) => synthPlatform(environment('staging', changes));
const database = (settings: Record<string, unknown>) => ({ database: { ...settings } }) as Parameters<typeof environment>[1];

let baseline: Template;
beforeAll(() => {
  baseline = staging();
});

describe('a VPC CIDR change (network.cidr)', () => {
  let result: ReturnType<typeof review>;
  beforeAll(() => {
    const cidr = String(environment('staging').network.cidr);
    const next = cidr.replace(/^10\.(\d+)\./, (_, n: string) => `10.${Number(n) + 1}.`);
    result = review(baseline, staging({ network: { cidr: next } } as Parameters<typeof environment>[1]), [
      `network.cidr "${cidr}" -> "${next}"`,
    ]);
  });

  it('is blocked (exit 1): the database and the cache cannot move to the new VPC', () => {
    expect(result.review.exitCode).toBe(1);
    const blocked = result.review.blocking.map((h) => [h.logicalId, h.impact]);
    expect(blocked).toContainEqual([WRITER, 'UPDATE_REFUSED']);
    expect(blocked).toContainEqual(['DatabaseReplica1ED560A1F', 'UPDATE_REFUSED']);
    expect(blocked.map(([id]) => id)).toContain('Cache18F6EE16');
  });

  it('reports the chain from its root: config -> VPC replaced -> subnet replaced -> DB subnet group update refused -> writer blocked', () => {
    const writer = result.review.blocking.find((h) => h.logicalId === WRITER)!;
    expect(writer.reason).toMatch(
      /^cannot be updated: config network\.cidr "10\.\d+\.0\.0\/\d+" -> "10\.\d+\.0\.0\/\d+" → Network\/Vpc replaced \(CidrBlock .* requires replacement\) → Network\/Vpc\/\w+Subnet\d\/Subnet replaced \(\w+ requires replacement\) → Database\/Subnets update refused by AWS \(SubnetIds: a DB subnet group cannot move to another VPC\) → Database\/Writer cannot be updated: blocked \(RDS rejects new subnets in another VPC/,
    );
    expect(writer.fix).toMatch(/^keep the VPC/);
  });

  it('lists the resources affected only through references, with their chains', () => {
    const impacts = result.review.stacks[0]!.impacts;
    expect(impacts.find((i) => i.logicalId === WRITER)?.effect).toBe('blocked');
    expect(impacts.find((i) => i.path?.endsWith('/Database/Subnets/Default'))?.effect).toBe('update refused');
    expect(result.text).toMatch(
      / {2}blocked {3}AWS::RDS::DBInstance {2}DatabaseWriter7794273E {2}Database\/Writer {2}\[stateful\] {2}through references: config network\.cidr/,
    );
    expect(result.text).toContain('could not be updated (AWS refuses the update)');
  });
});

describe('PostgreSQL engine upgrades (the runbook cases)', () => {
  it('1. a minor upgrade (17.6 -> 17.9) is an in-place update: exit 0, the version change shown', () => {
    const { review: r, text } = review(staging(database({ engineVersion: '17.6' })), baseline);
    expect(r.exitCode).toBe(0);
    expect(r.blocking).toEqual([]);
    expect(text).toMatch(
      /modified +AWS::RDS::DBInstance +DatabaseWriter7794273E +Database\/Writer +\[stateful\] +.*EngineVersion "17\.6" -> "17\.9"/,
    );
  });

  it('2. a major upgrade without the switch is blocked with its real cause', () => {
    const { review: r } = review(baseline, staging(database({ engineVersion: '18.3' })));
    expect(r.exitCode).toBe(1);
    const writer = r.blocking.find((h) => h.logicalId === WRITER)!;
    expect(writer.impact).toBe('UPDATE_REFUSED');
    expect(writer.reason).toContain('major version change without `allowMajorVersionUpgrade`');
    expect(writer.fix).toContain('database.allowMajorVersionUpgrade');
  });

  describe('3. a major upgrade with database.allowMajorVersionUpgrade', () => {
    let after: Template;
    let result: ReturnType<typeof review>;
    beforeAll(() => {
      after = staging(database({ engineVersion: '18.3', allowMajorVersionUpgrade: true }));
      result = review(baseline, after);
    });

    it('sets AllowMajorVersionUpgrade on the writer only', () => {
      expect(after.Resources![WRITER]!.Properties!.AllowMajorVersionUpgrade).toBe(true);
      expect(after.Resources!.DatabaseReplica1ED560A1F!.Properties!.AllowMajorVersionUpgrade).toBeUndefined();
    });

    it("gives the new family's parameter group a new logical ID, shared by writer and replicas", () => {
      const groups = Object.entries(after.Resources!).filter(([, r]) => r.Type === 'AWS::RDS::DBParameterGroup');
      expect(groups.map(([id, r]) => [id.replace(/[0-9A-F]{8}$/, ''), r.Properties!.Family])).toEqual([
        ['DatabaseParametersPostgres18', 'postgres18'],
      ]);
      for (const id of [WRITER, 'DatabaseReplica1ED560A1F'])
        expect(after.Resources![id]!.Properties!.DBParameterGroupName).toEqual({ Ref: groups[0]![0] });
    });

    it('passes as an in-place upgrade of the writer and its replicas (exit 0)', () => {
      expect(result.review.blocking).toEqual([]);
      expect(result.review.exitCode).toBe(0);
      const writer = result.review.stacks[0]!.changes.find((c) => c.logicalId === WRITER)!;
      expect(writer.kind).toBe('modified');
      expect(writer.inPlace).toMatch(/^postgres-major-upgrade: an in-place major version upgrade/);
      expect(result.text).toMatch(
        /modified +AWS::RDS::DBInstance +DatabaseWriter7794273E .*EngineVersion "17\.9" -> "18\.3".*in place \(postgres-major-upgrade\)/,
      );
      expect(result.text).toMatch(/modified +AWS::RDS::DBInstance +DatabaseReplica1ED560A1F .*in place \(postgres-major-upgrade\)/);
    });

    it('keeps RDS Proxy: its engine family does not name a version, and it targets the writer by name', () => {
      const proxies = result.review.stacks[0]!.changes.filter((c) => c.type.startsWith('AWS::RDS::DBProxy'));
      expect(proxies).toEqual([]);
    });
  });

  it('4. turning the switch off after the upgrade renames the parameter group: a same-family swap, in place (exit 0)', () => {
    const upgraded = staging(database({ engineVersion: '18.3', allowMajorVersionUpgrade: true }));
    const { review: r, text } = review(upgraded, staging(database({ engineVersion: '18.3' })));
    expect(r.blocking).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(text).toMatch(/modified +AWS::RDS::DBInstance +DatabaseWriter7794273E .*in place \(parameter-group-same-family\)/);
  });

  it('5. a major upgrade whose parameter group is not of the new family is blocked (the rule needs the new family)', () => {
    const after = staging(database({ engineVersion: '18.3', allowMajorVersionUpgrade: true }));
    const group = Object.keys(after.Resources!).find((id) => after.Resources![id]!.Type === 'AWS::RDS::DBParameterGroup')!;
    const wrong = structuredClone(after);
    wrong.Resources![group]!.Properties!.Family = 'postgres17';
    const { review: r } = review(baseline, wrong);
    expect(r.blocking.find((h) => h.logicalId === WRITER)?.impact).toBe('MAY_REPLACE');
  });
});

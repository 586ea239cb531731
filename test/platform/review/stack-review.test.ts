import { describe, expect, it } from 'vitest';
import { reviewTemplates } from '../../../lib/platform/review/review';
import { reviewStack } from '../../../lib/platform/review/stack-review';
import type { Template, TemplateResource } from '../../../lib/platform/review/templates';
import { textReport } from '../../../lib/platform/review/text-report';

/** Small hand-written templates: the review's rules one at a time, without a synth. */
const db = (props: Record<string, unknown> = {}, attributes: Partial<TemplateResource> = {}): TemplateResource => ({
  Type: 'AWS::RDS::DBInstance',
  Properties: { Engine: 'postgres', DBInstanceClass: 'db.m7g.large', AllocatedStorage: '100', DeletionProtection: true, ...props },
  DeletionPolicy: 'Snapshot',
  UpdateReplacePolicy: 'Snapshot',
  ...attributes,
});
const template = (resources: Record<string, TemplateResource>): Template => ({ Resources: resources });

describe('reviewStack', () => {
  it('finds nothing in identical templates', () => {
    const t = template({ Db: db() });
    const review = reviewStack('s', t, structuredClone(t));
    expect(review.changes).toEqual([]);
    expect(review.hazards).toEqual([]);
  });

  it('blocks a property that may cause replacement (MAY_REPLACE), naming it', () => {
    const [hazard] = reviewStack('s', template({ Db: db({ MultiAZ: false }) }), template({ Db: db({ MultiAZ: true }) })).hazards;
    expect(hazard.impact).toBe('MAY_REPLACE');
    expect(hazard.reason).toBe('may be replaced by a new, empty resource: MultiAZ false -> true (may cause replacement)');
  });

  it('blocks a type change under the same logical ID', () => {
    const [hazard] = reviewStack(
      's',
      template({ Data: db() }),
      template({ Data: { Type: 'AWS::RDS::DBCluster', Properties: { Engine: 'aurora-postgresql' } } }),
    ).hazards;
    expect(hazard.impact).toBe('WILL_REPLACE');
    expect(hazard.reason).toContain('the resource type changed (AWS::RDS::DBInstance -> AWS::RDS::DBCluster)');
  });

  it('does not block an in-place update of a stateful resource', () => {
    const review = reviewStack('s', template({ Db: db() }), template({ Db: db({ DBInstanceClass: 'db.m7g.xlarge' }) }));
    expect(review.changes.map((c) => [c.logicalId, c.kind, c.impact])).toEqual([['Db', 'modified', 'WILL_UPDATE']]);
    expect(review.hazards).toEqual([]);
  });

  it('does not block the replacement or removal of a stateless resource', () => {
    const sg = (description: string): TemplateResource => ({
      Type: 'AWS::EC2::SecurityGroup',
      Properties: { GroupDescription: description, VpcId: 'vpc-1' },
    });
    const review = reviewStack('s', template({ Sg: sg('a'), Old: sg('x') }), template({ Sg: sg('b') }));
    expect(review.changes.map((c) => [c.logicalId, c.kind])).toEqual([
      ['Old', 'removed'],
      ['Sg', 'replaced'],
    ]);
    expect(review.hazards).toEqual([]);
  });

  it('treats an orphaned stateful resource (DeletionPolicy Retain, removed) as a hazard', () => {
    const [hazard] = reviewStack(
      's',
      template({ Key: { Type: 'AWS::KMS::Key', Properties: {}, DeletionPolicy: 'Retain' } }),
      template({}),
    ).hazards;
    expect(hazard.impact).toBe('WILL_ORPHAN');
    expect(hazard.reason).toContain('orphaned by DeletionPolicy Retain');
  });

  it('warns (without blocking) when a kept stateful resource loses its DeletionPolicy, and blocks turning its deletion protection off', () => {
    const review = reviewStack(
      's',
      template({ Db: db() }),
      template({ Db: db({ DeletionProtection: false }, { DeletionPolicy: 'Delete' }) }),
    );
    expect(review.warnings).toEqual([
      'Db (AWS::RDS::DBInstance): DeletionPolicy Snapshot -> Delete; a later removal or replacement would delete its data',
    ]);
    expect(review.hazards.map((h) => [h.logicalId, h.impact])).toEqual([['Db', 'WILL_UNPROTECT']]);
    expect(review.hazards[0]!.reason).toBe(
      'DeletionProtection true -> false: CloudFormation sends the new value, so the deployed resource loses its deletion protection during this update',
    );
  });

  it('notes, without blocking, deletion protection left out of the template (CloudFormation sends nothing), and says when nothing switches it on', () => {
    const { DeletionProtection: _dropped, ...withoutProtection } = db().Properties!;
    const review = reviewStack('s', template({ Db: db() }), template({ Db: { ...db(), Properties: withoutProtection } }));
    expect(review.hazards).toEqual([]);
    expect(review.warnings).toEqual([
      'Db (AWS::RDS::DBInstance): DeletionProtection true -> (left out): CloudFormation does not send a setting the template leaves out, so the deployed resource stays protected; but nothing in the new template switches it on: a new stack would be created unprotected',
    ]);
  });

  it('warns about a stack that is no longer synthesized, without blocking (a deploy leaves it alone)', () => {
    const review = reviewStack('old-stack', template({ Db: db() }), undefined);
    expect(review.presence).toBe('removed');
    expect(review.hazards).toEqual([]);
    expect(review.warnings[0]).toMatch(/^stack old-stack is no longer synthesized \(1 resources, 1 stateful\)/);
  });

  it('reports a new stack as added resources only', () => {
    const review = reviewStack('new-stack', undefined, template({ Db: db() }));
    expect(review.presence).toBe('added');
    expect(review.changes.map((c) => c.kind)).toEqual(['added']);
    expect(review.hazards).toEqual([]);
  });

  it('lists changes outside Resources', () => {
    const review = reviewStack('s', { Resources: {}, Outputs: { A: { Value: '1' } } }, { Resources: {}, Outputs: { A: { Value: '2' } } });
    expect(review.otherSections).toEqual(['Outputs: 1 changed']);
  });
});

describe('the text report', () => {
  const review = (before: Template, after: Template) =>
    reviewTemplates({ label: 'base', templates: new Map([['s', before]]) }, { label: 'head', templates: new Map([['s', after]]) }, []);
  const text = (before: Template, after: Template) =>
    textReport(review(before, after), { allowListPath: 'lib/platform/review/allow-replacements.json', allowListEntries: 0 });

  it('lists security group changes with the library summary', () => {
    const sg = (cidr: string): Template =>
      template({
        Sg: {
          Type: 'AWS::EC2::SecurityGroup',
          Properties: {
            GroupDescription: 'db',
            VpcId: 'vpc-1',
            SecurityGroupIngress: [{ IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, CidrIp: cidr }],
          },
        },
      });
    const out = text(sg('10.0.0.0/16'), sg('0.0.0.0/0'));
    expect(out).toContain('Security group changes:');
    expect(out).toMatch(/\+ .*In .*TCP 5432 .*Everyone \(IPv4\)/);
  });

  it('prints the full property diff only with --details', () => {
    const r = review(template({ Db: db() }), template({ Db: db({ DBInstanceClass: 'db.m7g.xlarge' }) }));
    expect(textReport(r, { allowListPath: 'a', allowListEntries: 0 })).not.toContain('[-] db.m7g.large');
    expect(textReport(r, { allowListPath: 'a', allowListEntries: 0, details: true })).toMatch(
      /\[-\] db\.m7g\.large\n.*\[\+\] db\.m7g\.xlarge/,
    );
  });
});

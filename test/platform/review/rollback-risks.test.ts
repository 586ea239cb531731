import { describe, expect, it } from 'vitest';
import { rollbackRisks } from '../../../lib/platform/review/rollback-risks';
import { reviewStack } from '../../../lib/platform/review/stack-review';
import { textReport } from '../../../lib/platform/review/text-report';
import { reviewTemplates } from '../../../lib/platform/review/review';
import type { Template } from '../../../lib/platform/review/templates';

const writer = (props: Record<string, unknown> = {}) => ({
  Type: 'AWS::RDS::DBInstance',
  Properties: { Engine: 'postgres', EngineVersion: '16.4', AllocatedStorage: '100', StorageType: 'gp3', ...props },
});
const replica = { Type: 'AWS::RDS::DBInstance', Properties: { SourceDBInstanceIdentifier: { Ref: 'Writer' } } };
const cache = (props: Record<string, unknown> = {}) => ({
  Type: 'AWS::ElastiCache::ReplicationGroup',
  Properties: { Engine: 'valkey', EngineVersion: '8.0', ReplicationGroupDescription: 'c', ...props },
});
const template = (resources: Record<string, unknown>): Template => ({ Resources: resources }) as Template;

describe('changes whose rollback can fail (classified once, in the diff guard)', () => {
  it('flags an engine version, a storage change, a replica added or removed, and a cache engine change, each with its reason and sources', () => {
    const before = template({ Writer: writer(), Replica1: replica, Cache: cache() });
    const after = template({
      Writer: writer({ EngineVersion: '17.2', AllocatedStorage: '200' }),
      Replica2: replica,
      Cache: cache({ EngineVersion: '8.1' }),
    });
    const risks = rollbackRisks(before, after);
    expect(risks.map((r) => [r.logicalId, r.rule, r.change])).toEqual([
      ['Cache', 'cache-engine', 'EngineVersion "8.0" -> "8.1"'],
      ['Replica1', 'rds-replica', 'a read replica is removed'],
      ['Replica2', 'rds-replica', 'a read replica is added'],
      ['Writer', 'rds-engine-version', 'EngineVersion "16.4" -> "17.2"'],
      ['Writer', 'rds-storage', 'AllocatedStorage "100" -> "200"'],
    ]);
    for (const r of risks) {
      expect(r.reason.length).toBeGreaterThan(40);
      expect(r.sources.length).toBeGreaterThan(0);
    }
  });

  it('flags nothing for a change that rolls back cleanly, a first create, or a writer added (not a replica)', () => {
    const before = template({ Writer: writer() });
    expect(rollbackRisks(before, template({ Writer: writer({ MonitoringInterval: 60 }) }))).toEqual([]);
    expect(rollbackRisks(undefined, before)).toEqual([]);
    expect(rollbackRisks(before, template({ Writer: writer(), Other: writer() }))).toEqual([]);
  });

  it('reports them in the stack review and the text report, without blocking', () => {
    const before = template({ Writer: writer() });
    const after = template({ Writer: writer({ EngineVersion: '16.6' }) });
    const review = reviewTemplates(
      { label: 'base', templates: new Map([['s', before]]) },
      { label: 'head', templates: new Map([['s', after]]) },
      [],
    );
    expect(review.exitCode).toBe(0);
    expect(review.stacks[0]!.rollbackRisks).toHaveLength(1);
    const text = textReport(review, { allowListPath: 'allow.json', allowListEntries: 0 });
    expect(text).toContain('Rollback can fail (`loadbearing deploy` asks for --approve-stateful):');
    expect(text).toContain('s: Writer (AWS::RDS::DBInstance): EngineVersion "16.4" -> "16.6"');
  });
});

describe('rollback trigger alarms the deployed stack keeps', () => {
  const alarm = (name: string, extra: Record<string, unknown> = {}) => ({
    Type: 'AWS::CloudWatch::Alarm',
    Properties: {
      AlarmName: name,
      MetricName: 'X',
      Namespace: 'N',
      Threshold: 1,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanThreshold',
      ...extra,
    },
  });
  const withTriggers = (resources: Record<string, unknown>, triggers: string[]): Template =>
    ({ Resources: resources, Metadata: { 'loadbearing:delivery': { rollbackTriggers: triggers } } }) as Template;

  it('warns when a deploy deletes or renames a trigger: the next plain cdk deploy would fail on it', () => {
    const before = withTriggers({ A: alarm('s-alb-target-5xx-rate'), B: alarm('s-alb-latency-p99') }, [
      's-alb-target-5xx-rate',
      's-alb-latency-p99',
    ]);
    const after = withTriggers({ B: alarm('s-alb-p99') }, ['s-alb-p99']);
    const warnings = reviewStack('s', before, after).warnings;
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/^rollback trigger alarm s-alb-target-5xx-rate \(A\): this deploy deletes it/);
    expect(warnings[1]).toMatch(/^rollback trigger alarm s-alb-latency-p99 \(B\): this deploy deletes it/);
    expect(warnings[0]).toContain('npx loadbearing deploy');
  });

  it('says nothing when the triggers stay', () => {
    const before = withTriggers({ A: alarm('s-alb-target-5xx-rate') }, ['s-alb-target-5xx-rate']);
    const after = withTriggers({ A: alarm('s-alb-target-5xx-rate', { Threshold: 2 }) }, ['s-alb-target-5xx-rate']);
    expect(reviewStack('s', before, after).warnings).toEqual([]);
  });
});

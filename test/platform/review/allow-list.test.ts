import { describe, expect, it } from 'vitest';
import { applyAllowList, isAllowListError, parseAllowList, type AllowEntry } from '../../../lib/platform/review/allow-list';
import type { Hazard } from '../../../lib/platform/review/stack-review';

const REASON = 'dev cache holds only session data; users log in again after the replacement';

function hazard(logicalId: string, impact: Hazard['impact'] = 'WILL_REPLACE', stack = 'loadbearing-dev'): Hazard {
  return { stack, logicalId, type: 'AWS::ElastiCache::ReplicationGroup', impact, reason: 'would be replaced', fix: 'revert it' };
}

/** The ConfigError message for a bad allow-list document. */
function problems(json: unknown): string {
  try {
    parseAllowList(json, 'lib/platform/review/allow-replacements.json');
  } catch (e) {
    if (isAllowListError(e)) return e.message;
    throw e;
  }
  throw new Error('expected the allow-list to be rejected');
}

describe('allow-list validation', () => {
  it('accepts a complete entry, with or without an impact', () => {
    const entries = parseAllowList(
      {
        allowed: [
          { stack: 'loadbearing-dev', logicalId: 'Cache18F6EE16', impact: 'WILL_REPLACE', reason: REASON },
          { stack: 'loadbearing-dev', logicalId: 'CacheKeyCDF9DE27', reason: REASON },
        ],
      },
      'f.json',
    );
    expect(entries.map((e) => e.logicalId)).toEqual(['Cache18F6EE16', 'CacheKeyCDF9DE27']);
  });

  it('rejects an entry without a reason, naming the path, the value, the rule and the fix', () => {
    const message = problems({ allowed: [{ stack: 'loadbearing-prod', logicalId: 'DatabaseWriter7794273E' }] });
    expect(message).toContain('Invalid allow-list (1 problem) in lib/platform/review/allow-replacements.json');
    expect(message).toMatch(
      /- allowed\[0\]\.reason = \(missing\)\n +rule: required: every allowed loss needs a reason\n +fix: +say why the data may go/,
    );
  });

  it.each([
    ['a placeholder', 'TODO'],
    ['too short', 'not needed'],
    ['a placeholder padded to length', 'deliberate, approved ok'],
  ])('rejects a trivial reason (%s)', (_, reason) => {
    const message = problems({ allowed: [{ stack: 'loadbearing-prod', logicalId: 'DatabaseWriter7794273E', reason }] });
    expect(message).toContain(`allowed[0].reason = ${JSON.stringify(reason)}`);
    expect(message).toMatch(/rule: must explain why losing this resource is acceptable/);
    expect(message).toMatch(/fix: +say why the data may go or how it survives/);
  });

  it('rejects unknown fields, unknown impacts and bad logical IDs, all at once', () => {
    const message = problems({
      allowed: [{ stack: 'loadbearing-prod', logicalID: 'X', logicalId: 'Database/Writer', impact: 'WILL_EXPLODE', reason: REASON }],
    });
    expect(message).toContain('(3 problems)');
    expect(message).toMatch(/allowed\[0\]\.logicalID = "X"\n +rule: unknown field \(typo\?\)\n +fix: +did you mean "logicalId"\?/);
    expect(message).toMatch(
      /allowed\[0\]\.impact = "WILL_EXPLODE"\n +rule: must be one of "WILL_DESTROY", "WILL_REPLACE", "MAY_REPLACE", "WILL_ORPHAN"/,
    );
    expect(message).toMatch(
      /allowed\[0\]\.logicalId = "Database\/Writer"\n +rule: must be a CloudFormation logical ID.*\n +fix: +copy the logical ID from the `npm run diff` output/,
    );
  });

  it('checks the reason even when other fields of the entry are wrong', () => {
    const message = problems({ allowed: [{ stack: '', logicalId: 'DatabaseWriter7794273E', reason: 'n/a' }] });
    expect(message).toContain('(2 problems)');
    expect(message).toContain('allowed[0].reason = "n/a"');
  });

  it('rejects duplicate entries', () => {
    const entry = { stack: 'loadbearing-dev', logicalId: 'Cache18F6EE16', reason: REASON };
    expect(problems({ allowed: [entry, entry] })).toMatch(/allowed\[1\] = .*\n +rule: duplicates allowed\[0\]/);
  });

  it('rejects a document without the allowed list', () => {
    expect(problems({ allow: [] })).toMatch(/allowed = \(missing\)\n +rule: required \(array\)/);
  });
});

describe('applying the allow-list', () => {
  const entries: AllowEntry[] = [
    { stack: 'loadbearing-dev', logicalId: 'Cache18F6EE16', impact: 'WILL_REPLACE', reason: REASON },
    { stack: 'loadbearing-prod', logicalId: 'Gone1234', reason: REASON },
  ];

  it('allows a matching hazard and keeps the others blocking', () => {
    const result = applyAllowList([hazard('Cache18F6EE16'), hazard('DatabaseWriter7794273E', 'WILL_DESTROY')], entries);
    expect(result.allowed.map((a) => [a.hazard.logicalId, a.entry.reason])).toEqual([['Cache18F6EE16', REASON]]);
    expect(result.blocking.map((h) => h.logicalId)).toEqual(['DatabaseWriter7794273E']);
  });

  it('does not allow a different impact, stack or logical ID than the entry names', () => {
    const result = applyAllowList(
      [hazard('Cache18F6EE16', 'WILL_DESTROY'), hazard('Cache18F6EE16', 'WILL_REPLACE', 'loadbearing-prod')],
      entries,
    );
    expect(result.allowed).toEqual([]);
    expect(result.blocking).toHaveLength(2);
  });

  it('reports entries that match nothing as stale', () => {
    const result = applyAllowList([hazard('Cache18F6EE16')], entries);
    expect(result.stale.map((e) => e.logicalId)).toEqual(['Gone1234']);
  });
});

import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { maskVolatile } from '../../support/mask-volatile';
import { PROJECT_ROOT } from '../../support/run-cdk';

/**
 * The whole-template snapshots (test/platform/stack/__snapshots__) must be the same on every machine and
 * after every library upgrade that changes nothing deployable: a snapshot diff in review then
 * always means a change to the platform.
 */
const DIR = join(PROJECT_ROOT, 'test', 'platform', 'stack', '__snapshots__');
const snapshots = readdirSync(DIR).filter((f) => f.endsWith('.template.json'));

describe('whole-template snapshots', () => {
  it('exist for every built-in environment', () => {
    expect(snapshots.sort()).toEqual([
      'loadbearing-dev.template.json',
      'loadbearing-prod.template.json',
      'loadbearing-staging.template.json',
    ]);
  });

  it.each(snapshots)('%s holds no asset hash, library version or machine-specific path', (file) => {
    const text = readFileSync(join(DIR, file), 'utf8');
    expect(text).not.toMatch(/[0-9a-f]{64}/);
    expect(text).not.toMatch(/aws-cdk-lib@\d/);
    for (const local of [PROJECT_ROOT, tmpdir(), 'cdk.out', 'node_modules']) expect(text).not.toContain(local);
    // Masking is idempotent: a snapshot is already in its masked form.
    expect(maskVolatile(text)).toBe(text);
  });

  it('masks asset hashes and library versions, and nothing else', () => {
    const hash = 'f178182c7c3aac6ad18bdaae53a2d38f72b2cf690d17b9efa635c7ce37f77d71';
    expect(maskVolatile(`{"S3Key":"${hash}.zip","v":"aws-cdk-lib@2.276.0","Runtime":"nodejs24.x"}`)).toBe(
      '{"S3Key":"[ASSET-HASH].zip","v":"aws-cdk-lib@[VERSION]","Runtime":"nodejs24.x"}',
    );
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { awsCatalog, awsCatalogModule } from '../../../tools/catalog/aws-catalog';
import { KNOWN_POSTGRES_VERSIONS } from '../../../lib/model/config/postgres-versions';
import { AWS_REGIONS, partitionOf } from '../../../lib/model/config/aws-limits';

describe("the model's copy of aws-cdk-lib's data (lib/model/config/aws-catalog.ts)", () => {
  it('is what the installed aws-cdk-lib says (run `npm run docs` after an upgrade)', () => {
    const committed = readFileSync(join(__dirname, '..', '..', '..', 'lib', 'model', 'config', 'aws-catalog.ts'), 'utf8');
    expect(committed).toBe(awsCatalogModule());
  });

  it('gives the model the regions with their partitions, and the PostgreSQL versions of the supported majors', () => {
    const catalog = awsCatalog();
    expect(AWS_REGIONS).toEqual(catalog.regions.map((r) => r.name));
    expect(partitionOf('cn-north-1')).toBe('aws-cn');
    expect(partitionOf('us-gov-west-1')).toBe('aws-us-gov');
    expect(partitionOf('eu-west-1')).toBe('aws');
    expect([...KNOWN_POSTGRES_VERSIONS.keys()]).toContain('17.9');
    expect(KNOWN_POSTGRES_VERSIONS.get('17.9')).toEqual({ postgresFullVersion: '17.9', postgresMajorVersion: '17' });
  });

  it('keeps aws-cdk-lib out of the model layer', () => {
    const { execSync } = require('node:child_process') as typeof import('node:child_process');
    const found = execSync(
      "grep -rlE \"from 'aws-cdk-lib|from 'constructs'|from '\\.\\./\\.\\./constructs|from '\\.\\./platform|from '\\.\\./ops\" lib/model || true",
      { cwd: join(__dirname, '..', '..', '..'), encoding: 'utf8' },
    ).trim();
    expect(found).toBe('');
  });
});

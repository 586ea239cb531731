import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type PackedPackages, pinnedVersion, ROOT, writeOfflineProject } from '../../../tools/package/offline-project';

export { packPackage, packPackages, type PackedPackages, ROOT, run } from '../../../tools/package/offline-project';

/** The team project of docs/extending.md: its app and its cdk.json, copied as they are. */
export const TEAM_APP_DIR = join(ROOT, 'test', 'extension', 'team-app');

/**
 * TypeScript 5 beside the team's TypeScript 7, as `typescript-5`: the newest 5.x, which the
 * test/compat/typescript-5 workspace pins (so `npm ci` of this repository puts its tarball in the
 * npm cache, and the repository's own `tsc` stays TypeScript 7). Run as node_modules/typescript-5/bin/tsc.
 */
export const TYPESCRIPT_5 = {
  spec: `npm:typescript@${(JSON.parse(readFileSync(join(ROOT, 'test', 'compat', 'typescript-5', 'package.json'), 'utf8')) as { devDependencies: { typescript: string } }).devDependencies.typescript}`,
  lockPath: 'test/compat/typescript-5/node_modules/typescript',
} as const;

/**
 * Writes a team project into `dir`: package.json (the packed tarballs, aws-cdk-lib and constructs
 * as the team's own dependencies, and the CDK CLI, tsx and TypeScript 7 to run and check the app,
 * and TypeScript 5 as `typescript-5`), the team app and its cdk.json, and a package-lock.json
 * that pins every package at this repository's version (tools/package/offline-project.ts).
 */
export function writeTeamProject(dir: string, tarballs: PackedPackages): void {
  writeOfflineProject(dir, {
    name: 'team-app',
    tarballs,
    dependencies: {
      loadbearing: `file:${tarballs.library}`,
      '@loadbearing/contract': `file:${tarballs.contract}`,
      'aws-cdk-lib': pinnedVersion('aws-cdk-lib'),
      constructs: pinnedVersion('constructs'),
    },
    devDependencies: {
      ...(tarballs.provingGround ? { '@loadbearing/proving-ground': `file:${tarballs.provingGround}` } : {}),
      'aws-cdk': pinnedVersion('aws-cdk'),
      tsx: pinnedVersion('tsx'),
      typescript: pinnedVersion('typescript'),
      '@types/node': pinnedVersion('@types/node'),
    },
    aliases: { 'typescript-5': TYPESCRIPT_5 },
  });
  for (const file of ['app.ts', 'cdk.json']) copyFileSync(join(TEAM_APP_DIR, file), join(dir, file));
}

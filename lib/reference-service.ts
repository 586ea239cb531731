import { basename } from 'node:path';
import type { AppArtifact } from '../constructs/app-release';
import { buildServiceBundleSync, serviceRepositoryRoot } from '../service/build';
import { ConfigError } from './config/config-error';

/**
 * The reference service (service/) as the fleet's app: its esbuild bundle, built at synth (once
 * per process, deterministically: the same sources and lock file give the same bytes, so the same
 * asset key), run by Node.js 22 from the AL2023 repositories. The service runs its migrations at
 * start-up, as `DB_MIGRATION_USER`, under an advisory lock, before it listens.
 */
export function referenceServiceArtifact(environment = 'this environment'): AppArtifact {
  if (!serviceRepositoryRoot()) {
    throw new ConfigError(
      [
        {
          path: `environments.${environment}.app.artifact`,
          value: '(missing)',
          rule: 'is required here: the reference service is built from its sources (service/), which this installation of the platform does not have',
          fix: 'set app.artifact to your app (docs/deploying.md, "Ship your own app"), or synthesize from a checkout of the platform repository.',
        },
      ],
      'the app release',
    );
  }
  const bundle = buildServiceBundleSync();
  return { path: bundle.path, runtime: 'nodejs', nodejsMajor: 22, startCommand: basename(bundle.path) };
}

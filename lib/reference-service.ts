import { basename } from 'node:path';
import type { AppArtifact } from '../constructs/app-release';
import { buildServiceBundleSync } from '../service/build';

/**
 * The reference service (service/) as the fleet's app: its esbuild bundle, built at synth (once
 * per process, deterministically: the same sources and lock file give the same bytes, so the same
 * asset key), run by Node.js 22 from the AL2023 repositories. The service runs its migrations at
 * start-up, as `DB_MIGRATION_USER`, under an advisory lock, before it listens.
 */
export function referenceServiceArtifact(): AppArtifact {
  const bundle = buildServiceBundleSync();
  return { path: bundle.path, runtime: 'nodejs', nodejsMajor: 22, startCommand: basename(bundle.path) };
}

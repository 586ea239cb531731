import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { AppArtifact } from '../../constructs/app-release';
import { REFERENCE_SERVICE_NODEJS_MAJOR } from '../model/config/app-settings';
import { ConfigError } from '../model/config/config-error';

/** Where the reference service's bundle lives, relative to the repository (or package) root. */
const BUNDLE = join('assets', 'loadbearing-service.js');

/** The bundle above this file: the repository's (built by `npm run build`, and before every synth by tools/launch.cjs), or the one the package ships. */
function findBundle(): string | undefined {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, BUNDLE))) return join(dir, BUNDLE);
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * The reference service (service/) as the fleet's app: its esbuild bundle (deterministic: the
 * same sources and lock file give the same bytes, so the same asset key), run by Node.js 22 from
 * the AL2023 repositories. tools/build.cjs rebuilds it whenever its sources change, and the CDK
 * app's launcher (tools/launch.cjs) does so before every synth; the published package ships it
 * built. The service runs its migrations at start-up, as `DB_MIGRATION_USER`, under an advisory
 * lock, before it listens.
 */
export function referenceServiceArtifact(environment = 'this environment'): AppArtifact {
  const bundle = findBundle();
  if (!bundle) {
    throw new ConfigError(
      [
        {
          path: `environments.${environment}.app.artifact`,
          value: '(missing)',
          rule: `is required here: the reference service's bundle (${BUNDLE}) is not built in this tree`,
          fix: 'set app.artifact to your app (docs/deploying.md, "Ship your own app"), or run `npm run build` in the platform\'s repository.',
        },
      ],
      'the app release',
    );
  }
  return { path: bundle, runtime: 'nodejs', nodejsMajor: REFERENCE_SERVICE_NODEJS_MAJOR, startCommand: 'loadbearing-service.js' };
}

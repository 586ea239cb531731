import { systemProbe } from '../../proving-ground/src/local-stack/find-postgres.cjs';
import { checkPrerequisites, summaryLine } from '../../tools/prereqs.cjs';
import { ensureBuilt } from '../support/ensure-built';

/**
 * Before the integration files: the package build when sources are newer than dist/ (the
 * integration tests run the built CLI and bundles, as users do), and one line saying which
 * servers this run uses (the PostgreSQL found, redis-server, HAProxy, moto), or which are missing
 * (each suite that needs one then says so in its own banner; `npm run prereqs` for the details).
 */
export default function setup(): void {
  ensureBuilt();
  console.log(`integration tests on: ${summaryLine(checkPrerequisites(systemProbe()))}`);
}

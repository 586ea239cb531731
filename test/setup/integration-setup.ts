import { ensureBuilt } from '../support/ensure-built';

/**
 * Before the integration files: the package build when sources are newer than dist/ (the
 * integration tests run the built CLI and bundles, as users do).
 */
export default function setup(): void {
  ensureBuilt();
}

/**
 * What a suite or `loadbearing prove` adds after the names of the missing binaries: in this
 * repository, `npm run prereqs` (tools/prereqs.cjs) says how to install each on the platform it
 * runs on, and installs them with `--install`.
 */
export const PREREQUISITES_HINT =
  'npm run prereqs checks the prerequisites and prints the install command of each missing one (npm run prereqs -- --install installs them; docs/testing.md)';

/** sha256 of the inputs of dist/ (the .ts sources tsconfig.build.json compiles, both tsconfigs, the TypeScript version). */
export function sourceHash(root?: string): string;
/** Whether dist/ was compiled from exactly the current sources. */
export function isBuildFresh(root?: string): boolean;
/** The build outputs (by name: 'dist', 'service bundle') not built from their current inputs. */
export function staleOutputs(root?: string): string[];
/** Builds the outputs (all, or only the stale ones) and records their inputs. */
export function build(root?: string, onlyStale?: boolean): void;
/** Where the build of dist/ records its inputs' hash, relative to the project root. */
export const BUILD_INFO: string;

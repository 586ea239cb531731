/** sha256 of the build's inputs (the .ts sources tsconfig.build.json compiles, both tsconfigs, the TypeScript version). */
export function sourceHash(root?: string): string;
/** Whether dist/ was compiled from exactly the current sources. */
export function isBuildFresh(root?: string): boolean;
/** Compiles dist/ and records the inputs it was compiled from. */
export function build(root?: string): void;
/** Where the build records its inputs' hash, relative to the project root. */
export const BUILD_INFO: string;

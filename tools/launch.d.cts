/** 'dist' (compiled, fresh) or 'tsx' (the sources): how `entry` (e.g. `bin/app`) runs now. */
export function runnerFor(entry: string, root?: string, forced?: string): 'dist' | 'tsx';
/** Loads `entry` with the runner that fits. */
export function launch(entry: string, root?: string): unknown;

/** Appends a line to `logFile` for every real synthesis in this process (see synth-counter.cjs). */
export declare function countSynths(logFile: string, label: string): void;

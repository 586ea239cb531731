import type { TargetResult } from './targets';

/** What every part of the bench gets. */
export interface BenchContext {
  /** The project to measure. */
  readonly root: string;
  /** Measured runs of each quick command (synth, CLI, diff), after one warm-up where warmth matters. */
  readonly runs: number;
  /** Measured runs of each test project. */
  readonly testRuns: number;
  /** The environment for measured commands (quiet, offline CDK). */
  readonly env: NodeJS.ProcessEnv;
  /** A folder for this bench run, removed at the end. */
  readonly scratch: string;
  /** Numeric settings of single parts, by option name (e.g. `service-seconds`). */
  readonly options: Readonly<Record<string, number>>;
  readonly log: (line: string) => void;
}

/** What every part's result records besides its own numbers: when, and how busy the machine was. */
export interface PartResult {
  readonly measuredAt: string;
  /** One-minute load average before and after the part (the machine has `cpus` cores). */
  readonly loadAverage: { readonly before: number; readonly after: number };
}

/**
 * One part of `npm run bench` (`--only <name>` runs it alone). A part measures, renders its rows
 * of the performance page, and judges its targets. Add a part by writing one and listing it in
 * tools/bench/bench-parts.ts.
 */
export interface BenchPart<R extends PartResult = PartResult> {
  readonly name: string;
  /** One line for `npm run bench -- --list`. */
  readonly summary: string;
  measure(ctx: BenchContext): Promise<Omit<R, keyof PartResult>>;
  /** Markdown lines for docs/performance.md. */
  table(result: R): string[];
  targets(result: R): TargetResult[];
}

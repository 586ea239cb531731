import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchContext, BenchPart, PartResult } from './bench-part';
import { BENCH_PARTS } from './bench-parts';
import { round } from './measure';
import type { TargetResult } from './targets';

export interface BenchOptions {
  readonly root: string;
  readonly runs: number;
  readonly testRuns: number;
  /** Part names to run; the others keep their previous results. @default - every part */
  readonly only?: readonly string[];
  /** Part names to leave out. @default - none */
  readonly skip?: readonly string[];
  /** Numeric settings of single parts (see BenchContext.options). */
  readonly options?: Readonly<Record<string, number>>;
  readonly log: (line: string) => void;
}

export interface BenchResults {
  readonly machine: { readonly cpus: number; readonly cpuModel: string; readonly node: string };
  /** Each part's last result, by part name. */
  readonly parts: Readonly<Record<string, PartResult>>;
  /** Every target of every part with a result, in part order. */
  readonly targets: readonly TargetResult[];
}

/** The parts named in `only` (every part without it); an unknown name is an error that lists the names. */
export function selectParts(only: readonly string[] | undefined, parts: readonly BenchPart[] = BENCH_PARTS): BenchPart[] {
  if (!only || only.length === 0) return [...parts];
  const unknown = only.filter((n) => !parts.some((p) => p.name === n));
  if (unknown.length > 0) throw new Error(`unknown bench part ${unknown.join(', ')}: the parts are ${parts.map((p) => p.name).join(', ')}`);
  return parts.filter((p) => only.includes(p.name));
}

/** Targets of every part that has a result. */
export function collectTargets(parts: Readonly<Record<string, PartResult>>): TargetResult[] {
  return BENCH_PARTS.flatMap((p) => (parts[p.name] ? p.targets(parts[p.name]) : []));
}

/**
 * Runs the selected parts one after the other and merges their results into `previous` (the
 * last results.json), so `--only synth` refreshes the synth numbers and keeps the rest.
 */
export async function runBench(o: BenchOptions, previous?: BenchResults): Promise<BenchResults> {
  const scratch = mkdtempSync(join(tmpdir(), 'bench-'));
  const ctx: BenchContext = {
    root: o.root,
    runs: o.runs,
    testRuns: o.testRuns,
    scratch,
    options: o.options ?? {},
    log: o.log,
    env: {
      ...process.env,
      CDK_DISABLE_VERSION_CHECK: '1',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      FORCE_COLOR: '0',
      CI: 'true',
    },
  };
  const parts: Record<string, PartResult> = { ...previous?.parts };
  try {
    for (const part of selectParts(o.only).filter((p) => !o.skip?.includes(p.name))) {
      o.log(`--- ${part.name}: ${part.summary}`);
      const before = round(loadavg()[0]);
      const started = new Date().toISOString();
      const result = await part.measure(ctx);
      parts[part.name] = { ...result, measuredAt: started, loadAverage: { before, after: round(loadavg()[0]) } };
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return {
    machine: { cpus: availableParallelism(), cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version },
    parts,
    targets: collectTargets(parts),
  };
}

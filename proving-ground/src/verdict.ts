import { holds, type BudgetCheck } from './budgets';

export interface JudgedCheck extends Omit<BudgetCheck, 'measured' | 'limit'> {
  /** Median over the runs (null: never happened within a run, e.g. no recovery). */
  readonly median: number | null;
  readonly min: number | null;
  readonly max: number | null;
  readonly limit: number;
  readonly runs: readonly (number | null)[];
  readonly pass: boolean;
}

const finite = (v: number) => (Number.isFinite(v) ? v : null);

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Judges a scenario over its runs: each check's MEDIAN measurement against the median of its
 * limits (limits that depend on a run's own pre-fault phase differ a little per run), with the
 * spread (min..max) reported. A check that is met in most runs passes; one bad run does not fail
 * the scenario, two of three do.
 */
export function judge(runs: readonly (readonly BudgetCheck[])[]): JudgedCheck[] {
  if (runs.length === 0) return [];
  return runs[0].map((first) => {
    const all = runs.map((r) => r.find((c) => c.id === first.id)!).filter(Boolean);
    const measured = all.map((c) => c.measured);
    const limit = median(all.map((c) => c.limit));
    const med = median(measured);
    return {
      id: first.id,
      label: first.label,
      comparison: first.comparison,
      unit: first.unit,
      derivation: first.derivation,
      limit: Math.round(limit * 1000) / 1000,
      median: finite(Math.round(med * 1000) / 1000),
      min: finite(Math.min(...measured)),
      max: finite(Math.max(...measured)),
      runs: measured.map(finite),
      pass: holds({ comparison: first.comparison, limit, measured: med }),
    };
  });
}

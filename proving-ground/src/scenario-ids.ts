import { FAILURE_MODE_IDS, LOCAL_REHEARSALS, type FailureModeId } from 'loadbearing/model';

/** The calibration's baseline: no fault. Not a failure mode. */
export const STEADY_STATE = 'steady-state';

/**
 * Every scenario of the proving ground, in run order: the steady-state baseline, then each
 * failure mode that `LOCAL_REHEARSALS` (lib/model/failure-modes) marks as rehearsed. Scenario names
 * ARE the failure-mode IDs.
 */
export const SCENARIO_IDS = [
  STEADY_STATE,
  ...FAILURE_MODE_IDS.filter((id) => LOCAL_REHEARSALS[id].scenario !== 'none'),
] as readonly ScenarioId[];
export type ScenarioId = typeof STEADY_STATE | FailureModeId;

/**
 * The scenarios of `--quick` (CI): the baseline, a lost instance, the cache, the writer crash,
 * exactly-once and a bad release rolled back by its alarm. Not traffic-spike: it breaks its budget today (requests queue before the
 * service can shed them; see docs/proving-ground.md, "What it found"), and CI must stay green
 * while that is open. The full run keeps it and fails on it.
 */
export const QUICK_SCENARIOS: readonly ScenarioId[] = [
  STEADY_STATE,
  'instance-loss',
  'cache-loss',
  'db-failover',
  'client-retries',
  'bad-release',
];

export function isScenarioId(value: string): value is ScenarioId {
  return (SCENARIO_IDS as readonly string[]).includes(value);
}

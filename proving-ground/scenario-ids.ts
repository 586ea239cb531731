import { FAILURE_MODE_IDS, LOCAL_REHEARSALS, type FailureModeId } from '../lib/failure-modes';

/** The calibration's baseline: no fault. Not a failure mode. */
export const STEADY_STATE = 'steady-state';

/**
 * Every scenario of the proving ground, in run order: the steady-state baseline, then each
 * failure mode that `LOCAL_REHEARSALS` (lib/failure-modes) marks as rehearsed. Scenario names
 * ARE the failure-mode IDs.
 */
export const SCENARIO_IDS = [STEADY_STATE, ...FAILURE_MODE_IDS.filter((id) => LOCAL_REHEARSALS[id].scenario !== 'none')] as readonly ScenarioId[];
export type ScenarioId = typeof STEADY_STATE | FailureModeId;

/** The scenarios of `--quick` (CI): the baseline, overload, one loss, the cache and exactly-once. */
export const QUICK_SCENARIOS: readonly ScenarioId[] = [STEADY_STATE, 'traffic-spike', 'instance-loss', 'cache-loss', 'client-retries'];

export function isScenarioId(value: string): value is ScenarioId {
  return (SCENARIO_IDS as readonly string[]).includes(value);
}

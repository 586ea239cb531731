import type { EnvironmentConfig } from '../config/environment-schema';
import { DRILLS, drillApplicability, drillTemplates, isNoDrill } from './drills';
import { FAILURE_MODES } from './modes';
import { LOCAL_REHEARSALS } from './rehearsals';
import { stopAlarmName, stopRules } from './stop-rules';
import type { FailureModeId, ImpactBudget } from './failure-mode';

/** One row of the failure-mode catalogue of an environment: every part, from code and config. */
export interface CatalogueRow {
  readonly mode: FailureModeId;
  readonly title: string;
  readonly failure: string;
  readonly applies: boolean;
  readonly appliesReason: string;
  readonly mitigation: { readonly summary: string; readonly configKeys: readonly string[] };
  readonly invariants: readonly string[];
  readonly expectedAlarms: readonly string[];
  readonly budget: ImpactBudget;
  /** The proving-ground scenario (its name is the mode ID), or `none` and why. */
  readonly scenario: { readonly name: string; readonly detail: string };
  /** The drill in AWS: its name and what it does, whether this environment has it, and its stop alarm. */
  readonly drill: {
    readonly name: string;
    readonly detail: string;
    readonly inThisEnvironment: boolean;
    readonly why: string;
    readonly templates: number;
    readonly stopAlarm: string | null;
    readonly stopRules: readonly string[];
    /** What the drill leaves out in this environment, and why. */
    readonly leftOut: readonly string[];
  };
  readonly runbook: readonly string[];
}

/** The catalogue of one environment, one row per failure mode, in catalogue order. */
export function failureModeCatalogue(config: EnvironmentConfig): CatalogueRow[] {
  const templates = drillTemplates(config);
  return [...FAILURE_MODES.values()].map((mode) => {
    const applicability = mode.applies(config);
    const rehearsal = LOCAL_REHEARSALS[mode.id];
    const definition = DRILLS[mode.id];
    const drill = drillApplicability(mode.id, config);
    const count = templates.filter((t) => t.mode === mode.id).length;
    return {
      mode: mode.id,
      title: mode.title,
      failure: mode.failure,
      applies: applicability.applies,
      appliesReason: applicability.reason,
      mitigation: mode.mitigation,
      invariants: mode.invariants,
      expectedAlarms: mode.expectedAlarms,
      budget: mode.impactBudget(config),
      scenario:
        rehearsal.scenario === 'none' ? { name: 'none', detail: rehearsal.reason } : { name: rehearsal.scenario, detail: rehearsal.fault },
      drill: {
        name: definition.drill,
        detail: isNoDrill(definition) ? definition.reason : [definition.summary, ...definition.limitations].join(' '),
        inThisEnvironment: count > 0,
        why: drill.reason,
        templates: count,
        stopAlarm: count > 0 ? stopAlarmName(config.stackName, mode.id) : null,
        stopRules: count > 0 ? stopRules(mode, config).map((r) => r.description) : [],
        leftOut: drill.leftOut,
      },
      runbook: mode.runbook,
    };
  });
}

/** The impact budget in one line. */
export function budgetText(b: ImpactBudget): string {
  return [
    `5xx <= ${b.max5xxRatePercent}%`,
    `recovery <= ${b.recoverySeconds} s`,
    ...(b.minHealthyHosts !== undefined ? [`healthy hosts >= ${b.minHealthyHosts}`] : []),
    ...(b.maxP99Seconds !== undefined ? [`p99 <= ${b.maxP99Seconds} s`] : []),
  ].join(', ');
}

function drillText(row: CatalogueRow): string {
  const d = row.drill;
  if (d.name === 'none') return `none: ${d.detail}`;
  if (!d.inThisEnvironment) return `${d.name} (not in this environment: ${d.why}). ${d.detail}`;
  const leftOut = d.leftOut.length > 0 ? ` Left out in this environment: ${d.leftOut.join('; ')}.` : '';
  return `${d.name} (${d.templates} template${d.templates > 1 ? 's' : ''}, stop alarm ${d.stopAlarm}: ${d.stopRules.join('; or ')}). ${d.detail}${leftOut}`;
}

function scenarioText(row: CatalogueRow): string {
  return row.scenario.name === 'none' ? `none: ${row.scenario.detail}` : `${row.scenario.name}: ${row.scenario.detail}`;
}

/** The catalogue as text for a terminal: one block per mode. */
export function catalogueText(config: EnvironmentConfig, rows: readonly CatalogueRow[]): string {
  const lines = [`Failure modes of ${config.name} (${config.stackName}), ${rows.filter((r) => r.applies).length} of ${rows.length} apply:`];
  for (const r of rows) {
    lines.push(
      '',
      `${r.mode}: ${r.title}${r.applies ? '' : ` (does not apply: ${r.appliesReason})`}`,
      `  failure:     ${r.failure}`,
      `  mitigation:  ${r.mitigation.summary} Config: ${r.mitigation.configKeys.join(', ')}.`,
      `  invariants:  ${r.invariants.join(', ')}`,
      `  alarms:      ${r.expectedAlarms.length > 0 ? r.expectedAlarms.join(', ') : 'none expected (nothing a customer sees)'}`,
      `  budget:      ${budgetText(r.budget)}. ${r.budget.derivation}`,
      `  proving:     ${scenarioText(r)}`,
      `  drill:       ${drillText(r)}`,
      `  runbook:     ${r.runbook.map((s, i) => `${i + 1}. ${s}`).join(' ')}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

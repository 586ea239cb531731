import type { EnvironmentConfig } from '../model/config/environment-schema';
import type * as FailureModesModule from '../model/failure-modes';
import type { DrillTemplate, DrillValue } from '../model/failure-modes/drills';
import type { FailureModeId, ImpactBudget } from '../model/failure-modes/failure-mode';
import { UsageError } from './errors.js';

export const DRILL_DEFAULT_INTERVAL_MS = 30_000;
/** Time to find the template, check the alarms and start the experiment, in the default wall-clock bound. */
const SETUP_MS = 5 * 60_000;

/** What `loadbearing drill` will do, from config alone (`--dry-run` prints it). */
export interface DrillPlan {
  environment: string;
  stage: string;
  stack: string;
  region: string;
  mode: FailureModeId;
  drill: string;
  zone: string | null;
  /** Other AZs that have a template of this drill (`--zone`). */
  otherZones: string[];
  /** Tags that identify the experiment template. */
  findBy: Record<string, string>;
  description: string;
  targets: { name: string; resourceType: string; selectionMode: string; what: string }[];
  actions: { name: string; actionId: string; description: string; parameters: Record<string, string>; startAfter: string[] }[];
  faultSeconds: number;
  /** `sustained`: the stop condition can stop the experiment; `one-shot`: the fault is over first, and this command judges it by the stop alarm. */
  fault: 'sustained' | 'one-shot';
  /** What the template leaves out in its AZ (e.g. no cache node there). */
  notes: string[];
  /** What the drill leaves out in this environment, in every AZ, and why (e.g. the subnet cut in a VPC the stack does not own). */
  leftOut: string[];
  expectedAlarms: string[];
  stopAlarm: string;
  stopRules: string[];
  budget: ImpactBudget;
  /** An expected alarm must fire within this long after the start (the fault, then the alarms' default window). */
  detectWithinSeconds: number;
  /** Every alarm must be out of ALARM this long after the fault ends: the budget's recovery plus the window of the slowest alarm that fired (known at run time; the plan shows the default window). */
  recoverWithinSeconds: number;
  intervalSeconds: number;
  /** The whole run gives up after this long (--timeout). */
  boundSeconds: number;
  /** Prod stacks run only with --confirm <stack>. */
  needsConfirmation: boolean;
}

/** The options of `loadbearing drill` the plan depends on. */
export interface DrillOptions {
  readonly zone?: string;
  readonly intervalMs: number;
  readonly timeoutMs?: number;
}

/** A template value as the plan shows it: literals as they are, the stack's own resources by name. */
function show(v: DrillValue): string {
  if (typeof v === 'string') return v;
  if ('json' in v) return JSON.stringify(Object.fromEntries(Object.entries(v.json).map(([k, x]) => [k, show(x)])));
  switch (v.ref) {
    case 'fleet-group-name':
      return '<the fleet Auto Scaling group name>';
    case 'app-subnet-arn':
      return `<the app subnet in ${v.zone}>`;
    case 'db-writer-arn':
      return '<the DB writer>';
    case 'db-replica-arn':
      return `<DB read replica ${v.replica}>`;
    case 'db-endpoints':
      return '<the DB endpoints the app uses>';
    case 'cache-failover-document-arn':
      return "<the stack's TestFailover automation>";
    case 'cache-failover-role-arn':
      return "<the automation's role>";
  }
}

/** The plan of a drill in an environment. @throws UsageError when there is no such drill there. */
export function drillPlan(fm: typeof FailureModesModule, env: EnvironmentConfig, mode: FailureModeId, options: DrillOptions): DrillPlan {
  const definition = fm.DRILLS[mode];
  if (fm.isNoDrill(definition)) throw new UsageError(`failure mode ${mode} has no drill: ${definition.reason}`);
  if (!env.failureDrills.enabled) {
    throw new UsageError(
      `environment ${env.name} has no failure drills (failureDrills.enabled is false): set it in the config and deploy, or pick an environment that has them`,
    );
  }
  const applicability = fm.drillApplicability(mode, env);
  if (!applicability.applies) throw new UsageError(`no ${definition.drill} drill in ${env.name}: ${applicability.reason}`);
  const templates = fm.drillTemplates(env).filter((t) => t.mode === mode);
  const zones = templates.flatMap((t) => (t.zone ? [t.zone] : []));
  let template: DrillTemplate;
  if (zones.length === 0) {
    if (options.zone) throw new UsageError(`--zone does not apply to the ${definition.drill} drill: it is not per AZ`);
    template = templates[0]!;
  } else {
    const zone = options.zone ?? zones[0]!;
    const found = templates.find((t) => t.zone === zone);
    if (!found) throw new UsageError(`no ${definition.drill} template for --zone ${zone} in ${env.name} (zones: ${zones.join(', ')})`);
    template = found;
  }
  const modeDef = fm.FAILURE_MODES.get(mode)!;
  const budget = modeDef.impactBudget(env);
  const window = env.alarms.evaluationPeriods * env.alarms.periodSeconds;
  const intervalSeconds = options.intervalMs / 1000;
  const detectWithinSeconds = Math.max(template.faultSeconds, 60) + window;
  const recoverWithinSeconds = budget.recoverySeconds + window + intervalSeconds;
  const defaultBound = SETUP_MS / 1000 + template.faultSeconds + detectWithinSeconds + recoverWithinSeconds + 2 * intervalSeconds;
  return {
    environment: env.name,
    stage: env.stage,
    stack: env.stackName,
    region: env.region,
    mode,
    drill: template.drill,
    zone: template.zone ?? null,
    otherZones: zones.filter((z) => z !== template.zone),
    findBy: Object.fromEntries(Object.entries(template.tags).filter(([k]) => k.startsWith('loadbearing:'))),
    description: template.description,
    targets: Object.entries(template.targets).map(([name, t]) => ({
      name,
      resourceType: t.resourceType,
      selectionMode: t.selectionMode,
      what: t.what,
    })),
    actions: Object.entries(template.actions).map(([name, a]) => ({
      name,
      actionId: a.actionId,
      description: a.description,
      parameters: Object.fromEntries(Object.entries(a.parameters ?? {}).map(([k, v]) => [k, show(v)])),
      startAfter: [...(a.startAfter ?? [])],
    })),
    faultSeconds: template.faultSeconds,
    fault: template.fault,
    notes: [...(template.notes ?? [])],
    leftOut: [...(template.leftOut ?? [])],
    expectedAlarms: [...modeDef.expectedAlarms],
    stopAlarm: template.stopAlarmName,
    stopRules: fm.stopRules(modeDef, env).map((r) => r.description),
    budget,
    detectWithinSeconds,
    recoverWithinSeconds,
    intervalSeconds,
    boundSeconds: options.timeoutMs !== undefined ? options.timeoutMs / 1000 : defaultBound,
    needsConfirmation: env.stage === 'prod',
  };
}

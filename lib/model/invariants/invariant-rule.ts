import type { StackEnvironment } from '../deploy/intrinsics';
import type { CfnTemplate } from '../deploy/template';
import type { EnvironmentConfig } from '../config/environment-schema';

export const RULE_GROUPS = {
  'connection-budget': 'Connection budget',
  'timeout-chain': 'Timeout chain',
  workers: 'Workers per instance',
  'az-loss': 'AZ-loss static stability',
  'scaling-alarms': 'Scaling vs alarms',
  'hard-limits': 'Hard limits',
  'cache-policy': 'Cache policy',
  freshness: 'Freshness',
  'deploy-safety': 'Deploy safety',
  network: 'Network',
} as const;
export type RuleGroup = keyof typeof RULE_GROUPS;

/** One broken invariant: where, the value, what is wrong (with the numbers) and how to fix it. */
export interface InvariantFinding {
  /** Config path relative to the environment, e.g. `fleet.maxCapacity`. */
  readonly path: string;
  readonly value: unknown;
  readonly message: string;
  readonly fix: string;
}

/** A synthesized template: its size, and for the rules that read it, the template and where it deploys. */
export interface TemplateStats {
  readonly stackName: string;
  readonly resources: number;
  readonly bytes: number;
  /** The parsed template. @default - the rule sees only the size */
  readonly template?: CfnTemplate;
  /** The stack's account and region. @default - unknown: rules that need them find nothing */
  readonly environment?: StackEnvironment;
}

interface RuleBase {
  /** Stable ID, e.g. `CB-1`; what `invariants.optOut` names. */
  readonly id: string;
  readonly group: RuleGroup;
  readonly title: string;
  /** Why the rule exists: the failure it prevents. */
  readonly rationale: string;
  /** `error` fails synth; `warning` adds a CDK warning annotation. */
  readonly severity: 'error' | 'warning';
}

/** Checked on the validated config, before anything is synthesized. */
export interface ConfigRule extends RuleBase {
  readonly phase: 'config';
  check(config: EnvironmentConfig): InvariantFinding[];
}

/** Checked on the synthesized template (a CDK validation plugin). */
export interface TemplateRule extends RuleBase {
  readonly phase: 'template';
  checkTemplate(stats: TemplateStats): InvariantFinding[];
}

/** Enforced by the config schema itself (bounds and lookups); listed so the rule set is complete. */
export interface SchemaRule extends RuleBase {
  readonly phase: 'schema';
  /** The config fields whose schema enforces it. */
  readonly fields: readonly string[];
}

export type InvariantRule = ConfigRule | TemplateRule | SchemaRule;

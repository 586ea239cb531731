import { AZ_LOSS_RULES } from './az-loss';
import { CACHE_POLICY_RULES } from './cache-policy';
import { CONNECTION_BUDGET_RULES } from './connection-budget';
import { DEPLOY_SAFETY_RULES } from './deploy-safety';
import { FRESHNESS_RULES } from './freshness';
import { HARD_LIMIT_RULES } from './hard-limits';
import { NETWORK_RULES } from './network';
import type { InvariantRule } from './invariant-rule';
import { SCALING_ALARM_RULES } from './scaling-alarms';
import { TIMEOUT_CHAIN_RULES } from './timeout-chain';
import { WORKER_RULES } from './workers';

/** Every cross-component invariant of the platform, in the order docs/configuration.md lists them. */
export const INVARIANT_RULES: readonly InvariantRule[] = [
  ...CONNECTION_BUDGET_RULES,
  ...TIMEOUT_CHAIN_RULES,
  ...WORKER_RULES,
  ...AZ_LOSS_RULES,
  ...NETWORK_RULES,
  ...SCALING_ALARM_RULES,
  ...HARD_LIMIT_RULES,
  ...CACHE_POLICY_RULES,
  ...FRESHNESS_RULES,
  ...DEPLOY_SAFETY_RULES,
];

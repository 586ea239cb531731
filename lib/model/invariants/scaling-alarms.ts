import { environmentBootTiming } from '../config/boot-timing';
import { extraDuringRefresh, refreshPlan } from '../deploy/release-rollout';
import type { ConfigRule, SchemaRule } from './invariant-rule';

export const SCALING_ALARM_RULES: readonly (ConfigRule | SchemaRule)[] = [
  {
    id: 'SA-1',
    group: 'scaling-alarms',
    phase: 'config',
    severity: 'error',
    title: 'CPU alarm threshold > CPU scaling target',
    rationale:
      'Target tracking holds CPU at its target; an alarm at or below the target fires all the time and teaches people to ignore it.',
    check(c) {
      if (c.alarms.fleetCpuPercent > c.fleet.cpuTargetPercent) return [];
      return [
        {
          path: 'alarms.fleetCpuPercent',
          value: c.alarms.fleetCpuPercent,
          message: `the fleet CPU alarm (${c.alarms.fleetCpuPercent}%) must be above the CPU scaling target (fleet.cpuTargetPercent: ${c.fleet.cpuTargetPercent}%), or it fires whenever scaling works as intended`,
          fix: `set alarms.fleetCpuPercent to ${Math.min(100, c.fleet.cpuTargetPercent + 20)} or more, or lower fleet.cpuTargetPercent.`,
        },
      ];
    },
  },
  {
    id: 'SA-2',
    group: 'scaling-alarms',
    phase: 'config',
    severity: 'error',
    title: 'Health-check grace period >= instance warm-up',
    rationale:
      'An instance that is still warming up fails ELB health checks; without grace it is killed and replaced in a loop, exactly when capacity is needed.',
    check(c) {
      // Both derived values hold this by construction (the warm-up is the grace period, or one
      // minute once a lifecycle hook keeps instances out of service until healthy); an explicit
      // warm-up or grace period can break it.
      const { gracePeriodSeconds: grace, instanceWarmupSeconds: warmup } = environmentBootTiming(c);
      if (grace >= warmup) return [];
      return [
        {
          path: 'fleet.healthCheckGracePeriodSeconds',
          value: grace,
          message: `the health-check grace period (${grace} s) is shorter than the instance warm-up (fleet.instanceWarmupSeconds: ${warmup} s): warming instances get replaced`,
          fix: `set fleet.healthCheckGracePeriodSeconds to ${warmup} or more.`,
        },
      ];
    },
  },
  {
    id: 'SA-3',
    group: 'scaling-alarms',
    phase: 'config',
    severity: 'error',
    title: 'maxCapacity >= minCapacity + what a release rollout launches above it',
    rationale:
      'An instance refresh launches new instances before it retires old ones (up to fleet.instanceRefresh.maxHealthyPercentage of the desired capacity); without headroom above the minimum the refresh cannot keep capacity and stalls.',
    check(c) {
      const plan = refreshPlan(c.fleet, c.availabilityZones.length);
      const extra = extraDuringRefresh(plan.maxHealthyPercentage, c.fleet.minCapacity);
      const needed = c.fleet.minCapacity + extra;
      if (c.fleet.maxCapacity >= needed) return [];
      return [
        {
          path: 'fleet.maxCapacity',
          value: c.fleet.maxCapacity,
          message: `a release rollout needs fleet.minCapacity ${c.fleet.minCapacity} + floor((${plan.maxHealthyPercentage}% - 100%) x ${c.fleet.minCapacity}) = ${needed} instances (fleet.instanceRefresh.maxHealthyPercentage ${plan.maxHealthyPercentage}), above fleet.maxCapacity (${c.fleet.maxCapacity})`,
          fix: `raise fleet.maxCapacity to ${needed} or more, or lower fleet.instanceRefresh.maxHealthyPercentage.`,
        },
      ];
    },
  },
  {
    id: 'SA-4',
    group: 'scaling-alarms',
    phase: 'schema',
    severity: 'error',
    title: 'A warm pool needs an On-Demand, single-template group',
    rationale:
      'EC2 Auto Scaling cannot add a warm pool to a group that requests Spot or has a mixed instances policy; with a warm pool the platform builds a plain launch-template group, so a Spot share or an On-Demand base would fail at deploy time or be ignored.',
    fields: ['fleet.warmPool.enabled', 'fleet.spotPercentAboveBase', 'fleet.onDemandBaseCapacity'],
  },
];

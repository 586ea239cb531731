import { cacheConnectionsOfWorker } from '@loadbearing/contract';
import type { EnvironmentConfig } from '../config/environment-schema';
import { fleetWorkers } from '../config/workers';
import { WORKLOAD_PROFILES } from '../config/workload-profiles';
import type { ConfigRule, InvariantFinding } from './invariant-rule';

/**
 * Descriptors a worker needs besides its client connections and pools: the IPC channel, stdio,
 * the log files, the event loop's own (epoll, signals, timers), DNS and the secrets' HTTPS calls.
 */
export const WORKER_FD_RESERVE = 64;

const vcpuList = (c: EnvironmentConfig) =>
  fleetWorkers(c)
    .vcpus.types.map((t) => `${t.type} ${t.vcpus}`)
    .join(', ');

export const WORKER_RULES: readonly ConfigRule[] = [
  {
    id: 'WK-1',
    group: 'workers',
    phase: 'config',
    severity: 'error',
    title: 'app.workers fits the vCPUs of the instance size',
    rationale:
      'Each worker runs one event loop, which keeps at most one vCPU busy. Fewer than one worker serves nothing; more workers than vCPUs only add processes, pools and connections that compete for the same CPUs. A mixed instances policy may launch any type of the profile, so a number must fit the one with the fewest vCPUs.',
    check(c): InvariantFinding[] {
      const w = c.app.workers;
      if (w === 'auto') return [];
      const { vcpus } = fleetWorkers(c);
      if (w >= 1 && w <= vcpus.min) return [];
      return [
        {
          path: 'app.workers',
          value: w,
          message: `${w} worker processes ${w < 1 ? 'cannot serve anything' : 'are more than the vCPUs'}: fleet.instanceSize "${c.fleet.instanceSize}" of the ${c.fleet.workloadProfile} profile (${c.fleet.architecture}) has ${vcpus.min === vcpus.max ? vcpus.min : `${vcpus.min} to ${vcpus.max}`} vCPUs (${vcpuList(c)})`,
          fix: `set app.workers to a number from 1 to ${vcpus.min}, or to "auto" (one per vCPU of whichever type is launched).`,
        },
      ];
    },
  },
  {
    id: 'WK-2',
    group: 'workers',
    phase: 'config',
    severity: 'error',
    title: 'The CPU scaling target is reachable before the workers saturate',
    rationale:
      'Target tracking adds instances when the average CPU passes fleet.cpuTargetPercent. A worker keeps at most one vCPU busy, so w workers on v vCPUs never take the instance above w / v of its CPU: with the target at or above that, CPU scaling fires only once every worker is saturated and latency has already gone (1 process on a 2-vCPU large reads 50% when saturated), or never (1 on a 4-vCPU xlarge: 25%).',
    check(c): InvariantFinding[] {
      const w = c.app.workers;
      if (w === 'auto' || w < 1) return [];
      const { vcpus } = fleetWorkers(c);
      const busiest = vcpus.types.find((t) => t.vcpus === vcpus.max)!;
      const ceiling = Math.floor((100 * Math.min(w, busiest.vcpus)) / busiest.vcpus);
      if (ceiling > c.fleet.cpuTargetPercent) return [];
      const needed = Math.min(vcpus.min, Math.floor((c.fleet.cpuTargetPercent * busiest.vcpus) / 100) + 1);
      return [
        {
          path: 'app.workers',
          value: w,
          message: `${w} worker${w === 1 ? '' : 's'} keep at most ${Math.min(w, busiest.vcpus)} of ${busiest.type}'s ${busiest.vcpus} vCPUs busy: the instance's CPU tops out at ${Math.min(w, busiest.vcpus)} / ${busiest.vcpus} = ${ceiling}%, not above the scaling target (fleet.cpuTargetPercent: ${c.fleet.cpuTargetPercent}%), so CPU scaling ${ceiling < c.fleet.cpuTargetPercent ? 'can never fire' : 'fires only once every worker is saturated'}`,
          fix: `set app.workers to "auto"${needed > w && needed <= vcpus.min ? ` or to ${needed} or more` : ''}, or lower fleet.cpuTargetPercent below ${ceiling}.`,
        },
      ];
    },
  },
  {
    id: 'WK-3',
    group: 'workers',
    phase: 'config',
    severity: 'error',
    title: "A worker's connections fit its file-descriptor limit",
    rationale:
      "Every client connection, pooled database connection and cache connection of a worker is a file descriptor, and the unit's LimitNOFILE (the workload profile's fileDescriptors) applies to each process. A worker that runs out cannot accept the load balancer's health checks: the instance is taken out while it holds silent sockets.",
    check(c): InvariantFinding[] {
      const limit = WORKLOAD_PROFILES[c.fleet.workloadProfile].tuning.fileDescriptors;
      const workers = fleetWorkers(c);
      if (workers.min < 1) return []; // WK-1's to refuse
      const cache = cacheConnectionsOfWorker(c.app.cacheConnectionsPerInstance, workers.min, 0, true);
      const needed = c.app.maxConnectionsPerWorker + c.app.dbPoolSize + c.app.dbReaderPoolSize + cache + WORKER_FD_RESERVE;
      if (needed <= limit) return [];
      return [
        {
          path: 'app.maxConnectionsPerWorker',
          value: c.app.maxConnectionsPerWorker,
          message: `a worker needs ${c.app.maxConnectionsPerWorker} client connections + ${c.app.dbPoolSize} writer + ${c.app.dbReaderPoolSize} reader + ${cache} cache connections + ${WORKER_FD_RESERVE} reserved = ${needed} file descriptors, above the ${c.fleet.workloadProfile} profile's limit of ${limit} per process`,
          fix: `lower app.maxConnectionsPerWorker to ${Math.max(16, limit - needed + c.app.maxConnectionsPerWorker)} or less, or use a workload profile with more file descriptors.`,
        },
      ];
    },
  },
];

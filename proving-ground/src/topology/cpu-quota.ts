import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * CPU quotas for the service instances (Linux cgroups), so the fleet has a fixed, small amount of
 * CPU and the load generator on the same 2-core machine can push it to three times its capacity.
 * One quota per instance, scaled by its workers: an instance of w workers gets w x
 * {@link WORKER_CPU_CORES}, as an instance of w vCPUs runs w workers; its primary and workers share
 * it, and losing the instance loses its CPU. cgroup v1 (`cpu.cfs_quota_us`) and v2 (`cpu.max`) are
 * both supported; where neither is writable the fleet runs without a quota (still pinned to one
 * CPU) and the results say so.
 */

/**
 * One worker's CPU, in cores: the share one single-process instance had before instances ran
 * workers (0.2 core for the 3 instances of staging), so a worker here is as slow as an instance was.
 */
export const WORKER_CPU_CORES = 0.2 / 3;
/** A short CFS period, so a throttled instance pauses for at most this long (it shows as event-loop lag). */
const PERIOD_US = 10_000;

interface Layout {
  readonly root: string;
  readonly version: 1 | 2;
}

function layout(): Layout | undefined {
  const v1 = '/sys/fs/cgroup/cpu';
  if (existsSync(join(v1, 'cpu.cfs_quota_us'))) return { root: v1, version: 1 };
  const v2 = '/sys/fs/cgroup';
  try {
    if (readFileSync(join(v2, 'cgroup.subtree_control'), 'utf8').split(/\s+/).includes('cpu')) return { root: v2, version: 2 };
  } catch {
    /* no cgroup v2 */
  }
  return undefined;
}

export interface CpuQuota {
  readonly cores: number;
  readonly name: string;
  /** Puts a process (and the threads it starts) under the quota. */
  add(pid: number): void;
  remove(): void;
}

/** Groups of earlier runs whose command died before it could remove them (SIGKILL): empty ones go. */
function removeAbandoned(l: Layout): void {
  for (const entry of readdirSync(l.root)) {
    const m = /^loadbearing-prove-(\d+)-/.exec(entry);
    if (!m) continue;
    try {
      process.kill(Number(m[1]), 0);
      continue; // its command still runs
    } catch {
      /* gone */
    }
    try {
      rmdirSync(join(l.root, entry));
    } catch {
      /* still has processes, or not ours to remove */
    }
  }
}

/**
 * A quota of `cores` shared by the processes added to it, or why there cannot be one here.
 * `weight` (cgroup v1 `cpu.shares`, default 1024; v2 `cpu.weight`, default 100: the same factor
 * is applied) raises the group's share against other processes when the CPU is contended, so on a
 * busy shared machine the group still gets its quota, as an instance gets its vCPUs; the quota
 * stays its bound. @default 1 (the kernel's default share)
 */
export function createCpuQuota(name: string, cores: number, weight = 1): CpuQuota | string {
  const l = layout();
  if (!l) return 'no writable cgroup CPU controller';
  removeAbandoned(l);
  const dir = join(l.root, name);
  try {
    mkdirSync(dir, { recursive: true });
    const quota = Math.max(1000, Math.round(cores * PERIOD_US));
    if (l.version === 1) {
      writeFileSync(join(dir, 'cpu.cfs_period_us'), String(PERIOD_US));
      writeFileSync(join(dir, 'cpu.cfs_quota_us'), String(quota));
      if (weight !== 1) writeFileSync(join(dir, 'cpu.shares'), String(Math.round(1024 * weight)));
    } else {
      writeFileSync(join(dir, 'cpu.max'), `${quota} ${PERIOD_US}`);
      if (weight !== 1) writeFileSync(join(dir, 'cpu.weight'), String(Math.min(10_000, Math.round(100 * weight))));
    }
  } catch (error) {
    try {
      rmdirSync(dir);
    } catch {
      /* not created */
    }
    return `cannot set a cgroup CPU quota (${(error as Error).message})`;
  }
  return {
    cores,
    name,
    add(pid) {
      writeFileSync(join(dir, 'cgroup.procs'), String(pid));
    },
    remove() {
      // The instances were just stopped: the kernel may list an exiting process for a moment.
      for (let attempt = 0; attempt < 20; attempt++) {
        try {
          rmdirSync(dir);
          return;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
        }
      }
    },
  };
}

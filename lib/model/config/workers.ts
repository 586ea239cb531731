import { resolveWorkers } from '@loadbearing/contract';
import type { AppSettings } from './app-settings';
import { fleetVcpus, type FleetVcpus } from './instance-vcpus';
import type { Architecture, WorkloadProfileName } from './workload-profiles';

/** The worker processes an instance of the fleet runs: app.workers, or one per vCPU. */
export interface FleetWorkers {
  /** The fewest and the most over the instance types the fleet may launch (they differ only with "auto" on a mix of vCPU counts). */
  readonly min: number;
  readonly max: number;
  readonly auto: boolean;
  readonly vcpus: FleetVcpus;
  /** How the count came about, for messages, e.g. `2 workers (app.workers "auto": one per vCPU of m7g.large)`. */
  readonly describe: string;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Worker processes per instance for the config (a number out of range is WK-1's to refuse; here it counts as given). */
export function fleetWorkers(config: {
  app: Pick<AppSettings, 'workers'>;
  fleet: { workloadProfile: WorkloadProfileName; architecture: Architecture; instanceSize: string };
}): FleetWorkers {
  const vcpus = fleetVcpus(config.fleet);
  const { workers } = config.app;
  if (workers === 'auto') {
    const per = vcpus.min === vcpus.max ? `${vcpus.types[0]!.type}` : `${vcpus.types.map((t) => `${t.type} (${t.vcpus})`).join(', ')}`;
    return {
      min: resolveWorkers('auto', vcpus.min),
      max: resolveWorkers('auto', vcpus.max),
      auto: true,
      vcpus,
      describe: `${plural(vcpus.max, 'worker')}${vcpus.min === vcpus.max ? '' : ' at most'} (app.workers "auto": one per vCPU of ${per})`,
    };
  }
  return { min: workers, max: workers, auto: false, vcpus, describe: `${plural(workers, 'worker')} (app.workers)` };
}

import type { BenchPart } from './bench-part';
import { firstRunBench } from './first-run-bench';
import { installSizeBench } from './install-size';
import { profileBench } from './profile-bench';
import { provingGroundBench } from './proving-ground-bench';
import { serviceBench } from './service-bench-part';
import { synthBench } from './synth-bench';
import { workersBench } from './workers-bench-part';
import { integrationTestsBench, unitTestsBench } from './test-suite-bench';

/**
 * Every part of `npm run bench`, in the order they run and appear on the performance page.
 * A new benchmark is a BenchPart in its own module, listed here. The service and workers
 * parts pin processes to CPUs while they run, so they run after the others but the proving ground, which
 * stands up the whole topology (and pins the fleet too).
 */
export const BENCH_PARTS: readonly BenchPart[] = [
  synthBench,
  unitTestsBench,
  integrationTestsBench,
  firstRunBench,
  profileBench,
  installSizeBench,
  serviceBench,
  workersBench,
  provingGroundBench,
];

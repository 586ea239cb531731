import type { BenchPart, PartResult } from './bench-part';
import type { TargetResult } from './targets';
import { RAW_CLIENTS, runWorkersBench, type WorkersBenchResults } from './workers-bench';

export type WorkersPartResult = PartResult & Omit<WorkersBenchResults, 'measuredAt'>;

/** Issue 22's targets: 2 workers serve >= 1.8x of 1 under the same per-worker quota; a shed costs a fraction of a served read. */
export function workersTargets(r: Omit<WorkersBenchResults, 'measuredAt'>): TargetResult[] {
  const failed = r.counts.filter((c) => c.failures > 0);
  const invalid = failed.length > 0 ? ` (INVALID: ${failed.map((c) => `${c.workers}w ${c.failures} failed responses`).join(', ')})` : '';
  const shedAll = r.shed.shed.statuses['503'] ?? 0;
  const shedTotal = Object.values(r.shed.shed.statuses).reduce((a, b) => a + b, 0);
  // The rounds alternate the instances, so the two phases of one round see the same machine:
  // the median of the per-round ratios cancels the drift between rounds that the ratio of the
  // medians keeps (a busy machine moved one round's reads by 2x).
  return [
    {
      target: 'workers: 2 workers serve >= 1.8x the cached reads of 1, same per-worker CPU quota (median of 3 rounds)',
      measured: r.ratio2v1
        ? `${r.ratio2v1.perRound.median}x (rounds ${r.ratio2v1.perRound.min}-${r.ratio2v1.perRound.max}; ratio of the medians ${r.ratio2v1.ofMedians}x)${invalid}`
        : 'not measured',
      met: !invalid && (r.ratio2v1?.perRound.median ?? 0) >= 1.8,
    },
    {
      target: 'workers: a shed answer from the primary costs less CPU than a served cached read (a new connection each)',
      measured: `${r.shed.shed.cpuUsPerAnswer} us against ${r.shed.served.cpuUsPerAnswer} us${shedAll === shedTotal ? '' : ` (INVALID: ${shedTotal - shedAll} of ${shedTotal} not shed)`}`,
      met: shedAll === shedTotal && shedTotal > 0 && r.shed.shed.cpuUsPerAnswer < r.shed.served.cpuUsPerAnswer,
    },
  ];
}

/** The process model: cached-read throughput per worker count, the shed path's cost, and a profile of a cached read (tools/bench/workers-bench.ts). */
export const workersBench: BenchPart<WorkersPartResult> = {
  name: 'workers',
  summary: 'cached reads with 1, 2 and 4 workers under a per-worker CPU quota; the shed path against a served read; a cached read profiled',
  async measure(ctx) {
    const { measuredAt: _measuredAt, ...result } = await runWorkersBench({
      secondsPerPhase: ctx.options['service-seconds'] ?? 5,
      rounds: ctx.options['service-rounds'] ?? 3,
      connections: ctx.options['service-connections'] ?? 16,
      log: ctx.log,
    });
    return result;
  },
  table(r) {
    const s = (x: { median: number; min: number; max: number }) => `${x.median} (${x.min}-${x.max})`;
    const raw = (label: string, p: WorkersBenchResults['shed']['shed']) =>
      `| ${label} | ${p.answersPerSecond} | ${p.p50Ms} | ${p.p99Ms} | ${p.cpuUsPerAnswer} | ${p.primaryCpuUsPerAnswer} | ${Object.entries(
        p.statuses,
      )
        .map(([k, v]) => `${k}: ${v}`)
        .join(', ')}${p.errors ? `, ${p.errors} errors` : ''} |`;
    const owners = [...new Set([...r.profile.service.byOwner, ...r.profile.bare.byOwner].map((o) => o.owner))];
    const per = (p: WorkersBenchResults['profile']['service'], owner: string) => {
      const found = p.byOwner.find((o) => o.owner === owner);
      return found ? `${found.ms} ms (${((found.ms * 1000) / p.requests).toFixed(1)} us/req)` : '-';
    };
    return [
      `The process model (mechanism \`${r.mechanism}\`): ${r.placement}; cached reads (\`GET /api/items/:id\`, a cache hit), ${r.connections} connections, closed loop (autocannon), ${r.secondsPerPhase} s per phase, median of ${r.rounds} rounds (min-max), the instances alternating. The machine is shared: the numbers are noisy.${r.leftOut ? ` Left out: ${r.leftOut}.` : ''}`,
      '',
      '| Workers | CPU quota (cores) | Cached reads/s | p99 ms | Instance CPU used (cores) | Reads per CPU-second | Load generator CPU (cores) | Failed |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
      ...r.counts.map(
        (c) =>
          `| ${c.workers} | ${c.quotaCores} | ${s(c.requestsPerSecond)} | ${s(c.p99Ms)} | ${s(c.cpuCores)} | ${s(c.readsPerCpuSecond)} | ${s(c.loadGeneratorCores)} | ${c.failures} |`,
      ),
      '',
      r.ratio2v1
        ? `2 workers over 1: ${r.ratio2v1.perRound.median}x, the median of the rounds' ratios (${r.ratio2v1.perRound.min}-${r.ratio2v1.perRound.max}; each round measures both instances on the same machine); the ratio of the medians is ${r.ratio2v1.ofMedians}x.`
        : '2 workers over 1: not measured.',
      '',
      `The shed path: one worker under a ${r.perWorkerCores}-core quota with its connection cap filled by held connections, so the primary answers every new connection 503 itself; then the same requests served by the worker (a cache hit). ${RAW_CLIENTS} clients, a new connection per request (\`Connection: close\`), ${r.secondsPerPhase} s each. A served cached read on a kept-alive connection costs ${r.shed.keepAliveCpuUsPerRead} us of instance CPU (the 1-worker rows above).`,
      '',
      '| Answer | Answers/s | p50 ms | p99 ms | Instance CPU per answer (us) | Primary CPU per answer (us) | Statuses |',
      '| --- | --- | --- | --- | --- | --- | --- |',
      raw('shed by the primary (503)', r.shed.shed),
      raw('served cached read', r.shed.served),
      '',
      `Where a cached read's CPU goes (\`--cpu-prof\` of the worker and of the bare handler, each on the instances' CPU without a quota but with their CPU weight, ${r.connections} connections, closed loop, the measured phase only (not start-up or warm-up); self time by source module, idle left out): the service ${r.profile.service.busyMs} ms for ${r.profile.service.requests} requests (${r.profile.service.usPerRequest} us per request${r.profile.service.windowed ? '' : '; start-up and warm-up included'}), the bare handler ${r.profile.bare.busyMs} ms for ${r.profile.bare.requests} (${r.profile.bare.usPerRequest} us).`,
      '',
      '| Module | Service worker | Bare handler |',
      '| --- | --- | --- |',
      ...owners.map((owner) => `| ${owner} | ${per(r.profile.service, owner)} | ${per(r.profile.bare, owner)} |`),
    ];
  },
  targets: workersTargets,
};

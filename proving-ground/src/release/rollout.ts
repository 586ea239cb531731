import { performance } from 'node:perf_hooks';
import type { EnvironmentConfig } from 'loadbearing/model';
import {
  alarmState,
  datapoint,
  instancesAtCheckpoint,
  refreshPlan,
  releaseAlarmDefinitions,
  type ReleaseAlarmDefinition,
  type ReleaseSignal,
} from 'loadbearing/model';
import { freePort } from '../local-stack';
import { scaledMs } from '../scale';
import type { Instance, Topology } from '../topology/topology';
import { startReleaseProxy, type ReleaseFault, type ReleaseProxy, type ReleaseSample } from './release-proxy';

/** What one local rollout did, in ms from the run's start. */
export interface RolloutLog {
  readonly events: { tMs: number; what: string }[];
  /** Slots (instance names) that ever ran the release. */
  readonly exposed: string[];
  /** When the first instance of the release took traffic. */
  firstServingMs?: number;
  /** When a release alarm went into ALARM, and which. */
  alarmMs?: number;
  alarmSignal?: ReleaseSignal;
  /** When the last instance of the release was out of service again. */
  rolledBackMs?: number;
  /** How it ended: a release alarm stopped and reverted it, it completed, or the window ended first. */
  outcome?: 'rolled-back' | 'completed' | 'window-ended';
  /** Every finished period of the release, with each alarm's datapoint and state. */
  readonly periods: { period: number; requests: number; errors: number; p99Ms?: number; states: Record<string, string> }[];
  /** The arithmetic it ran with (scaled to local ms). */
  plan?: {
    checkpoints: number[];
    targets: number[];
    checkpointDelayMs: number;
    bakeMs: number;
    periodMs: number;
    detectionBoundMs: number;
  };
}

export function emptyRolloutLog(): RolloutLog {
  return { events: [], exposed: [], periods: [] };
}

/**
 * The instance refresh on the local fleet: the same arithmetic as the stack's update policy
 * (lib/model/deploy/release-rollout.ts: checkpoints from the AZ count, the delay at each, the
 * bake; the time scaled) and the same release alarms (lib/model/deploy/release-alarms.ts: the
 * thresholds, periods and datapoints of delivery.releaseAlarms, periods scaled), evaluated on what
 * the release's own instances answered. A release alarm in ALARM stops the rollout and reverts
 * it: each slot that runs the release gets the previous release back, as the stack rollback's
 * refresh would.
 *
 * A new instance of the release is a new service process behind the release's proxy (its
 * behaviour and its metrics), switched into its slot's HAProxy server once healthy, before the
 * old process stops (launch before terminate: minHealthyPercentage 100).
 */
export class LocalRollout {
  readonly defs: ReleaseAlarmDefinition[];
  private proxy?: ReleaseProxy;
  private readonly onRelease = new Map<string, { instance: Instance; listen: number; oldStopped: Promise<unknown> }>();
  private stopped = false;
  private alarmed?: () => void;
  private readonly alarm = new Promise<void>((resolve) => (this.alarmed = resolve));
  private running?: Promise<void>;
  private watcher?: NodeJS.Timeout;
  private seen = 0;

  constructor(
    private readonly topology: Topology,
    private readonly config: EnvironmentConfig,
    private readonly fault: ReleaseFault,
    readonly log: RolloutLog,
    /** performance.now() of the run's start. */
    private readonly runStart: number,
    private readonly seed = 20_261_207,
  ) {
    this.defs = releaseAlarmDefinitions({
      prefix: 'local-',
      stackName: config.stackName,
      releaseId: 'rlocal',
      settings: config.delivery.releaseAlarms,
    });
  }

  private now(): number {
    return Math.round(performance.now() - this.runStart);
  }

  private note(what: string): void {
    this.log.events.push({ tMs: this.now(), what });
  }

  /** Starts the rollout; it runs until a release alarm fires (then reverts), it completes, or `stop`. */
  start(): void {
    this.running = this.run().catch((err: Error) => this.note(`rollout error: ${err.message}`));
  }

  private async run(): Promise<void> {
    const plan = refreshPlan(this.config.fleet, this.config.availabilityZones.length);
    const slots = [...this.topology.instances];
    const periodMs = scaledMs(this.defs[0]!.periodSeconds);
    const targets = plan.checkpointPercentages.map((p) => instancesAtCheckpoint(p, slots.length));
    this.log.plan = {
      checkpoints: [...plan.checkpointPercentages],
      targets,
      checkpointDelayMs: scaledMs(plan.checkpointDelaySeconds),
      bakeMs: scaledMs(plan.bakeSeconds),
      periodMs,
      detectionBoundMs: scaledMs((this.defs[0]!.datapointsToAlarm + 1) * this.defs[0]!.periodSeconds),
    };
    this.proxy = await startReleaseProxy({
      fault: this.fault,
      epochMs: Date.now(),
      periodMs,
      healthPath: this.config.loadBalancer.healthCheck.path,
      seed: this.seed,
    });
    this.watcher = setInterval(() => this.evaluate(), 100);
    let replaced = 0;
    for (const [i, target] of targets.entries()) {
      while (replaced < target && !this.stopped && this.log.alarmMs === undefined) await this.replace(slots[replaced++]!);
      if (this.stopped || this.log.alarmMs !== undefined) break;
      const last = i === targets.length - 1;
      const waitMs = last ? this.log.plan.bakeMs : this.log.plan.checkpointDelayMs;
      this.note(
        `${last ? 'bake' : `checkpoint ${plan.checkpointPercentages[i]}%`}: ${replaced} of ${slots.length} on the release, waiting ${waitMs} ms`,
      );
      await Promise.race([this.alarm, new Promise((r) => setTimeout(r, waitMs))]);
      if (this.stopped || this.log.alarmMs !== undefined) break;
      if (last) {
        this.log.outcome = 'completed';
        this.note('the release is complete');
      }
    }
    if (this.log.alarmMs !== undefined) await this.revert('rolled-back');
  }

  /** One slot to the release: a new process behind the release proxy, switched in once healthy, then the old one stops. */
  private async replace(slot: Instance): Promise<void> {
    const port = await freePort();
    const name = `${slot.name}-release`;
    const instance: Instance = { name, port, workers: slot.workers, env: { ...slot.env, APP_PORT: String(port), INSTANCE_ID: name } };
    await this.topology.startInstance(instance);
    const listen = await this.proxy!.add(port);
    await this.topology.haproxy.command(`set server fleet/${slot.name} addr 127.0.0.1 port ${listen}`);
    this.log.firstServingMs ??= this.now();
    this.log.exposed.push(slot.name);
    this.note(`${slot.name} runs the release`);
    slot.killed = true;
    const oldStopped = slot.service ? slot.service.stop('SIGTERM') : Promise.resolve();
    this.onRelease.set(slot.name, { instance, listen, oldStopped });
  }

  /** Each slot on the release back to the previous release, on its own port. */
  private async revert(outcome: NonNullable<RolloutLog['outcome']>): Promise<void> {
    for (const slot of this.topology.instances) {
      const on = this.onRelease.get(slot.name);
      if (!on) continue;
      await on.oldStopped;
      await this.topology.startInstance(slot);
      slot.killed = false;
      await this.topology.haproxy.command(`set server fleet/${slot.name} addr 127.0.0.1 port ${slot.port}`);
      // The release's connections from HAProxy close as their answers go out; then its process stops.
      await this.proxy!.remove(on.listen);
      on.instance.killed = true;
      void on.instance.service?.stop('SIGTERM');
      this.onRelease.delete(slot.name);
      this.note(`${slot.name} back on the previous release`);
    }
    this.log.rolledBackMs = this.now();
    this.log.outcome ??= outcome;
  }

  /** The release alarms on the finished periods: missing data is not breaching; ALARM at datapointsToAlarm of evaluationPeriods. */
  private evaluate(): void {
    const samples = this.proxy?.samples ?? [];
    if (samples.length === this.seen) return;
    this.seen = samples.length;
    const byPeriod = new Map<number, ReleaseSample>(samples.map((s) => [s.period, s]));
    const last = Math.max(...byPeriod.keys());
    this.log.periods.length = 0;
    const values = new Map<ReleaseSignal, (number | undefined)[]>(this.defs.map((d) => [d.signal, []]));
    for (let k = 0; k <= last; k++) {
      const s = byPeriod.get(k) ?? { period: k, requests: 0, errors: 0 };
      const states: Record<string, string> = {};
      for (const d of this.defs) {
        const v = values.get(d.signal)!;
        v.push(datapoint(d, s));
        states[d.signal] = `${v.at(-1) === undefined ? 'missing' : Math.round(v.at(-1)! * 10) / 10}: ${alarmState(d, v)}`;
        if (alarmState(d, v) === 'ALARM' && this.log.alarmMs === undefined) {
          this.log.alarmMs = this.now();
          this.log.alarmSignal = d.signal;
          this.note(
            `release alarm ${d.signal} in ALARM (${d.datapointsToAlarm} of ${d.evaluationPeriods} periods above ${d.threshold} ${d.unit}): stop and roll back`,
          );
          this.alarmed?.();
        }
      }
      this.log.periods.push({
        period: k,
        requests: s.requests,
        errors: s.errors,
        ...(s.p99Ms === undefined ? {} : { p99Ms: s.p99Ms }),
        states,
      });
    }
  }

  /** The end of the fault window: a rollout still going is reverted; every process of the release stops. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.alarmed?.();
    await this.running;
    if (this.onRelease.size > 0) {
      this.note('the window ended before a release alarm fired: reverting');
      await this.revert('window-ended');
    }
    if (this.watcher) clearInterval(this.watcher);
    this.evaluate();
    await this.proxy?.stop();
  }
}

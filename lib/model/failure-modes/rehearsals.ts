import type { FailureModeId } from './failure-mode';

/**
 * How each failure mode is rehearsed on one machine by the proving ground (`npm run prove`):
 * the scenario that injects it, or `none` and why not. Defined here, beside the modes, so the
 * catalogue, the docs and the drills read one answer without importing the proving ground;
 * the proving ground implements exactly the scenarios marked here (a test checks both ways).
 */
export type LocalRehearsal =
  | { readonly scenario: FailureModeId; readonly fault: string }
  | { readonly scenario: 'none'; readonly reason: string };

export const LOCAL_REHEARSALS: Readonly<Record<FailureModeId, LocalRehearsal>> = {
  'traffic-spike': {
    scenario: 'traffic-spike',
    fault: 'the open-loop rate jumps to 3x the measured capacity, and one client exceeds the WAF per-client rate',
  },
  'instance-loss': { scenario: 'instance-loss', fault: 'one service instance is killed (SIGKILL, no drain), then replaced' },
  'worker-crash': {
    scenario: 'worker-crash',
    fault: "one worker process of one instance is killed (SIGKILL); the instance's primary restarts it",
  },
  'az-loss': {
    scenario: 'az-loss',
    fault: "one AZ's share of the instances is killed and the read replica stopped at once, then both come back",
  },
  'gray-az': {
    scenario: 'none',
    reason:
      "coming (issue 27): one AZ's instances 300 ms slower and failing 20% with /healthz green; the per-AZ rule of lib/model/zonal fires, then HAProxy drains that AZ",
  },
  'capacity-shortage-in-an-az': {
    scenario: 'none',
    reason:
      'it is a control-plane event (Auto Scaling cannot launch in one AZ) that touches no running instance; one machine has no launches to refuse',
  },
  'spot-interruption': {
    scenario: 'none',
    reason:
      'no built-in environment runs Spot at its minimum size (the mode does not apply), and the two-minute notice is an EC2 event with no local stand-in',
  },
  'cpu-stress': {
    scenario: 'none',
    reason:
      'on one machine a CPU hog starves the load generator, HAProxy and PostgreSQL as much as the service, so it measures the machine; the mitigation (target tracking adds instances) needs a control plane',
  },
  'db-failover': {
    scenario: 'db-failover',
    fault:
      'the PostgreSQL writer stops abruptly (immediate shutdown: every connection dropped) and starts again after the scaled failover time',
  },
  'replica-loss': { scenario: 'replica-loss', fault: 'the streaming replica stops, then starts again and catches up' },
  'replica-lag': {
    scenario: 'replica-lag',
    fault:
      "the replica's replay is paused (pg_wal_replay_pause) for longer than the tightest class's staleness, then resumed; writes keep coming through the app and straight to the writer",
  },
  'dependency-latency': {
    scenario: 'dependency-latency',
    fault: 'a delaying TCP proxy in front of the writer and the replica adds latency in both directions',
  },
  'cache-loss': {
    scenario: 'cache-loss',
    fault: 'redis-server is frozen (SIGSTOP: every connection hangs), then killed (connections reset), then started again empty',
  },
  'client-retries': { scenario: 'client-retries', fault: 'clients time out early and resend every write with the same Idempotency-Key' },
  'bad-release': {
    scenario: 'bad-release',
    fault:
      "the fleet rolls to a release that fails 30% of requests, by the instance refresh's checkpoints and bake (scaled); a stand-in of the release alarms stops and reverts it",
  },
  'slow-release': {
    scenario: 'slow-release',
    fault: 'the same rollout, of a release that adds 300 ms to every request',
  },
};

/** The failure modes the proving ground rehearses, in catalogue order. */
export function rehearsedModes(): FailureModeId[] {
  return (Object.entries(LOCAL_REHEARSALS) as [FailureModeId, LocalRehearsal][]).filter(([, r]) => r.scenario !== 'none').map(([id]) => id);
}

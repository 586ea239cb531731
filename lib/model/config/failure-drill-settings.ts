import { z } from 'zod';
import { int, logRetentionDays } from './schema-helpers';

/**
 * AWS FIS refuses an experiment that resolves more target resources per action than the
 * account's quota allows (5 by default and adjustable: "Target Instances for
 * aws:ec2:stop-instances", "... aws:ssm:send-command", "Resources per experiment target"):
 * https://docs.aws.amazon.com/fis/latest/userguide/fis-quotas.html
 */
export const FIS_DEFAULT_TARGETS_PER_ACTION = 5;

export const failureDrillSettingsSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(false)
      .describe(
        'Create the AWS FIS experiment templates of the failure drills (docs/failure-modes.md, "Drills in AWS"). Staging preset: true; prod only when set here.',
      ),
    faultMinutes: int(5, 60)
      .default(10)
      .describe(
        'How long each sustained fault lasts (stopped instances, blocked launches, cut subnet, cache AZ power, added latency, CPU stress), and the longest a one-shot fault (the cache failover automation) may take. FIS allows 1 minute to 12 hours per action; the platform keeps drills short.',
      ),
    zones: z
      .array(z.string())
      .min(1)
      .optional()
      .describe(
        'The AZs that get an az-loss and a capacity-shortage-in-an-az template each (FIS templates have no parameters, so one template per AZ). @default - every configured availability zone',
      ),
    cpuLoadPercent: int(1, 100)
      .default(90)
      .describe(
        'cpu-stress: the CPU load stress-ng puts on each stressed instance. With the stressed share of the fleet it must exceed alarms.fleetCpuPercent, or the drill could never be detected.',
      ),
    dependencyLatencyMs: int(10, 10_000)
      .default(200)
      .describe('dependency-latency: latency tc adds to the traffic from the fleet to the database endpoints.'),
    grayAzDelayMs: int(10, 5000)
      .default(300)
      .describe(
        'gray-az: latency added to everything the instances of one AZ send (their answers included), for the first half of the fault; the per-AZ latency alarms must tell that AZ from the others.',
      ),
    grayAzLossPercent: int(1, 50)
      .default(10)
      .describe(
        'gray-az: share of the packets the instances of one AZ send that are dropped, for the second half of the fault (TCP retransmits: slow and failed requests from that AZ only).',
      ),
    maxTargetsPerAction: int(1, 1000)
      .default(FIS_DEFAULT_TARGETS_PER_ACTION)
      .describe(
        "Your account's FIS quota of target resources per action (5 unless raised). Drills that act on the fleet select at most this many instances; az-loss refuses a fleet with more instances per AZ at its minimum size.",
      ),
    logRetentionDays: logRetentionDays.default(365).describe('Retention of the experiment log group.'),
    disruptSharedSubnets: z
      .strictObject({
        reason: z
          .string()
          .min(20)
          .describe(
            'Why cutting the whole app subnet is acceptable here, e.g. that the network team gave these subnets to this stack alone (at least 20 characters).',
          ),
      })
      .optional()
      .describe(
        "With network.existingVpc: keep the az-loss drill's app-subnet cut (aws:network:disrupt-connectivity), which swaps the network ACL of the whole subnet for the fault and so cuts off every other workload in it. Only for subnets of this account that the stack has alone. @default - the cut is left out of az-loss in an existing VPC",
      ),
  })
  .describe(
    "Failure drills: AWS FIS experiment templates that rehearse each failure mode in the real environment, stopped by an alarm built from the mode's impact budget.",
  );

export type FailureDrillSettings = z.output<typeof failureDrillSettingsSchema>;
export type FailureDrillSettingsInput = z.input<typeof failureDrillSettingsSchema>;

/** Instances of a fleet a drill may target at once: all when the group can never exceed the quota, else as many as are always running (never more than the quota). */
export function fleetTargetCount(
  fleet: { readonly minCapacity: number; readonly maxCapacity: number },
  maxTargetsPerAction: number,
): { selectionMode: string; count: number } {
  if (fleet.maxCapacity <= maxTargetsPerAction) return { selectionMode: 'ALL', count: fleet.minCapacity };
  const count = Math.min(fleet.minCapacity, maxTargetsPerAction);
  return { selectionMode: `COUNT(${count})`, count };
}

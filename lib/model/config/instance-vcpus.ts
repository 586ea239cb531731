import { instanceTypesFor, type Architecture, type WorkloadProfileName } from './workload-profiles';

/**
 * Default vCPUs of every instance type the workload profiles can produce
 * (`instanceTypesFor` over every profile, architecture and size of lib/model/config/workload-profiles.ts;
 * a test keeps the two in step). The vCPU quotas of EC2 count these vCPUs, not instances, and
 * `app.workers: "auto"` runs one worker process per vCPU.
 *
 * Sources, the "Default vCPUs" column of the instance type specifications:
 * - general purpose (m7g, m7gd, m7i, m6i, m7a, t4g, t3, t3a):
 *   https://docs.aws.amazon.com/ec2/latest/instancetypes/gp.html
 * - compute optimized (c7g, c7gd, c7gn, c7i, c6i, c7a):
 *   https://docs.aws.amazon.com/ec2/latest/instancetypes/co.html
 * - memory optimized (r7g, r7gd, r7i, r6i, r7a):
 *   https://docs.aws.amazon.com/ec2/latest/instancetypes/mo.html
 * (the older user guide had the same "Default vCPUs" tables, e.g.
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/general-purpose-instances.html).
 *
 * A Graviton `medium` has one vCPU (one core, no SMT); the burstable T types have two from `medium`
 * up. Any other type (a subclass's own template) is looked up with EC2 DescribeInstanceTypes
 * (`VCpuInfo.DefaultVCpus`) by preflight.
 */
const BY_SIZE = { large: 2, xlarge: 4, '2xlarge': 8, '4xlarge': 16 } as const;

function family(name: string, sizes: Readonly<Record<string, number>>): [string, number][] {
  return Object.entries(sizes).map(([size, vcpus]) => [`${name}.${size}`, vcpus]);
}

export const INSTANCE_VCPUS: Readonly<Record<string, number>> = Object.fromEntries([
  // general (arm64, x86_64)
  ...family('m7g', { medium: 1, ...BY_SIZE }),
  ...family('m7gd', BY_SIZE),
  ...family('m7i', BY_SIZE),
  ...family('m6i', BY_SIZE),
  ...family('m7a', BY_SIZE),
  // compute
  ...family('c7g', BY_SIZE),
  ...family('c7gd', BY_SIZE),
  ...family('c7gn', BY_SIZE),
  ...family('c7i', BY_SIZE),
  ...family('c6i', BY_SIZE),
  ...family('c7a', BY_SIZE),
  // memory
  ...family('r7g', BY_SIZE),
  ...family('r7gd', BY_SIZE),
  ...family('r7i', BY_SIZE),
  ...family('r6i', BY_SIZE),
  ...family('r7a', BY_SIZE),
  // burstable: medium to 2xlarge
  ...family('t4g', { medium: 2, large: 2, xlarge: 4, '2xlarge': 8 }),
  ...family('t3', { medium: 2, large: 2, xlarge: 4, '2xlarge': 8 }),
  ...family('t3a', { medium: 2, large: 2, xlarge: 4, '2xlarge': 8 }),
]);

/** The default vCPUs of an instance type from the table, or undefined when it is not in it. */
export function knownInstanceVcpus(instanceType: string): number | undefined {
  return INSTANCE_VCPUS[instanceType];
}

/** The vCPUs of each instance type a fleet may launch, and the fewest and most of them (a mixed instances policy launches any). */
export interface FleetVcpus {
  readonly types: readonly { readonly type: string; readonly vcpus: number }[];
  readonly min: number;
  readonly max: number;
}

/** vCPUs of the instance types of a profile, architecture and size (every one of them is in the table: a test checks). */
export function fleetVcpus(fleet: { workloadProfile: WorkloadProfileName; architecture: Architecture; instanceSize: string }): FleetVcpus {
  const types = instanceTypesFor(fleet.workloadProfile, fleet.architecture, fleet.instanceSize).map((type) => ({
    type,
    vcpus: INSTANCE_VCPUS[type] ?? 1,
  }));
  const counts = types.map((t) => t.vcpus);
  return { types, min: Math.min(...counts), max: Math.max(...counts) };
}

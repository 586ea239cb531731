import type { DescribeInstanceTypesCommandInput } from '@aws-sdk/client-ec2';
import type { PreflightContext } from './preflight-check.js';
import { fleetVcpuDemand, type FleetVcpuDemand } from './preflight-capacity.js';
import { fleetShapes } from './preflight-template.js';
import { INSTANCE_VCPUS } from '../model/config/instance-vcpus.js';

export interface StackVcpuDemand {
  readonly fleets: readonly FleetVcpuDemand[];
  readonly onDemandVcpus: number;
  readonly spotVcpus: number;
  /** Instance types that are not Standard (A, C, D, H, I, M, R, T, Z): other quotas count them. */
  readonly nonStandardTypes: readonly string[];
}

/** The families the Standard vCPU quotas cover, by their first letter (the quota names list them). */
const STANDARD_FAMILY = /^[acdhimrtz]/;

/**
 * The vCPUs every Auto Scaling group of the template can run at its peak (preflight-capacity.ts),
 * computed once per run for the On-Demand and Spot rows. vCPUs come from INSTANCE_VCPUS; a type
 * not in it is looked up with EC2 DescribeInstanceTypes (`VCpuInfo.DefaultVCpus`,
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_VCpuInfo.html).
 */
export function stackVcpuDemand(ctx: PreflightContext): Promise<StackVcpuDemand> {
  return ctx.session.memo('stack-vcpu-demand', async () => {
    const fleets = fleetShapes(ctx.template);
    const types = [...new Set(fleets.flatMap((f) => f.instanceTypes))];
    const vcpus: Record<string, number> = {};
    const unknown: string[] = [];
    for (const t of types) {
      if (INSTANCE_VCPUS[t] !== undefined) vcpus[t] = INSTANCE_VCPUS[t];
      else unknown.push(t);
    }
    if (unknown.length > 0) {
      const { EC2Client, DescribeInstanceTypesCommand } = await import('@aws-sdk/client-ec2');
      const ec2 = ctx.session.client('ec2', ctx.env.region, (config) => new EC2Client(config));
      const out = await ctx.session.call('ec2:DescribeInstanceTypes', (abortSignal) =>
        ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: unknown as DescribeInstanceTypesCommandInput['InstanceTypes'] }), {
          abortSignal,
        }),
      );
      for (const info of out.InstanceTypes ?? []) {
        if (info.InstanceType && typeof info.VCpuInfo?.DefaultVCpus === 'number') vcpus[info.InstanceType] = info.VCpuInfo.DefaultVCpus;
      }
      const missing = unknown.filter((t) => vcpus[t] === undefined);
      if (missing.length > 0) throw new Error(`EC2 does not know the instance type(s) ${missing.join(', ')} in ${ctx.env.region}`);
    }
    const demands = fleets.map((f) => fleetVcpuDemand(f, vcpus));
    return {
      fleets: demands,
      onDemandVcpus: demands.reduce((s, d) => s + d.onDemandVcpus, 0),
      spotVcpus: demands.reduce((s, d) => s + d.spotVcpus, 0),
      nonStandardTypes: types.filter((t) => !STANDARD_FAMILY.test(t)),
    };
  });
}

/** The arithmetic of every fleet, for a row's detail. */
export function demandExplanation(demand: StackVcpuDemand): string {
  if (demand.fleets.length === 0) return 'the template has no Auto Scaling group';
  return demand.fleets.map((f) => (demand.fleets.length > 1 ? `${f.fleet}: ${f.explanation}` : f.explanation)).join(' | ');
}

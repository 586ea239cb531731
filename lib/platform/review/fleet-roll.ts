import { constructPaths, displayPath } from './construct-paths';
import { referencedIds } from './template-references';
import type { Template, TemplateResource } from './templates';

/**
 * How a deploy rolls an Auto Scaling group onto a new launch configuration (a new launch
 * template version, new instance types, new subnets), derived from the group's `UpdatePolicy`
 * in the template that is deployed, whatever the policy is:
 *
 * - `AutoScalingRollingUpdate`: CloudFormation replaces `MaxBatchSize` instances at a time
 *   (default 1) keeping `MinInstancesInService` in service (default 0); with
 *   `WaitOnResourceSignals` each batch waits up to `PauseTime` (default PT5M with signals, else
 *   PT0S) for its instances' signals
 *   (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-updatepolicy.html).
 *   A batch that cannot stop old instances without going under MinInstancesInService launches
 *   first (lib/ops/preflight-capacity.ts has the same arithmetic for the capacity peak).
 * - `AutoScalingReplacingUpdate` with `WillReplace`: a new group beside the old one, which is
 *   deleted once the new one has its creation policy's signals; it takes precedence over a
 *   rolling update (same page).
 * - `AutoScalingInstanceRefresh`: an instance refresh within MinHealthyPercentage and
 *   MaxHealthyPercentage of the desired capacity ("a larger range increases the number of
 *   instances that can be replaced at the same time",
 *   https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-instance-maintenance-policy.html),
 *   with checkpoints, bake time and alarms; defaults from the CloudFormation policy's
 *   documentation (aws-cdk-lib's CfnAutoScalingInstanceRefresh: 100/110 for Rolling and 90/100
 *   for ReplaceRootVolume unless the group's InstanceMaintenancePolicy sets them, SkipMatching
 *   true, CheckpointDelay 3600 s, BakeTime 0).
 * - No such policy: the group takes the new configuration, and running instances keep the one
 *   they were launched with until replaced ("Existing instances continue to run with the
 *   configuration that they were originally launched with",
 *   https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_UpdateAutoScalingGroup.html).
 *
 * Anything else that acts on the group (a custom resource that refers to it or to its launch
 * template, say one that starts an instance refresh, or a policy this code does not know) is
 * named with "see the group's update mechanism": the review does not guess what it does.
 *
 * The size is the template's: DesiredCapacity, else MinSize (a group that has scaled out has
 * more instances, and rolls them all).
 */
export function fleetRoll(template: Template, groupId: string, knownPaths: Readonly<Record<string, string>> = {}): string {
  const resources = template.Resources ?? {};
  const group = resources[groupId];
  const paths = { ...knownPaths, ...constructPaths(template) };
  const fleet = `the fleet ${displayPath(paths[groupId]) ?? groupId}`;
  if (!group) return `rolls ${fleet}: the group is not in the template (see the group's update mechanism)`;
  const size = groupSize(group);
  const policy = (group.UpdatePolicy ?? {}) as Record<string, unknown>;
  const others = otherMechanisms(template, groupId);
  const known = new Set([
    'AutoScalingRollingUpdate',
    'AutoScalingReplacingUpdate',
    'AutoScalingInstanceRefresh',
    'AutoScalingScheduledAction',
  ]);
  const unknown = Object.keys(policy).filter((k) => !known.has(k));
  const mechanism = others.map((id) => displayPath(paths[id]) ?? id);
  const also =
    mechanism.length > 0
      ? `; ${mechanism.join(', ')} also act${mechanism.length === 1 ? 's' : ''} on the group: see the group's update mechanism`
      : '';

  const replacing = policy.AutoScalingReplacingUpdate as { WillReplace?: unknown } | undefined;
  if (replacing && isTrue(replacing.WillReplace)) return `rolls ${fleet} by replacing the group: ${replacingText(group, size)}${also}`;
  const refresh = policy.AutoScalingInstanceRefresh as InstanceRefreshPolicy | undefined;
  if (refresh)
    return `rolls ${fleet} by instance refresh (${typeof refresh.Strategy === 'string' ? refresh.Strategy : 'Rolling'}): ${refreshText(group, refresh, size)}${also}`;
  const rolling = policy.AutoScalingRollingUpdate as RollingUpdatePolicy | undefined;
  if (rolling) return `rolls ${fleet}: ${rollingText(template, groupId, rolling, size)}${also}`;
  if (unknown.length > 0)
    return `rolls ${fleet} by UpdatePolicy ${unknown.join(', ')}: see the group's update mechanism${mechanism.length > 0 ? ` (and ${mechanism.join(', ')})` : ''}`;
  if (mechanism.length > 0)
    return `${fleet} has no rolling, replacing or refresh update policy, but ${mechanism.join(', ')} act${mechanism.length === 1 ? 's' : ''} on it: see the group's update mechanism`;
  return (
    `does not roll ${fleet}: the group has no rolling, replacing or refresh update policy, so it takes the new configuration ` +
    'but its running instances keep the old one until they are replaced (scale-in and out, health replacements, an instance refresh)'
  );
}

interface RollingUpdatePolicy {
  readonly MaxBatchSize?: unknown;
  readonly MinInstancesInService?: unknown;
  readonly MinSuccessfulInstancesPercent?: unknown;
  readonly PauseTime?: unknown;
  readonly WaitOnResourceSignals?: unknown;
}

interface InstanceRefreshPolicy {
  readonly Strategy?: unknown;
  readonly Preferences?: {
    readonly MinHealthyPercentage?: unknown;
    readonly MaxHealthyPercentage?: unknown;
    readonly CheckpointPercentages?: unknown;
    readonly CheckpointDelay?: unknown;
    readonly BakeTime?: unknown;
    readonly SkipMatching?: unknown;
    readonly InstanceWarmup?: unknown;
    readonly AlarmSpecification?: { readonly Alarms?: unknown };
  };
}

/** The instances a roll replaces, as far as the template says: DesiredCapacity, else MinSize. */
interface GroupSize {
  /** undefined when the template's value is not a literal number. */
  readonly count?: number;
  /** `6 instances (MinSize 6; more if it has scaled out)` */
  readonly text: string;
}

function groupSize(group: TemplateResource): GroupSize {
  const desired = num(group.Properties?.DesiredCapacity);
  const min = num(group.Properties?.MinSize);
  if (desired !== undefined)
    return { count: desired, text: `${plural(desired, 'instance')} (DesiredCapacity ${desired}; more if it has scaled out)` };
  if (min !== undefined)
    return min === 0
      ? { count: 0, text: 'the instances it has scaled out to (MinSize 0)' }
      : { count: min, text: `${plural(min, 'instance')} (MinSize ${min}; more if it has scaled out)` };
  return { text: 'its instances' };
}

function rollingText(template: Template, groupId: string, policy: RollingUpdatePolicy, size: GroupSize): string {
  const batch = Math.max(1, num(policy.MaxBatchSize) ?? 1);
  const inService = num(policy.MinInstancesInService) ?? 0;
  const signals = isTrue(policy.WaitOnResourceSignals);
  const pause = seconds(policy.PauseTime) ?? (signals ? 300 : 0);
  const parts = [`${size.text}, ${batch} at a time`];
  if (inService > 0) {
    const launchFirst = size.count === undefined || size.count - batch < inService;
    parts[0] += ` keeping ${inService} in service${launchFirst ? ' (each new batch starts before the old one stops)' : ''}`;
  }
  const percent = num(policy.MinSuccessfulInstancesPercent);
  if (signals)
    parts.push(
      `each batch waits up to ${duration(pause)} for its instances' signals${percent !== undefined && percent < 100 ? ` (${percent}% must signal)` : ''}`,
    );
  else if (pause > 0) parts.push(`pausing ${duration(pause)} after each batch (no signals: a batch that boots badly is not noticed)`);
  else parts.push('with no pause or signal between batches (a batch that boots badly is not noticed)');
  let text = parts.join(', ');
  if (size.count !== undefined && size.count > 0) {
    const batches = Math.ceil(size.count / batch);
    text += `: ${plural(batches, 'batch', 'batches')}${pause > 0 ? `, at most about ${duration(batches * pause)}` : ''}`;
  }
  if (warmPoolOf(template, groupId)) text += "; the warm pool's instances are not replaced";
  return text;
}

function refreshText(group: TemplateResource, policy: InstanceRefreshPolicy, size: GroupSize): string {
  const strategy = typeof policy.Strategy === 'string' ? policy.Strategy : 'Rolling';
  const p = policy.Preferences ?? {};
  const maintenance = (group.Properties?.InstanceMaintenancePolicy ?? {}) as {
    MinHealthyPercentage?: unknown;
    MaxHealthyPercentage?: unknown;
  };
  const [defaultMin, defaultMax] = strategy === 'ReplaceRootVolume' ? [90, 100] : [100, 110];
  const min = num(p.MinHealthyPercentage) ?? positive(num(maintenance.MinHealthyPercentage)) ?? defaultMin;
  const max = num(p.MaxHealthyPercentage) ?? positive(num(maintenance.MaxHealthyPercentage)) ?? defaultMax;
  let text = `${size.text}, keeping ${min}-${max}% of the desired capacity healthy`;
  if (size.count !== undefined && size.count > 0) {
    const atOnce = Math.max(1, Math.floor((size.count * (max - min)) / 100));
    text += `: about ${atOnce} at a time${min >= 100 ? ', launched before the old ones stop' : ''}, ${plural(Math.ceil(size.count / atOnce), 'step')}`;
  }
  const checkpoints = Array.isArray(p.CheckpointPercentages) ? p.CheckpointPercentages.filter((c) => typeof c === 'number') : [];
  if (checkpoints.length > 0)
    text += `; checkpoints at ${checkpoints.map((c) => `${c}%`).join(', ')}, waiting ${duration(num(p.CheckpointDelay) ?? 3600)} at each`;
  const bake = num(p.BakeTime) ?? 0;
  if (bake > 0) text += `; then ${duration(bake)} of bake time before the update counts as done`;
  const alarms = Array.isArray(p.AlarmSpecification?.Alarms) ? p.AlarmSpecification.Alarms.length : 0;
  if (alarms > 0) text += `; it fails (and the update rolls back) when any of ${plural(alarms, 'alarm')} goes into ALARM`;
  if (p.SkipMatching === false) text += '; every instance is replaced (SkipMatching false)';
  return text;
}

function replacingText(group: TemplateResource, size: GroupSize): string {
  const signal = (group.CreationPolicy as { ResourceSignal?: { Count?: unknown; Timeout?: unknown } } | undefined)?.ResourceSignal;
  const count = num(signal?.Count);
  const timeout = seconds(signal?.Timeout);
  const wait =
    signal === undefined
      ? 'once it is created'
      : `once ${count !== undefined ? plural(count, 'instance') : 'its instances'} signal${count === 1 ? 's' : ''} (creation policy, up to ${timeout !== undefined ? duration(timeout) : 'its timeout'})`;
  return `a new group of ${size.text} is created beside the old one, which CloudFormation deletes ${wait}: both groups' instances run meanwhile`;
}

/** Custom resources (and CloudFormation custom resources) that refer to the group or to a launch template it uses. */
function otherMechanisms(template: Template, groupId: string): string[] {
  const resources = template.Resources ?? {};
  const targets = new Set([groupId, ...launchTemplatesOf(resources[groupId])]);
  return Object.entries(resources)
    .filter(([id, r]) => id !== groupId && (r.Type.startsWith('Custom::') || r.Type === 'AWS::CloudFormation::CustomResource'))
    .filter(([, r]) => [...referencedIds(r.Properties ?? {})].some((ref) => targets.has(ref)))
    .map(([id]) => id)
    .sort();
}

/** The launch templates (logical IDs) a group launches from: its LaunchTemplate, or its MixedInstancesPolicy's (overrides included). */
export function launchTemplatesOf(group: TemplateResource | undefined): Set<string> {
  const p = group?.Properties ?? {};
  const ids = new Set<string>();
  for (const id of referencedIds([p.LaunchTemplate, p.MixedInstancesPolicy])) ids.add(id);
  return ids;
}

function warmPoolOf(template: Template, groupId: string): boolean {
  return Object.values(template.Resources ?? {}).some(
    (r) => r.Type === 'AWS::AutoScaling::WarmPool' && referencedIds(r.Properties?.AutoScalingGroupName).has(groupId),
  );
}

/** A template number: a number or a numeric string (CloudFormation writes MinSize as "6"). */
function num(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^\d+$/.test(value.trim())) return Number(value);
  return undefined;
}

function positive(value: number | undefined): number | undefined {
  return value !== undefined && value >= 0 ? value : undefined;
}

function isTrue(value: unknown): boolean {
  return value === true || value === 'true';
}

/** An ISO 8601 duration of CloudFormation (`PT13M`, `PT1H30M`, `PT90S`) or a number of seconds. */
export function seconds(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value !== 'string') return undefined;
  const m = /^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$/.exec(value.trim());
  if (!m || value.trim() === 'PT') return undefined;
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

/** `13 min`, `45 s`, `1 h 5 min` */
export function duration(totalSeconds: number): string {
  if (totalSeconds < 60) return `${totalSeconds} s`;
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.round((totalSeconds % 3600) / 60);
  if (hours === 0) return `${minutes} min`;
  return minutes === 0 ? `${hours} h` : `${hours} h ${minutes} min`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

import type { CfnTemplate } from './template';
import type { RollbackPlan } from './rollback-plan';

const minutes = (m: number) => m.toFixed(1).padStart(5);

/** The construct path of a resource when the template carries it (`cdk synth` adds it), else its logical ID. */
function label(template: CfnTemplate, id: string): string {
  const path = (template.Resources?.[id]?.Metadata?.['aws:cdk:path'] as string | undefined)?.split('/').slice(1).join('/');
  return path ? `${path.replace(/\/Resource$/, '')} (${id})` : id;
}

/**
 * The plan as text: the critical path with its minutes, one line per failure point (when it
 * fails, what is complete, what is in flight, whether the rollback deletes it all), and every
 * resource that would strand the stack, with the fix.
 */
export function planText(stackName: string, template: CfnTemplate, plan: RollbackPlan): string {
  const lines: string[] = [];
  const added = plan.resources.filter((r) => r.addedBy);
  lines.push(
    `loadbearing plan: ${stackName}, first create: ${plan.resources.length} resources${added.length ? ` (${added.length} added by the ${[...new Set(added.map((a) => a.addedBy))].join(', ')} transform, not in cdk.out)` : ''}`,
  );
  lines.push(
    `Critical path: ~${Math.round(plan.criticalMinutes)} min. Estimated create times, not measurements (docs/deploying.md, "How long a first create takes").`,
  );
  for (const id of plan.criticalPath) {
    const r = plan.resources.find((x) => x.logicalId === id)!;
    lines.push(`  ${minutes(r.start)} -${minutes(r.finish)} min  ${label(template, id)}  ${r.type}`);
  }
  lines.push('');
  lines.push(
    `Failure points: ${plan.failurePoints.length}, in the order the create reaches them. "If X fails": what is complete and what is in flight then, and whether the rollback can delete all of it.`,
  );
  for (const f of plan.failurePoints) {
    const others = f.inFlight.filter((id) => id !== f.failing);
    const verdict =
      f.blockers.length > 0
        ? `STRANDS (${f.blockers.length})`
        : f.warnings.length > 0
          ? `may strand (${f.warnings.map((w) => w.logicalId).join(', ')} still creating)`
          : 'rollback deletes all';
    lines.push(
      `  ${minutes(f.at)} min  if ${label(template, f.failing)} fails: ${f.created.length} complete, ${others.length} in flight${others.length ? ` (${others.slice(0, 4).join(', ')}${others.length > 4 ? ', ...' : ''})` : ''}: ${verdict}`,
    );
  }
  const stranding = plan.failurePoints.filter((f) => f.blockers.length > 0);
  const warned = plan.failurePoints.filter((f) => f.warnings.length > 0);
  lines.push('');
  if (stranding.length === 0) {
    lines.push(
      `Verdict: every one of the ${plan.failurePoints.length} failure points rolls back: nothing is left that blocks the rollback or a retry.`,
    );
  } else {
    lines.push(`Verdict: ${stranding.length} of ${plan.failurePoints.length} failure points strand the stack:`);
    lines.push(...byResource(template, stranding, 'blockers'));
  }
  if (warned.length > 0) {
    lines.push(
      `Warning: ${warned.length} of ${plan.failurePoints.length} failure points may strand, on a premise not verified (they do not change the exit code):`,
    );
    lines.push(...byResource(template, warned, 'warnings'));
  }
  return `${lines.join('\n')}\n`;
}

/** One line per resource, with the first failure point that shows it and how many do. */
function byResource(template: CfnTemplate, points: RollbackPlan['failurePoints'], kind: 'blockers' | 'warnings'): string[] {
  const seen = new Map<string, { failing: string; at: number; reason: string; fix: string; count: number }>();
  for (const f of points) {
    for (const b of f[kind]) {
      const known = seen.get(b.logicalId);
      if (known) known.count++;
      else seen.set(b.logicalId, { failing: f.failing, at: f.at, reason: b.reason, fix: b.fix, count: 1 });
    }
  }
  return [...seen].map(
    ([id, s]) =>
      `  ${label(template, id)}: ${s.reason} (first when ${label(template, s.failing)} fails at ~${s.at.toFixed(1)} min; ${s.count} failure points); fix: ${s.fix}`,
  );
}

/** The plan as JSON (every failure point with the complete and in-flight resources). */
export function planJson(stackName: string, plan: RollbackPlan): unknown {
  return {
    stack: stackName,
    estimated: true,
    criticalMinutes: Math.round(plan.criticalMinutes * 10) / 10,
    criticalPath: plan.criticalPath,
    strands: plan.strands,
    mayStrand: plan.mayStrand,
    resources: plan.resources,
    failurePoints: plan.failurePoints,
  };
}

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

/** Milliseconds of CPU (inclusive) spent under each package or project file, busiest first. */
export interface ProfileSummary {
  readonly totalMs: number;
  readonly byOwner: { owner: string; ms: number }[];
}

function owner(url: string): string | undefined {
  if (url.includes('node_modules/')) {
    const rest = url.split('node_modules/').pop()!.split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const project = /\/(bin|lib|constructs)\/(.+?)(\.ts)?$/.exec(url);
  return project ? `${project[1]}/${project[2]}` : undefined;
}

/**
 * Summarizes the largest `.cpuprofile` in a directory (the main thread of a `--cpu-prof` run):
 * inclusive time per npm package or project file, to find where a synth spends its time.
 */
export function summarizeCpuProfile(dir: string, top = 12): ProfileSummary {
  const file = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).size - statSync(a).size)[0];
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const inclusive = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((sample, i) => {
    const dt = profile.timeDeltas[i] / 1000;
    total += dt;
    const seen = new Set<string>();
    for (let id: number | undefined = sample; id !== undefined; id = parent.get(id)) {
      const key = owner(nodes.get(id)!.callFrame.url);
      if (key && !seen.has(key)) {
        seen.add(key);
        inclusive.set(key, (inclusive.get(key) ?? 0) + dt);
      }
    }
  });
  return {
    totalMs: Math.round(total),
    byOwner: [...inclusive.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([key, ms]) => ({ owner: key, ms: Math.round(ms) })),
  };
}

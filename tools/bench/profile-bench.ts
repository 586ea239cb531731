import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchPart, PartResult } from './bench-part';
import { summarizeCpuProfile, type ProfileSummary } from './cpu-profile';
import { runOnce } from './measure';

export interface ProfileResult extends PartResult {
  readonly platform: ProfileSummary;
  readonly floor: ProfileSummary;
}

/** Where one warm synth's main-thread CPU goes (`--cpu-prof`), for the platform and the bare floor. */
export const profileBench: BenchPart<ProfileResult> = {
  name: 'profile',
  summary: 'a CPU profile of one warm synth of the platform and of the bare floor, by package and file',
  async measure(ctx) {
    const profile = (label: string, entry: string): ProfileSummary => {
      const dir = join(ctx.scratch, 'cpuprofile', label);
      const args = [
        'run',
        '--silent',
        'synth',
        '--',
        '--output',
        join(ctx.scratch, 'profile-out', label),
        '--app',
        `node --cpu-prof --cpu-prof-dir=${dir} tools/launch.cjs ${entry}`,
      ];
      // Twice: the first fills the validation cache for this output's templates.
      for (let i = 0; i < 2; i++) {
        rmSync(dir, { recursive: true, force: true });
        const run = runOnce(ctx.root, { label, command: 'npm', args, env: ctx.env });
        if (run.status !== 0) throw new Error(`profiling ${label} failed:\n${run.output.slice(-3000)}`);
      }
      return summarizeCpuProfile(dir);
    };
    return { platform: profile('platform', 'bin/app'), floor: profile('floor', 'tools/bench/floor-app') };
  },
  table(r) {
    // One row per package or file (a cell per app), so no cell holds a whole profile.
    const seconds = (p: ProfileSummary, owner: string) => {
      const found = p.byOwner.find((o) => o.owner === owner);
      return found ? `${(found.ms / 1000).toFixed(2)} s` : '-';
    };
    const owners = [...new Set([...r.platform.byOwner, ...r.floor.byOwner].map((o) => o.owner))];
    return [
      `Where one warm synth's main-thread CPU goes (inclusive, \`--cpu-prof\`): the platform ${(r.platform.totalMs / 1000).toFixed(1)} s, the bare floor ${(r.floor.totalMs / 1000).toFixed(1)} s.`,
      '',
      '| Package or file | CPU, platform (inclusive) | CPU, bare floor (inclusive) |',
      '| --- | --- | --- |',
      ...owners.map((owner) => `| ${owner} | ${seconds(r.platform, owner)} | ${seconds(r.floor, owner)} |`),
    ];
  },
  targets: () => [],
};

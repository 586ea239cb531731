import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** One timed run of a command. */
export interface Run {
  readonly seconds: number;
  /** Peak RSS of the command and its descendants (GNU time), if available. */
  readonly peakRssMiB?: number;
  readonly status: number | null;
}

export interface Stats {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export interface Command {
  readonly label: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
}

const GNU_TIME = '/usr/bin/time';

/**
 * Runs a command once and measures wall time and, with GNU time, the peak RSS of the largest
 * process in its tree (`%M`: the child's maximum resident set, including waited-for descendants).
 */
export function runOnce(cwd: string, cmd: Command): Run {
  const useTime = existsSync(GNU_TIME);
  const started = process.hrtime.bigint();
  const result = useTime
    ? spawnSync(GNU_TIME, ['-f', 'bench-rss-kb %M', cmd.command, ...cmd.args], { cwd, env: cmd.env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
    : spawnSync(cmd.command, [...cmd.args], { cwd, env: cmd.env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const kb = /bench-rss-kb (\d+)/.exec(result.stderr ?? '')?.[1];
  return { seconds, peakRssMiB: kb ? Math.round(Number(kb) / 1024) : undefined, status: result.status };
}

export function stats(values: readonly number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median: round(median), min: round(sorted[0]), max: round(sorted[sorted.length - 1]) };
}

export function round(n: number, digits = 2): number {
  return Math.round(n * 10 ** digits) / 10 ** digits;
}

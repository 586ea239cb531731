import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** One timed run of a command. */
export interface Run {
  readonly seconds: number;
  /** User + system CPU of the command and its descendants (GNU time), if available. */
  readonly cpuSeconds?: number;
  /** Peak RSS of the largest process in the command's tree (GNU time), if available. */
  readonly peakRssMiB?: number;
  /** Seconds until the command first wrote anything (stdout or stderr), when asked for. */
  readonly firstOutputSeconds?: number;
  readonly status: number | null;
  readonly output: string;
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
  /** @default - the bench's root */
  readonly cwd?: string;
}

/** Several runs of one command, summarized. */
export interface Measurement {
  readonly command: string;
  readonly wallSeconds: Stats;
  readonly cpuSeconds?: Stats;
  readonly peakRssMiB?: Stats;
  readonly firstOutputSeconds?: Stats;
  readonly runs: number;
}

const GNU_TIME = '/usr/bin/time';
const TIME_FORMAT = 'bench-time %e %U %S %M';

function withTime(cmd: Command): [string, string[]] {
  return existsSync(GNU_TIME) ? [GNU_TIME, ['-f', TIME_FORMAT, cmd.command, ...cmd.args]] : [cmd.command, [...cmd.args]];
}

function parseTime(stderr: string): Pick<Run, 'cpuSeconds' | 'peakRssMiB'> {
  const m = /bench-time [\d.]+ ([\d.]+) ([\d.]+) (\d+)/.exec(stderr);
  return m ? { cpuSeconds: round(Number(m[1]) + Number(m[2])), peakRssMiB: Math.round(Number(m[3]) / 1024) } : {};
}

/** Runs a command once: wall time, and with GNU time its CPU time and peak RSS. */
export function runOnce(cwd: string, cmd: Command): Run {
  const [command, args] = withTime(cmd);
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, { cwd: cmd.cwd ?? cwd, env: cmd.env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { seconds, ...parseTime(result.stderr ?? ''), status: result.status, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
}

/** Like runOnce, and also when the command first printed anything (what a user waits for). */
export function runWatched(cwd: string, cmd: Command): Promise<Run> {
  const [command, args] = withTime(cmd);
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const elapsed = () => Number(process.hrtime.bigint() - started) / 1e9;
    let firstOutputSeconds: number | undefined;
    let stdout = '';
    let stderr = '';
    const child = spawn(command, args, { cwd: cmd.cwd ?? cwd, env: cmd.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const seen = (chunk: Buffer, into: 'out' | 'err') => {
      const text = chunk.toString('utf8');
      // GNU time's own line comes last; it is not the command's output.
      if (firstOutputSeconds === undefined && !text.startsWith('bench-time ')) firstOutputSeconds = elapsed();
      if (into === 'out') stdout += text;
      else stderr += text;
    };
    child.stdout.on('data', (c: Buffer) => seen(c, 'out'));
    child.stderr.on('data', (c: Buffer) => seen(c, 'err'));
    child.on('close', (status) => {
      const seconds = elapsed();
      resolve({ seconds, ...parseTime(stderr), firstOutputSeconds, status, output: stdout + stderr });
    });
  });
}

export function stats(values: readonly number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median: round(median), min: round(sorted[0]), max: round(sorted[sorted.length - 1]) };
}

/** The runs of one command as a Measurement (CPU, RSS and first output only when every run has them). */
export function measurement(cmd: Command, runs: readonly Run[]): Measurement {
  const all = (pick: (r: Run) => number | undefined) => {
    const values = runs.map(pick).filter((v): v is number => v !== undefined);
    return values.length === runs.length && values.length > 0 ? stats(values) : undefined;
  };
  const cpuSeconds = all((r) => r.cpuSeconds);
  const peakRssMiB = all((r) => r.peakRssMiB);
  const firstOutputSeconds = all((r) => r.firstOutputSeconds);
  return {
    command: [cmd.command, ...cmd.args].join(' '),
    wallSeconds: stats(runs.map((r) => r.seconds)),
    ...(cpuSeconds ? { cpuSeconds } : {}),
    ...(peakRssMiB ? { peakRssMiB } : {}),
    ...(firstOutputSeconds ? { firstOutputSeconds } : {}),
    runs: runs.length,
  };
}

/** `6.83 s (5.25-7.62), CPU 5.1 s`: a measurement for a table. */
export function formatMeasurement(m: Measurement): string {
  const cpu = m.cpuSeconds ? `, CPU ${m.cpuSeconds.median.toFixed(1)} s` : '';
  const rss = m.peakRssMiB ? `, peak RSS ${m.peakRssMiB.median} MiB` : '';
  return `${m.wallSeconds.median.toFixed(2)} s (${m.wallSeconds.min.toFixed(2)}-${m.wallSeconds.max.toFixed(2)})${cpu}${rss}`;
}

export function round(n: number, digits = 2): number {
  return Math.round(n * 10 ** digits) / 10 ** digits;
}

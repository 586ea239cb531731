import { execFile, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import net from 'node:net';

/**
 * With `LOADBEARING_PROCESS_LOG=<file>` set, the ID of every process group started here is
 * appended to that file, so a test can check afterwards that none of them is still alive.
 */
function recordStarted(pid: number): void {
  const log = process.env.LOADBEARING_PROCESS_LOG;
  if (log) appendFileSync(log, `${pid}\n`);
}

/** Process groups started elsewhere (moto) get the same treatment: killed on exit, logged. */
export function adoptGroup(pid: number): void {
  track(pid);
  recordStarted(pid);
}

/** A free TCP port on 127.0.0.1 (the OS picks it; the caller binds it soon after). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** `command args` as `user` when we are root (PostgreSQL refuses to run as root), else as ourselves. */
export function asUser(user: string, command: string, args: readonly string[]): [string, string[]] {
  return isRoot() ? ['runuser', ['-u', user, '--', command, ...args]] : [command, [...args]];
}

/** Runs a command to completion (without blocking the event loop); throws with its output when it fails. */
export function run(command: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      [...args],
      { encoding: 'utf8', env: options.env ?? process.env, cwd: options.cwd, timeout: 60_000 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${command} ${args.join(' ')} failed: ${error.message}\n${stdout}\n${stderr}`));
        else resolve(stdout);
      },
    );
  });
}

/**
 * A watchdog process that outlives a hard kill of this one (SIGKILL, out of memory), where no
 * exit hook runs: it reads "+<group>" / "-<group>" lines on stdin and, when stdin closes (this
 * process is gone, however it ended), SIGKILLs every group still listed. It runs detached, in
 * its own group, and never keeps this process alive.
 */
const REAPER_SOURCE = `
const groups = new Set();
let buffer = '';
process.stdin.on('data', (chunk) => {
  buffer += chunk;
  const lines = buffer.split('\\n');
  buffer = lines.pop();
  for (const line of lines) (line[0] === '+' ? groups.add(Number(line.slice(1))) : groups.delete(Number(line.slice(1))));
});
process.stdin.on('end', () => {
  for (const g of groups) { try { process.kill(-g, 'SIGCONT'); process.kill(-g, 'SIGKILL'); } catch {} }
  process.exit(0);
});
`;
let reaper: ChildProcess | undefined;
function tellReaper(line: string): void {
  if (!reaper) {
    reaper = spawn(process.execPath, ['-e', REAPER_SOURCE], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    reaper.unref();
    (reaper.stdin as unknown as { unref(): void }).unref();
    reaper.stdin!.on('error', () => undefined);
  }
  reaper.stdin!.write(`${line}\n`);
}

/** Process groups started here, killed on exit even when a test fails or the runner is interrupted. */
const groups = new Set<number>();
let hooked = false;
function track(pid: number): void {
  groups.add(pid);
  tellReaper(`+${pid}`);
  if (hooked) return;
  hooked = true;
  process.once('exit', () => {
    for (const g of groups) {
      try {
        process.kill(-g, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  });
}

/** A long-running process in its own process group, stopped by PID (the whole group). */
export interface ManagedProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  /** Last 8 KiB of stdout and stderr, for failure messages. */
  output(): string;
  readonly exited: Promise<number | null>;
  running(): boolean;
  /** Sends `signal` to the group, waits for the exit; SIGKILL after `graceMs`. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
  /** Sends a signal to the group (e.g. SIGSTOP / SIGCONT to freeze and thaw). */
  signal(signal: NodeJS.Signals): void;
}

export function startProcess(
  command: string,
  args: readonly string[],
  options: SpawnOptions & { onLine?: (line: string) => void } = {},
): ManagedProcess {
  const child = spawn(command, args, { ...options, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error(`${command} did not start`);
  const pid = child.pid;
  track(pid);
  recordStarted(pid);
  let log = '';
  let partial = '';
  const onData = (chunk: Buffer) => {
    const text = chunk.toString();
    log = (log + text).slice(-8192);
    if (!options.onLine) return;
    partial += text;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) options.onLine(line);
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      groups.delete(pid);
      tellReaper(`-${pid}`);
      resolve(code);
    }),
  );
  const running = () => child.exitCode === null && child.signalCode === null;
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-pid, s);
    } catch {
      /* gone */
    }
  };
  return {
    pid,
    child,
    output: () => log,
    exited,
    running,
    signal,
    async stop(s: NodeJS.Signals = 'SIGTERM', graceMs = 5_000) {
      if (!running()) return;
      signal('SIGCONT');
      signal(s);
      const timer = setTimeout(() => signal('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      // Children that outlived the leader (none expected) go too.
      signal('SIGKILL');
    },
  };
}

/** Polls `probe` until it resolves truthy; throws with `describe()` after `timeoutMs`. */
export async function waitFor(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs: number,
  describe: () => string = () => '',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      if (await probe()) return;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${what} not ready within ${timeoutMs} ms${last ? ` (${last})` : ''}\n${describe()}`);
}

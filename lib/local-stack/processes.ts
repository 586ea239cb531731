import { execFile, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import net from 'node:net';

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
    execFile(command, [...args], { encoding: 'utf8', env: options.env ?? process.env, cwd: options.cwd, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(' ')} failed: ${error.message}\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** Process groups started here, killed on exit even when a test fails or the runner is interrupted. */
const groups = new Set<number>();
let hooked = false;
function track(pid: number): void {
  groups.add(pid);
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

export function startProcess(command: string, args: readonly string[], options: SpawnOptions & { onLine?: (line: string) => void } = {}): ManagedProcess {
  const child = spawn(command, args, { ...options, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error(`${command} did not start`);
  const pid = child.pid;
  track(pid);
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
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => {
    groups.delete(pid);
    resolve(code);
  }));
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
export async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs: number, describe: () => string = () => ''): Promise<void> {
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

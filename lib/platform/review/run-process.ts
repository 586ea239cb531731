import { spawn, type ChildProcess } from 'node:child_process';

const running = new Set<ChildProcess>();

/**
 * Stops every command still running, with everything it started (cdk synth runs the app as a
 * child of its own): on Ctrl-C, before the temp dirs they write to are removed.
 */
export function stopRunningProcesses(): void {
  for (const child of running) {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
    } catch {
      // Already gone.
    }
  }
}

export interface ProcessResult {
  readonly status: number | null;
  readonly stdout: string;
  /** stdout as bytes, for binary output such as `git archive`. */
  readonly stdoutBytes: Buffer;
  readonly stderr: string;
  /** Set when the command could not be started at all (e.g. not installed). */
  readonly error?: Error;
}

/**
 * Runs a command without a shell and collects its output. Never rejects. Each command gets its
 * own process group, so stopRunningProcesses can stop it with its children.
 */
export function runProcess(
  command: string,
  args: readonly string[],
  options: { readonly cwd: string; readonly env?: NodeJS.ProcessEnv; readonly stdin?: Buffer },
): Promise<ProcessResult> {
  return new Promise((resolve) => {
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    running.add(child);
    let failure: Error | undefined;
    child.stdout.on('data', (c: Buffer) => stdout.push(c));
    child.stderr.on('data', (c: Buffer) => stderr.push(c));
    child.on('error', (e) => (failure = e));
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.stdin);
    child.on('close', (status) => {
      running.delete(child);
      resolve({
        status,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stdoutBytes: Buffer.concat(stdout),
        stderr: Buffer.concat(stderr).toString('utf8'),
        ...(failure ? { error: failure } : {}),
      });
    });
  });
}

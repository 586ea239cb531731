import { spawn } from 'node:child_process';

export interface ProcessResult {
  readonly status: number | null;
  readonly stdout: string;
  /** stdout as bytes, for binary output such as `git archive`. */
  readonly stdoutBytes: Buffer;
  readonly stderr: string;
  /** Set when the command could not be started at all (e.g. not installed). */
  readonly error?: Error;
}

/** Runs a command without a shell and collects its output. Never rejects. */
export function runProcess(
  command: string,
  args: readonly string[],
  options: { readonly cwd: string; readonly env?: NodeJS.ProcessEnv; readonly stdin?: Buffer },
): Promise<ProcessResult> {
  return new Promise((resolve) => {
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let failure: Error | undefined;
    child.stdout.on('data', (c: Buffer) => stdout.push(c));
    child.stderr.on('data', (c: Buffer) => stderr.push(c));
    child.on('error', (e) => (failure = e));
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.stdin);
    child.on('close', (status) =>
      resolve({
        status,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stdoutBytes: Buffer.concat(stdout),
        stderr: Buffer.concat(stderr).toString('utf8'),
        ...(failure ? { error: failure } : {}),
      }),
    );
  });
}

import { spawn } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { freePort } from '../../../proving-ground/src/local-stack/processes';

/**
 * What the boot-script tests share: executables on a PATH directory that stand in for what needs
 * AWS or systemd, a local server that records the wait-condition reports, and bash running a
 * generated script.
 */

/** Writes `bin/<name>` as an executable bash script with `body`. */
export function writeStub(bin: string, name: string, body: string): void {
  writeFileSync(join(bin, name), `#!/bin/bash\n${body}\n`);
  chmodSync(join(bin, name), 0o755);
}

export interface ReportServer {
  readonly url: string;
  /** Each report the script sent, as `record` wrote it. */
  readonly reports: string[];
  close(): Promise<void>;
}

/** A loopback server standing in for the wait condition's presigned URL: it records every request. */
export async function startReportServer(record: (method: string, body: string) => string): Promise<ReportServer> {
  const reports: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      reports.push(record(req.method ?? '', body));
      res.end();
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}/report`,
    reports,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Runs `script` in bash with `env`: its exit code and its output (stdout and stderr together). */
export async function runBash(script: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  const child = spawn('bash', ['-c', script], { env });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, output };
}

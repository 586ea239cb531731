import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { adoptGroup } from './processes';

/** Why moto cannot run here, or undefined when it can. */
export function motoUnavailable(): string | undefined {
  const probe = spawnSync('python3', ['-c', 'import moto.server'], { encoding: 'utf8' });
  if (probe.error)
    return (probe.error as NodeJS.ErrnoException).code === 'ENOENT'
      ? 'python3 not found on PATH'
      : `python3 cannot run (${probe.error.message})`;
  if (probe.status !== 0) return `python3 cannot import moto.server: ${probe.stderr.trim().split('\n').pop()}`;
  return undefined;
}

async function freeLoopbackPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface MotoServer {
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

/**
 * Starts `python3 -m moto.server` on a free loopback port in its own process group and
 * waits until it answers HTTP. stop() ends the whole group (no orphans). `env` adds moto
 * settings to the inherited environment, e.g. `MOTO_ACM_VALIDATION_WAIT: '0'` (requested ACM
 * certificates are ISSUED at once instead of after 60 s).
 */
export async function startMoto(timeoutMs = 15_000, env: Readonly<Record<string, string>> = {}): Promise<MotoServer> {
  const port = await freeLoopbackPort();
  const child: ChildProcess = spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
    detached: true,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  if (child.pid !== undefined) adoptGroup(child.pid);
  let log = '';
  child.stderr!.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    process.kill(-child.pid!, 'SIGTERM');
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 3_000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto exited with ${child.exitCode}: ${log}`);
    try {
      const response = await fetch(`${url}/moto-api/`);
      await response.arrayBuffer();
      return { url, pid: child.pid!, stop };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  await stop();
  throw new Error(`moto did not answer on ${url} within ${timeoutMs} ms: ${log}`);
}

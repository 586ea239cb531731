import net from 'node:net';
import { freePort, startProcess, waitFor, type ManagedProcess } from './processes';

export interface RedisServer {
  readonly port: number;
  readonly password: string;
  process: ManagedProcess;
  /** Stops it (SIGTERM, then SIGKILL). */
  stop(): Promise<void>;
  /** Starts it again on the same port (after stop). */
  restart(): Promise<void>;
  freeze(): void;
  thaw(): void;
}

/** PING with AUTH over a raw socket: true when the server answers PONG. */
function ping(port: number, password: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write(`AUTH ${password}\r\nPING\r\n`));
    socket.on('data', (chunk) => {
      data += chunk.toString();
      if (data.includes('+PONG')) done(true);
      else if (data.includes('-')) done(false);
    });
  });
}

export function redisUnavailable(): string | undefined {
  const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (!probe.error) return undefined;
  return (probe.error as NodeJS.ErrnoException).code === 'ENOENT'
    ? 'redis-server not found on PATH'
    : `redis-server cannot run (${probe.error.message})`;
}

/** redis-server on a free loopback port, no persistence, AUTH required (as ElastiCache with a token). */
export async function startRedis(password = 'local-cache-token-0123456789'): Promise<RedisServer> {
  const port = await freePort();
  const launch = async () => {
    const p = startProcess('redis-server', [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--requirepass',
      password,
      '--protected-mode',
      'yes',
    ]);
    await waitFor(
      'redis-server',
      () => ping(port, password),
      10_000,
      () => p.output(),
    );
    return p;
  };
  const server: RedisServer = {
    port,
    password,
    process: await launch(),
    stop: () => server.process.stop('SIGTERM', 3_000),
    async restart() {
      server.process = await launch();
    },
    freeze: () => server.process.signal('SIGSTOP'),
    thaw: () => server.process.signal('SIGCONT'),
  };
  return server;
}
